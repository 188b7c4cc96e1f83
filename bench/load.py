"""Case list and case page latency under load on PostgreSQL, measured with wrk.

N cases (LAWTRAIL_BENCH_CASES, default 100,000) with 20 final records each (2,000,000) on
top of the demo data, then U concurrent users (LAWTRAIL_BENCH_USERS, default 20) for S
seconds per page kind (LAWTRAIL_BENCH_SECONDS, default 30) against `lawtrail serve`, twice:
as users, each opening the next page a moment (LAWTRAIL_BENCH_THINK_MS, default 1,000 ms on
average) after the last one arrived, faster than anyone reads a case; and as U connections sending
back to back without a pause, which measures what the machine can serve at most (with 20 of
them on 2 cores, p95 is mostly the queue). Pages: the
case list at a random one of its first 40 pages (the 1,000 newest cases, where users look;
a page deep in the list costs an OFFSET scan), and random case pages among all 100,000
(each view also appends its access-log entry to the ledger, as in production). One officer of the department that holds the
cases is signed in; the server runs with its default workers on this machine.

Goals (issue 31): with the users, case page p95 under 100 ms and at most 10 × the sign-in
page's, case list p95 under 50 ms; without pauses, at least 100 case pages a second. The baseline of the same run is the sign-in page served
by the same server under the same load: the floor of the stack (gunicorn, Django's
middleware, sessions, templates) without the case data.
Bulk inserts build the data (as in bench/compliance.py), not the services. With
LAWTRAIL_BENCH_KEEP=1 the database is kept and reused by the next run that asks for the
same number of cases (building 2,000,000 records takes minutes).
"""

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from compliance import DOCS, build  # noqa: E402

DATABASE = os.environ.get("LAWTRAIL_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lawtrail_load")
PASSWORD = "Demo@2026"
# Issue 31: p95 with the users (the case page also ≤ 10 × the sign-in page), and the case
# page's rate with connections sending back to back.
GOAL_P95_MS = {"case_list": 50, "case_page": 100}
GOAL_SATURATED = 100

# wrk: each request picks a random target, a connection waits `think` ms (drawn between half
# and one and a half times, so that the users do not click in step) before each next request
# (not counted in its latency); `done` prints the percentiles (µs) on one line.
LUA = r"""
math.randomseed(os.time() + math.floor(os.clock() * 1e6))
local cookie = "%(cookie)s"
if %(think)d > 0 then
  delay = function() return math.random(%(think)d / 2, %(think)d * 3 / 2) end
end
request = function()
  local path = string.format("%(path)s", math.random(%(low)d, %(high)d))
  return wrk.format("GET", path, {["Cookie"] = cookie})
end
done = function(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d\n", summary.requests, bad, latency:percentile(50),
                         latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def prepare_database(n, keep):
    """A fresh database, or with `keep` the one a previous run left with n bench cases.
    Returns whether it must be built."""
    import psycopg

    base, _, name = DATABASE.rpartition("/")
    if keep:
        try:
            with psycopg.connect(DATABASE) as conn:
                built = conn.execute("SELECT count(*) FROM cases_case WHERE case_no LIKE 'BENCH-%%'").fetchone()[0]
            if built == n:
                return False
        except psycopg.Error:
            pass
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return True


def drop_database():
    import psycopg

    base, _, name = DATABASE.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sign_in(base_url, username):
    import requests

    session = requests.Session()
    page = session.get(f"{base_url}/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(f"{base_url}/login/", data={"username": username, "password": PASSWORD,
                                                      "csrfmiddlewaretoken": token},
                          headers={"Referer": f"{base_url}/login/"}, allow_redirects=False)
    assert answer.status_code == 302, f"sign-in failed: {answer.status_code}"
    return "; ".join(f"{k}={v}" for k, v in session.cookies.items())


def load(base_url, script_dir, name, path, low, high, cookie, users, seconds, think=0):
    script = Path(script_dir) / f"{name}.lua"
    script.write_text(LUA % {"cookie": cookie, "path": path, "low": low, "high": high, "think": think})
    out = subprocess.run(["wrk", "-t", "2", "-c", str(users), "-d", f"{seconds}s", "--timeout", "10s",
                          "-s", str(script), base_url], capture_output=True, text=True, check=True).stdout
    fields = next(line for line in out.splitlines() if line.startswith("RESULT")).split()[1:]
    requests_, bad, p50, p95, p99, worst = (int(float(x)) for x in fields)
    result = {"requests": requests_, "errors": bad, "per_second": requests_ / seconds,
              "p50_ms": p50 / 1000, "p95_ms": p95 / 1000, "p99_ms": p99 / 1000, "max_ms": worst / 1000}
    print(f"{name:<20} {result['per_second']:7.1f} req/s  p50 {result['p50_ms']:6.1f} ms  "
          f"p95 {result['p95_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms  errors {bad}")
    return result


def main():
    n = int(os.environ.get("LAWTRAIL_BENCH_CASES", "100000"))
    users = int(os.environ.get("LAWTRAIL_BENCH_USERS", "20"))
    seconds = int(os.environ.get("LAWTRAIL_BENCH_SECONDS", "30"))
    keep = os.environ.get("LAWTRAIL_BENCH_KEEP") == "1"
    think = int(os.environ.get("LAWTRAIL_BENCH_THINK_MS", "1000"))
    fresh = prepare_database(n, keep)
    with tempfile.TemporaryDirectory(dir=os.environ.get("LAWTRAIL_BENCH_TMP")) as tmp:
        home = Path(tmp) / "home"
        os.environ.update(LAWTRAIL_HOME=str(home), DATABASE_URL=DATABASE, DJANGO_SETTINGS_MODULE="lawtrail.settings")
        t = time.perf_counter()
        if fresh:
            common.lawtrail(home, "demo", sqlite=False)
        import django

        django.setup()
        from django.db import connection

        from lawtrail.cases.models import Case
        from lawtrail.records.models import Record

        if fresh:
            build(n)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        bench_cases = Case.objects.filter(case_no__startswith="BENCH-")
        low, high = (bench_cases.order_by(f).values_list("pk", flat=True).first() for f in ("pk", "-pk"))
        template = Case.objects.get(pk=low)
        officer = template.department.officers.filter(user__isnull=False).select_related("user").first().user
        visible = Case.objects.filter(department=template.department).count()
        print(f"{Case.objects.count():,} cases, {Record.objects.count():,} records on PostgreSQL "
              f"(built in {time.perf_counter() - t:.0f}s); {officer.username} sees {visible:,}")
        connection.close()

        port = common.free_port()
        server = common.serve(home, port, sqlite=False)
        base_url = f"http://127.0.0.1:{port}"
        try:
            cookie = sign_in(base_url, officer.username)
            pages = min(40, visible // 25 + 1)
            # Not measured: every worker thread connects and compiles both pages' templates
            # (a first case page costs a worker some 300 ms), as a server running for a while has.
            load(base_url, tmp, "warm-up (list)", "/cases/?page=%d", 1, pages, cookie, users, 5)
            load(base_url, tmp, "warm-up (page)", "/cases/%d/", low, high, cookie, users, 5)
            results = {}
            for label, pause in (("users", think), ("saturated", 0)):
                results[label] = {
                    "baseline_sign_in": load(base_url, tmp, f"sign-in ({label})", "/login/?n=%d", 1, 1000, "",
                                             users, seconds, pause),
                    "case_list": load(base_url, tmp, f"case list ({label})", "/cases/?page=%d", 1, pages, cookie,
                                      users, seconds, pause),
                    "case_page": load(base_url, tmp, f"case page ({label})", "/cases/%d/", low, high, cookie,
                                      users, seconds, pause),
                }
        finally:
            common.stop(server)
            if not keep:
                drop_database()
    for label, run in results.items():
        baseline = run["baseline_sign_in"]
        for name in ("case_list", "case_page"):
            result = run[name]
            times = result["p95_ms"] / baseline["p95_ms"]
            ratio = f"{times:.1f} × the sign-in page's {baseline['p95_ms']:.1f} ms"
            if label == "users":
                limit = GOAL_P95_MS[name]
                met = result["p95_ms"] < limit and not result["errors"] and (name != "case_page" or times <= 10)
                goal = f"p95 < {limit} ms" + (" and ≤ 10 × the sign-in page" if name == "case_page" else "")
                print(f"{name}: p95 {result['p95_ms']:.1f} ms = {ratio}; goal {goal} with {users} users "
                      f"({think} ms between pages) — {'met' if met else 'NOT met'}")
            else:
                rate = result["per_second"]
                share = f"{rate / baseline['per_second']:.2f} × the sign-in page's {baseline['per_second']:.0f} req/s"
                goal = (f"; goal ≥ {GOAL_SATURATED} req/s — {'met' if rate >= GOAL_SATURATED else 'NOT met'}"
                        if name == "case_page" else "")
                print(f"{name}, {users} connections without pause: {rate:.0f} req/s at most ({share}), "
                      f"p95 {result['p95_ms']:.1f} ms = {ratio}{goal}")
    common.write("load", {"cases": n, "records": n * len(DOCS), "users": users, "seconds": seconds,
                          "think_ms": think, "database": "postgresql", **results["users"],
                          "saturated": results["saturated"], "goal_p95_ms": GOAL_P95_MS,
                          "goal_saturated_case_page_per_second": GOAL_SATURATED})


if __name__ == "__main__":
    main()

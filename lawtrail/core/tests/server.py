"""A real `lawtrail serve` for the tests and CI: started on a free loopback port in a session
of its own, so that stopping it also ends its gunicorn workers and its background worker;
and the production-mode check that CI runs on the demo data:

    .venv/bin/python -m lawtrail.core.tests.server

It loads the demo into a fresh LAWTRAIL_HOME, serves it with LAWTRAIL_PRODUCTION=true, signs
in as a demo officer, opens a case page and a static file, prints each status and exits
non-zero if any was not the expected one. No Django here: it runs outside any settings.
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

DEMO_USER, DEMO_PASSWORD = "hy.officer1", "Demo@2026"
# What the HTTPS proxy in front adds; without it production mode redirects to https://.
HTTPS = {"X-Forwarded-Proto": "https"}


# An agency with officers and a case, made through the real services in the instance's own
# database; prints what a client needs (one line of JSON).
SEED = r"""
import json
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from lawtrail.org.services import token_create
from lawtrail.testing import PASSWORD, Org
org = Org("srv", profile="004")
case = org.open_case()
user = org.officer_users[0]
print(json.dumps({"token": token_create(actor=None, username=user.username), "case_no": case.case_no,
                  "cert": org.officers[0].cert_no, "username": user.username, "password": PASSWORD}))
"""


def seed(env):
    """Run SEED in the instance of `env`; returns what it printed."""
    result = subprocess.run([sys.executable, "-c", SEED], env=env, capture_output=True, text=True, timeout=300)
    if result.returncode:
        raise RuntimeError(f"seeding the instance failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(home):
    """The environment of a production-mode instance on its own SQLite under `home`."""
    env = {**os.environ, "LAWTRAIL_HOME": str(home), "LAWTRAIL_PRODUCTION": "true", "ALLOWED_HOSTS": "127.0.0.1",
           "DJANGO_SETTINGS_MODULE": "lawtrail.settings"}
    for name in ("DATABASE_URL", "LAWTRAIL_STORAGE", "SECRET_KEY", "CSRF_TRUSTED_ORIGINS", "LAWTRAIL_PUBLIC_URL"):
        env.pop(name, None)
    return env


def start(env, port, *, options=(), headers=None, log=None, timeout=120):
    """`lawtrail serve` on 127.0.0.1:`port`, returned once it answers (a tus OPTIONS).
    Output goes to `log` (an open file), else nowhere."""
    output = log if log is not None else subprocess.DEVNULL
    process = subprocess.Popen([sys.executable, "-m", "lawtrail.cli", "serve", "--port", str(port), *options],
                               env=env, stdout=output, stderr=output, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"lawtrail serve exited with status {process.returncode}")
            try:
                url = f"http://127.0.0.1:{port}/api/uploads/"
                if requests.options(url, headers=headers, timeout=5).status_code == 204:
                    return process
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"lawtrail serve did not answer within {timeout} s")
    except BaseException:  # given up, or interrupted: nothing of it stays running
        kill(process)
        raise


def kill(process, sig=signal.SIGKILL):
    """Signal the server and everything it started (its session's group), then reap it."""
    with contextlib.suppress(ProcessLookupError):  # all gone already
        os.killpg(process.pid, sig)
    process.wait()


def stop(process, grace=15):
    """A clean stop (gunicorn finishes its requests); what is left after `grace` seconds is killed."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    kill(process)


def check_production(base, username, password):
    """Ask a production-mode server what a user meets first. Returns (what, path, expected,
    got) rows; a request that fails outright raises."""
    cookies, rows = {}, []
    origin = base.replace("http://", "https://")

    def ask(what, method, path, expected, **kwargs):
        # The session cookie is Secure: behind the proxy the browser sends it, requests would not.
        response = requests.request(method, base + path, cookies=cookies, allow_redirects=False, timeout=30,
                                    headers={**HTTPS, "Origin": origin}, **kwargs)
        cookies.update(response.cookies.get_dict())
        rows.append((what, path, expected, response.status_code))
        return response

    plain = requests.get(base + "/login/", allow_redirects=False, timeout=30)
    rows.append(("plain HTTP is sent to HTTPS", "/login/", 301, plain.status_code))
    login = ask("sign-in page", "GET", "/login/", 200).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login)
    ask("sign in", "POST", "/login/", 302,
        data={"username": username, "password": password, "csrfmiddlewaretoken": token and token.group(1)})
    case = re.search(r'href="(/cases/\d+/)"', ask("case list", "GET", "/cases/", 200).text)
    ask("case page", "GET", case.group(1) if case else "/cases/0/", 200)
    static = re.search(r'(/static/[^"]+\.[0-9a-f]{12}\.css)"', login)  # the collected, hashed copy
    ask("static file", "GET", static.group(1) if static else "/static/web/app.css", 200)
    ask("API description, signed in", "GET", "/api/openapi.json", 200)
    anonymous = requests.get(base + "/api/openapi.json", headers=HTTPS, timeout=30)
    rows.append(("API description, not signed in", "/api/openapi.json", 401, anonymous.status_code))
    return rows


def _terminated(signum, frame):
    """`timeout` sends SIGTERM: end through the finally blocks, which stop the server, and
    let nothing interrupt them."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.exit(128 + signum)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Serve the demo in production mode and check what a user meets")
    parser.add_argument("--user", default=DEMO_USER)
    parser.add_argument("--password", default=DEMO_PASSWORD)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    home = Path(tempfile.mkdtemp(prefix="lawtrail-production-"))
    try:
        env = production_env(home / "home")
        print("loading the demo data …", flush=True)
        subprocess.run([sys.executable, "-m", "lawtrail.cli", "demo"], env=env, check=True, timeout=900,
                       stdout=subprocess.DEVNULL)
        port = free_port()
        with open(home / "serve.log", "w+") as log:
            try:
                server = start(env, port, options=("--workers", "2"), headers=HTTPS, log=log)
                try:
                    rows = check_production(f"http://127.0.0.1:{port}", args.user, args.password)
                finally:
                    stop(server)
            except Exception:
                log.seek(0)
                print(log.read()[-5000:], file=sys.stderr)
                raise
        for what, path, expected, got in rows:
            print(f"{'ok  ' if got == expected else 'FAIL'} {got} {path} ({what}; expected {expected})")
        return 0 if all(got == expected for _, _, expected, got in rows) else 1
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

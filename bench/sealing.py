"""What the electronic seal (电子印章) adds to finalising a document, in a scratch instance:
a 3-page 决定书 finalised with its PAdES seal, against the same finalisation with the seal
step passed through (the in-run baseline), alternately, LAWTRAIL_BENCH_SEAL_ROUNDS times
each (default 10). Goal: sealing adds ≤ 150 ms. No TSA: the time-stamp is the TSA's time.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

SCRIPT = r'''
import json, os, sys, time
os.environ["DJANGO_SETTINGS_MODULE"] = "lawtrail.settings"
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from pypdf import PdfReader
from lawtrail.blobs import blob_store
from lawtrail.records import services
from lawtrail.records.catalog import doc_type
from lawtrail.records.sealing import Sealed, seal_pdf
from lawtrail.testing import Org, complete_data, sign_all

org = Org("bench")
case = org.open_case()
spec = doc_type("decision")
# Long enough facts and reasons to fill three A4 pages.
long_text = "经查明，当事人于检查时未能提供相关许可证明材料，现场检查笔录、询问笔录和照片在案佐证。" * 7
data = {**complete_data(spec), **{f.key: long_text for f in spec.fields if f.type == "text"}}


seal_times = []


def timed_seal(pdf, seal_box, **kwargs):
    t = time.perf_counter()
    sealed = seal_pdf(pdf, seal_box, **kwargs)
    seal_times.append(time.perf_counter() - t)
    return sealed


def passed_through(pdf, seal_box, *, agency, reason):
    return Sealed(pdf, "B-B", "", "", None)


def finalise(sealing):
    record = services.record_create(actor=org.officer_users[0], case=case, doc_type_code="decision", data=data)
    sign_all(org, record)
    services.seal_pdf = timed_seal if sealing else passed_through
    t = time.perf_counter()
    record = services.record_finalise(actor=org.officer_users[0], record=record)
    elapsed = time.perf_counter() - t
    with blob_store().open(record.pdf_sha256) as f:
        return elapsed, len(PdfReader(f).pages)


finalise(True), finalise(False)  # first use: keys and seal image generated, templates loaded
rounds = int(sys.argv[1])
seal_times.clear()
sealed, plain, pages = [], [], set()
for _ in range(rounds):
    for sealing, times in ((True, sealed), (False, plain)):
        elapsed, n = finalise(sealing)
        times.append(elapsed)
        pages.add(n)
print(json.dumps({"sealed": sealed, "plain": plain, "seal_step": seal_times, "pages": sorted(pages)}))
'''


def main():
    rounds = int(os.environ.get("LAWTRAIL_BENCH_SEAL_ROUNDS", "10"))
    with tempfile.TemporaryDirectory(dir=os.environ.get("LAWTRAIL_BENCH_TMP")) as tmp:
        env = {**os.environ, "LAWTRAIL_HOME": tmp}
        for name in ("DATABASE_URL", "LAWTRAIL_TSA_URL", "LAWTRAIL_SEAL_PKCS11_LIB"):
            env.pop(name, None)
        result = subprocess.run([sys.executable, "-c", SCRIPT, str(rounds)], env=env, capture_output=True,
                                text=True)
    if result.returncode:
        sys.exit(f"the sealing benchmark failed:\n{result.stderr}")
    run = json.loads(result.stdout.strip().splitlines()[-1])
    sealed, plain = statistics.median(run["sealed"]), statistics.median(run["plain"])
    # The seal step timed on its own: the difference of the two medians is within the noise
    # of rendering (WeasyPrint lays out and subsets the CJK fonts on every finalisation).
    added_ms = statistics.median(run["seal_step"]) * 1000
    print(f"finalising a {'/'.join(map(str, run['pages']))}-page 决定书: {plain * 1000:.0f} ms without the seal, "
          f"{sealed * 1000:.0f} ms with it (medians of {rounds}) = {sealed / plain:.2f} ×; "
          f"the seal step adds {added_ms:.0f} ms; goal ≤ 150 ms")
    common.write("sealing", {"rounds": rounds, "pages": run["pages"], "sealed_seconds": run["sealed"],
                             "plain_seconds": run["plain"], "seal_step_seconds": run["seal_step"],
                             "added_ms": added_ms, "ratio": sealed / plain, "goal_added_ms": 150})


if __name__ == "__main__":
    main()

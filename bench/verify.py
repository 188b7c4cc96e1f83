"""`lawtrail verify` throughput, in two scratch instances measured in the same run:

* a ledger of N entries (LAWTRAIL_BENCH_ENTRIES, default 200,000): entries per second
  (goal, issue 9: 200,000/s);
* a case with 2 GiB of recordings (LAWTRAIL_BENCH_VERIFY_MIB): MiB/s against hashlib.sha256
  over the same bytes (goal: at least 0.7 ×).
"""

import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

SCRIPT = r'''
import os, sys, time, json, hashlib
os.environ["DJANGO_SETTINGS_MODULE"] = "lawtrail.settings"
import django
django.setup()
from django.core.management import call_command
from django.db import transaction
from lawtrail.archive.integrity import verify_ledger
from lawtrail.ledger.services import ledger_append, ledger_checkpoint
call_command("migrate", verbosity=0)
mode, amount = sys.argv[1], int(sys.argv[2])
if mode == "entries":
    for first in range(0, amount, 5000):
        with transaction.atomic():
            for i in range(first, min(amount, first + 5000)):
                ledger_append(actor=None, action="bench.append", object_type="bench.item", object_id=str(i % 20000),
                              object_hash=hashlib.sha256(str(i).encode()).hexdigest(), reason="基准测试")
else:
    from lawtrail.testing import Org
    from lawtrail.media.services import describe, recording_ingest
    org = Org("bench")
    case = org.open_case()
    d = describe(org.officer_users[0], {"case_no": case.case_no, "officer_cert": org.officers[0].cert_no})
    piece = 256 * 2**20
    for n in range(amount // 256):
        path = os.path.join(os.environ["LAWTRAIL_HOME"], f"r{n}.mp4")
        with open(path, "wb") as f:
            for _ in range(piece // 2**24):
                f.write(os.urandom(2**24))
        recording_ingest(actor=org.officer_users[0], path=path, description=d, filename=f"r{n}.mp4")
        os.unlink(path)
ledger_checkpoint()
times = []
for _ in range(3):
    os.sync()
    t = time.perf_counter()
    report = verify_ledger()
    times.append(time.perf_counter() - t)
    assert report.ok, report.problems[:3]
print(json.dumps({"times": times, "entries": report.entries, "blob_bytes": report.blob_bytes}))
'''


def run(home, mode, amount):
    env = {**os.environ, "LAWTRAIL_HOME": str(home)}
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-c", SCRIPT, mode, str(amount)], env=env, capture_output=True,
                            text=True, check=True)
    import json

    return json.loads(result.stdout.strip().splitlines()[-1])


def hash_speed(home):
    blobs = [p for p in (Path(home) / "blobs").rglob("*") if p.is_file() and p.stat().st_size > 2**20]
    times = []
    for _ in range(3):
        t = time.perf_counter()
        for path in blobs:
            digest = hashlib.sha256()
            with open(path, "rb") as f:
                while chunk := f.read(4 * 2**20):
                    digest.update(chunk)
        times.append(time.perf_counter() - t)
    return sum(p.stat().st_size for p in blobs), statistics.median(times)


def main():
    entries = int(os.environ.get("LAWTRAIL_BENCH_ENTRIES", "200000"))
    mib = int(os.environ.get("LAWTRAIL_BENCH_VERIFY_MIB", "2048"))
    with tempfile.TemporaryDirectory(dir=os.environ.get("LAWTRAIL_BENCH_TMP")) as tmp:
        ledger = run(Path(tmp) / "ledger", "entries", entries)
        media_home = Path(tmp) / "media"
        media = run(media_home, "media", mib)
        size, hashing = hash_speed(media_home)
    entry_rate = ledger["entries"] / statistics.median(ledger["times"])
    verify_mib = media["blob_bytes"] / 2**20 / statistics.median(media["times"])
    hash_mib = size / 2**20 / hashing
    print(f"verify over {ledger['entries']:,} ledger entries: {entry_rate:,.0f} entries/s; goal ≥ 200,000/s")
    print(f"verify over {media['blob_bytes'] / 2**20:,.0f} MiB of recordings: {verify_mib:,.0f} MiB/s; "
          f"hashlib.sha256 {hash_mib:,.0f} MiB/s = {verify_mib / hash_mib:.2f} ×; goal ≥ 0.70")
    common.write("verify", {"entries": ledger["entries"], "entry_seconds": ledger["times"],
                            "entries_per_second": entry_rate, "goal_entries_per_second": 200000,
                            "media_mib": media["blob_bytes"] / 2**20, "verify_seconds": media["times"],
                            "verify_mib_per_second": verify_mib, "hashlib_mib_per_second": hash_mib,
                            "ratio_vs_hashlib": verify_mib / hash_mib, "goal_ratio": 0.7})


if __name__ == "__main__":
    main()

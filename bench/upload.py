"""Upload throughput: a large file through LawTrail's /api/uploads/ (tus, with hashing,
storage and metadata) against hashlib.sha256 over the same bytes and against the official
Node tus server (@tus/server + @tus/file-store) with the same client (tuspy).

Goals (issue 4): LawTrail ≥ 0.5 × hashlib.sha256, and at least as fast as the Node server.
Size: LAWTRAIL_BENCH_UPLOAD_MB (default 1024). Run with `make bench`.
"""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tusclient import client as tus

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

CHUNK = 64 * 2**20
NODE_DIR = Path(__file__).resolve().parent / "tus-node"


def make_file(path, size):
    block = os.urandom(2**20)
    with open(path, "wb") as f:
        for i in range(size // 2**20):
            f.write(hashlib.sha256(block + i.to_bytes(8, "big")).digest() * 32768)  # 1 MiB, all different


def time_hashlib(path):
    start = time.perf_counter()
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 * 2**20):
            digest.update(chunk)
    return time.perf_counter() - start, digest.hexdigest()


def time_upload(url, path, metadata, headers=None):
    client = tus.TusClient(url, headers=headers or {})
    uploader = client.uploader(str(path), chunk_size=CHUNK, metadata=metadata)
    start = time.perf_counter()
    uploader.upload()
    return time.perf_counter() - start, uploader


def lawtrail_upload(path, work):
    home = work / "home"
    common.lawtrail(home, "demo")
    token = common.lawtrail(home, "token", "cz.officer1").stdout.strip()
    case_no = next(line.split()[0] for line in common.lawtrail(home, "cases").stdout.splitlines()
                   if "调查取证" in line)
    cert = common.lawtrail(home, "manage", "shell", "-c",
                           "from lawtrail.org.models import Officer;"
                           "print(Officer.objects.get(user__username='cz.officer1').cert_no)").stdout.split()[-1]
    port = common.free_port()
    server = common.serve(home, port)
    try:
        seconds, _ = time_upload(f"http://127.0.0.1:{port}/api/uploads/", path,
                                 {"filename": path.name, "case_no": case_no, "officer_cert": cert},
                                 {"Authorization": f"Bearer {token}"})
    finally:
        common.stop(server)
    return seconds


def node_upload(path, work):
    if not shutil.which("npm") or not shutil.which("node"):
        return None
    if not (NODE_DIR / "node_modules" / "@tus" / "server").exists():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=NODE_DIR, check=True)
    store = work / "node-store"
    store.mkdir()
    port = common.free_port()
    server = subprocess.Popen(["node", "server.mjs", str(store), str(port)], cwd=NODE_DIR,
                              stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        common.wait_for_port(port)
        seconds, _ = time_upload(f"http://127.0.0.1:{port}/files", path, {"filename": path.name})
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return seconds


def main():
    size = int(os.environ.get("LAWTRAIL_BENCH_UPLOAD_MB", "1024")) * 2**20
    with tempfile.TemporaryDirectory(dir=os.environ.get("LAWTRAIL_BENCH_TMP")) as tmp:
        work = Path(tmp)
        path = work / "bench.bin"
        make_file(path, size)
        hash_s, _ = time_hashlib(path)
        lawtrail_s = lawtrail_upload(path, work)
        node_s = node_upload(path, work)
    mib = size / 2**20
    result = {"size_mib": mib, "hashlib_sha256_mib_s": mib / hash_s, "lawtrail_upload_mib_s": mib / lawtrail_s,
              "ratio_vs_hashlib": hash_s / lawtrail_s, "goal_vs_hashlib": 0.5}
    print(f"hashlib.sha256        {mib / hash_s:8.1f} MiB/s")
    print(f"LawTrail /api/uploads {mib / lawtrail_s:8.1f} MiB/s  ratio vs hashlib {hash_s / lawtrail_s:.2f} (goal ≥ 0.5)")
    if node_s is not None:
        result.update(node_tus_mib_s=mib / node_s, ratio_vs_node=node_s / lawtrail_s, goal_vs_node=1.0)
        print(f"Node @tus/server      {mib / node_s:8.1f} MiB/s  LawTrail / Node {node_s / lawtrail_s:.2f} (goal ≥ 1.0)")
    else:
        print("Node @tus/server      skipped: node/npm not found")
    common.write("upload", result)


if __name__ == "__main__":
    main()

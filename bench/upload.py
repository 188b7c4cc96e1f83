"""Upload throughput: a large file through LawTrail's /api/uploads/ (tus, with hashing,
storage and metadata) against hashlib.sha256 over the same bytes and against the official
Node tus server (@tus/server + @tus/file-store) with the same clients.

Goals (issue 4): LawTrail ≥ 0.5 × hashlib.sha256, and at least as fast as the Node server.
Two clients, each sending 64 MiB chunks, each measured against both servers: tuspy (it
reads every chunk into Python memory and hands it to `requests`, which by itself caps it
near 850 MiB/s here, against a server that throws the bytes away) and `sendfile_upload`
below, a plain tus 1.0 client whose chunks go from the file to the socket in the kernel,
so that the figure is the server's. Each server is warmed with one small upload first (a
server that has only just bound its port may still be starting its workers); each timed
upload is a file of its own (LawTrail stores a repeated file once).
Size: LAWTRAIL_BENCH_UPLOAD_MB (default 1024). Run with `make bench`.
"""

import base64
import hashlib
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

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


def tuspy_upload(url, path, metadata, headers):
    tus.TusClient(url, headers=headers).uploader(str(path), chunk_size=CHUNK, metadata=metadata).upload()


def sendfile_upload(url, path, metadata, headers):
    """tus 1.0: create, then PATCH 64 MiB chunks whose bodies the kernel sends from the file."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port)
    size = os.path.getsize(path)
    encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in metadata.items())
    conn.request("POST", parts.path, headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(size),
                                              "Upload-Metadata": encoded, **headers})
    response = conn.getresponse()
    response.read()
    assert response.status == 201, response.status
    location = urlsplit(urljoin(url, response.getheader("Location"))).path
    offset = 0
    with open(path, "rb") as f:
        while offset < size:
            count = min(CHUNK, size - offset)
            conn.putrequest("PATCH", location)
            for name, value in {"Tus-Resumable": "1.0.0", "Upload-Offset": str(offset), "Content-Length": str(count),
                                "Content-Type": "application/offset+octet-stream", **headers}.items():
                conn.putheader(name, value)
            conn.endheaders()
            conn.sock.sendfile(f, offset, count)
            response = conn.getresponse()
            response.read()
            assert response.status == 204, response.status
            offset = int(response.getheader("Upload-Offset"))
    conn.close()


CLIENTS = {"tuspy": tuspy_upload, "sendfile": sendfile_upload}


def time_uploads(url, files, metadata, headers, warm_up):
    """Seconds for each client's upload of its own file, after one untimed small upload."""
    sendfile_upload(url, warm_up, {**metadata, "filename": warm_up.name}, headers)
    seconds = {}
    for (name, upload), path in zip(CLIENTS.items(), files):
        start = time.perf_counter()
        upload(url, path, {**metadata, "filename": path.name}, headers)
        seconds[name] = time.perf_counter() - start
    return seconds


def lawtrail_upload(files, work, warm_up):
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
        return time_uploads(f"http://127.0.0.1:{port}/api/uploads/", files,
                            {"case_no": case_no, "officer_cert": cert}, {"Authorization": f"Bearer {token}"}, warm_up)
    finally:
        common.stop(server)


def node_upload(files, work, warm_up):
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
        return time_uploads(f"http://127.0.0.1:{port}/files", files, {}, {}, warm_up)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def main():
    size = int(os.environ.get("LAWTRAIL_BENCH_UPLOAD_MB", "1024")) * 2**20
    with tempfile.TemporaryDirectory(dir=os.environ.get("LAWTRAIL_BENCH_TMP")) as tmp:
        work = Path(tmp)
        files = [work / f"bench-{name}.bin" for name in CLIENTS]
        for path in files:
            make_file(path, size)
        warm_up = work / "warm-up.bin"
        make_file(warm_up, 4 * 2**20)
        hash_s = min(time_hashlib(path)[0] for path in files)
        lawtrail_s = lawtrail_upload(files, work, warm_up)
        node_s = node_upload(files, work, warm_up)
    mib = size / 2**20
    result = {"size_mib": mib, "chunk_mib": CHUNK / 2**20, "hashlib_sha256_mib_s": mib / hash_s, "goal_vs_hashlib": 0.5}
    print(f"hashlib.sha256                      {mib / hash_s:8.1f} MiB/s")
    for client in CLIENTS:
        ratio = hash_s / lawtrail_s[client]
        result[client] = {"lawtrail_upload_mib_s": mib / lawtrail_s[client], "ratio_vs_hashlib": ratio}
        print(f"LawTrail /api/uploads ({client:8}) {mib / lawtrail_s[client]:8.1f} MiB/s  "
              f"ratio vs hashlib {ratio:.2f} (goal ≥ 0.5)")
        if node_s is not None:
            vs_node = node_s[client] / lawtrail_s[client]
            result[client].update(node_tus_mib_s=mib / node_s[client], ratio_vs_node=vs_node, goal_vs_node=1.0)
            print(f"Node @tus/server      ({client:8}) {mib / node_s[client]:8.1f} MiB/s  "
                  f"LawTrail / Node {vs_node:.2f} (goal ≥ 1.0)")
        else:
            print("Node @tus/server      skipped: node/npm not found")
    common.write("upload", result)


if __name__ == "__main__":
    main()

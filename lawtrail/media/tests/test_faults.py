"""The server killed with SIGKILL in the middle of 50 concurrent uploads: after a restart
every upload resumes where the server's disk says it stopped, no half-received file ever
became a recording, and the ledger verifies without a gap."""

import base64
import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
import requests
from django.db import connection

from lawtrail.core.tests.server import free_port, kill, seed, start

TUS = {"Tus-Resumable": "1.0.0"}
UPLOADS, SIZE, CHUNK = 50, 1536 * 1024, 128 * 1024


def server_home(home):
    """A home on its own SQLite with an officer and a case: (env, facts, port, uploads URL, headers)."""
    env = {**os.environ, "LAWTRAIL_HOME": str(home), "DJANGO_SETTINGS_MODULE": "lawtrail.settings"}
    env.pop("DATABASE_URL", None)
    env.pop("LAWTRAIL_STORAGE", None)
    facts = seed(env)
    port = free_port()
    return (env, facts, port, f"http://127.0.0.1:{port}/api/uploads/",
            {**TUS, "Authorization": f"Bearer {facts['token']}"})


# The server under test runs on its own SQLite home, so the PostgreSQL pass would only repeat it.
@pytest.mark.skipif(connection.vendor != "sqlite", reason="runs its own SQLite server; once is enough")
def test_sigkill_during_50_uploads_loses_nothing(tmp_path):
    env, facts, port, base, auth = server_home(tmp_path / "home")
    bodies = [os.urandom(SIZE) for _ in range(UPLOADS)]
    log = open(tmp_path / "server.log", "w")  # both runs' tracebacks, for a failure to show
    server = start(env, port, log=log)
    urls = []
    for n in range(UPLOADS):
        metadata = {"filename": f"DSJ{n:03d}.mp4", "case_no": facts["case_no"], "officer_cert": facts["cert"]}
        encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in metadata.items())
        response = requests.post(base, headers={**auth, "Upload-Length": str(SIZE), "Upload-Metadata": encoded})
        assert response.status_code == 201
        urls.append(response.headers["Location"])
    received = [0]
    errors = []

    def send(n):
        """Upload in chunks; when the server is gone, wait, ask where it stopped, go on."""
        url, body = urls[n], bodies[n]
        deadline = time.monotonic() + 240
        offset, last = 0, None
        while offset < SIZE and time.monotonic() < deadline:
            try:
                response = requests.patch(url, data=body[offset:offset + CHUNK], timeout=30, headers={
                    **auth, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
                last = (response.status_code, response.text[:200])
                if response.status_code == 204:
                    offset = int(response.headers["Upload-Offset"])
                    received[0] += CHUNK
                    continue
                offset = int(requests.head(url, headers=auth, timeout=30).headers["Upload-Offset"])
            except (requests.ConnectionError, requests.Timeout, KeyError, ValueError):
                time.sleep(0.5)
                try:
                    offset = int(requests.head(url, headers=auth, timeout=30).headers["Upload-Offset"])
                except (requests.ConnectionError, requests.Timeout, KeyError, ValueError):
                    continue
        if offset != SIZE:
            errors.append(f"upload {n} stopped at {offset}; last answer {last}")

    threads = [threading.Thread(target=send, args=(n,)) for n in range(UPLOADS)]
    for t in threads:
        t.start()
    while received[0] < UPLOADS * SIZE // 3:
        time.sleep(0.05)
    kill(server)  # SIGKILL, a third of the way through

    verify = subprocess.run([sys.executable, "-m", "lawtrail.cli", "verify", "--json"], env=env,
                            capture_output=True, text=True)
    assert json.loads(verify.stdout)["ok"], verify.stdout  # nothing half-written became a record
    server = start(env, port, log=log)
    try:
        for t in threads:
            t.join()
    finally:
        kill(server)
        log.close()
    assert not errors, (errors, server_trouble(tmp_path / "server.log"))
    report = json.loads(subprocess.run([sys.executable, "-m", "lawtrail.cli", "verify", "--json"], env=env,
                                       capture_output=True, text=True).stdout)
    assert report["ok"] and report["blobs"] >= UPLOADS, report["problems"][:3]
    listed = subprocess.run([sys.executable, "-c", r"""
import os, json
os.environ["DJANGO_SETTINGS_MODULE"] = "lawtrail.settings"
import django
django.setup()
from lawtrail.media.models import Recording
print(json.dumps(sorted(Recording.objects.values_list("filename", "sha256"))))
"""], env=env, capture_output=True, text=True, check=True).stdout
    stored = dict(json.loads(listed.strip().splitlines()[-1]))
    assert stored == {f"DSJ{n:03d}.mp4": hashlib.sha256(bodies[n]).hexdigest() for n in range(UPLOADS)}


def server_trouble(log):
    """What the server said other than answering well (tracebacks, 5xx lines), for a failure."""
    lines = log.read_text(errors="replace").splitlines()
    return "\n".join([line for line in lines if not re.search(r' HTTP/1\.1" [234]\d\d ', line)][-120:])


def _fill(directory):
    """Fill the file system under `directory` to the last byte; returns the filler."""
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as f:
        block = b"\0" * 2**20
        while block:
            try:
                f.write(block)
            except OSError:
                block = block[:len(block) // 2]
    return filler


@pytest.mark.skipif(connection.vendor != "sqlite", reason="runs its own SQLite server; once is enough")
@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small file system for LAWTRAIL_HOME needs root")
def test_disk_full_on_lawtrail_home_gives_a_clear_error_and_corrupts_nothing(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(home)], check=True)
    server = env = None
    try:
        env, facts, port, base, auth = server_home(home)
        body = os.urandom(4 * 2**20)
        server = start(env, port)
        metadata = {"filename": "DSJ-full.mp4", "case_no": facts["case_no"], "officer_cert": facts["cert"]}
        encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in metadata.items())
        url = requests.post(base, headers={**auth, "Upload-Length": str(len(body)),
                                           "Upload-Metadata": encoded}).headers["Location"]

        def patch(offset, size):
            return requests.patch(url, data=body[offset:offset + size], timeout=60, headers={
                **auth, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})

        assert patch(0, 2**20).status_code == 204
        filler = _fill(home)

        # The next chunk cannot be written: a clear 507 naming where to resume, the chunk
        # dropped whole, the first MiB intact.
        response = patch(2**20, 2**20)
        assert response.status_code == 507, response.text
        assert "存储空间已满" in response.json()["detail"] and "从第 1048576 字节续传" in response.json()["detail"]
        assert int(requests.head(url, headers=auth).headers["Upload-Offset"]) == 2**20
        # Database writes go on while SQLite's log has room, then are refused as clearly;
        # none ends in a server error.
        statuses = []
        while len(statuses) < 2000 and 507 not in statuses:
            response = requests.post(base, headers={**auth, "Upload-Length": "10", "Upload-Metadata": encoded})
            statuses.append(response.status_code)
        assert set(statuses) <= {201, 507} and statuses[-1] == 507, statuses
        assert "存储空间已满" in response.json()["detail"]
        # Reading still works while the disk is full, and everything verifies.
        verify = subprocess.run([sys.executable, "-m", "lawtrail.cli", "verify", "--json"], env=env,
                                capture_output=True, text=True)
        assert json.loads(verify.stdout)["ok"], verify.stdout

        # Space freed: the upload resumes where the server said and completes byte-for-byte.
        filler.unlink()
        offset = 2**20
        while offset < len(body):
            response = patch(offset, 2**20)
            assert response.status_code == 204, response.text
            offset = int(response.headers["Upload-Offset"])
        assert response.headers["X-Content-SHA256"] == hashlib.sha256(body).hexdigest()
    finally:
        if server is not None:
            kill(server)
        if env is not None:  # (else the set-up failed: its own error is the one to see)
            report = subprocess.run([sys.executable, "-m", "lawtrail.cli", "verify", "--json"], env=env,
                                    capture_output=True, text=True)
            with sqlite3.connect(home / "lawtrail.sqlite3") as db:
                integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        subprocess.run(["umount", "-l", str(home)], check=False)
    assert json.loads(report.stdout)["ok"], report.stdout
    assert integrity == "ok", integrity

"""Upload throughput: a large file through LawTrail's /api/uploads/ (tus, with hashing,
storage and metadata) against hashlib.sha256 over the same bytes and against the official
Node tus server (@tus/server + @tus/file-store) with the same clients.

Goals (issue 31), for the sendfile client: LawTrail ≥ 0.8 × hashlib.sha256 and ≥ 2 × the Node
server; for tuspy (bound by its own client) at least as fast as the Node server. Two
clients, each sending 64 MiB chunks, each measured against both servers: tuspy (it reads
every chunk into Python memory and hands it to `requests`, which by itself caps it well
below the server here: 850 MiB/s at most on a fast day, against a server that throws the
bytes away) and `sendfile_upload` below, a plain tus 1.0 client whose chunks go from the
file to the socket in the kernel, so that the figure is the server's. Each server is warmed with one small upload first (a
server that has only just bound its port may still be starting its workers); each timed
upload is a file of its own (LawTrail stores a repeated file once), a real video (see make_file).
Size: LAWTRAIL_BENCH_UPLOAD_MB (default 1024). Run with `make bench`.
"""

import base64
import hashlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import av
from tusclient import client as tus

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

CHUNK = 64 * 2**20
NODE_DIR = Path(__file__).resolve().parent / "tus-node"


def make_file(path, size):
    """A real H.264 MP4 of about `size` bytes, as a body camera records (1080p, 30 frames a
    second, about 16 Mbit/s; its index at the end), different each time: one second encoded
    (a moving ramp with a band of noise), repeated until the size is reached. Random bytes
    would not do: FFmpeg takes some for audio, and reads others to the end looking for a frame
    (seconds for a GiB), so the figure would measure the probe's luck."""
    width, height, noise, fps = 1920, 1080, 40, 30
    ramp = bytes(range(256)) * 9
    seed = path.with_suffix(".seed.mp4")
    with av.open(str(seed), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options={"crf": "23", "keyint": str(fps), "preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for n in range(fps):  # one group of pictures: a key frame, then P frames (no B frames)
            frame = av.VideoFrame(width, height, "yuv420p")
            shift = [(row // 4 + n * 3) % 256 for row in range(height - noise)]
            frame.planes[0].update(b"".join(ramp[k:k + width] for k in shift) + os.urandom(width * noise))
            for plane in frame.planes[1:]:
                plane.update(b"\x80" * plane.buffer_size)
            frame.pts = n
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    with av.open(str(seed)) as source, av.open(str(path), "w", format="mp4") as out:
        video = source.streams.video[0]
        copy = out.add_stream_from_template(video)
        group = [(bytes(packet), packet.is_keyframe) for packet in source.demux(video) if packet.size]
        tick = video.time_base.denominator // (fps * video.time_base.numerator)
        written = n = 0
        while written < size:
            data, key = group[n % len(group)]
            packet = av.Packet(data)
            packet.stream, packet.time_base = copy, video.time_base
            packet.pts = packet.dts = n * tick
            packet.is_keyframe = key
            out.mux(packet)
            written, n = written + len(data), n + 1
    seed.unlink()


def time_hashlib(path):
    start = time.perf_counter()
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 * 2**20):
            digest.update(chunk)
    return time.perf_counter() - start, digest.hexdigest()


def receive_alone(path, work):
    """Seconds for the server's receive path alone, without HTTP, tus or a database: the file
    sent with sendfile over loopback, as the sendfile client does, into `Sink` (SHA-256 and
    O_DIRECT writes beside the receiving, as for each chunk of an upload), then fsync'd, as an
    upload's last chunk is. What this machine allows the server, measured in the same run."""
    from lawtrail.media import hashstate
    from lawtrail.media.streaming import READ_SIZE, Sink

    size, target = os.path.getsize(path), work / "alone.part"
    with socket.create_server(("127.0.0.1", 0)) as listener:
        def send():
            with socket.create_connection(listener.getsockname()) as sock, open(path, "rb") as f:
                sock.sendfile(f)

        sender = threading.Thread(target=send)
        start = time.perf_counter()
        sender.start()
        connection, _ = listener.accept()
        digest, received = hashstate.sha256(), 0
        with connection, connection.makefile("rb", buffering=0) as body, open(target, "ab") as part:
            with Sink(part, target, 0, [digest]) as sink:
                while received < size and (count := sink.receive(body, min(READ_SIZE, size - received))):
                    received += count
            os.fsync(part.fileno())
        seconds = time.perf_counter() - start
        sender.join()
    target.unlink()
    assert received == size and digest.hexdigest() == time_hashlib(path)[1]
    return seconds


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
# Per client: (goal vs hashlib, goal vs Node); None where the client, not the server, sets the pace.
GOALS = {"tuspy": (None, 1.0), "sendfile": (0.8, 2.0)}


def time_uploads(url, files, metadata, headers, warm_up):
    """Seconds for each client's upload of its own file, after one untimed small upload."""
    sendfile_upload(url, warm_up, {**metadata, "filename": warm_up.name}, headers)
    seconds = {}
    for (name, upload), path in zip(CLIENTS.items(), files):
        os.sync()  # what earlier steps left in the page cache is not written back during this one
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
        files = [work / f"bench-{name}.mp4" for name in CLIENTS]
        for path in files:
            make_file(path, size)
        warm_up = work / "warm-up.mp4"
        make_file(warm_up, 4 * 2**20)
        os.sync()  # the files just made (GiBs of dirty pages) are on disk before anything is timed
        hash_s = min(time_hashlib(path)[0] for path in files)
        alone_s = min(receive_alone(path, work) for path in files)
        os.sync()
        lawtrail_s = lawtrail_upload(files, work, warm_up)
        node_s = node_upload(files, work, warm_up)
    mib = size / 2**20
    result = {"size_mib": mib, "chunk_mib": CHUNK / 2**20, "hashlib_sha256_mib_s": mib / hash_s,
              "receive_alone_mib_s": mib / alone_s, "receive_alone_vs_hashlib": hash_s / alone_s}
    print(f"hashlib.sha256                      {mib / hash_s:8.1f} MiB/s")
    print(f"receive path alone (no HTTP, no DB) {mib / alone_s:8.1f} MiB/s  ratio vs hashlib {hash_s / alone_s:.2f} "
          "(what this machine allows: loopback, hashing and disk on its cores)")
    for client in CLIENTS:
        ratio = hash_s / lawtrail_s[client]
        goal_hash, goal_node = GOALS[client]
        result[client] = {"lawtrail_upload_mib_s": mib / lawtrail_s[client], "ratio_vs_hashlib": ratio,
                          "goal_vs_hashlib": goal_hash, "ratio_vs_receive_alone": alone_s / lawtrail_s[client]}
        print(f"LawTrail /api/uploads ({client:8}) {mib / lawtrail_s[client]:8.1f} MiB/s  "
              f"ratio vs hashlib {ratio:.2f} " + (f"(goal ≥ {goal_hash})" if goal_hash else "(client-bound: no goal)") +
              f", vs the receive path alone {alone_s / lawtrail_s[client]:.2f}")
        if node_s is not None:
            vs_node = node_s[client] / lawtrail_s[client]
            result[client].update(node_tus_mib_s=mib / node_s[client], ratio_vs_node=vs_node, goal_vs_node=goal_node)
            print(f"Node @tus/server      ({client:8}) {mib / node_s[client]:8.1f} MiB/s  "
                  f"LawTrail / Node {vs_node:.2f} (goal ≥ {goal_node})")
        else:
            print("Node @tus/server      skipped: node/npm not found")
    common.write("upload", result)


if __name__ == "__main__":
    main()

"""Shared helpers of the benchmarks: a machine description, a LawTrail server in a scratch
home, waiting for ports, and writing results next to the printed ratios."""

import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent


def machine():
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


def lawtrail(home, *args, **kwargs):
    env = {**os.environ, "LAWTRAIL_HOME": str(home)}
    env.pop("DATABASE_URL", None) if kwargs.pop("sqlite", True) else None
    return subprocess.run([str(BIN / "lawtrail"), *args], env=env, check=True, capture_output=True, text=True,
                          **kwargs)


def serve(home, port, sqlite=True):
    env = {**os.environ, "LAWTRAIL_HOME": str(home)}
    env.pop("DATABASE_URL", None) if sqlite else None
    process = subprocess.Popen([str(BIN / "lawtrail"), "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_for_port(port)
    return process


def stop(process):
    """Stop a server started by `serve`, with its workers."""
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)


def hashlib_mib_s(mib=256, repeats=3):
    """hashlib.sha256's speed on this machine now (MiB/s, the best of `repeats`): printed beside
    figures that depend on how fast the machine was that day."""
    import hashlib

    data = b"\0" * mib * 2**20
    best = min(_timed(lambda: hashlib.sha256(data).digest()) for _ in range(repeats))
    return mib / best


def _timed(work):
    t = time.perf_counter()
    work()
    return time.perf_counter() - t


def write(name, result):
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {"benchmark": name, "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(), **result}
    (RESULTS / f"{name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return result

"""Checkpoints, proofs and exports as the ledger grows (issue 30), on SQLite in a scratch home,
then on PostgreSQL in a scratch database (LAWTRAIL_BENCH_SCALE_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/lawtrail_scale, made and dropped by the run; each database
in a process of its own; LAWTRAIL_BENCH_SCALE_BACKENDS=sqlite runs SQLite alone).

One ledger grows through the sizes of LAWTRAIL_BENCH_SCALE_SIZES (default 10^4, 10^5, 10^6
entries). Its filler entries, chained and with their tiles, are inserted in bulk (as the
chain would write them, in far fewer transactions) to keep the set-up short; a small case made
through the services comes first. At each size, in this process (no CLI start-up): the
median time of a checkpoint (a new entry each time, so it is really signed), an inclusion
proof and a consistency proof (random entries and sizes), and the export of the small case.
Goals: each within 2 x from the smallest size to the largest, and under 20 ms at 10^6.

At the largest size, a writer appends an entry every 100 ms while checkpoints, proofs and
exports run back to back, each for 3 s (goal: no write waits more than 100 ms; the longest
wait is printed for each). Last (SQLite), the cost of an append with its
tiles against the same append without them (goal: within 1.1 x; bench/ledger.py measures the
batched PostgreSQL chain).
"""

import hashlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

SIZES = [int(s) for s in os.environ.get("LAWTRAIL_BENCH_SCALE_SIZES", "10000,100000,1000000").split(",")]
BATCH = 20000
REPEATS = 15


def median_ms(fn, repeats=REPEATS, before=None):
    """The median time of `fn` in ms, `before` run untimed ahead of each call."""
    times = []
    for _ in range(repeats):
        if before:
            before()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def grow(to):
    """Filler entries up to `to`, chained from the head, with their tiles (on PostgreSQL
    after the pending entries are chained, and under the chain's lock)."""
    from django.db import transaction
    from django.utils import timezone

    from lawtrail.core.canonical import sha256_hex
    from lawtrail.ledger import tiles
    from lawtrail.ledger.chain import _head, ledger_flush, lock_chain
    from lawtrail.ledger.formats import entry_bytes
    from lawtrail.ledger.models import Entry

    now = timezone.now()
    while True:
        ledger_flush()
        with transaction.atomic():
            lock_chain()
            seq, prev = _head()
            if seq >= to:
                return
            entries, first = [], seq
            for seq in range(seq + 1, min(to, seq + BATCH) + 1):
                values = {"seq": seq, "time": now, "actor": "bench", "action": "record.view",
                          "object_type": "bench.item", "object_id": str(seq % 20000), "object_hash": "",
                          "scope": f"case:{10**6 + seq % 5000}", "reason": "", "prev_hash": prev}
                prev = values["entry_hash"] = sha256_hex(entry_bytes(values))
                entries.append(Entry(**values))
            Entry.objects.bulk_create(entries, batch_size=2000)
            tiles.extend(first, seq)


def note():
    from django.db import transaction

    from lawtrail.ledger.services import ledger_append

    with transaction.atomic():
        ledger_append(actor=None, action="bench.note", reason="基准")


def measure(case, tmp, rng):
    from lawtrail.archive.package import package_export
    from lawtrail.ledger import selectors
    from lawtrail.ledger.services import ledger_checkpoint

    t = time.perf_counter()
    checkpoint_ms = median_ms(ledger_checkpoint, before=note)  # a new entry: a checkpoint really signed
    size = ledger_checkpoint().tree_size
    inclusion_ms = median_ms(lambda: selectors.inclusion(rng.randrange(1, size + 1)))
    consistency_ms = median_ms(lambda: selectors.consistency(rng.randrange(1, size), None))
    runs = iter(range(10**6))
    export_ms = median_ms(lambda: shutil.rmtree(package_export(
        actor=None, case=case, out_dir=Path(tmp) / f"export-{next(runs)}", purpose="基准").path), repeats=5)
    return {"checkpoint_ms": checkpoint_ms, "inclusion_ms": inclusion_ms, "consistency_ms": consistency_ms,
            "export_ms": export_ms, "measured_s": time.perf_counter() - t}


def _writer(stop, out):
    """In a process of its own, as a web worker is: an entry every 100 ms until `stop` is
    set; sends (when it began, how long it took) per write."""
    import django

    django.setup()
    waits = []
    while not stop.is_set():
        t = time.monotonic()
        note()
        waits.append((t, time.monotonic() - t))
        time.sleep(0.1)
    out.send(waits)


def longest_write_waits(case, tmp, seconds=3.0):
    """A writer in another process appends every 100 ms while checkpoints, then proofs, then
    exports of the small case run back to back here, each for `seconds`: the longest wait of
    a write in each phase (ms), and how many writes were made. (A writer thread in this
    process would measure the interpreter's lock handed back and forth, not the database's.)"""
    import multiprocessing

    from django.db import connections

    from lawtrail.archive.package import package_export
    from lawtrail.ledger import selectors
    from lawtrail.ledger.services import ledger_checkpoint

    def proofs():
        size = ledger_checkpoint().tree_size
        selectors.inclusion(random.randrange(1, size + 1))
        selectors.consistency(random.randrange(1, size), None)

    runs = iter(range(10**6))
    phases = {"checkpoint": ledger_checkpoint, "proofs": proofs,
              "export": lambda: shutil.rmtree(package_export(actor=None, case=case, purpose="基准",
                                                            out_dir=Path(tmp) / f"probe-{next(runs)}").path)}
    connections.close_all()  # the child opens its own
    spawn = multiprocessing.get_context("spawn")
    stop, (receive, send) = spawn.Event(), spawn.Pipe(duplex=False)
    writer = spawn.Process(target=_writer, args=(stop, send))
    writer.start()
    spans = {}
    try:
        time.sleep(2)  # the child's start-up
        for name, run in phases.items():
            began = time.monotonic()
            while time.monotonic() < began + seconds:
                run()
            spans[name] = (began, time.monotonic())
    finally:
        stop.set()
        waits = receive.recv()
        writer.join()
    return {name: max((w for t, w in waits if a <= t < b), default=0) * 1000 for name, (a, b) in spans.items()}, \
        sum(1 for t, _ in waits if any(a <= t < b for a, b in spans.values()))


def append_cost(writes=1000, rounds=5):
    """The median append time in ms, with tiles and with `tiles.extend` left out, in
    alternate rounds (the tiles left out are written after each round, untimed)."""
    from lawtrail.ledger import tiles

    real, with_tiles, without = tiles.extend, [], []
    for _ in range(rounds):
        with_tiles.append(median_ms(note, repeats=writes))
        size = tiles.tree_size()
        tiles.extend = lambda old_size, new_size, data=None: None
        try:
            without.append(median_ms(note, repeats=writes))
        finally:
            tiles.extend = real
        tiles.extend(size, tiles.tree_size())
    return statistics.median(with_tiles), statistics.median(without)


PG_URL = os.environ.get("LAWTRAIL_BENCH_SCALE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lawtrail_scale")


def postgres_admin(sql):
    """Run `sql` on the PostgreSQL server of PG_URL, connected to its postgres database."""
    from urllib.parse import urlparse

    import psycopg

    url = urlparse(PG_URL)
    with psycopg.connect(host=url.hostname, port=url.port or 5432, user=url.username or "postgres",
                         dbname="postgres", autocommit=True) as admin:
        admin.execute(sql)


def main():
    backends = os.environ.get("LAWTRAIL_BENCH_SCALE_BACKENDS", "sqlite,postgres").split(",")
    if len(sys.argv) == 1:  # each database in a process of its own (Django is set up once)
        for backend in backends:
            print(f"== {backend} ==", flush=True)
            subprocess.run([sys.executable, __file__, backend], check=True)
        return
    backend = sys.argv[1]
    name = PG_URL.rsplit("/", 1)[-1]
    if backend == "postgres":
        postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        postgres_admin(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = PG_URL
    else:
        os.environ.pop("DATABASE_URL", None)
    try:
        run(backend)
    finally:
        if backend == "postgres":
            from django.db import connections

            connections.close_all()
            postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(backend):
    rng = random.Random(30)
    with tempfile.TemporaryDirectory(dir=os.environ.get("LAWTRAIL_BENCH_TMP")) as tmp:
        os.environ["LAWTRAIL_HOME"] = str(Path(tmp) / "home")
        os.environ["DJANGO_SETTINGS_MODULE"] = "lawtrail.settings"
        import django

        django.setup()
        from django.core.management import call_command

        from lawtrail.testing import Org

        call_command("migrate", verbosity=0)
        org = Org("scale")
        case = org.open_case()
        results = {}
        for size in SIZES:
            t = time.perf_counter()
            grow(size)
            setup = time.perf_counter() - t
            results[size] = measure(case, tmp, rng)
            r = results[size]
            print(f"{size:>9,} entries (grown in {setup:.0f}s): checkpoint {r['checkpoint_ms']:.1f} ms, "
                  f"inclusion {r['inclusion_ms']:.1f} ms, consistency {r['consistency_ms']:.1f} ms, "
                  f"export of a small case {r['export_ms']:.0f} ms", flush=True)
        first, last = results[SIZES[0]], results[SIZES[-1]]
        growth = {k: last[k] / first[k] for k in ("checkpoint_ms", "inclusion_ms", "consistency_ms", "export_ms")}
        print(f"growth {SIZES[0]:,} -> {SIZES[-1]:,} (goal <= 2x): " +
              ", ".join(f"{k[:-3]} {v:.2f}x" for k, v in growth.items()))
        waits_ms, writes = longest_write_waits(case, tmp)
        wait_ms = max(waits_ms.values())
        print(f"longest write wait at {SIZES[-1]:,} entries, a write every 100 ms ({writes} writes): " +
              ", ".join(f"while {k} ran {v:.1f} ms" for k, v in waits_ms.items()) +
              f" (goal <= 100 ms) — {'met' if wait_ms <= 100 else 'NOT met'}")
        with_tiles = without = None
        if backend == "sqlite":  # PostgreSQL's batched chain writes tiles in its own function: bench/ledger.py
            with_tiles, without = append_cost()
            print(f"{backend} append with tiles {with_tiles * 1000:.0f} us, without {without * 1000:.0f} us: "
                  f"{with_tiles / without:.2f}x (goal <= 1.1x)")
        hash_mbs = 256 / median_ms(lambda: hashlib.sha256(b"\0" * 256 * 2**20).digest(), repeats=3) * 1000
        common.write("ledger_scale" if backend == "sqlite" else f"ledger_scale_{backend}", {
            "sizes": {str(k): v for k, v in results.items()}, "growth": growth,
            "longest_write_wait_ms": wait_ms, "longest_write_waits_ms": waits_ms,
            "append_with_tiles_ms": with_tiles, "append_without_tiles_ms": without, "hashlib_sha256_mib_s": hash_mbs,
        })
        print(f"hashlib.sha256: {hash_mbs:.0f} MiB/s")


if __name__ == "__main__":
    main()

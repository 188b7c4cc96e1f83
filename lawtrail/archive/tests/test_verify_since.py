"""`lawtrail verify --since-checkpoint`, the daily run: it goes on from the checkpoint the
last successful run reached, over its stored tiles, and reads only the entries after it."""

import pytest
from django.db import connection

from lawtrail.archive import integrity
from lawtrail.archive.integrity import record_verified, verify_ledger
from lawtrail.cli import main
from lawtrail.ledger import selectors
from lawtrail.ledger.models import Entry, Tile
from lawtrail.ledger.services import ledger_checkpoint
from lawtrail.ledger.tests.test_tiles import append
from lawtrail.testing import behind_the_ledger

pytestmark = pytest.mark.django_db


@pytest.fixture
def verified():
    """600 entries (two full tiles and a partial one), a checkpoint, a full run that
    passed, and 40 entries after it with a newer checkpoint."""
    append(600)
    base = ledger_checkpoint()
    report = verify_ledger()
    assert report.ok and report.reached == base
    record_verified(report)
    append(40, reason="新")
    ledger_checkpoint()
    return base


def problems(report, kind=None):
    return [(p.kind, p.ref) for p in report.problems if kind is None or p.kind == kind]


def test_without_a_verified_checkpoint_it_says_so_and_runs_the_full_verify(capsys):
    append(5)
    ledger_checkpoint()
    assert verify_ledger(since_verified=True) is None
    assert main(["verify", "--since-checkpoint"]) == 0
    out = capsys.readouterr()
    assert "尚无校验通过的检查点" in out.err and "改为完整校验" in out.err
    assert "账本条目 5 条" in out.out and "已记录校验至检查点 5 条" in out.out
    entry = selectors.last_verification()
    assert entry.object_hash == selectors.latest_checkpoint().root_hash and entry.reason.startswith("完整校验")


def test_it_checks_only_the_entries_after_the_last_verified_checkpoint(verified, monkeypatch):
    read = []
    real = integrity.entry_chunks

    def counted(*args, **kwargs):  # the entries the run streams
        for chunk in real(*args, **kwargs):
            read.extend(chunk.seqs)
            yield chunk

    monkeypatch.setattr(integrity, "entry_chunks", counted)
    report = verify_ledger(since_verified=True)
    assert report.ok, report.problems
    head = Entry.objects.count()
    assert report.since == 600 and report.entries == head - 600 == 41  # with the verification entry
    assert read == list(range(601, head + 1))
    assert report.reached.tree_size == head


def test_a_tampered_entry_after_the_checkpoint_is_named(verified, capsys):
    behind_the_ledger("UPDATE ledger_entry SET reason = %s WHERE seq = 620", ["伪造"])
    report = verify_ledger(since_verified=True)
    assert ("entry", "entry 620") in problems(report, "entry")
    assert problems(report, "checkpoint")  # the newer checkpoint no longer matches either
    assert main(["verify", "--since-checkpoint", "--json"]) == 1
    assert "entry 620" in capsys.readouterr().out


def test_the_daily_run_records_where_it_reached_and_the_next_goes_on_from_there(verified, capsys):
    assert main(["verify", "--since-checkpoint"]) == 0
    out = capsys.readouterr().out
    assert "检查点 600 条之后的新账本条目 41 条" in out
    # It vouches only for what it read: not "记录完整" of the whole ledger.
    assert "校验通过：检查点 600 条之后的新条目" in out and "记录完整" not in out
    reached = selectors.last_verification()
    assert reached.reason == f"自第 600 条起增量校验通过，至检查点 {Entry.objects.count() - 1} 条"
    append(3)
    report = verify_ledger(since_verified=True)
    assert report.ok and report.since == 641 and report.entries == 4


def test_tampering_before_the_checkpoint_is_left_to_the_full_run(verified):
    """Out of the daily run's scope: entries in full tiles before the checkpoint are not
    read at all (were they, every one of these would be named)."""
    behind_the_ledger("UPDATE ledger_entry SET reason = %s WHERE seq <= 512", ["伪造"])
    assert verify_ledger(since_verified=True).ok
    full = verify_ledger()
    assert ("entry", "entry 1") in problems(full, "entry") and ("entry", "entry 512") in problems(full, "entry")


def test_a_stored_frontier_that_misses_the_signed_root_is_named(verified):
    # Tile 1/0 holds the roots of tiles 0/0 and 0/1; not full, the triggers let it change.
    tile = Tile.objects.get(level=1, n=0)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_tile SET hashes = %s WHERE level = 1 AND n = 0",
                       [bytes(32) + bytes(tile.hashes)[32:]])
    report = verify_ledger(since_verified=True)
    assert ("checkpoint", f"checkpoint {verified.id} (size 600)") in problems(report, "checkpoint")


def test_an_entry_in_the_partial_tile_before_the_checkpoint_breaks_the_frontier(verified):
    """The leaves after the last full tile are the entries' own: rewriting one of them
    makes the frontier miss the checkpoint's root."""
    behind_the_ledger("UPDATE ledger_entry SET reason = %s WHERE seq = 590", ["伪造"])
    report = verify_ledger(since_verified=True)
    assert ("checkpoint", f"checkpoint {verified.id} (size 600)") in problems(report, "checkpoint")


def test_a_rewritten_verified_checkpoint_sends_to_the_full_run(verified):
    behind_the_ledger("UPDATE ledger_checkpoint SET root_hash = %s WHERE id = %s", ["0" * 64, verified.id],
                      tables=("ledger_checkpoint",))
    report = verify_ledger(since_verified=True)
    assert not report.ok and "请运行完整校验" in report.problems[0].message



def test_on_a_database_that_takes_no_writes_the_check_stands_and_says_it_was_not_recorded(capsys):
    append(5)
    ledger_checkpoint()
    with connection.cursor() as cursor:  # a read-only replica, or a backup opened read-only
        cursor.execute("PRAGMA query_only = ON" if connection.vendor == "sqlite" else "SET transaction_read_only = on")
    try:
        assert main(["verify"]) == 0
    finally:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA query_only = OFF")
    out = capsys.readouterr().out
    assert "校验通过" in out and "本次校验结果未记入账本" in out and "已记录校验" not in out
    assert selectors.last_verification() is None

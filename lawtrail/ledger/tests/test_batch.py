"""The batched chain (PostgreSQL's default, LAWTRAIL_LEDGER_BATCH): writers commit their
entries as pending rows with their changes, in parallel; right after each commit, whoever
holds the chain lock moves every committed pending row into the chain. An entry exists
exactly when its change committed, and the chain never forks or gaps."""

import pytest
from django.db import connection, transaction

from lawtrail.ledger.models import Entry, PendingEntry
from lawtrail.ledger.services import GENESIS_HASH, ledger_append, ledger_checkpoint, ledger_flush
from lawtrail.ledger.verify import verify_ledger

from .test_checkpoints import write_concurrently

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the batched chain is PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def batched(settings):
    settings.LAWTRAIL_LEDGER_BATCH = True


def _chain():
    return list(Entry.objects.order_by("seq").values_list("seq", "prev_hash", "entry_hash", "object_id"))


def _assert_linked(entries):
    assert [e[0] for e in entries] == list(range(1, len(entries) + 1))
    prev = GENESIS_HASH
    for _, prev_hash, entry_hash, _ in entries:
        assert prev_hash == prev
        prev = entry_hash


def test_an_entry_joins_the_chain_when_its_transaction_commits():
    with transaction.atomic():
        pending = ledger_append(actor=None, action="note", object_type="test", object_id="one")
        assert isinstance(pending, PendingEntry) and not Entry.objects.exists()
    (entry,) = Entry.objects.all()  # chained by the writer itself, right after its commit
    assert (entry.seq, entry.object_id, entry.time) == (1, "one", pending.time)
    assert not PendingEntry.objects.exists()


def test_a_rolled_back_write_leaves_no_entry_pending_or_chained():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        ledger_append(actor=None, action="note", object_type="test", object_id="gone")
        1 / 0
    assert not Entry.objects.exists() and not PendingEntry.objects.exists()


def test_eight_concurrent_writers_never_fork_or_gap_the_chain():
    writers, per_writer = 8, 40
    assert not write_concurrently(writers, per_writer)
    # Every entry was chained by some writer's flush: none is left waiting.
    assert not PendingEntry.objects.exists(), (list(PendingEntry.objects.values_list("object_id", flat=True)),
                                                Entry.objects.count())
    entries = _chain()
    _assert_linked(entries)
    assert sorted(e[3] for e in entries) == sorted(f"{n}-{i}" for n in range(writers) for i in range(per_writer))
    assert verify_ledger().ok


def test_entries_left_pending_by_a_writer_that_died_are_chained_by_the_next_flush():
    # A writer that committed and died before its own flush: its entries wait, committed.
    with transaction.atomic():
        for i in range(3):
            PendingEntry.objects.create(time="2026-11-23T10:00:00+08:00", actor="system", action="note",
                                        object_type="test", object_id=f"orphan-{i}")
    assert not Entry.objects.exists()
    with transaction.atomic():  # the next writer's flush chains them before its own
        ledger_append(actor=None, action="note", object_type="test", object_id="next")
    assert [e[3] for e in _chain()] == ["orphan-0", "orphan-1", "orphan-2", "next"]


def test_checkpoints_and_verify_chain_what_is_pending_first():
    with transaction.atomic():
        PendingEntry.objects.create(time="2026-11-23T10:00:00+08:00", actor="system", action="note",
                                    object_type="test", object_id="waiting")
    assert ledger_checkpoint().tree_size == 1
    with transaction.atomic():
        PendingEntry.objects.create(time="2026-11-23T10:00:01+08:00", actor="system", action="note",
                                    object_type="test", object_id="waiting too")
    report = verify_ledger()
    assert report.ok and report.entries == 2
    assert ledger_flush() == 0  # nothing left

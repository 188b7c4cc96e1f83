"""`snapshot()` and the reads it starts beside the caller (`Readers`)."""

import threading

import pytest
from django.db import connection, transaction

from lawtrail.core.db import snapshot
from lawtrail.ledger.models import Entry
from lawtrail.ledger.services import ledger_append


def _append(reason):
    with transaction.atomic():
        return ledger_append(actor=None, action="note", reason=reason)


def test_inside_a_transaction_everything_runs_in_the_callers_thread(db):
    """Its uncommitted rows are invisible to any other connection, so no thread may read."""
    _append("未提交")
    here = threading.get_ident()
    with snapshot() as readers:
        assert not readers.parallel
        started = readers.start(lambda: (threading.get_ident(), Entry.objects.count()))
        assert started.result() == (here, 1)
        assert [(threading.get_ident(), n) for n in readers.prefetch(iter([1, 2]))] == [(here, 1), (here, 2)]


@pytest.mark.django_db(transaction=True)
def test_outside_one_the_reads_run_on_threads_of_their_own_and_hand_back_results_in_order():
    _append("已提交")
    here = threading.get_ident()
    with snapshot() as readers:
        assert readers.parallel
        started = readers.start(lambda: (threading.get_ident(), Entry.objects.count()))
        thread, count = started.result()
        assert thread != here and count == 1

        def numbers():
            for n in range(50):
                yield n, threading.get_ident(), Entry.objects.filter(seq=1).exists()

        seen = list(readers.prefetch(numbers()))
    assert [n for n, _, _ in seen] == list(range(50))
    assert {t for _, t, _ in seen} != {here} and all(found for _, _, found in seen)


@pytest.mark.django_db(transaction=True)
def test_a_failing_read_raises_in_the_caller_and_a_consumer_that_stops_early_stops_the_producer():
    def broken():
        yield 1
        raise RuntimeError("读取失败")

    with snapshot() as readers:
        with pytest.raises(RuntimeError, match="读取失败"):
            list(readers.prefetch(broken()))
        with pytest.raises(ZeroDivisionError):
            readers.start(lambda: 1 / 0).result()

        produced = []

        def endless():
            n = 0
            while True:
                produced.append(n)
                yield n
                n += 1

        items = readers.prefetch(endless())
        assert next(items) == 0
        items.close()  # returns only once the producer has stopped
        stopped_at = len(produced)
        assert stopped_at < 10
    assert len(produced) == stopped_at
    assert not any(t.name == "lawtrail-read-prefetch" for t in threading.enumerate())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the shared snapshot is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_threads_read_the_callers_snapshot_not_later_commits():
    _append("之前")
    with snapshot() as readers:
        assert readers.snapshot_id and Entry.objects.count() == 1

        def commit_another():
            try:
                _append("之后")
            finally:
                connection.close()

        writer = threading.Thread(target=commit_another)
        writer.start()
        writer.join()
        assert readers.start(Entry.objects.count).result() == 1

        def reasons():
            yield from Entry.objects.values_list("reason", flat=True)

        assert list(readers.prefetch(reasons())) == ["之前"]
    assert Entry.objects.count() == 2

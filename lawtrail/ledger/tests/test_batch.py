"""The batched chain (PostgreSQL's default, LAWTRAIL_LEDGER_BATCH): writers commit their
entries as pending rows with their changes, in parallel; a moment after each commit, the
process's chainer thread (or whoever holds the chain lock) moves every committed pending
row into the chain. An entry exists exactly when its change committed, and the chain
never forks or gaps."""

import time

import pytest
from django.db import connection, transaction

from lawtrail.archive.integrity import verify_ledger
from lawtrail.ledger.chain import ledger_flush
from lawtrail.ledger.chainer import chainer
from lawtrail.ledger.formats import GENESIS_HASH
from lawtrail.ledger.models import Entry, PendingEntry
from lawtrail.ledger.services import ledger_append, ledger_checkpoint

from .test_checkpoints import write_concurrently

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the batched chain is PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def batched(settings):
    settings.LAWTRAIL_LEDGER_BATCH = True
    yield
    chainer().stop()  # its connection must not outlive the test's database


def settled():
    assert chainer().settle()


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
    settled()
    (entry,) = Entry.objects.all()  # chained by the chainer a moment after the commit
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
    settled()
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
    settled()
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


def test_the_database_hashes_each_entry_exactly_as_entry_bytes_does():
    """The batched chain is hashed by PostgreSQL (`lawtrail_chain_pending`), but a court's
    verifier recomputes each hash from `entry_bytes`: for every kind of text a field may
    hold, and a time on the whole second, both must agree byte for byte."""
    from lawtrail.core.canonical import sha256_hex
    from lawtrail.ledger.formats import ENTRY_FIELDS, entry_bytes

    from .test_formats import HOSTILE

    for text in HOSTILE:
        with transaction.atomic():
            ledger_append(actor=None, action="note", object_type=text, object_id=text, object_hash=text,
                          scope=text, reason=text)
    with transaction.atomic():
        PendingEntry.objects.create(time="2026-11-23T10:00:00+08:00", actor="system", action="note", reason="整秒")
    settled()
    ledger_flush()
    chained = list(Entry.objects.order_by("seq").values(*ENTRY_FIELDS, "entry_hash"))
    assert len(chained) == len(HOSTILE) + 1 and chained[-1]["time"].microsecond == 0
    assert [sha256_hex(entry_bytes(values)) for values in chained] == [values["entry_hash"] for values in chained]
    _assert_linked(_chain())


def test_the_writer_spends_no_round_trip_on_the_chain_after_its_commit():
    from django.test.utils import CaptureQueriesContext

    connection.close()  # a new connection: its first entry prepares the insert
    sent = []
    for object_id in ("one", "two"):
        with CaptureQueriesContext(connection) as queries:
            with transaction.atomic():
                ledger_append(actor=None, action="note", object_type="test", object_id=object_id)
        sent.append([q["sql"] for q in queries])
    # One round trip a write, here where the entry is all it writes: its BEGIN, the entry
    # and the COMMIT as one query (core/pgbackend; the first "BEGIN" is only Django's log
    # of leaving autocommit), the insert prepared on the server with the first and only
    # executed after that.
    for sql in sent:
        assert len(sql) == 2 and sql[0] == "BEGIN" and sql[1].endswith("; COMMIT")
    if connection.settings_dict.get("PREPARE_DEFERRED", True):
        assert sent[0][1].startswith("BEGIN; PREPARE lawtrail_pending") and "INSERT INTO ledger_pending" in sent[0][1]
        assert sent[1][1].startswith("BEGIN; EXECUTE lawtrail_pending") and "INSERT" not in sent[1][1]
    else:  # LAWTRAIL_DB_PREPARE=false (a pooler in transaction mode): the whole insert each time
        assert all(sql[1].startswith("BEGIN; INSERT INTO ledger_pending") for sql in sent)
    settled()
    assert [e[3] for e in _chain()] == ["one", "two"] and not PendingEntry.objects.exists()


def test_an_entry_the_server_refuses_at_the_commit_takes_the_whole_write_with_it():
    """The pending row goes to the server only with the COMMIT (core/pgbackend): should it
    be refused there, nothing of the transaction may stay."""
    from django.db import DataError

    with pytest.raises(DataError), transaction.atomic():
        PendingEntry.objects.create(time="2026-11-23T10:00:00+08:00", actor="system", action="note",
                                    object_type="test", object_id="the write itself")
        ledger_append(actor=None, action="x" * 65, object_type="test", object_id="refused")  # > 64
    assert not PendingEntry.objects.exists() and not Entry.objects.exists()
    with transaction.atomic():  # the connection is fine for the next one
        ledger_append(actor=None, action="note", object_type="test", object_id="next")
    settled()
    assert [e[3] for e in _chain()] == ["next"]


def test_a_rolled_back_savepoint_takes_its_entries_and_only_those():
    with transaction.atomic():
        ledger_append(actor=None, action="note", object_type="test", object_id="outer")
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            ledger_append(actor=None, action="note", object_type="test", object_id="inner")
            1 / 0
        with transaction.atomic():
            ledger_append(actor=None, action="note", object_type="test", object_id="kept inner")
    settled()
    assert [e[3] for e in _chain()] == ["outer", "kept inner"]


def test_a_flush_inside_a_transaction_chains_its_own_entries_too():
    with transaction.atomic():
        ledger_append(actor=None, action="note", object_type="test", object_id="own")
        assert ledger_flush() == 1 and Entry.objects.get().object_id == "own"


def test_the_commits_made_while_the_chainer_waits_are_chained_in_one_pass(settings, monkeypatch):
    settings.LAWTRAIL_LEDGER_CHAIN_DELAY = 2.0
    passes = []
    real = chainer()._flush
    monkeypatch.setattr(chainer(), "_flush", lambda **kw: passes.append(real(**kw)) or passes[-1])
    for i in range(5):
        with transaction.atomic():
            ledger_append(actor=None, action="note", object_type="test", object_id=str(i))
    settled()
    assert passes == [5]
    _assert_linked(_chain())


def test_a_chainer_that_finds_the_chain_busy_tries_again_until_its_entries_are_chained(settings):
    """The holder may have looked for pending rows for the last time just before this
    commit: nobody else is bound to chain it."""
    import threading

    from lawtrail.ledger.chain import lock_chain

    settings.LAWTRAIL_LEDGER_CHAIN_DELAY = 0.02
    held, release = threading.Event(), threading.Event()

    def holder():  # another process's checkpoint, say, holding the chain lock meanwhile
        with transaction.atomic():
            lock_chain()
            held.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(10)
        with transaction.atomic():
            ledger_append(actor=None, action="note", object_type="test", object_id="waits")
        assert not chainer().settle(timeout=0.5)  # tried, found the chain locked, keeps trying
        assert not Entry.objects.exists() and PendingEntry.objects.count() == 1
    finally:
        release.set()
        thread.join()
    settled()
    assert [e[3] for e in _chain()] == ["waits"] and not PendingEntry.objects.exists()


def test_a_pass_that_fails_is_logged_and_retried_and_nothing_is_lost(monkeypatch, caplog):
    from lawtrail.ledger import chainer as module

    monkeypatch.setattr(module, "RETRY_SECONDS", 0.05)
    real, failures = chainer()._flush, []

    def flaky(**kw):
        if not failures:
            failures.append(1)
            raise ConnectionError("数据库暂不可用")
        return real(**kw)

    monkeypatch.setattr(chainer(), "_flush", flaky)
    with transaction.atomic():
        ledger_append(actor=None, action="note", object_type="test", object_id="kept")
    settled()
    assert failures and "could not chain" in caplog.text
    assert [e[3] for e in _chain()] == ["kept"]


def test_a_command_that_wrote_entries_chains_them_before_it_exits(tmp_path):
    """`lawtrail ingest` and the like: a short-lived process must not leave its entries
    to whoever flushes next."""
    import os
    import subprocess
    import sys

    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    script = (
        "import django; django.setup()\n"
        "from django.db import transaction\n"
        "from lawtrail.ledger.services import ledger_append\n"
        "with transaction.atomic():\n"
        "    ledger_append(actor=None, action='note', object_type='test', object_id='cli')\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lawtrail.settings", "DATABASE_URL": url,
           "LAWTRAIL_HOME": str(tmp_path), "LAWTRAIL_LEDGER_BATCH": "1", "LAWTRAIL_LEDGER_CHAIN_DELAY": "1"}
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60)
    assert [e[3] for e in _chain()] == ["cli"] and not PendingEntry.objects.exists()


def test_the_chain_finds_the_oldest_pending_rows_through_the_index_however_many_went_before():
    """Every row taken out of the pending table stays there, dead, until it is vacuumed;
    read in full on every pass (the plan PostgreSQL chose as they piled up), they made the
    chain slower the longer the server ran."""
    from django.utils import timezone

    PendingEntry.objects.bulk_create(PendingEntry(time=timezone.now(), actor="system", action="note",
                                                  object_type="test", object_id=f"before-{i}") for i in range(5000))
    assert ledger_flush() == 5000
    with transaction.atomic():
        for i in range(3):
            ledger_append(actor=None, action="note", object_type="test", object_id=f"now-{i}")
    scans = "SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE relname = 'ledger_pending'"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(scans)  # (this backend's counts not yet reported, of earlier transactions too)
        before = cursor.fetchone()
        cursor.execute("SELECT lawtrail_chain_pending(5000, 4, true, false)")
        assert cursor.fetchone()[0] == 3
        cursor.execute(scans)
        seq_scans, index_scans = (after - earlier for after, earlier in zip(cursor.fetchone(), before))
    assert seq_scans == 0 and index_scans > 0
    _assert_linked(_chain())


def test_the_pending_queue_is_vacuumed_after_every_thousand_dead_rows_not_a_fifth_of_the_table():
    """What was taken out of the queue should not wait for dead rows to reach a fifth of a
    table that is nearly always empty (PostgreSQL's default, i.e. hardly ever)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'ledger_pending'")
        options = dict(option.split("=") for option in cursor.fetchone()[0])
    assert options["autovacuum_vacuum_scale_factor"] == "0" and options["autovacuum_vacuum_threshold"] == "1000"
    assert options["autovacuum_vacuum_insert_threshold"] == "1000"


def test_a_change_made_a_moment_ago_is_in_the_trail_of_the_page_opened_next(settings, monkeypatch):
    """The officer advances the stage and is sent to the case page, perhaps by another
    process, before the chainer has linked the entry: the page's trail chains it first.
    The page's own view of the case (a read) does not make it wait."""
    import threading

    from django.test import Client
    from django.urls import reverse

    from lawtrail.cases.selectors import case_trail
    from lawtrail.ledger.chain import ledger_catch_up
    from lawtrail.testing import Org, sign_in

    org = Org("tr", profile="004")
    case = org.open_case()
    settled()
    gate, real = threading.Event(), chainer()._flush
    monkeypatch.setattr(chainer(), "_flush", lambda **kw: gate.wait(30) and real(**kw))  # held back
    try:
        with transaction.atomic():
            ledger_append(actor=None, action="case.note", object_type="cases.case", object_id=str(case.pk),
                          scope=case.scope, reason="补充说明：当事人已到场")
        assert PendingEntry.objects.filter(action="case.note").exists()
        page = sign_in(Client(), org.officer_users[0]).get(reverse("web:case_detail", args=[case.pk]))
        assert "记录了案件说明" in page.content.decode()  # (the officer's trail names it in words, ledger/labels.py)
        assert not PendingEntry.objects.filter(action="case.note").exists()
        assert Entry.objects.get(action="case.note").seq > 0
        with transaction.atomic():  # a read of the case alone: nothing to chain for the trail
            ledger_append(actor=None, action="case.view", object_type="cases.case", object_id=str(case.pk),
                          scope=case.scope)
        assert ledger_catch_up(case.scope, but="^case[.]view$") == 0
        assert PendingEntry.objects.filter(action="case.view").exists()
        assert "case.view" in [e.action for e in case_trail(case)]  # the whole trail takes the reads too
    finally:
        gate.set()


def _pending_vacuums():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = %s",
                       [PendingEntry._meta.db_table])
        return cursor.fetchone()[0]


@pytest.mark.parametrize("autovacuum", [False, True])
def test_the_chainer_vacuums_the_queue_of_pending_entries_where_autovacuum_does_not(monkeypatch, autovacuum):
    """Without autovacuum (a database may run without it) the queue would keep every row
    the chain ever took out of it, and every write and case page would read through them;
    with it, the table's own settings see to it."""
    from lawtrail.ledger import chain, chainer as module

    monkeypatch.setattr(chain, "autovacuum_runs", lambda: autovacuum)
    monkeypatch.setattr(module, "VACUUM_EVERY", 5)
    monkeypatch.setattr(chainer(), "_since_vacuum", 0)  # (what earlier tests chained)
    before = _pending_vacuums()
    for i in range(3):
        with transaction.atomic():
            ledger_append(actor=None, action="note", object_type="test", object_id=f"a{i}")
        settled()
    assert _pending_vacuums() == before  # 3 chained: not yet
    for i in range(3):
        with transaction.atomic():
            ledger_append(actor=None, action="note", object_type="test", object_id=f"b{i}")
        settled()
    deadline = time.monotonic() + (1 if autovacuum else 10)
    while _pending_vacuums() == before and time.monotonic() < deadline:  # just after the waiters were told
        time.sleep(0.05)
    assert _pending_vacuums() == before + (0 if autovacuum else 1)
    _assert_linked(_chain())


def test_whether_the_server_vacuums_by_itself_is_read_from_its_settings():
    from lawtrail.ledger.chain import autovacuum_runs

    autovacuum_runs.cache_clear()
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        assert autovacuum_runs() == (cursor.fetchone()[0] == "on")


def test_a_failed_vacuum_is_logged_and_chaining_goes_on(monkeypatch, caplog):
    from lawtrail.ledger import chainer as module

    monkeypatch.setattr(module, "VACUUM_EVERY", 1)
    monkeypatch.setattr(chainer(), "_vacuum", lambda: 1 / 0)
    for i in range(2):
        with transaction.atomic():
            ledger_append(actor=None, action="note", object_type="test", object_id=f"v{i}")
        settled()
    deadline = time.monotonic() + 10
    while "could not vacuum" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "could not vacuum the ledger's queue" in caplog.text
    assert [e[3] for e in _chain()] == ["v0", "v1"]

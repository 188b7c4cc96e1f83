"""core/pgbackend: statements deferred to the commit, prepared once per connection and
sent with their values written as SQL literals (the ledger's pending rows take this path
on every write, ledger/services.py)."""

import datetime

import pytest
from django.db import DataError, connection, transaction

from lawtrail.core.pgbackend.base import literal
from lawtrail.ledger.tests.test_formats import HOSTILE

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend"),
    pytest.mark.django_db(transaction=True),
]

TABLE = "pgbackend_probe"
INSERT = f"INSERT INTO {TABLE} (text, number, flag, at) VALUES (%s, %s, %s, %s)"


@pytest.fixture(autouse=True)
def probe_table():
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {TABLE} (text text, number bigint, flag boolean, at timestamptz)")
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {TABLE}")


def _rows():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT text, number, flag, at FROM {TABLE} ORDER BY number")
        return cursor.fetchall()


@pytest.mark.parametrize("conforming", ["on", "off"])
def test_every_kind_of_text_arrives_as_it_was_whatever_the_server_quoting(conforming):
    texts = [*HOSTILE, "'); DROP TABLE pgbackend_probe; --", "\\'", "\\", "'", "E'\\x41'", "$$", "%s %(x)s"]
    with connection.cursor() as cursor:
        cursor.execute(f"SET standard_conforming_strings = {conforming}")
    try:
        for number, text in enumerate(texts):
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {literal(text)}")
                assert cursor.fetchone()[0] == text
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET standard_conforming_strings")


def test_deferred_statements_run_with_the_commit_with_every_type_of_value():
    at = datetime.datetime(2026, 11, 24, 9, 30, 15, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    whole = at.replace(microsecond=0)
    with transaction.atomic():
        connection.defer_to_commit("probe", INSERT, ["甲'\\", 1, True, at])
        connection.defer_to_commit("probe", INSERT, [None, 2, False, whole])
        connection.defer_to_commit("probe", INSERT, ["", -(2**62), None, None])
        assert not _rows()  # nothing sent before the commit
    assert _rows() == [("", -(2**62), None, None), ("甲'\\", 1, True, at), (None, 2, False, whole)]


def test_a_value_with_no_literal_form_is_refused_before_anything_is_sent():
    for value in (1.5, datetime.datetime(2026, 11, 24, 9, 30), b"bytes", ["list"]):
        with pytest.raises(TypeError):
            literal(value)


def test_a_nul_in_a_text_refuses_the_whole_transaction():
    """libpq takes the query as a C string: a NUL would cut it short."""
    with pytest.raises(DataError), transaction.atomic():
        connection.defer_to_commit("probe", INSERT, ["before", 1, None, None])
        connection.defer_to_commit("probe", INSERT, ["a\x00b", 2, None, None])
    assert not _rows()


def test_text_that_is_not_unicode_refuses_the_whole_transaction_and_the_connection_goes_on():
    """A lone surrogate (JSON may carry "\\ud800") cannot be sent as UTF-8: the commit fails
    as a database error, so that Django rolls the transaction back."""
    with pytest.raises(DataError), transaction.atomic():
        connection.defer_to_commit("probe", INSERT, ["before", 1, None, None])
        connection.defer_to_commit("probe", INSERT, ["a\ud800b", 2, None, None])
    assert not _rows()
    with transaction.atomic():
        connection.defer_to_commit("probe", INSERT, ["after", 3, None, None])
    assert [row[0] for row in _rows()] == ["after"]


def test_a_statement_is_prepared_once_per_connection_and_again_after_a_failure_or_reconnect():
    from django.test.utils import CaptureQueriesContext

    def commit(*values):
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            for value in values:
                connection.defer_to_commit("probe", INSERT, value)
        return queries[-1]["sql"].removeprefix("BEGIN; ")

    connection.close()
    assert commit(["a", 1, None, None]).startswith("PREPARE probe_")
    assert commit(["b", 2, None, None]).startswith("EXECUTE probe_")
    connection.close()
    first = commit(["c", 3, None, None])
    assert first.startswith("PREPARE probe_") and first.count("EXECUTE") == 1
    # Refused at the commit (a bigint out of range): nothing of it stays, and whether its
    # PREPARE ran is unknown, so the next commit prepares it under a new name.
    connection.close()
    with pytest.raises(DataError):
        commit(["d", 4, None, None], ["e", 2**70, None, None])
    again = commit(["f", 5, None, None])
    assert again.startswith("PREPARE probe_") and again.split()[1] != first.split()[1]
    assert [row[0] for row in _rows()] == ["a", "b", "c", "f"]


def test_write_deferred_sends_them_inside_the_transaction_for_a_reader():
    """Even as the transaction's first statement: they must not run (and commit) alone."""
    with transaction.atomic():
        connection.defer_to_commit("probe", INSERT, ["read back", 1, None, None])
        connection.write_deferred()
        assert [row[0] for row in _rows()] == ["read back"]
        transaction.set_rollback(True)
    assert not _rows()


def test_a_rolled_back_savepoint_takes_its_deferred_statements_and_only_those():
    with transaction.atomic():
        connection.defer_to_commit("probe", INSERT, ["outer", 1, None, None])
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            connection.defer_to_commit("probe", INSERT, ["inner", 2, None, None])
            1 / 0
    assert [row[0] for row in _rows()] == ["outer"]


def test_without_prepared_statements_each_statement_is_sent_whole(monkeypatch):
    """For a pooler in transaction mode (LAWTRAIL_DB_PREPARE=false), which may run each
    transaction on another server connection than the one that prepared the statement."""
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setitem(connection.settings_dict, "PREPARE_DEFERRED", False)
    texts = ["100% 'quoted' \\ %s", *HOSTILE]
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        for number, text in enumerate(texts):
            connection.defer_to_commit("probe", INSERT, [text, number, None, None])
    sent = queries[-1]["sql"]
    assert "PREPARE" not in sent and "EXECUTE" not in sent and sent.count(f"INSERT INTO {TABLE}") == len(texts)
    assert [row[0] for row in _rows()] == texts


def test_fetch_value_runs_one_statement_on_its_own_and_errors_come_as_django_s():
    assert connection.fetch_value("SELECT 41 + 1") == "42"
    assert connection.fetch_value("SELECT NULL") is None
    connection.fetch_value(f"INSERT INTO {TABLE} (number) VALUES (7) RETURNING number")  # committed by itself
    assert [row[1] for row in _rows()] == [7]
    with pytest.raises(DataError):
        connection.fetch_value("SELECT 1 / 0")
    assert connection.fetch_value("SELECT 2") == "2"  # the connection goes on
    with transaction.atomic(), pytest.raises(RuntimeError):
        connection.fetch_value("SELECT 1")

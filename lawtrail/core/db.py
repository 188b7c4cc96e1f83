"""Append-only tables, enforced by the database itself (DESIGN.md invariant 1).

A model decorated with `@append_only` gets triggers refusing UPDATE and DELETE on
its table, on SQLite and PostgreSQL alike, so that not even a bug in LawTrail can
change an original record or a ledger entry. `@append_only(mutable_while="OLD.status
= 'draft'")` lets a row change only while the condition holds for its old values: a
draft may be edited, a finalised record never again.
"""

import queue
import re
import threading
from concurrent.futures import Future
from contextlib import contextmanager

from django.db import connection as default_connection
from django.db import transaction

TRIGGER_PREFIX = "lawtrail_append_only_"

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION lawtrail_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'LawTrail: % is append-only; % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


# table -> SQL condition on OLD under which the row may still change (None: never)
_MUTABLE_WHILE = {}


def _create_sql(vendor, table):
    name = TRIGGER_PREFIX + table
    condition = _MUTABLE_WHILE.get(table)
    if vendor == "postgresql":
        when = f"WHEN (NOT ({condition})) " if condition else ""
        return [
            _PG_FUNCTION,
            f'DROP TRIGGER IF EXISTS {name} ON "{table}"',
            f'CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON "{table}" '
            f"FOR EACH ROW {when}EXECUTE FUNCTION lawtrail_refuse_change()",
        ]
    if vendor == "sqlite":
        when = f"WHEN NOT ({condition}) " if condition else ""
        return [
            sql
            for op in ("UPDATE", "DELETE")
            for sql in (
                f"DROP TRIGGER IF EXISTS {name}_{op.lower()}",
                f'CREATE TRIGGER {name}_{op.lower()} BEFORE {op} ON "{table}" {when}'
                f"BEGIN SELECT RAISE(ABORT, 'LawTrail: {table} is append-only; {op} refused'); END",
            )
        ]
    raise NotImplementedError(f"append-only triggers are not written for {vendor}")


def _drop_sql(vendor, table):
    name = TRIGGER_PREFIX + table
    if vendor == "postgresql":
        return [f'DROP TRIGGER IF EXISTS {name} ON "{table}"']
    return [f"DROP TRIGGER IF EXISTS {name}_{op}" for op in ("update", "delete")]


def append_only_tables(connection=default_connection):
    """The tables that carry LawTrail's append-only triggers in this database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname LIKE %s",
                [TRIGGER_PREFIX + "%"],
            )
        else:
            cursor.execute(
                "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                [TRIGGER_PREFIX + "%"],
            )
        return sorted(row[0] for row in cursor.fetchall())


def install_append_only(table, connection=default_connection):
    with connection.cursor() as cursor:
        for sql in _create_sql(connection.vendor, table):
            cursor.execute(sql)


def remove_append_only(table, connection=default_connection):
    with connection.cursor() as cursor:
        for sql in _drop_sql(connection.vendor, table):
            cursor.execute(sql)


_MODELS = []


def append_only(model=None, *, mutable_while=None):
    """Class decorator: this model's table refuses UPDATE and DELETE (see module doc)."""

    def register(model):
        _MODELS.append(model)
        _MUTABLE_WHILE[model._meta.db_table] = mutable_while
        return model

    return register(model) if model is not None else register


def install_declared(using="default", **kwargs):
    """post_migrate: (re)install the triggers of every append-only model.

    Run after every migrate, so a table that SQLite rebuilt during a schema change
    (which drops its triggers) gets them back at once.
    """
    from django.db import connections

    connection = connections[using]
    existing = set(connection.introspection.table_names())
    for model in _MODELS:
        if model._meta.db_table in existing:
            install_append_only(model._meta.db_table, connection)


@contextmanager
def snapshot(required=False):
    """Every query inside reads the database as of one moment, and so do the threads the
    yielded `Readers` start. On PostgreSQL (outside any transaction) that is a REPEATABLE
    READ transaction, which holds no writer up; READ COMMITTED would give each query its
    own moment. SQLite's transactions take the write lock here (IMMEDIATE), so there only a
    `required` snapshot is one, at writers' cost."""
    vendor = default_connection.vendor
    if default_connection.in_atomic_block:  # other connections cannot see its uncommitted rows
        yield Readers(parallel=False)
    elif vendor == "postgresql":
        with transaction.atomic():
            with default_connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute("SELECT pg_export_snapshot()")
                yield Readers(parallel=True, snapshot_id=cursor.fetchone()[0])
    elif required:
        with transaction.atomic():
            yield Readers(parallel=False)
    else:
        yield Readers(parallel=vendor == "sqlite")


_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")
_DONE = object()


class Readers:
    """Reads that run beside this thread, on their own connection and the same snapshot as
    this one: `start(fn, *args)` returns a handle whose `result()` waits for fn's, and
    `prefetch(iterable)` yields what it yields while computing the next items. The
    database's own work (and a SQLite read, which lets go of the GIL) then overlaps the
    Python work here. Where no other connection can read this snapshot, both run here."""

    def __init__(self, parallel, snapshot_id=None):
        self.parallel = parallel
        if snapshot_id is not None and not _SNAPSHOT_ID.fullmatch(snapshot_id):
            raise ValueError(f"unexpected snapshot id {snapshot_id!r}")
        self.snapshot_id = snapshot_id

    def _run(self, fn, *args):
        try:
            if self.snapshot_id is None:
                return fn(*args)
            with transaction.atomic():
                with default_connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    cursor.execute(f"SET TRANSACTION SNAPSHOT '{self.snapshot_id}'")
                return fn(*args)
        finally:
            default_connection.close()  # this thread's own

    def start(self, fn, *args) -> Future:
        future = Future()
        if not self.parallel:
            future.set_result(fn(*args))
            return future

        def run():
            try:
                future.set_result(self._run(fn, *args))
            except BaseException as exc:  # raised by result()
                future.set_exception(exc)

        threading.Thread(target=run, name=f"lawtrail-read-{fn.__name__}", daemon=True).start()
        return future

    def prefetch(self, iterable, ahead=2):
        if not self.parallel:
            yield from iterable
            return
        items, stop = queue.Queue(maxsize=ahead), threading.Event()

        def prefetch():
            try:
                for item in iterable:
                    items.put(item)
                    if stop.is_set():
                        return
            finally:
                items.put(_DONE)

        done = self.start(prefetch)
        try:
            while (item := items.get()) is not _DONE:
                yield item
            done.result()  # raises what the reading met
        finally:
            stop.set()
            while not done.done():  # let a producer blocked on a full queue see the stop
                try:
                    items.get(timeout=0.05)
                except queue.Empty:
                    pass

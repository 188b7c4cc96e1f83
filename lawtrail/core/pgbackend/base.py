"""Django's PostgreSQL backend, plus statements deferred to the commit.

A statement whose result nobody reads before the transaction ends (a ledger entry's
pending row, ledger/services.py) need not cost a round trip of its own: `defer_to_commit`
keeps it with the transaction, and the commit sends every kept statement and the COMMIT to
the server as one query. The server runs them in order and stops at the first error, so
the transaction then commits nothing and Django rolls it back as for any failed commit.
A savepoint rolled back takes its statements with it; a rollback or a closed connection
drops them all. `write_deferred` sends them at once, for a reader inside the transaction
that must see them.

Such a statement runs on every ledger-backed write, so it costs what it must and no more:
the server prepares it once per connection (the PREPARE goes with its first use) and
then only executes it, and the query goes to libpq as one text, its values written as
literals here, without a cursor. A connection pooler that hands each transaction to
whichever server connection is free (pgbouncer's transaction pooling) would lose the
prepared statements: with PREPARE_DEFERRED off in the database's settings
(LAWTRAIL_DB_PREPARE=false) each statement is sent whole instead."""

import datetime
from contextlib import nullcontext

import psycopg
from django.db.backends.postgresql import base
from django.db.backends.utils import debug_transaction
from psycopg import pq


def literal(value):
    """`value` as an SQL literal that means the same on any server: a string in E'' form
    (backslashes and quotes doubled), whatever standard_conforming_strings says."""
    if value is None:
        return "NULL"
    if type(value) is str:
        if "\x00" in value:  # as psycopg itself refuses it (a C string ends there)
            raise psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
        return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    if type(value) is bool:
        return "TRUE" if value else "FALSE"
    if type(value) is int:
        return str(value)
    if type(value) is datetime.datetime and value.utcoffset() is not None:
        return "'" + value.isoformat() + "'"
    raise TypeError(f"no SQL literal for {type(value).__name__} {value!r}")


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.deferred = []  # (savepoint ids active when deferred, name, sql, params)
        self._prepared = {}  # statement name → its name on the server, this connection
        self._preparations = 0

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        self._prepared = {}
        return connection

    def defer_to_commit(self, name, sql, params):
        """Run `sql` (one statement, `%s` placeholders, prepared on the server as `name`)
        with `params` (None, str, int, bool or an aware datetime) as the transaction commits."""
        if self.get_autocommit():
            raise RuntimeError("defer_to_commit needs a transaction")
        self.deferred.append((set(self.savepoint_ids), name, sql, params))

    def write_deferred(self):
        """Send the deferred statements now, in one round trip, inside the transaction."""
        if self.deferred:
            self._send_deferred("")

    def _send_deferred(self, then):
        deferred, self.deferred = self.deferred, []
        statements, preparing = [], {}
        with self.wrap_database_errors:  # a value refused here refuses the transaction too
            for _, name, sql, params in deferred:
                if not self.settings_dict.get("PREPARE_DEFERRED", True):
                    statements.append(sql % tuple(map(literal, params)))
                    continue
                server_name = self._prepared.get(name) or preparing.get(name)
                if server_name is None:
                    self._preparations += 1
                    server_name = preparing[name] = f"{name}_{self._preparations}"
                    numbered = sql % tuple(f"${number}" for number in range(1, len(params) + 1))
                    statements.append(f"PREPARE {server_name} AS {numbered}")
                statements.append(f"EXECUTE {server_name}({', '.join(map(literal, params))})")
        pgconn = self.connection.pgconn
        if pgconn.transaction_status == pq.TransactionStatus.IDLE:
            statements.insert(0, "BEGIN")  # nothing sent yet in this transaction (as psycopg would)
        sql = "; ".join(statements + ([then] if then else []))
        with debug_transaction(self, sql) if self.queries_logged else nullcontext(), self.wrap_database_errors:
            try:
                query = sql.encode()
            except UnicodeEncodeError as error:  # a lone surrogate (JSON's "\ud800"): refused as the server would
                raise psycopg.DataError(f"text that is not valid Unicode: {error}") from error
            with self.connection.lock:
                result = pgconn.exec_(query)
            if result.status != pq.ExecStatus.COMMAND_OK:
                # Whether a PREPARE in it ran is unknown (it is not undone with the
                # transaction): the next use prepares the statement under a new name.
                raise psycopg.errors.error_from_result(result)
        self._prepared.update(preparing)

    def fetch_value(self, sql):
        """The first value `sql` returns (text, or None), run outside any transaction as its
        own, straight through libpq: for a statement run often enough that a cursor's work
        (psycopg's parameters, result loading) would show, as the ledger's chaining call does
        (ledger/chain.py) once or more a second in every process."""
        if self.in_atomic_block or not self.get_autocommit():
            raise RuntimeError("fetch_value runs outside transactions")
        self.close_if_health_check_failed()
        self.ensure_connection()
        with debug_transaction(self, sql) if self.queries_logged else nullcontext(), self.wrap_database_errors:
            with self.connection.lock:
                result = self.connection.pgconn.exec_(sql.encode())
            if result.status != pq.ExecStatus.TUPLES_OK:
                raise psycopg.errors.error_from_result(result)
        value = result.get_value(0, 0) if result.ntuples and result.nfields else None
        return None if value is None else value.decode()

    def _commit(self):
        # Committed by the query itself: psycopg, which reads the transaction's state from
        # libpq, has nothing left to do.
        if not (self.deferred and self.connection is not None):
            return super()._commit()
        self._send_deferred("COMMIT")

    def _rollback(self):
        self.deferred = []
        return super()._rollback()

    def _close(self):
        self.deferred = []
        return super()._close()

    def savepoint_rollback(self, sid):
        super().savepoint_rollback(sid)
        self.deferred = [item for item in self.deferred if sid not in item[0]]

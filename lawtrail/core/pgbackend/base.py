"""Django's PostgreSQL backend, plus statements deferred to the commit.

A statement whose result nobody reads before the transaction ends (a ledger entry's
pending row, ledger/services.py) need not cost a round trip of its own: `defer_to_commit`
keeps it with the transaction, and the commit sends every kept statement and the COMMIT to
the server as one query. The server runs them in order and stops at the first error, so
the transaction then commits nothing and Django rolls it back as for any failed commit.
A savepoint rolled back takes its statements with it; a rollback or a closed connection
drops them all. `write_deferred` sends them at once, for a reader inside the transaction
that must see them."""

from django.db.backends.postgresql import base
from django.db.backends.utils import debug_transaction


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.deferred = []  # (savepoint ids active when deferred, sql, params)

    def defer_to_commit(self, sql, params):
        """Run `sql` (one statement, `%s` placeholders) as the transaction commits."""
        if self.get_autocommit():
            raise RuntimeError("defer_to_commit needs a transaction")
        self.deferred.append((set(self.savepoint_ids), sql, list(params)))

    def write_deferred(self):
        """Send the deferred statements now, in one round trip, inside the transaction."""
        if self.deferred:
            self._send_deferred("")

    def _send_deferred(self, then):
        statements = [sql for _, sql, _ in self.deferred] + ([then] if then else [])
        params = [value for _, _, values in self.deferred for value in values]
        self.deferred = []
        sql = "; ".join(statements)
        # The psycopg connection's own cursor binds on the client (Django's default), so
        # several statements go as one query.
        with debug_transaction(self, sql), self.wrap_database_errors:
            with self.connection.cursor() as cursor:
                cursor.execute(sql, params)

    def _commit(self):
        if not (self.deferred and self.connection is not None):
            return super()._commit()
        self._send_deferred("COMMIT")
        with self.wrap_database_errors:
            self.connection.commit()  # psycopg's own bookkeeping: no transaction left, nothing sent

    def _rollback(self):
        self.deferred = []
        return super()._rollback()

    def _close(self):
        self.deferred = []
        return super()._close()

    def savepoint_rollback(self, sid):
        super().savepoint_rollback(sid)
        self.deferred = [item for item in self.deferred if sid not in item[0]]

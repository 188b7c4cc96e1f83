"""PostgreSQL: run as a role that does not own the tables (README, Deployment), the
application cannot drop or disable the append-only triggers, while its writes still work."""

import os

import pytest
from django.db import DatabaseError, connection, transaction

from lawtrail.core.db import TRIGGER_PREFIX

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="roles and table owners are PostgreSQL's")

APP_ROLE = f"lawtrail_test_app_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"  # roles are the cluster's


@pytest.fixture
def app_role(db):
    """The application's role as the README sets it up: rights on the rows, owner of nothing."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {APP_ROLE} NOLOGIN")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
        cursor.execute("SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                       "WHERE c.relname = 'ledger_entry' AND tgname LIKE %s LIMIT 1", [TRIGGER_PREFIX + "%"])
        trigger = cursor.fetchone()[0]
    yield trigger
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def as_app(*statements):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {APP_ROLE}")
        for sql in statements:
            cursor.execute(sql)


@pytest.mark.parametrize("sql", [
    "DROP TRIGGER {trigger} ON ledger_entry",
    "ALTER TABLE ledger_entry DISABLE TRIGGER {trigger}",
    "ALTER TABLE ledger_entry DISABLE TRIGGER ALL",
    "SET session_replication_role = replica",
])
def test_the_application_role_cannot_lift_the_triggers(app_role, sql):
    with pytest.raises(DatabaseError, match="must be owner|permission denied"):
        as_app(sql.format(trigger=app_role))


def test_the_application_role_still_writes_and_the_triggers_still_refuse(app_role):
    as_app("INSERT INTO ledger_pending (time, actor, action, object_type, object_id, object_hash, scope, reason) "
           "VALUES (now(), 'x', 'test', '', '', '', '', '')")
    with pytest.raises(DatabaseError, match="append-only|append only|refuse"):
        as_app("INSERT INTO ledger_checkpoint (tree_size, root_hash, signed_at, key_id, signature) "
               "VALUES (1, '', now(), '', '')", "DELETE FROM ledger_checkpoint")

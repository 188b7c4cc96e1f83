"""ledger_pending is a queue: every ledger-backed write inserts a row and the chainer deletes
it a moment later. PostgreSQL's default autovacuum waits for dead rows to reach a fifth of
the table, which for a queue that is nearly always empty means "hardly ever": the dead rows
pile up and every pass over the queue reads them again. Vacuum it after every thousand."""

from django.db import migrations

OPTIONS = ("autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000, "
           "autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 1000, "
           "autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000")


def set_options(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE ledger_pending SET ({OPTIONS})")


def reset_options(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        names = ", ".join(option.split(" = ")[0] for option in OPTIONS.split(", "))
        schema_editor.execute(f"ALTER TABLE ledger_pending RESET ({names})")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_fewer_entry_indexes")]

    operations = [migrations.RunPython(set_options, reset_options)]

"""The database itself refuses UPDATE and DELETE on append-only tables."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from lawtrail.core.db import append_only_tables
from lawtrail.ledger.models import Entry
from lawtrail.ledger.services import ledger_checkpoint


def test_it_installs_triggers_on_the_ledger_and_original_record_tables(db):
    assert {"ledger_entry", "ledger_checkpoint", "cases_transition"} <= set(append_only_tables())


@pytest.mark.parametrize("sql", [
    "UPDATE ledger_entry SET reason = 'forged' WHERE seq = 1",
    "DELETE FROM ledger_entry WHERE seq = 1",
    "UPDATE ledger_checkpoint SET tree_size = 1",
    "DELETE FROM ledger_checkpoint",
    "UPDATE cases_transition SET reason = 'forged'",
    "DELETE FROM cases_transition",
])
def test_raw_sql_cannot_change_or_delete_rows(org, sql):
    org.step(org.open_case(), "approve_start", "同意")
    ledger_checkpoint()
    with pytest.raises(IntegrityError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)


def test_the_orm_cannot_update_or_delete_an_entry(org):
    entry = Entry.objects.order_by("seq").first()
    original = entry.reason
    entry.reason = "改写"
    with pytest.raises(IntegrityError), transaction.atomic():
        entry.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.filter(seq=entry.seq).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.update(reason="x")
    assert Entry.objects.get(seq=entry.seq).reason == original


def test_flush_is_refused_outside_the_test_suite(org, settings):
    settings.LAWTRAIL_ALLOW_FLUSH = False
    count = Entry.objects.count()
    with pytest.raises(CommandError, match="只能追加"):
        call_command("flush", interactive=False, verbosity=0)
    assert Entry.objects.count() == count > 0

"""A query compiled once (core/prepared.py) answers what the ORM answers for any arguments,
and a query it cannot prepare exactly is refused when first compiled, never run wrong."""

import datetime

import pytest
from django.utils import timezone

from lawtrail.core.prepared import Prepared
from lawtrail.ledger.models import Checkpoint, Entry

pytestmark = pytest.mark.django_db


def test_the_kept_sql_answers_as_the_orm_does_for_every_argument(org):
    cases = [org.open_case(title=f"预编译{i}") for i in range(3)]
    by_scope = Prepared(lambda scope, action: Entry.objects.filter(scope=scope).exclude(action=action)
                        .order_by("seq").values_list("seq", "action"), str, str)
    for case in cases:
        for action in ("case.open", "case.view", "no.such"):
            expected = list(Entry.objects.filter(scope=case.scope).exclude(action=action)
                            .order_by("seq").values_list("seq", "action"))
            assert by_scope.rows(case.scope, action) == expected
    assert by_scope.rows("case:0", "case.open") == []


def test_a_time_argument_is_sent_as_the_backend_sends_times(org):
    from lawtrail.ledger.services import ledger_checkpoint

    org.open_case()
    ledger_checkpoint()
    made = Checkpoint.objects.get()
    after = Prepared(lambda when: Checkpoint.objects.filter(signed_at__gt=when).values_list("pk"), datetime.datetime)
    assert after.rows(made.signed_at - datetime.timedelta(seconds=1)) == [(made.pk,)]
    assert after.rows(made.signed_at) == []
    assert after.rows(timezone.now() + datetime.timedelta(days=1)) == []


@pytest.mark.parametrize("build,kinds,why", [
    (lambda scope: Entry.objects.filter(scope__startswith=scope).values_list("seq"), (str,), "rewrote"),
    (lambda scope: Entry.objects.filter(scope=scope, object_type=scope).values_list("seq"), (str,), "once"),
    (lambda seq: Entry.objects.values_list("seq")[:seq], (int,), "once"),  # inlined in the SQL, not sent
    (lambda seq: Entry.objects.filter(seq__gt=seq, time__lt=timezone.now()).values_list("seq"), (int,), "besides"),
])
def test_a_query_that_cannot_be_prepared_exactly_is_refused(build, kinds, why):
    with pytest.raises(ValueError, match=why):
        Prepared(build, *kinds).rows(*(kind() for kind in kinds))


def test_rows_come_through_the_fields_converters_as_the_orms_do(org):
    from lawtrail.records.models import Record

    case = org.open_case()
    org.final_record(case, "filing_approval")
    finals = Prepared(lambda case_id: Record.objects.filter(case_id=case_id, status="final").order_by("id").values_list(
        "id", "data", "finalised_at"), int)
    expected = list(Record.objects.filter(case_id=case.pk, status="final").order_by("id").values_list(
        "id", "data", "finalised_at"))
    got = finals.rows(case.pk)
    assert got == expected and isinstance(got[0][1], dict) and got[0][2].tzinfo is not None

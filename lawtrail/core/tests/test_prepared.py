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


def test_a_lookup_that_escapes_or_folds_its_value_is_refused_or_answers_as_the_orm(org):
    from django.db import connection

    org.open_case()
    scopes = list(Entry.objects.values_list("scope", flat=True).distinct())
    folded = Prepared(lambda scope: Entry.objects.filter(scope__iexact=scope).order_by("seq").values_list("seq"), str)
    try:
        for scope in [*scopes, scopes[0].upper(), "CASE:%", "case:_"]:
            assert folded.rows(scope) == list(Entry.objects.filter(scope__iexact=scope).order_by("seq")
                                              .values_list("seq")), scope
    except ValueError:  # SQLite's iexact is a LIKE, its value escaped
        assert connection.vendor == "sqlite"


def test_the_rows_have_the_columns_asked_for_and_arguments_their_types(org):
    org.open_case()
    scope = Entry.objects.exclude(scope="").values_list("scope", flat=True).first()
    actions = Prepared(lambda scope: Entry.objects.filter(scope=scope).order_by("-seq").values_list("action")
                       .distinct(), str)  # the ordering's column is selected too
    assert actions.rows(scope) == list(Entry.objects.filter(scope=scope).order_by("-seq").values_list("action")
                                       .distinct())
    by_seq = Prepared(lambda seq: Entry.objects.filter(seq=seq).values_list("seq"), int)
    with pytest.raises(TypeError):
        by_seq.rows("1")
    with pytest.raises(TypeError):
        by_seq.rows(True)
    after = Prepared(lambda when: Entry.objects.filter(time__gt=when).values_list("seq"), datetime.datetime)
    with pytest.raises(ValueError, match="aware"):
        after.rows(datetime.datetime(2026, 1, 1))

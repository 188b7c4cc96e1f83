"""The engine: every rule of every profile is tested; the bulk evaluation and a rule
evaluated alone give what the one-case evaluation gives."""

import datetime
import gc
import importlib
import pkgutil

from django.utils import timezone

from lawtrail.cases.models import Case
from lawtrail.media.tests.test_recordings import CST, segments
from lawtrail.regulations.profiles import profiles
from lawtrail.rules import families
from lawtrail.rules.engine import RULES, evaluate, evaluate_many, evaluate_rule
from lawtrail.rules.tests.matrix import OUTCOMES, final, refused, step, verdict


# The matrix test each family's test module makes with `matrix_test`.
MATRIX_TEST = "test_each_rule_passes_and_fails_under_each_profile_that_uses_it"


def family(rule):
    return rule.evaluate.__module__.rsplit(".", 1)[1]


def test_every_rule_of_every_profile_that_uses_it_has_a_passing_and_a_failing_case():
    """Each family of rules has its test module, whose matrix holds every rule of the family
    under every profile that uses it, passing and failing: a new rule, family or profile
    cannot go untested."""
    names = [m.name for m in pkgutil.iter_modules(families.__path__)]
    assert sorted(names) == sorted({family(r) for r in RULES})
    tested = {}
    for name in names:
        module = importlib.import_module(f"lawtrail.rules.tests.test_{name}")
        tested[name] = {tuple(p.values) for p in getattr(module, MATRIX_TEST).params}
    pairs = [(r, p) for r in RULES for p in profiles().values() if r.uses(p)]
    missing = [(r.id, p.id, outcome) for r, p in pairs for outcome in OUTCOMES
               if (r.id, p.id, outcome) not in tested[family(r)]]
    assert missing == []
    assert sum(map(len, tested.values())) == 2 * len(pairs)  # each pair in its own family's module only


def test_bulk_evaluation_agrees_with_one_case_at_a_time(org004, tmp_path, django_assert_max_num_queries):
    org = org004
    t0 = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=CST)
    gappy = org.open_case()
    segments(org, gappy, tmp_path, "hearing", [t0, t0 + datetime.timedelta(minutes=3)])
    mailed = org.open_case()
    final(org, mailed, "filing_approval")
    final(org, mailed, "service_mail", mail_method="挂号信")
    final(org, mailed, "site_inspection_record")
    refused(org, mailed, "inquiry_record", video_ref="DSJ_0001.mp4")
    step(org, mailed, "approve_start")
    cases = list(Case.objects.filter(agency=org.agency).select_related("agency"))
    with django_assert_max_num_queries(5):
        bulk = {case.pk: [(f.rule.id, f.status, f.result.message) for f in findings]
                for case, findings in evaluate_many(cases)}
    for case in cases:
        assert bulk[case.pk] == [(f.rule.id, f.status, f.result.message) for f in evaluate(case)]
    statuses = {rule: status for rule, status, _ in bulk[gappy.pk]}
    assert statuses["av.continuous"] == "violated"
    assert {rule: status for rule, status, _ in bulk[mailed.pk]}["signature.refusal"] == "pending"


def test_bulk_evaluation_reads_each_case_its_own_records_whether_its_ids_are_dense_or_sparse(org004):
    """A dense run of case ids is read as a range, which also brings the records of cases in
    between; a sparse one as a list. Either way a case is judged on its own records only."""
    org = org004
    bare, approved = org.open_case(), org.open_case()
    final(org, approved, "filing_approval")
    between = [org.open_case() for _ in range(3)]
    far = org.open_case()
    for case in (bare, approved, *between, far):
        step(org, case, "approve_start")
    dense, sparse = [bare, between[0]], [bare, far]  # ids 2 apart (range); 5 apart (list)
    for chosen in (dense, sparse):
        verdicts = {case.pk: {f.rule.id: f.status for f in found} for case, found in evaluate_many(chosen)}
        assert set(verdicts) == {c.pk for c in chosen}
        assert {verdicts[c.pk]["start.approval"] for c in chosen} == {"violated"}
    assert verdict(approved, "start.approval").status == "satisfied"  # the record in between is real
    assert gc.isenabled()  # the collector, paused while each chunk is evaluated, is back on
    gc.disable()
    try:
        list(evaluate_many([bare]))
        assert not gc.isenabled()  # and a caller that had turned it off finds it still off
    finally:
        gc.enable()


def test_one_rule_evaluated_alone_gives_what_the_whole_evaluation_gives(org004, django_assert_num_queries):
    case = org004.open_case()
    org004.step(case, "approve_start", "同意")
    case = Case.objects.select_related("agency").get(pk=case.pk)
    now = timezone.now()
    whole = {f.rule.id: f for f in evaluate(case, now=now)}
    for rule_id in ("archive.deadline", "start.approval"):
        if rule_id in whole:
            assert evaluate_rule(case, rule_id, now=now) == whole[rule_id]
    with django_assert_num_queries(0):  # the archive deadline reads only the case's own dates
        assert evaluate_rule(case, "archive.deadline", now=now).result == whole["archive.deadline"].result
    assert evaluate_rule(case, "no.such.rule") is None


def test_every_rule_is_named_in_words_by_one_lookup_and_an_unknown_id_by_itself():
    from lawtrail.rules.base import rule_title, rule_titles

    titles = rule_titles()
    assert set(titles) == {r.id for r in RULES} and len(titles) == len(RULES)  # no id twice
    assert all(rule_title(r.id) == r.title and r.title != r.id for r in RULES)
    assert rule_title("no.such.rule") == "no.such.rule"

"""Stored findings: each change of verdict kept once, many cases refreshed in a few queries,
and the open violations read back from the history."""

import datetime

from django.utils import timezone

from lawtrail.cases.models import Case
from lawtrail.rules.models import Finding
from lawtrail.rules.selectors import open_violations_in
from lawtrail.rules.services import findings_refresh, findings_refresh_many
from lawtrail.rules.tasks import refresh_findings_task
from lawtrail.rules.tests.matrix import final, step


def test_findings_keep_their_history_and_follow_each_change(org004, tmp_path, django_capture_on_commit_callbacks):
    org = org004
    with django_capture_on_commit_callbacks(execute=True):
        case = org.open_case()
    assert Finding.objects.filter(case=case, rule_id="start.approval").get().status == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        step(org, case, "approve_start")  # without the form: a violation appears
    with django_capture_on_commit_callbacks(execute=True):
        final(org, case, "filing_approval")  # the form comes late: cured
    history = list(Finding.objects.filter(case=case, rule_id="start.approval").values_list("status", flat=True))
    assert history == ["pending", "violated", "satisfied"]
    assert findings_refresh(case) == []  # nothing changed, nothing stored


def test_refreshing_many_cases_stores_each_ones_changes_in_a_few_queries(org004, django_assert_max_num_queries):
    org = org004
    cases = [org.open_case() for _ in range(4)]
    Finding.objects.filter(case__in=cases).delete()  # (the suite runs no commit hooks: start from none)
    with django_assert_max_num_queries(28):  # fourteen a chunk (on SQLite the trail heads twice and the cases
        # and their agencies read again; lock, stored verdicts, facts, insert), not per case
        first = list(findings_refresh_many(cases, chunk=3))  # two chunks
    assert [case for case, _, _ in first] == cases
    for case, findings, added in first:
        assert [(a.rule_id, a.status) for a in added] == [(f.rule.id, f.status) for f in findings]
        assert all(a.pk for a in added) and Finding.objects.filter(case=case).count() == len(findings)
    assert all(added == [] for _, _, added in findings_refresh_many(cases))  # nothing changed, nothing stored
    final(org, cases[2], "filing_approval")
    again = {case.pk: added for case, _, added in findings_refresh_many(cases)}
    assert [(a.rule_id, a.status) for a in again[cases[2].pk]] == [("start.approval", "satisfied")]
    assert all(again[c.pk] == [] for c in cases if c != cases[2])
    step(org, cases[3], "approve_start")  # the background job takes several cases at once
    before = Finding.objects.count()
    changed = refresh_findings_task.call([c.pk for c in cases])
    assert changed == Finding.objects.count() - before == Finding.objects.filter(case=cases[3]).count() - \
        len(first[3][2]) and changed >= 1
    assert Finding.objects.filter(case=cases[3], rule_id="start.approval").latest("evaluated_at", "id").status \
        == "violated"


def test_the_open_violations_across_cases_are_each_pairs_latest_verdict_most_severe_first(org004):
    """open_violations_in reads only the violated rows of the history and keeps those no
    later verdict on the same case and rule has replaced."""
    first, second = org004.open_case(), org004.open_case()
    Finding.objects.filter(case__in=[first, second]).delete()
    t = timezone.now() - datetime.timedelta(days=3)

    def stored(case, rule, status, severity, hours, message=""):
        return Finding.objects.create(case=case, rule_id=rule, status=status, severity=severity, cite="004 第九条",
                                      message=message or f"{rule} {status}", evaluated_at=t + datetime.timedelta(hours=hours))

    stored(first, "cured", "violated", "high", 0)
    stored(first, "cured", "satisfied", "high", 1)  # a violation cured later: not open
    stored(first, "changed", "violated", "low", 0, "旧的说明")
    newest = stored(first, "changed", "violated", "low", 2, "新的说明")  # the same violation, a newer message
    severe = stored(second, "severe", "violated", "high", 5)
    medium = stored(second, "medium", "violated", "medium", 4)
    tie = stored(second, "tie", "pending", "low", 6)
    stored(second, "tie", "violated", "low", 6)  # same time as the pending verdict, a later row: it counts
    found = open_violations_in(Case.objects.filter(pk__in=[first.pk, second.pk]))
    assert [f.rule_id for f in found] == ["severe", "medium", "changed", "tie"]
    assert found[0] == severe and found[1] == medium and found[2] == newest and found[3].pk > tie.pk
    assert found[2].message == "新的说明" and found[0].case == second  # each with its case loaded
    assert [f.rule_id for f in open_violations_in(Case.objects.filter(pk=first.pk))] == ["changed"]
    assert len(open_violations_in(Case.objects.filter(pk__in=[first.pk, second.pk]), limit=2)) == 2


def test_on_sqlite_a_job_evaluates_before_its_transaction_and_again_if_the_case_changed(org004, monkeypatch):
    """SQLite's write lock is the whole database's: the evaluation runs before the job's
    transaction, and is done again under the lock when an entry of the case came meanwhile
    (else a verdict from before the change would be stored after it)."""
    from django.db import connection

    from lawtrail.rules import services

    org = org004
    case = org.open_case()
    depths, evaluate, changed = [], services.evaluate_many, []

    def spy(cases, *args, **kwargs):
        depths.append(len(connection.atomic_blocks))
        result = list(evaluate(cases, *args, **kwargs))
        if not changed:  # the officer's write lands between the evaluation and the lock
            changed.append(step(org, case, "approve_start"))
        return result

    monkeypatch.setattr(services, "evaluate_many", spy)
    outside = len(connection.atomic_blocks)
    if connection.vendor != "sqlite":  # row locks on PostgreSQL: evaluated under them (a writer waits)
        changed.append(True)
        findings_refresh(case)
        assert depths == [outside + 1]
        return
    findings_refresh(Case.objects.get(pk=case.pk))  # as a job loads it: a copy the officer's write leaves as it was
    assert Finding.objects.filter(case=case, rule_id="start.approval").latest("evaluated_at", "id").status \
        == "violated"  # from the evaluation after the change, not the one before it
    assert depths == [outside, outside + 1]
    depths.clear()
    findings_refresh(case)  # nothing came meanwhile: evaluated once, outside
    assert depths == [outside]

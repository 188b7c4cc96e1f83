"""Compliance findings: evaluate a case's rules and keep each change of verdict.

Re-evaluation runs as a background job (django-tasks) after every committed change of a
case (the ledger announces each write), and on a schedule for deadlines passing
(`lawtrail check --record`)."""

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from lawtrail.access.services import is_access
from lawtrail.cases.models import Case
from lawtrail.ledger.services import after_commit_for_case
from lawtrail.rules.engine import evaluate
from lawtrail.rules.models import Finding
from lawtrail.rules.selectors import latest_findings


@transaction.atomic
def findings_refresh(case, now=None):
    """Evaluate the case and store the verdicts that changed. Returns the new Finding rows.

    The case row is locked first: two workers refreshing the same case one after the other
    then see each other's rows, and never store the same change twice."""
    now = now or timezone.now()
    Case.objects.select_for_update().filter(pk=case.pk).first()
    latest = latest_findings(case)
    added = []
    for found in evaluate(case, now):
        previous = latest.get(found.rule.id)
        if previous is not None and (previous.status, previous.message) == (found.status, found.result.message):
            continue
        added.append(Finding.objects.create(
            case=case, rule_id=found.rule.id, status=found.status, severity=found.rule.severity, cite=found.cite,
            message=found.result.message, due=found.result.due, evaluated_at=now))
    return added


def findings_refresh_all(now=None):
    """The scheduled pass: every case not yet archived or closed, for deadlines that passed."""
    changed = 0
    for case in Case.objects.exclude(stage__in=("archived", "closed")).select_related("agency").iterator():
        changed += len(findings_refresh(case, now))
    return changed


def on_entry_appended(sender, entry, **kwargs):
    """Re-evaluate a case in the background once the transaction that changed it commits."""
    if not is_access(entry.action):
        after_commit_for_case(entry, refresh_findings_task, "the compliance re-evaluation")


@task()
def refresh_findings_task(case_ids):
    """The background job: re-evaluate these cases and store what changed."""
    changed = 0
    for case in Case.objects.filter(pk__in=case_ids).select_related("agency"):
        changed += len(findings_refresh(case))
    return changed

"""The compliance job: a case is re-evaluated in the background after every committed
change (the ledger announces each write), and every case on a schedule as deadlines pass
(`lawtrail check --record`, through `lawtrail.tasks.scheduled_pass`)."""

from django_tasks import task

from lawtrail.cases.models import Case
from lawtrail.ledger.access_log import is_access
from lawtrail.ledger.services import after_commit_for_case
from lawtrail.rules.services import findings_refresh_many

# A background job locks its cases a few at a time: an officer saving one of them waits for
# one short transaction at most, not for the whole job.
JOB_CHUNK = 20


@task()
def refresh_findings_task(case_ids):
    """The background job: re-evaluate these cases and store what changed."""
    cases = Case.objects.filter(pk__in=case_ids).order_by("pk")
    return sum(len(added) for _, _, added in findings_refresh_many(cases, chunk=JOB_CHUNK))


def on_entry_appended(sender, entry, **kwargs):
    """Re-evaluate a case in the background once the transaction that changed it commits."""
    if not is_access(entry.action):
        after_commit_for_case(entry, refresh_findings_task, "the compliance re-evaluation")


def findings_pass(cases):
    """The scheduled pass: (case, findings) for these cases, each one's changes stored as
    the caller reads them."""
    return ((case, findings) for case, findings, _ in findings_refresh_many(cases))

"""The retention jobs: after every committed change of a case (the ledger announces each
write) the store's locks of its files and its recordings' expiry dates follow in the
background; on a schedule (`lawtrail check --record`) expiry dates missing or older than
their case's archiving are filled in."""

from django_tasks import task

from lawtrail.archive.expiry import expiries_fill_in, expiries_refresh
from lawtrail.archive.locks import case_locks_apply
from lawtrail.archive.retention import DISPOSABLE_STAGES
from lawtrail.blobs import blob_store
from lawtrail.cases.models import Case
from lawtrail.ledger.access_log import is_access
from lawtrail.ledger.services import after_commit_for_case


@task()
def lock_cases_task(case_ids):
    """The background job: apply the locks of these cases."""
    count = 0
    for case in Case.objects.filter(pk__in=case_ids).select_related("agency"):
        count += len(case_locks_apply(case))
    return count


@task()
def refresh_expiries_task(case_ids):
    """The background job: these cases' recordings' expiry dates anew."""
    return sum(expiries_refresh(case) for case in Case.objects.filter(pk__in=case_ids).select_related("agency"))


def on_entry_appended(sender, entry, **kwargs):
    """Every committed change of a case may change what its files must be kept for."""
    if is_access(entry.action):
        return
    if blob_store().may_lock:
        after_commit_for_case(entry, lock_cases_task, "the retention locks (run `lawtrail lock`)")
    after_commit_for_case(entry, refresh_expiries_task, "the recordings' expiry dates")


def expiries_pass():
    """The scheduled pass: expiry dates for the finished cases' recordings that have none
    (or none since their case was archived). Returns how many cases were refreshed."""
    return expiries_fill_in(Case.objects.filter(stage__in=DISPOSABLE_STAGES))

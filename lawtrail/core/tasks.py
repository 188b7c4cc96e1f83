"""Background jobs a killed worker left half-done are run again.

django-tasks' database queue marks a job RUNNING when a worker claims it and never looks
at it again if that worker dies. A job still RUNNING long after it started
(LAWTRAIL_TASK_STALLED_MINUTES) is put back in the queue. LawTrail's jobs can run twice
without doing anything twice: a compliance re-evaluation stores only verdicts that
changed, each case in its own transaction under the case's lock, and retention locks are
only ever extended.
"""

import datetime

from django.conf import settings
from django.utils import timezone


def requeue_stalled(now=None):
    """Put the jobs that have been RUNNING for too long back in the queue; returns how many."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    cutoff = (now or timezone.now()) - datetime.timedelta(minutes=settings.LAWTRAIL_TASK_STALLED_MINUTES)
    return DBTaskResult.objects.running().filter(started_at__lt=cutoff).update(
        status=TaskResultStatus.READY, started_at=None)

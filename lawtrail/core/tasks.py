"""Background jobs a killed worker left half-done are run again; queued jobs follow their
function when it moves (`task_moved`, for migrations).

django-tasks' database queue marks a job RUNNING when a worker claims it and never looks
at it again if that worker dies. A job still RUNNING long after it started
(LAWTRAIL_TASK_STALLED_MINUTES) is put back in the queue. LawTrail's jobs can run twice
without doing anything twice: a compliance re-evaluation stores only verdicts that
changed, each case in its own transaction under the case's lock, and retention locks are
only ever extended.
"""

import datetime

from django.conf import settings
from django.db import migrations
from django.utils import timezone

UNFINISHED = ("READY", "RUNNING")


def requeue_stalled(now=None):
    """Put the jobs that have been RUNNING for too long back in the queue; returns how many."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    cutoff = (now or timezone.now()) - datetime.timedelta(minutes=settings.LAWTRAIL_TASK_STALLED_MINUTES)
    return DBTaskResult.objects.running().filter(started_at__lt=cutoff).update(
        status=TaskResultStatus.READY, started_at=None)


def task_moved(old_path, new_path):
    """A migration step for a job function that moved to another module: the jobs still
    queued under its old import path (by which django-tasks finds a job's function) are
    pointed at the new one."""

    def repoint(source, target):
        def run(apps, schema_editor):
            apps.get_model("django_tasks_database", "DBTaskResult").objects.filter(
                task_path=source, status__in=UNFINISHED).update(task_path=target)

        return run

    return migrations.RunPython(repoint(old_path, new_path), repoint(new_path, old_path))

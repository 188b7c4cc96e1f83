"""The retention jobs: queued after each committed change of a case, and still found after
they moved to tasks.py."""

import importlib

import pytest
from django.apps import apps as django_apps
from django_tasks_db.models import DBTaskResult

from lawtrail.archive.tasks import lock_cases_task, refresh_expiries_task
from lawtrail.blobs import blob_store
from lawtrail.testing import Org

MOVED = {"lawtrail.archive.locks.lock_cases_task": lock_cases_task,
         "lawtrail.archive.expiry.refresh_expiries_task": refresh_expiries_task}


@pytest.fixture
def queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    DBTaskResult.objects.all().delete()
    return DBTaskResult.objects


def test_a_change_of_a_case_queues_its_expiry_dates_and_where_the_store_locks_its_locks(
        db, queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = Org("tq").open_case()
    jobs = {path: args for path, args in queue.values_list("task_path", "args_kwargs__args")}
    assert case.pk in jobs["lawtrail.archive.tasks.refresh_expiries_task"][0]  # (with any the suite left pending)
    assert ("lawtrail.archive.tasks.lock_cases_task" in jobs) == blob_store().may_lock


def test_jobs_queued_before_the_tasks_moved_to_tasks_py_are_found_after_the_migration(db, queue):
    for old, task in MOVED.items():
        queue.filter(pk=task.enqueue([1]).id).update(task_path=old)
    for job in queue.all():
        with pytest.raises(ImportError):
            job.task
    for moved in importlib.import_module("lawtrail.archive.migrations.0003_retention_tasks_moved").Migration.operations:
        moved.code(django_apps, None)
    assert {job.task.module_path: job.task_path for job in queue.all()} == {
        "lawtrail.archive.tasks.lock_cases_task": "lawtrail.archive.tasks.lock_cases_task",
        "lawtrail.archive.tasks.refresh_expiries_task": "lawtrail.archive.tasks.refresh_expiries_task"}

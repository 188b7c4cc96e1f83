"""The compliance job on the database queue: run by real workers, shared between them, run
again after a worker died, and still found after it moved to another module."""

import datetime
import importlib
import os
import signal
import subprocess
import sys
import time

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from lawtrail.core.tasks import requeue_stalled
from lawtrail.rules.models import Finding
from lawtrail.rules.tasks import refresh_findings_task
from lawtrail.testing import Org


def test_re_evaluation_runs_as_a_background_job_on_the_database_queue(transactional_db, settings):
    # A real commit and a real worker: the worker closes its database connection when it is
    # done, which only a test outside a wrapping transaction survives.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    org = Org("bg", profile="004")
    DBTaskResult.objects.all().delete()
    case = org.open_case()
    jobs = DBTaskResult.objects.filter(task_path="lawtrail.rules.tasks.refresh_findings_task")
    assert jobs.filter(status="READY").count() == 1  # queued, not yet run
    assert not Finding.objects.filter(case=case).exists()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert jobs.get().status == "SUCCESSFUL"
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}  # and the others too
    assert Finding.objects.get(case=case, rule_id="start.approval").status == "pending"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="several workers share the queue on PostgreSQL")
def test_two_workers_share_the_queue_without_double_work(transactional_db, settings, tmp_path):
    """Two real `db_worker` processes drain one queue: both take part, every job runs
    exactly once (one worker id per job), and a case refreshed by many jobs has each change
    of verdict stored once. (The case lock in `findings_refresh` guards the rarer moment when
    two workers refresh one case at the same instant; this test does not force that race.)"""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    org = Org("wk", profile="004")
    cases = [org.open_case() for _ in range(2)]
    DBTaskResult.objects.all().delete()
    Finding.objects.all().delete()  # (the suite's wrapping queue left none: start from no verdicts)
    for _ in range(12):  # every case in twelve jobs, so both workers start on the same cases at once
        for case in cases:
            refresh_findings_task.enqueue([case.pk])
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lawtrail.settings", "LAWTRAIL_HOME": str(tmp_path),
           "LAWTRAIL_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"}
    connection.close()
    workers = [subprocess.Popen([sys.executable, "-m", "lawtrail.cli", "manage", "db_worker", "--batch",
                                 "--no-startup-delay"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
               for _ in range(2)]
    for worker in workers:
        out, _ = worker.communicate(timeout=300)
        assert worker.returncode == 0, out.decode()[-2000:]
    results = list(DBTaskResult.objects.values_list("status", flat=True))
    assert len(results) == 24 and set(results) == {"SUCCESSFUL"}
    runs = list(DBTaskResult.objects.values_list("worker_ids", flat=True))
    assert all(len(ids) == 1 for ids in runs)  # no job was run twice
    assert len({ids[0] for ids in runs}) == 2  # and both workers took part
    for case in cases:
        rows = list(Finding.objects.filter(case=case).order_by("rule_id", "evaluated_at", "id")
                    .values_list("rule_id", "status", "message"))
        assert rows, case.case_no
        for earlier, later in zip(rows, rows[1:]):
            assert earlier != later, f"{case.case_no}: the same verdict stored twice {later}"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real workers share the queue on PostgreSQL")
def test_a_job_whose_worker_was_killed_half_way_is_run_again_without_doing_anything_twice(
        transactional_db, settings, tmp_path):
    """A real worker SIGKILLed while re-evaluating many cases: the job stays RUNNING, some
    cases done and the rest not. Once it counts as stalled it is queued again, a worker runs
    it to the end, and every case has each verdict stored exactly once."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    org = Org("kw", profile="004")
    cases = [org.open_case() for _ in range(120)]
    DBTaskResult.objects.all().delete()
    Finding.objects.all().delete()
    refresh_findings_task.enqueue([case.pk for case in cases])
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lawtrail.settings", "LAWTRAIL_HOME": str(tmp_path),
           "LAWTRAIL_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"}

    def worker(*args):
        return subprocess.Popen([sys.executable, "-m", "lawtrail.cli", "manage", "db_worker", "--no-startup-delay",
                                 *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)

    first = worker()
    deadline = time.monotonic() + 120
    while not Finding.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(first.pid, signal.SIGKILL)  # half-way through the job
    first.wait()
    done = set(Finding.objects.values_list("case_id", flat=True))
    assert 0 < len(done) < len(cases), "the worker was to die with part of the job done"
    job = DBTaskResult.objects.get()
    assert job.status == "RUNNING"  # and would stay so for ever

    assert requeue_stalled() == 0  # not yet stalled: it may still be running somewhere
    assert requeue_stalled(now=timezone.now() + datetime.timedelta(minutes=31)) == 1
    connection.close()
    second = worker("--batch")
    out, _ = second.communicate(timeout=300)
    assert second.returncode == 0, out.decode()[-2000:]
    job.refresh_from_db()
    assert job.status == "SUCCESSFUL" and len(job.worker_ids) == 2  # the same job, run twice
    for case in cases:
        rows = list(Finding.objects.filter(case=case).values_list("rule_id", flat=True))
        assert rows and len(rows) == len(set(rows)), f"{case.case_no}: a verdict stored twice"


@pytest.mark.django_db
def test_only_jobs_running_longer_than_the_limit_are_queued_again(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    DBTaskResult.objects.all().delete()
    for _ in range(3):
        refresh_findings_task.enqueue([1])
    old, recent, waiting = DBTaskResult.objects.order_by("enqueued_at", "id")
    for job in (old, recent):
        job.claim("a-worker")
    DBTaskResult.objects.filter(pk=old.pk).update(started_at=timezone.now() - datetime.timedelta(minutes=31))
    assert requeue_stalled() == 1
    statuses = {job.pk: job.status for job in DBTaskResult.objects.all()}
    assert (statuses[old.pk], statuses[recent.pk], statuses[waiting.pk]) == ("READY", "RUNNING", "READY")


def test_a_job_queued_before_the_task_moved_to_tasks_py_is_run_after_the_migration(transactional_db, settings):
    """django-tasks finds a job's function by the import path stored with the job: the
    migration points the jobs still queued under the old path at the new one."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    case = Org("mv", profile="004").open_case()
    DBTaskResult.objects.all().delete()
    Finding.objects.all().delete()
    queued, done = (refresh_findings_task.enqueue([case.pk]) for _ in range(2))
    DBTaskResult.objects.update(task_path="lawtrail.rules.services.refresh_findings_task")
    DBTaskResult.objects.filter(pk=done.id).update(status="SUCCESSFUL")
    with pytest.raises(ImportError):
        DBTaskResult.objects.get(pk=queued.id).task
    [moved] = importlib.import_module("lawtrail.rules.migrations.0002_refresh_findings_task_moved").Migration.operations
    moved.code(django_apps, None)
    assert DBTaskResult.objects.get(pk=done.id).task_path == "lawtrail.rules.services.refresh_findings_task"  # finished
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert DBTaskResult.objects.get(pk=queued.id).status == "SUCCESSFUL"
    assert Finding.objects.get(case=case, rule_id="start.approval").status == "pending"

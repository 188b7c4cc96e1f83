from django.db import migrations

from lawtrail.core.tasks import task_moved


class Migration(migrations.Migration):
    """The retention jobs moved from archive/locks.py and archive/expiry.py to archive/tasks.py."""

    dependencies = [
        ("archive", "0002_recording_expiry"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        task_moved("lawtrail.archive.locks.lock_cases_task", "lawtrail.archive.tasks.lock_cases_task"),
        task_moved("lawtrail.archive.expiry.refresh_expiries_task", "lawtrail.archive.tasks.refresh_expiries_task"),
    ]

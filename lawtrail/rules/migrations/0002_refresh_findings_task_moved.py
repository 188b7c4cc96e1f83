from django.db import migrations

from lawtrail.core.tasks import task_moved


class Migration(migrations.Migration):
    """The compliance job moved from rules/services.py to rules/tasks.py."""

    dependencies = [
        ("rules", "0001_initial"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        task_moved("lawtrail.rules.services.refresh_findings_task", "lawtrail.rules.tasks.refresh_findings_task"),
    ]

from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "lawtrail.archive"
    label = "archive"
    verbose_name = "归档与保存"

    def ready(self):
        from lawtrail.archive.tasks import on_entry_appended
        from lawtrail.ledger.services import entry_appended

        entry_appended.connect(on_entry_appended, dispatch_uid="lawtrail.archive.tasks")

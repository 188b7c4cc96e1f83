from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "lawtrail.archive"
    label = "archive"
    verbose_name = "归档与保存"

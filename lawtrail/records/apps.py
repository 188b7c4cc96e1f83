from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "lawtrail.records"
    label = "records"
    verbose_name = "文字记录"

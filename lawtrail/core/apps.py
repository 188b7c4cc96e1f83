from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "lawtrail.core"
    label = "core"
    verbose_name = "核心"

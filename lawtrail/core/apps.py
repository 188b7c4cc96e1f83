from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "lawtrail.core"
    label = "core"
    verbose_name = "核心"

    def ready(self):
        from lawtrail.core import checks  # noqa: F401 (registers the deployment checks)
        from lawtrail.core.db import install_declared

        post_migrate.connect(install_declared, dispatch_uid="lawtrail_append_only")

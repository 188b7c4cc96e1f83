from django.apps import AppConfig
from django.db.models.signals import post_migrate


class LedgerConfig(AppConfig):
    name = "lawtrail.ledger"
    label = "ledger"
    verbose_name = "账本"

    def ready(self):
        from lawtrail.ledger import checks  # noqa: F401 (registers the start-up check)
        from lawtrail.ledger.chain import install_chain_function

        post_migrate.connect(install_chain_function, dispatch_uid="lawtrail_chain_function")

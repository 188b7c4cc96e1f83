from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "lawtrail.ledger"
    label = "ledger"
    verbose_name = "账本"

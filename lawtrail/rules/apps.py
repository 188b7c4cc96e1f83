from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "lawtrail.rules"
    label = "rules"
    verbose_name = "规定与合规"

    def ready(self):
        from lawtrail.ledger.services import entry_appended
        from lawtrail.rules.tasks import on_entry_appended

        entry_appended.connect(on_entry_appended, dispatch_uid="lawtrail.rules.refresh")

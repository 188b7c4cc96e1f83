from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "lawtrail.rules"
    label = "rules"
    verbose_name = "规定与合规"

    def ready(self):
        from lawtrail.cases import workflow
        from lawtrail.ledger.services import entry_appended
        from lawtrail.rules import engine
        from lawtrail.rules.tasks import on_entry_appended

        entry_appended.connect(on_entry_appended, dispatch_uid="lawtrail.rules.refresh")
        # The workflow's gates ask the rules the profile attaches to a step.
        workflow.rules_unmet.install(engine.rules_unmet)
        workflow.severe_violations.install(engine.severe_violations)

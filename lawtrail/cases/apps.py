from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "lawtrail.cases"
    label = "cases"
    verbose_name = "案件"

    def ready(self):
        from lawtrail.cases import workflow
        from lawtrail.ledger.labels import register_actions, register_object, step_label

        # How the case trail names the workflow's steps and the case's people.
        register_actions({f"case.{name}": step_label(t.label) for name, t in workflow.TRANSITIONS.items()})
        register_object("cases.case", lambda case: case.case_no)
        register_object("cases.party", lambda party: party.name)
        register_object("cases.caseofficer", lambda a: f"{a.officer.name}（{a.get_role_display()}）",
                        related=("officer",))

from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "lawtrail.access"
    label = "access"
    verbose_name = "访问控制"

    def ready(self):
        from lawtrail.access import policy
        from lawtrail.access.selectors import under_grant
        from lawtrail.core import policy as questions
        from lawtrail.ledger.access_log import note_access_basis

        note_access_basis(under_grant)  # the access log names the grant an access relied on
        questions.install(policy)  # the parts below ask the policy through lawtrail.core.policy

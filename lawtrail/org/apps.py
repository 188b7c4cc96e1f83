from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "lawtrail.org"
    label = "org"
    verbose_name = "机构与人员"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from lawtrail.org import services

        user_logged_in.connect(services.login_recorded, dispatch_uid="lawtrail.login")
        user_logged_out.connect(services.logout_recorded, dispatch_uid="lawtrail.logout")
        user_login_failed.connect(services.login_failure_recorded, dispatch_uid="lawtrail.login_failed")

from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "lawtrail.access"
    label = "access"
    verbose_name = "访问控制"

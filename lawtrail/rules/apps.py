from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "lawtrail.rules"
    label = "rules"
    verbose_name = "规定与合规"

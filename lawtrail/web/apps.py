from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "lawtrail.web"
    label = "web"
    verbose_name = "网页界面"

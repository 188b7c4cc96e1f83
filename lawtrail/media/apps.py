from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "lawtrail.media"
    label = "media"
    verbose_name = "音像记录"

from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "lawtrail.media"
    label = "media"
    verbose_name = "音像记录"

    def ready(self):
        from lawtrail.ledger.labels import register_object

        register_object("media.recording", lambda r: r.filename)

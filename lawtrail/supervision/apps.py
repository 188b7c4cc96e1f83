from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "lawtrail.supervision"
    label = "supervision"
    verbose_name = "监督检查"

    def ready(self):
        from lawtrail.ledger.labels import register_actions
        from lawtrail.supervision.models import DeviceEventKind

        register_actions({f"device.{kind.value}": f"执法记录仪{kind.label}" for kind in DeviceEventKind})

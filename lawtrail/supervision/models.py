"""Supervision: recording devices (执法记录仪) and their history, sample draws for playback
checks (抽检、回放检查) with their results (the 检查台帐), and corrective actions."""

from django.conf import settings
from django.db import models

from lawtrail.cases.models import Case
from lawtrail.core.db import append_only
from lawtrail.ledger.registry import ledgered
from lawtrail.media.models import Recording
from lawtrail.org.models import Agency, Department, Officer


class DeviceStatus(models.TextChoices):
    IN_STOCK = "in_stock", "在库"
    ISSUED = "issued", "已领用"
    FAULTY = "faulty", "故障待修"
    RETIRED = "retired", "已报废"


@ledgered()
class Device(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="devices")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="devices")
    device_no = models.CharField("设备编号", max_length=60)
    model = models.CharField("型号", max_length=100)
    status = models.CharField("状态", max_length=12, choices=DeviceStatus.choices, default=DeviceStatus.IN_STOCK)
    holder = models.ForeignKey(Officer, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "执法记录仪"
        ordering = ["device_no"]
        constraints = [models.UniqueConstraint(fields=["agency", "device_no"], name="device_no_unique")]

    def __str__(self):
        return self.device_no


class DeviceEventKind(models.TextChoices):
    CHECKOUT = "checkout", "领用"
    RETURN = "return", "归还"
    MAINTENANCE = "maintenance", "维护保养"
    BATTERY = "battery", "电池检查"
    STORAGE = "storage", "存储检查"
    FAULT = "fault", "故障报告"
    REPAIR = "repair", "维修完成"
    RETIRE = "retire", "报废"


@append_only
@ledgered()
class DeviceEvent(models.Model):
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField("事项", max_length=12, choices=DeviceEventKind.choices)
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    ok = models.BooleanField("检查合格", null=True, blank=True)
    notes = models.TextField("说明", blank=True)
    at = models.DateTimeField("时间")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "设备记录"
        ordering = ["at", "id"]


class DrawTarget(models.TextChoices):
    RECORDINGS = "recordings", "音像记录"
    CASE_FILES = "case_files", "案卷"


@append_only
@ledgered()
class SampleDraw(models.Model):
    """A reproducible random draw: the same seed over the same population gives the same sample."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="sample_draws")
    target = models.CharField("抽检对象", max_length=12, choices=DrawTarget.choices, default=DrawTarget.RECORDINGS)
    seed = models.CharField("随机种子", max_length=64)
    period_from = models.DateField("期间起")
    period_to = models.DateField("期间止")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    size = models.PositiveIntegerField("抽取数量")
    population = models.JSONField("抽样总体", default=list)
    recording_ids = models.JSONField("抽中的音像记录", default=list)
    case_ids = models.JSONField("涉及的案件", default=list)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField("抽取时间")

    class Meta:
        verbose_name = "抽检"
        ordering = ["-drawn_at", "-id"]


@append_only
@ledgered()
class PlaybackCheck(models.Model):
    """One line of the 检查台帐: a drawn recording played back, or a drawn case file read,
    and checked item by item."""

    draw = models.ForeignKey(SampleDraw, on_delete=models.PROTECT, related_name="checks")
    recording = models.ForeignKey(Recording, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    results = models.JSONField("检查结果", default=dict)
    passed = models.BooleanField("合格")
    findings = models.TextField("发现的问题", blank=True)
    follow_up = models.TextField("整改要求", blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField("检查时间")

    class Meta:
        verbose_name = "回放检查"
        ordering = ["checked_at", "id"]


class ActionKind(models.TextChoices):
    CORRECT = "correct", "责令限期改正"
    CRITICISM = "criticism", "通报批评"
    TRAINING = "training", "批评教育、培训"
    OTHER = "other", "其他处理"


@append_only(mutable_while="OLD.closed_at IS NULL")
@ledgered()
class CorrectiveAction(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="corrective_actions")
    playback_check = models.ForeignKey(PlaybackCheck, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="actions")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField("措施", max_length=12, choices=ActionKind.choices)
    description = models.TextField("内容")
    deadline = models.DateField("整改期限", null=True, blank=True)
    ordered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ordered_at = models.DateTimeField()
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    closed_at = models.DateTimeField("完成时间", null=True, blank=True)
    closure = models.TextField("整改情况", blank=True)

    class Meta:
        verbose_name = "整改措施"
        ordering = ["-ordered_at", "-id"]

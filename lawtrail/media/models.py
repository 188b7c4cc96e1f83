from django.conf import settings
from django.db import models

from lawtrail.cases.models import Case
from lawtrail.core.db import append_only
from lawtrail.core.models import ChoiceLabels
from lawtrail.ledger.registry import ledgered
from lawtrail.org.models import Officer


class Activity(models.TextChoices):
    """The enforcement activity a recording documents (profiles name these codes)."""

    SITE_INSPECTION = "site_inspection", "现场检查（勘验）"
    INQUIRY = "inquiry", "调查询问"
    SAMPLING = "sampling", "抽样取证"
    EVIDENCE_PRESERVATION = "evidence_preservation", "证据保全（先行登记保存）"
    HEARING = "hearing", "听证"
    COERCIVE_MEASURE = "coercive_measure", "行政强制措施（查封、扣押）"
    SERVICE_DIRECT = "service_direct", "直接送达"
    SERVICE_LODGED = "service_lodged", "留置送达"
    SERVICE_PUBLIC = "service_public", "公告送达"
    ENFORCEMENT = "enforcement", "强制执行"
    PATROL = "patrol", "日常巡查"
    OTHER = "other", "其他执法活动"


class MediaKind(models.TextChoices):
    VIDEO = "video", "录像"
    AUDIO = "audio", "录音"
    PHOTO = "photo", "照片"
    OTHER = "other", "其他文件"


class UploadStatus(models.TextChoices):
    ACTIVE = "active", "上传中"
    COMPLETED = "completed", "已完成"
    TERMINATED = "terminated", "已取消"


class Upload(models.Model):
    """The state of one resumable (tus) upload. It lives in the database so that any
    worker process can take the next chunk, and a restart loses nothing."""

    id = models.CharField(primary_key=True, max_length=32)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="uploads")
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+")
    length = models.BigIntegerField()
    offset = models.BigIntegerField(default=0)
    # The running SHA-256 of the first `offset` bytes (media.hashstate), so that whichever
    # worker takes the next chunk goes on hashing instead of re-reading the partial file.
    hash_state = models.BinaryField(null=True, editable=False)
    metadata = models.JSONField(default=dict)
    status = models.CharField(max_length=12, choices=UploadStatus.choices, default=UploadStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    recording = models.ForeignKey("Recording", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = "断点续传上传"


@append_only
@ledgered(blobs=("sha256", "thumbnail_sha256"))
class Recording(ChoiceLabels, models.Model):
    """One audio/video recording or photo, stored byte-for-byte under its SHA-256.

    It keeps the 音像记录 fields the profiles ask for, what PyAV could read of it (or why
    nothing could be read: `flagged`), the device's claimed time and the server's receipt
    time, and the upload deadline that applied when it arrived."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="recordings")
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.BigIntegerField("大小")
    filename = models.CharField("文件名", max_length=255)
    kind = models.CharField("类型", max_length=8, choices=MediaKind.choices)
    content_type = models.CharField(max_length=100)
    activity = models.CharField("执法环节", max_length=24, choices=Activity.choices)
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="recordings",
                                verbose_name="执法人员（制作人）")
    device_no = models.CharField("执法记录设备编号", max_length=60, blank=True)
    method = models.CharField("制作方法", max_length=60)
    proves = models.TextField("证明对象", blank=True)
    started_at = models.DateTimeField("使用时间（开始）", null=True, blank=True)
    ended_at = models.DateTimeField("使用时间（结束）", null=True, blank=True)
    device_time = models.DateTimeField("设备记录时间", null=True, blank=True)
    officer_time = models.DateTimeField("执法人员填报的记录时间", null=True, blank=True)
    returned_at = models.DateTimeField("外勤返回单位时间", null=True, blank=True)
    received_at = models.DateTimeField("系统接收时间")
    duration_ms = models.BigIntegerField("时长（毫秒）", null=True, blank=True)
    media_info = models.JSONField("技术信息", default=dict)
    flagged = models.BooleanField("无法解析", default=False)
    flag_reason = models.TextField("标记原因", blank=True)
    thumbnail_sha256 = models.CharField(max_length=64, blank=True)
    upload_due = models.DateTimeField("上传期限")
    upload_due_basis = models.CharField("期限依据", max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    source = models.CharField("来源", max_length=12, default="upload")  # upload (tus) or dock (ingest)

    class Meta:
        verbose_name = "音像记录"
        ordering = ["started_at", "received_at", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "sha256"], name="recording_once_per_case")]

    def __str__(self):
        return self.filename

    @property
    def duration(self):
        return None if self.duration_ms is None else self.duration_ms / 1000

    @property
    def late(self):
        return self.received_at > self.upload_due

    @property
    def hash_mismatch(self):
        """The sender's hash (computed in the browser) differs from the file received."""
        claimed = (self.media_info or {}).get("client_sha256")
        return bool(claimed) and claimed != self.sha256

    @property
    def receipt_gap(self):
        """Server receipt time minus the device-claimed time, as a timedelta (None without one)."""
        return None if self.device_time is None else self.received_at - self.device_time


class GapReason(models.TextChoices):
    SPOKEN = "spoken", "重新开始记录时已语音说明中止原因"
    WRITTEN = "written", "确实无法继续记录，书面说明情况"


@append_only
@ledgered()
class GapExplanation(models.Model):
    """Why recording of an activity stopped between two consecutive recordings (000 第十七条)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="gap_explanations")
    before = models.ForeignKey(Recording, on_delete=models.PROTECT, related_name="+")
    after = models.ForeignKey(Recording, on_delete=models.PROTECT, related_name="+")
    reason_kind = models.CharField("说明方式", max_length=8, choices=GapReason.choices)
    reason = models.TextField("中止原因")
    explained_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    explained_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "中断说明"
        ordering = ["explained_at", "id"]

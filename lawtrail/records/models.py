from django.conf import settings
from django.db import models

from lawtrail.cases.models import Case
from lawtrail.core.db import append_only
from lawtrail.core.models import ChoiceLabels
from lawtrail.ledger.registry import ledgered
from lawtrail.org.models import Officer
from lawtrail.records.catalog import doc_type


class RecordStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    FINAL = "final", "已定稿"
    DISCARDED = "discarded", "已作废草稿"


class SignMethod(models.TextChoices):
    HANDWRITTEN = "handwritten", "手写签名"
    SCAN = "scan", "扫描签字页"
    FINGERPRINT = "fingerprint", "捺指印"
    SEAL = "seal", "盖章"


# Methods that prove themselves only with an image of the signature or the page.
IMAGE_REQUIRED = {SignMethod.HANDWRITTEN, SignMethod.SCAN}


class SignAuth(models.TextChoices):
    """How the system knew that the signer was the person the signature names."""

    SESSION = "session", "本人登录"
    PASSWORD = "password", "本人重新输入密码"
    TOTP = "totp", "本人动态验证码"
    CAPTURED = "captured", "承办人设备采集、承办人见证"


class SealLevel(models.TextChoices):
    """How far a sealed PDF's PAdES signature goes (ETSI EN 319 142-1)."""

    B_B = "B-B", "PAdES-B-B"
    B_T = "B-T", "PAdES-B-T（含时间戳）"
    B_LT = "B-LT", "PAdES-B-LT（含时间戳和验证数据）"


@append_only(mutable_while="OLD.status = 'draft'")
@ledgered(blobs=("pdf_sha256",))
class Record(ChoiceLabels, models.Model):
    """One 执法文书. A draft may be edited; once finalised it is an original and the
    database refuses any change. A correction is a new version pointing at it."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="records")
    doc_type = models.CharField("文书类型", max_length=40)
    title = models.CharField("文书名称", max_length=60)
    stage = models.CharField("阶段", max_length=16)
    status = models.CharField("状态", max_length=12, choices=RecordStatus.choices, default=RecordStatus.DRAFT)
    version = models.PositiveIntegerField("版本", default=1)
    previous = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="correction")
    correction_reason = models.TextField("更正理由", blank=True)
    number = models.CharField("文号", max_length=60, blank=True)
    data = models.JSONField("内容", default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finalised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    finalised_at = models.DateTimeField("定稿时间", null=True, blank=True)
    pdf_sha256 = models.CharField("PDF SHA-256", max_length=64, blank=True)
    # The short code printed beside the QR code of a finalised record (扫码验真).
    verify_code = models.CharField("验真码", max_length=16, blank=True, db_index=True)

    class Meta:
        verbose_name = "执法文书"
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.title} {self.number}".strip()

    @property
    def is_final(self):
        return self.status == RecordStatus.FINAL

    @property
    def number_label(self):
        """文号 for a document issued to the party, 编号 for an internal record."""
        return doc_type(self.doc_type).number_label

    @property
    def public_number(self):
        """The number as the public 扫码验真 page shows it: an internal record's 编号 without
        the 案号 it starts with, which that page keeps to itself."""
        if doc_type(self.doc_type).issued:
            return self.number
        return "案内第 " + self.number.removeprefix(f"{self.case.case_no}-") + " 号"


@append_only
@ledgered(blobs=("image_sha256",))
class Signature(models.Model):
    """A signature, fingerprint or seal on a record, or a refusal to give one.

    It attests exactly the content its section covers (`covers`: the field keys; its hash in
    `content_hash`). Filling a later section leaves it standing; if what it covers changes
    afterwards, it no longer counts and must be given again. `user` is the person who signed
    (an official) and `auth` how the system knew it was him; a party's or witness's signature
    is captured on a handling officer's device (`recorded_by`, its witness of capture)."""

    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="signatures")
    slot = models.CharField("签名栏", max_length=32)
    signer_name = models.CharField("签名人", max_length=60)
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+")
    method = models.CharField("签署方式", max_length=16, choices=SignMethod.choices, blank=True)
    image_sha256 = models.CharField(max_length=64, blank=True)
    refused = models.BooleanField("拒绝签名", default=False)
    refusal_reason = models.TextField("拒签理由", blank=True)
    witness_name = models.CharField("见证人", max_length=60, blank=True)
    video_ref = models.CharField("拒签录像", max_length=200, blank=True)
    content_hash = models.CharField(max_length=64)
    covers = models.JSONField("覆盖栏目", default=list)
    auth = models.CharField("身份确认方式", max_length=16, choices=SignAuth.choices, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    device_time = models.DateTimeField("设备时间", null=True, blank=True)
    signed_at = models.DateTimeField()

    class Meta:
        verbose_name = "签名"
        ordering = ["signed_at", "id"]

    @property
    def sent_later(self):
        """How long after the device's time the server received it, when that is more than a
        clock's drift, else None: a signature captured offline and sent once back online, or
        a device whose clock is behind. The page says only that it reached the system later;
        whether it was captured offline is in its ledger entry's reason."""
        gap = self.signed_at - self.device_time if self.device_time else None
        return gap if gap and gap.total_seconds() > 120 else None


@append_only
@ledgered(blobs=("sha256",))
class Attachment(models.Model):
    """A scan or photo attached to a record, stored byte-for-byte under its SHA-256."""

    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="attachments")
    filename = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField("说明", max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "附件"
        ordering = ["uploaded_at", "id"]


@append_only
@ledgered(blobs=("pdf_sha256",))
class Seal(models.Model):
    """The agency's electronic seal (电子印章) on a finalised record: its PDF signed as PAdES
    with the agency's document-sealing certificate. A later time-stamp (时间戳待补, done by a
    background job) is a further row with the time-stamped PDF, never a change."""

    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="seals")
    pdf_sha256 = models.CharField("签章 PDF SHA-256", max_length=64)
    level = models.CharField("签章级别", max_length=8, choices=SealLevel.choices)
    certificate_sha256 = models.CharField("证书指纹", max_length=64)
    certificate_subject = models.CharField("证书主体", max_length=300)
    timestamp_at = models.DateTimeField("时间戳时间", null=True, blank=True)
    sealed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    sealed_at = models.DateTimeField("签章时间")

    class Meta:
        verbose_name = "电子签章"
        ordering = ["sealed_at", "id"]

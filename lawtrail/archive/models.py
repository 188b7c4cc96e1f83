"""Case files (案卷), legal holds, retention marks, disposal and provision to review bodies.

Everything here is append-only like the records it is about: a hold is released, a
request is decided, a provision is handed over by filling in the one row that was left
open for it, after which the database refuses any change.
"""

from django.conf import settings
from django.db import models

from lawtrail.cases.models import Case
from lawtrail.core.db import append_only
from lawtrail.ledger.registry import ledgered
from lawtrail.media.models import Recording
from lawtrail.records.models import Attachment


@append_only
@ledgered(blobs=("pdf_sha256",))
class CaseFile(models.Model):
    """One assembly of a case's file: the 卷内目录, the recordings it references, the
    备考表, and the whole volume as one PDF. Re-assembling makes a new version."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="case_files")
    version = models.PositiveIntegerField("版本")
    catalog = models.JSONField("卷内目录", default=list)
    recordings = models.JSONField("音像记录目录", default=list)
    record_ids = models.JSONField(default=list)
    notes = models.TextField("本卷情况说明", blank=True)
    page_count = models.PositiveIntegerField("页数")
    pdf_sha256 = models.CharField(max_length=64)
    assembled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assembled_at = models.DateTimeField("立卷时间")

    class Meta:
        verbose_name = "案卷"
        ordering = ["case", "version"]
        constraints = [models.UniqueConstraint(fields=["case", "version"], name="case_file_version_unique")]


class HoldKind(models.TextChoices):
    REVIEW = "review", "行政复议"
    LITIGATION = "litigation", "行政诉讼"
    COMPLAINT = "complaint", "投诉、信访"


@append_only(mutable_while="OLD.released_at IS NULL")
@ledgered()
class LegalHold(models.Model):
    """While a hold is in force nothing of the case expires or may be disposed of."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="holds")
    kind = models.CharField("保全事由", max_length=12, choices=HoldKind.choices)
    reason = models.TextField("说明")
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField("设置时间")
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    released_at = models.DateTimeField("解除时间", null=True, blank=True)
    release_reason = models.TextField("解除理由", blank=True)

    class Meta:
        verbose_name = "保全（暂停销毁）"
        ordering = ["placed_at", "id"]


class Circumstance(models.TextChoices):
    """Circumstances the profiles name for keeping recordings permanently or long-term."""

    OBSTRUCTION = "obstruction", "当事人或者现场其他人员阻碍执法、妨害公务"
    INCIDENT = "incident", "处置重大突发事件、群体性事件"
    MAJOR = "major", "重大、疑难、复杂的执法活动"
    OBJECTION = "objection", "当事人对现场执法、办案有异议或者投诉、上访"
    IMPORTANT = "important", "其他需要长期保存的重要情况"


@append_only
@ledgered()
class RetentionMark(models.Model):
    """A circumstance recorded against a case (all its recordings) or one recording."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="retention_marks")
    recording = models.ForeignKey(Recording, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    circumstance = models.CharField("情形", max_length=12, choices=Circumstance.choices)
    reason = models.TextField("说明")
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    marked_at = models.DateTimeField()

    class Meta:
        verbose_name = "保存情形"
        ordering = ["marked_at", "id"]


class DecisionStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    DENIED = "denied", "不予批准"


@append_only(mutable_while="OLD.status = 'pending'")
@ledgered()
class DisposalRequest(models.Model):
    """An archivist's request to dispose of an expired recording or attachment, and the
    head's decision. Approval removes the content; the row and its ledger entries are
    the tombstone (what, why, who approved, its hash)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="disposal_requests")
    recording = models.ForeignKey(Recording, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    attachment = models.ForeignKey(Attachment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    item_label = models.CharField("销毁对象", max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    retention = models.JSONField("保存期限依据", default=dict)
    reason = models.TextField("申请理由")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=DecisionStatus.choices, default=DecisionStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField("审批意见", blank=True)

    class Meta:
        verbose_name = "销毁申请"
        ordering = ["requested_at", "id"]


class ProvisionPurpose(models.TextChoices):
    REVIEW = "review", "行政复议"
    LITIGATION = "litigation", "行政诉讼"
    ARCHIVE = "archive", "移交档案室"
    OTHER = "other", "其他依法提供"


class ProvisionStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准，待提供"
    DENIED = "denied", "不予批准"
    PROVIDED = "provided", "已提供"


@append_only(mutable_while="OLD.status IN ('pending', 'approved')")
@ledgered(blobs=("package_sha256",))
class Provision(models.Model):
    """Providing a case's package to a review body, a court or the archive room: the
    request, the approval where the profile demands it, and the copy that was handed
    over (kept byte-for-byte) with who received it and when."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="provisions")
    purpose = models.CharField("用途", max_length=12, choices=ProvisionPurpose.choices)
    recipient = models.CharField("接收单位", max_length=120)
    reason = models.TextField("提供理由")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=ProvisionStatus.choices)
    approval_basis = models.CharField("审批依据", max_length=200, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField("审批意见", blank=True)
    package_sha256 = models.CharField(max_length=64, blank=True)
    package_size = models.BigIntegerField(null=True, blank=True)
    provided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    provided_at = models.DateTimeField("提供时间", null=True, blank=True)
    received_by = models.CharField("接收人", max_length=60, blank=True)

    class Meta:
        verbose_name = "对外提供"
        ordering = ["requested_at", "id"]


class RecordingExpiry(models.Model):
    """Derived, not an original: the day a recording's retention ends as its case's facts
    last stood (None: kept permanently, or counted from an archiving date not yet known).
    A background job writes a case's rows after every committed change of the case, so the
    archive worklist asks the database which recordings may have expired instead of working
    out the retention of every archived case on each visit; what it finds there is then
    checked against the live rules (holds, requests, disposals) before it is listed."""

    recording = models.OneToOneField(Recording, on_delete=models.CASCADE, primary_key=True, related_name="expiry")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    expires_on = models.DateField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["expires_on", "case"])]

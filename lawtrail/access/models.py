"""Access grants: a time-limited permission, scoped to one case, that a head approved."""

from django.conf import settings
from django.db import models

from lawtrail.cases.models import Case
from lawtrail.core.db import append_only
from lawtrail.ledger.registry import ledgered


class GrantKind(models.TextChoices):
    VIEW = "view", "查阅涉密案件"
    AV_VIEW = "av_view", "查阅声像资料"
    COPY = "copy", "复制、下载"


class GrantStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    DENIED = "denied", "不予批准"


@append_only(mutable_while="OLD.status = 'pending'")
@ledgered()
class AccessGrant(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grants")
    kind = models.CharField("事项", max_length=12, choices=GrantKind.choices)
    reason = models.TextField("申请理由")
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=GrantStatus.choices, default=GrantStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField("审批意见", blank=True)
    expires_at = models.DateTimeField("有效期至", null=True, blank=True)

    class Meta:
        verbose_name = "调阅许可"
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["user", "case", "kind", "status"])]


class RequesterRole(models.TextChoices):
    PARTY = "party", "当事人本人（或其法定代表人）"
    AGENT = "agent", "委托代理人"


class PartyRequestKind(models.TextChoices):
    READ = "read", "查阅"
    COPY = "copy", "复制"


class PartyRequestStatus(models.TextChoices):
    PENDING = "pending", "待决定"
    GRANTED = "granted", "准予"
    PARTLY = "partly", "部分准予"
    REFUSED = "refused", "不予"


@append_only(mutable_while="OLD.status = 'pending'")
@ledgered()
class PartyRequest(models.Model):
    """A party's (or their agent's) request to read or copy records (政府信息公开). The
    party never gets an account: the archivist registers the request after checking the
    requester's identity, then records the decision, its legal basis and what was provided."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="party_requests")
    party = models.ForeignKey("cases.Party", on_delete=models.PROTECT, related_name="+")
    requester_role = models.CharField("申请人身份", max_length=8, choices=RequesterRole.choices)
    requester_name = models.CharField("申请人", max_length=100)
    requester_id_type = models.CharField("证件类型", max_length=16)
    requester_id_number = models.CharField("证件号码", max_length=40)
    authorization = models.TextField("授权委托书", blank=True)
    identity_check = models.TextField("身份核验")
    kind = models.CharField("申请事项", max_length=8, choices=PartyRequestKind.choices)
    items = models.TextField("申请查阅、复制的记录")
    received_at = models.DateTimeField("收到申请时间")
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=PartyRequestStatus.choices, default=PartyRequestStatus.PENDING)
    legal_basis = models.TextField("法律依据", blank=True)
    decision_reason = models.TextField("决定理由", blank=True)
    provided = models.TextField("提供的内容", blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "当事人查阅复制申请"
        ordering = ["-received_at", "-id"]


@append_only
@ledgered()
class ItemConfidentiality(models.Model):
    """A record or recording more confidential than its case (a minor's face in a routine
    inspection, a company's formula in one document). Marks only ever raise the level."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="item_marks")
    record = models.ForeignKey("records.Record", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recording = models.ForeignKey("media.Recording", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    level = models.CharField("密级", max_length=16)
    reason = models.TextField("理由")
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField()

    class Meta:
        verbose_name = "记录密级"
        ordering = ["set_at", "id"]

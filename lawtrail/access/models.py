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

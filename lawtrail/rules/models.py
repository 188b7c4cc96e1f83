from django.db import models

from lawtrail.cases.models import Case
from lawtrail.core.db import append_only


@append_only
class Finding(models.Model):
    """One change in a rule's verdict on a case. A row is added only when the status or
    the message changes, so the rows of a case and rule are its history: when a violation
    appeared, and when it was cured."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="findings")
    rule_id = models.CharField("规则", max_length=40)
    status = models.CharField("结论", max_length=10)
    severity = models.CharField("严重程度", max_length=8)
    cite = models.CharField("依据", max_length=120)
    message = models.TextField("说明")
    due = models.DateTimeField("期限", null=True, blank=True)
    evaluated_at = models.DateTimeField("评估时间")

    class Meta:
        verbose_name = "合规检查结论"
        ordering = ["evaluated_at", "id"]
        indexes = [models.Index(fields=["case", "rule_id", "-evaluated_at"])]

from django.conf import settings
from django.db import models
from django.utils import timezone

from lawtrail.cases.enums import (
    Confidentiality, IdType, MatterType, OfficerRole, PartyKind, Procedure, Source, Stage,
)
from lawtrail.core.db import append_only
from lawtrail.core.models import ChoiceLabels
from lawtrail.ledger.registry import ledgered
from lawtrail.org.models import Agency, Department, Officer


@ledgered()
class Case(ChoiceLabels, models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="cases")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="cases")
    case_no = models.CharField("案号", max_length=60, unique=True)
    year = models.PositiveIntegerField()
    seq = models.PositiveIntegerField()
    title = models.CharField("案由", max_length=200)
    matter_type = models.CharField("事项类型", max_length=16, choices=MatterType.choices)
    source = models.CharField("案件来源", max_length=16, choices=Source.choices)
    procedure = models.CharField("程序", max_length=16, choices=Procedure.choices, default=Procedure.GENERAL)
    confidentiality = models.CharField(
        "密级", max_length=16, choices=Confidentiality.choices, default=Confidentiality.INTERNAL
    )
    stage = models.CharField("阶段", max_length=16, choices=Stage.choices, default=Stage.INITIATION)
    start_reason = models.TextField("启动原因")
    summary = models.TextField("基本案情", blank=True)
    complainant_name = models.CharField("投诉举报人", max_length=60, blank=True)
    complainant_contact = models.CharField("投诉举报人联系方式", max_length=60, blank=True)
    # 重大执法决定: set by the head (a workflow step); the profile says what it then requires
    # (法制审核, 集体讨论).
    major_decision = models.BooleanField("重大执法决定", default=False)
    emergency = models.BooleanField("紧急先行启动", default=False)
    emergency_reason = models.TextField("紧急情况", blank=True)
    approval_due_at = models.DateTimeField("补办批准期限", null=True, blank=True)
    start_approved_at = models.DateTimeField("启动批准时间", null=True, blank=True)
    start_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    ended_at = models.DateTimeField("执法行为终结时间", null=True, blank=True)
    archived_at = models.DateTimeField("归档时间", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "案件"
        ordering = ["-created_at", "-id"]
        # `seq` counts within the case number's own series (罚, 许 …); `case_no` is the unique one.
        indexes = [
            models.Index(fields=["agency", "stage"]),
            # The case list: an agency's cases, newest first, a page at a time.
            models.Index(fields=["agency", "-created_at", "-id"], name="case_list_order"),
        ]

    def __str__(self):
        return self.case_no

    @property
    def scope(self):
        """The ledger scope that groups every entry about this case."""
        return f"case:{self.pk}"

    @property
    def emergency_overdue(self):
        return (
            self.emergency
            and self.approval_due_at is not None
            and (self.start_approved_at or timezone.now()) > self.approval_due_at
        )

    def team(self):
        """The case's assignments with their officers: those loaded with the case (see
        `with_team`) when they were, else read now."""
        loaded = getattr(self, "_prefetched_objects_cache", {})
        if "assignments" in loaded:
            return list(loaded["assignments"])
        return list(self.assignments.select_related("officer"))

    def handled_by(self, user):
        """Whether this user is one of the case's handling officers."""
        return any(a.officer.user_id == user.pk for a in self.team())

    def forget_loaded(self, *relations):
        """Drop what was loaded with the case of these relations, after a change to them."""
        for relation in relations:
            getattr(self, "_prefetched_objects_cache", {}).pop(relation, None)


@ledgered()
class Party(ChoiceLabels, models.Model):
    """当事人: a person or an organisation, with its identity document."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="parties")
    kind = models.CharField("类型", max_length=16, choices=PartyKind.choices)
    name = models.CharField("姓名或名称", max_length=100)
    id_type = models.CharField("证件类型", max_length=16, choices=IdType.choices)
    id_number = models.CharField("证件号码", max_length=40)
    legal_representative = models.CharField("法定代表人", max_length=40, blank=True)
    address = models.CharField("住所", max_length=200, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "当事人"
        ordering = ["id"]

    def __str__(self):
        return self.name


@ledgered()
class CaseOfficer(ChoiceLabels, models.Model):
    """A handling officer (承办人) of a case."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assignments")
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField("承办角色", max_length=16, choices=OfficerRole.choices)
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "承办人"
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["case", "officer"], name="case_officer_unique")]


@append_only
@ledgered()
class StageTransition(ChoiceLabels, models.Model):
    """One step of the stage workflow, as it happened. Append-only."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="transitions")
    name = models.CharField(max_length=32)
    label = models.CharField(max_length=40)
    from_stage = models.CharField(max_length=16, choices=Stage.choices)
    to_stage = models.CharField(max_length=16, choices=Stage.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "cases_transition"
        ordering = ["at", "id"]


def with_team():
    """For prefetch_related: a case's assignments loaded with their officers in one query
    (`Case.team` then reads no more)."""
    return models.Prefetch("assignments", queryset=CaseOfficer.objects.select_related("officer"))

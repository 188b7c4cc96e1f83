"""Reads of cases, always through the access policy."""

from django.db.models import Count, F, Q
from django.utils import timezone

from lawtrail.cases import workflow
from lawtrail.cases.enums import OPEN_STAGES, STAGE_ORDER, IdType, PartyKind, Stage
from lawtrail.cases.models import Case
from lawtrail.core.policy import visible_cases, visible_entries
from lawtrail.core.text import number_or_none
from lawtrail.ledger.access_log import ACCESS_ACTIONS_REGEX
from lawtrail.ledger.chain import ledger_catch_up
from lawtrail.ledger.labels import action_label
from lawtrail.ledger.selectors import entries_for_scope
from lawtrail.org.enums import Role

FILTERS = ("stage", "matter_type", "source", "procedure", "department")


def case_list(user, *, q="", **filters):
    cases = (
        visible_cases(user)
        .select_related("agency", "department")
        .order_by("-created_at", "-id")
    )
    if q := (q or "").strip():
        cases = cases.filter(
            Q(case_no__icontains=q) | Q(title__icontains=q) | Q(parties__name__icontains=q)
        ).distinct()
    for name in FILTERS:
        if value := filters.get(name):
            cases = cases.filter(**{f"{name}_id" if name == "department" else name: value})
    return cases


# What a row of the case tables (web/_case_table.html) shows.
ROW_FIELDS = ("case_no", "title", "emergency", "start_approved_at", "matter_type", "source", "procedure", "stage",
              "created_at", "department__name")


def case_rows(cases):
    """The cases with only what their table rows show loaded (a page of 25 rows then reads
    ten columns instead of the case's thirty and its agency's)."""
    return cases.select_related(None).select_related("department").only(*ROW_FIELDS)


def counted(cases, name):
    """(value, how many of these cases have it) for each value of the field `name`, in one query."""
    return list(cases.select_related(None).order_by().values_list(name).annotate(n=Count("id")))


def stage_counts(cases):
    """(stage, how many of these cases are in it) for every stage."""
    counts = dict(counted(cases, "stage"))
    return [(stage, counts.get(stage, 0)) for stage in STAGE_ORDER]


def shown_and_total(cases, limit):
    """The first `limit` of these cases, and how many there are in all (counted only when
    the first do not already tell)."""
    shown = list(cases[:limit])
    return shown, cases.count() if len(shown) == limit else len(shown)


def overdue_emergency_starts(cases, now=None):
    """Emergency starts approved after their deadline or still waiting past it
    (`Case.emergency_overdue`, asked of the database), the earliest deadline first."""
    now = now or timezone.now()
    return cases.filter(emergency=True, approval_due_at__isnull=False).filter(
        Q(start_approved_at__gt=F("approval_due_at")) | Q(start_approved_at__isnull=True, approval_due_at__lt=now)
    ).order_by("approval_due_at", "id")


def my_open_cases(user):
    return case_list(user).filter(assignments__officer__user=user, stage__in=OPEN_STAGES)


def pending_approvals(user):
    """Cases waiting for this user's decision: start, emergency start, decision, archiving."""
    cases = case_list(user)
    if user.role == Role.HEAD:
        return cases.filter(
            Q(stage=Stage.INITIATION, procedure="general")
            | Q(stage=Stage.DECISION)
            | Q(emergency=True, start_approved_at__isnull=True)
        )
    if user.role == Role.REVIEWER:
        return cases.filter(stage=Stage.DECISION)
    if user.role == Role.ARCHIVIST:
        return cases.filter(stage=Stage.ARCHIVING)
    return cases.none()


def returned_cases(user):
    """The cases this officer handles that a reviewer or head sent back for more
    investigation (退回补充调查), with the step that returned them."""
    returned = []
    cases = my_open_cases(user).filter(stage=Stage.INVESTIGATION, transitions__name="return_investigation")
    for case in cases.distinct():
        last = case.transitions.order_by("-at", "-id").first()
        if last is not None and last.name == "return_investigation":
            returned.append((case, last))
    return returned


def legal_reviews_awaited(user):
    """For a reviewer: the cases in 审查决定 that need the 法制审核 step and have not had it."""
    if user.role != Role.REVIEWER:
        return []
    step = workflow.TRANSITIONS["legal_review"]
    return [case for case in case_list(user).filter(stage=Stage.DECISION).select_related("agency")
            if workflow.applies(step, case)]


def available_transitions(case, user, findings=None):
    """The workflow steps this user could take now, each with its refusals (empty when allowed).
    `findings`: the case's rules as the caller evaluated them (the case page), reused by the gates."""
    steps = []
    for transition in workflow.TRANSITIONS.values():
        if user.role not in transition.roles or not workflow.applies(transition, case):
            continue
        steps.append((transition, workflow.refusals(transition, case, user, None, findings=findings)))
    return steps


def case_trail(case, changes_only=False):
    """The case's ledger entries; `changes_only` leaves out the reads (every view of the
    case is an entry of its own: the access log answers who has seen it). Entries of the
    case still waiting for the batched chain are chained first: a change made a moment ago
    is in the trail."""
    ledger_catch_up(case.scope, but=ACCESS_ACTIONS_REGEX if changes_only else None)
    entries = entries_for_scope(case.scope)
    if changes_only:
        entries = entries.exclude(action__regex=ACCESS_ACTIONS_REGEX)
    return visible_entries(case.viewer, entries, [case]) if getattr(case, "viewer", None) else entries


TEAM_ACTIONS = ("case.assign", "party.add")


def team_changes(case, trail):
    """Who put each handling officer and party on the case, and when: the registration and
    every later change, from the case's `trail` as `described` gives it to the viewer (an
    entry restricted to him is left out, its reason with it)."""
    officers = {str(a.pk): a for a in case.team()}
    parties = {str(p.pk): p for p in case.parties.all()}
    changes = []
    for entry in trail:
        if getattr(entry, "restricted", False) or entry.action not in TEAM_ACTIONS:
            continue
        if entry.action == "case.assign" and entry.object_id in officers:
            assignment = officers[entry.object_id]
            what = f"{assignment.officer.name}（{assignment.get_role_display()}）"
        elif entry.action == "party.add" and entry.object_id in parties:
            what = parties[entry.object_id].name
        else:
            continue
        changes.append({"time": entry.time, "by": entry.who, "action": action_label(entry.action), "what": what,
                        "reason": entry.reason})
    return changes


def stage_overview():
    """Every case with its agency, profile and party count (for `lawtrail cases`)."""
    return (
        Case.objects.select_related("agency")
        .annotate(party_count=Count("parties"))
        .order_by("agency__code", "year", "seq")
    )


def party_details(party):
    """What a record about this party fills in from it: its name (受送达人), and the person
    questioned for it (a 询问笔录's 被询问人: the party himself, or an organisation's legal
    representative, who works there), with 性别 and 出生日期 read from a resident ID number
    (its 7th–14th digits and the parity of its 17th)."""
    person = party.kind == PartyKind.PERSON
    details = {"name": party.name, "person": party.name if person else party.legal_representative or None,
               "person_id": party.id_number if person else None, "address": party.address or None,
               "phone": party.phone or None, "gender": None, "birth": None,
               "employer": None if person else party.name}
    number = party.id_number or ""
    if person and party.id_type == IdType.RESIDENT_ID and len(number) == 18 and number[:17].isdigit():
        details["gender"] = "男" if int(number[16]) % 2 else "女"
        details["birth"] = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    return details


def case_party(case, pk):
    """A party of this case that a form names, or None (the service says what is missing)."""
    return case.parties.filter(pk=number_or_none(pk)).first() if pk else None


def newest_case(user):
    """(id, created_at) of the newest case of the user's agency: what a cached count of his
    case list depends on."""
    return Case.objects.filter(agency_id=user.agency_id).order_by("-id").values_list("id", "created_at").first()


def team_officer(case, officer_id):
    """A handling officer of the case that a form names, or None."""
    officer_id = number_or_none(officer_id)
    return next((a.officer for a in case.team() if a.officer_id == officer_id), None)

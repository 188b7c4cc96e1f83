"""Who may see what: the one place every view, API endpoint and command asks.

Objects of another agency do not exist for a user (404, not 403). Officers see the
cases of their department and those they handle; heads, reviewers, archivists and
supervisors see their agency; admins manage people and never read records.

Confidentiality: a case marked 个人隐私, 商业秘密 or 国家秘密 (and every record and recording
in it) is seen only by its handling officers, the agency's heads, and whoever holds an
approved, unexpired grant for it; for everyone else it is absent from every list and
search. Copying (downloading originals, PDFs, packages) of such a case needs a `copy`
grant, and where the profile demands it (002 第十五条) playing or downloading recordings
needs an `av_view` grant too.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Q
from django.utils import timezone

from lawtrail.cases.enums import Confidentiality, Stage
from lawtrail.cases.models import Case, CaseOfficer, with_team
from lawtrail.core.errors import InvalidInput, NotAllowed, NotFound
from lawtrail.core.policy import RESTRICTED_CASE, RESTRICTED_ENTRY  # noqa: F401 (pages import them from here)
from lawtrail.core.prepared import Prepared
from lawtrail.ledger.models import Entry
from lawtrail.org.enums import Role


CONFIDENTIAL = (Confidentiality.PRIVACY, Confidentiality.COMMERCIAL, Confidentiality.STATE_SECRET)


def granted_cases(user, kind):
    """Ids of the cases this user holds an approved, unexpired grant of this kind for."""
    from lawtrail.access.models import AccessGrant, GrantStatus

    return AccessGrant.objects.filter(user=user, kind=kind, status=GrantStatus.APPROVED,
                                      expires_at__gt=timezone.now()).values("case_id")


def handled_cases(user):
    """Ids of the cases this user is a handling officer of."""
    return CaseOfficer.objects.filter(officer__user=user).values("case_id")


def visible_cases(user):
    if not user.is_authenticated or user.role == Role.ADMIN or user.agency_id is None:
        return Case.objects.none()
    cases = Case.objects.filter(agency_id=user.agency_id)
    if user.role == Role.HEAD:
        return cases
    # The cases handled, and of the others those not confidential or granted (for an
    # officer: of their department).
    handled = handled_cases(user)
    shown = ~Q(confidentiality__in=CONFIDENTIAL) | Q(pk__in=granted_cases(user, "view"))
    if user.role == Role.OFFICER:
        shown &= Q(department_id=user.department_id)
    return cases.filter(Q(pk__in=handled) | shown)


def _cases_seen_confidential(user):
    """Ids of the cases whose confidential items this user sees (head: all of the agency's;
    others: those they handle or hold a view grant for)."""
    if user.role == Role.HEAD:
        return Case.objects.filter(agency_id=user.agency_id).values("pk")
    handled = handled_cases(user)
    return Case.objects.filter(Q(pk__in=handled) | Q(pk__in=granted_cases(user, "view"))).values("pk")


def visible_items(user, items, kind):
    """Records (kind "record") or recordings ("recording") of any cases, as this user may see
    them: of visible cases, less those marked more confidential than their case that he may
    not see. For lists that span cases (a device's recordings, sample draws)."""
    from lawtrail.access.models import ItemConfidentiality

    marked = ItemConfidentiality.objects.filter(level__in=CONFIDENTIAL, **{f"{kind}__isnull": False}).exclude(
        case__in=_cases_seen_confidential(user)).values(f"{kind}_id")
    return items.filter(case__in=visible_cases(user)).exclude(pk__in=marked)


def agency_cases(user):
    """Every case a worklist or a statistic of this user must count: his agency's (an
    officer's: his department's and those he handles). A case among them that is not in
    `visible_cases` is shown as a restricted row: its 案号, stage and deadline, nothing else."""
    if not user.is_authenticated or user.role == Role.ADMIN or user.agency_id is None:
        return Case.objects.none()
    cases = Case.objects.filter(agency_id=user.agency_id)
    if user.role == Role.OFFICER:
        handled = handled_cases(user)
        cases = cases.filter(Q(department_id=user.department_id) | Q(pk__in=handled))
    return cases


def visible_case_ids(user, case_ids):
    """Of these case ids, those this user may see."""
    return set(visible_cases(user).filter(pk__in=list(case_ids)).values_list("pk", flat=True))


def _holds(user, case, kind):
    return granted_cases(user, kind).filter(case_id=case.pk).exists()


def check_copy(user, case, what="复制、下载"):
    """Downloading originals, PDFs or packages of a confidential case (or of a case holding
    confidential records) needs a grant."""
    from lawtrail.access.models import ItemConfidentiality

    if user.role == Role.HEAD or case.handled_by(user) or _holds(user, case, "copy"):
        return
    if case.confidentiality in CONFIDENTIAL:
        raise NotAllowed(f"本案为{case.get_confidentiality_display()}案件，{what}须经负责人批准（请申请复制许可）")
    if ItemConfidentiality.objects.filter(case=case, level__in=CONFIDENTIAL).exists():
        raise NotAllowed(f"本案含有涉密记录，{what}须经负责人批准（请申请复制许可）")


def check_av_view(user, case):
    """Where the profile demands it, playing a recording needs the head's approval."""
    from lawtrail.regulations.profiles import get_profile

    profile = get_profile(case.agency.profile)
    if profile.get("access.av_view_approval") and user.role != Role.HEAD and not case.handled_by(user) \
            and not _holds(user, case, "av_view"):
        raise NotAllowed(f"查阅声像资料须经负责人批准（{profile.cite('access')}），请先申请查阅许可")


def may_see(user, case):
    """Whether `visible_cases(user)` holds this case, decided from the case as loaded with its
    team (`with_team`): the same rule, asked of one case without compiling its subqueries
    (the case page's most costly query). A grant is read only when nothing else decides."""
    if not user.is_authenticated or user.role == Role.ADMIN or user.agency_id is None \
            or case.agency_id != user.agency_id:
        return False
    if user.role == Role.HEAD or case.handled_by(user):
        return True
    if user.role == Role.OFFICER and case.department_id != user.department_id:
        return False
    return case.confidentiality not in CONFIDENTIAL or _holds(user, case, "view")


def case_for(user, pk):
    """The case, if this user may see it (`may_see`). The case remembers who asked
    (`viewer`), so that the selectors listing its records and recordings leave out the items
    marked more confidential than the case that this user may not see."""
    case = Case.objects.filter(pk=pk).select_related("agency", "department").prefetch_related(with_team()).first()
    if case is None or not may_see(user, case):
        raise NotFound("案件不存在或您无权查看")
    case.viewer = user
    return case


def _sees_confidential(user, case):
    return user.role == Role.HEAD or case.handled_by(user) or _holds(user, case, "view")


def hidden_items(case):
    """(record ids, recording ids) of the case that its viewer may not see."""
    user = getattr(case, "viewer", None)
    if user is None:
        return set(), set()
    if not hasattr(case, "_hidden_items"):
        case._hidden_items = _hidden_ids(user, [case]).get(case.pk, (set(), set()))
    return case._hidden_items


def _marks_of_case(case_id):
    from lawtrail.access.models import ItemConfidentiality

    return ItemConfidentiality.objects.filter(case_id=case_id, level__in=CONFIDENTIAL).values_list(
        "case_id", "record_id", "recording_id")


_MARKS_OF_CASE = Prepared(_marks_of_case, int)  # (compiled once)


def _hidden_ids(user, cases):
    """{case id: (record ids, recording ids) this user may not see}, for the cases that
    have any (one query for all the cases' marks)."""
    from lawtrail.access.models import ItemConfidentiality

    cases = {case.pk: case for case in cases}
    marked = defaultdict(list)
    if len(cases) == 1:  # (every case page)
        marks = _MARKS_OF_CASE.rows(next(iter(cases)))
    else:
        marks = ItemConfidentiality.objects.filter(case_id__in=list(cases), level__in=CONFIDENTIAL).values_list(
            "case_id", "record_id", "recording_id")
    for case_id, record_id, recording_id in marks:
        marked[case_id].append((record_id, recording_id))
    return {case_id: ({r for r, _ in marks if r}, {r for _, r in marks if r})
            for case_id, marks in marked.items() if not _sees_confidential(user, cases[case_id])}


HIDDEN_NAME = "〔无权查看的记录〕"


def hidden_names(user, cases):
    """{case id: the 文号 and file names of its items this user may not see}: messages
    about a case (its checklist, the dashboard's findings) are shown with these blanked,
    so that they never name what the case's lists leave out."""
    return {case_id: item_names(records, recordings)
            for case_id, (records, recordings) in _hidden_ids(user, cases).items()}


def item_names(record_ids, recording_ids):
    """The 文号 and file names of these records and recordings, longest first (for `redact`)."""
    from lawtrail.media.models import Recording
    from lawtrail.records.models import Record

    if not record_ids and not recording_ids:
        return []
    found = {*Record.objects.filter(pk__in=record_ids).values_list("number", flat=True),
             *Recording.objects.filter(pk__in=recording_ids).values_list("filename", flat=True)}
    return sorted((name for name in found if name), key=len, reverse=True)


def redact(text, names):
    for name in names:
        text = text.replace(name, HIDDEN_NAME)
    return text


def redact_findings(user, findings):
    """Stored findings (each with its case loaded), their messages blanked for this user
    as `hidden_names` says, in memory only; a finding of a case he may not see keeps only
    its case number, rule and deadline (`restricted`)."""
    seen = visible_case_ids(user, {f.case_id for f in findings})
    names = hidden_names(user, {f.case for f in findings if f.case_id in seen})
    for finding in findings:
        finding.restricted = finding.case_id not in seen
        if finding.restricted:
            finding.message = RESTRICTED_CASE
        elif finding.case_id in names:
            finding.message = redact(finding.message, names[finding.case_id])
    return findings


# Ledger entries about a record or recording, by the object they name: how to find the
# items each object belongs to ({field: "record" | "recording"}).
ITEM_LINKS = {
    "records.record": {"pk": "record"},
    "records.signature": {"record_id": "record"},
    "records.attachment": {"record_id": "record"},
    "media.recording": {"pk": "recording"},
    "media.gapexplanation": {"before_id": "recording", "after_id": "recording"},
    "access.itemconfidentiality": {"record_id": "record", "recording_id": "recording"},
    "supervision.playbackcheck": {"recording_id": "recording"},
    "archive.retentionmark": {"recording_id": "recording"},
    "archive.disposalrequest": {"recording_id": "recording"},
}


@dataclass(frozen=True)
class RestrictedEntry:
    """What a user who may not see an entry's item learns of it: that it exists, its place in
    the ledger and its hash (so proofs still chain), nothing else."""

    seq: int
    entry_hash: str
    restricted: bool = True
    action: str = RESTRICTED_ENTRY
    time = None
    actor = object_type = object_id = object_hash = reason = ""


def _case_id(entry):
    return int(entry.scope[5:]) if entry.scope.startswith("case:") else None


def restricted_seqs(user, entries, cases=None):
    """The sequence numbers among these entries (of any cases; `cases` when already loaded
    with their teams) that this user may not read: those about a record or recording hidden
    from him, or whose reason names one."""
    if cases is None:
        ids = {_case_id(e) for e in entries} - {None}
        cases = Case.objects.filter(pk__in=ids).prefetch_related(with_team()) if ids else []
    # A case loaded for this user (case_for) already knows its hidden items: the case page
    # asks for them anyway, so its trail reuses them instead of asking again.
    known = [case for case in cases if getattr(case, "viewer", None) == user]
    others = [case for case in cases if getattr(case, "viewer", None) != user]
    marks = [hidden_items(case) for case in known] + list(_hidden_ids(user, others).values())
    records = {r for hidden_records, _ in marks for r in hidden_records}
    recordings = {r for _, hidden_recordings in marks for r in hidden_recordings}
    if not records and not recordings:
        return set()
    hidden = {"record": records, "recording": recordings}
    names = item_names(records, recordings)
    by_type = defaultdict(list)
    for entry in entries:
        by_type[entry.object_type].append(entry)
    restricted = set()
    for object_type, found in by_type.items():
        links = ITEM_LINKS.get(object_type)
        if links is None:
            continue
        model = apps.get_model(object_type)
        ids = {int(e.object_id) for e in found if e.object_id.isdigit()}
        for row in model.objects.filter(pk__in=ids).values("pk", *links):
            if any(row[field] in hidden[kind] for field, kind in links.items()):
                restricted |= {e.seq for e in found if e.object_id == str(row["pk"])}
    restricted |= {e.seq for e in entries if any(name in (e.reason or "") for name in names)}
    return restricted


def visible_entries(user, entries, cases=None):
    """Entries as this user may read them: each restricted one as a RestrictedEntry."""
    entries = list(entries)
    restricted = restricted_seqs(user, entries, cases)
    return [RestrictedEntry(e.seq, e.entry_hash) if e.seq in restricted else e for e in entries]


def item_level(case, record=None, recording=None):
    """The confidentiality of a record or recording: its case's, or higher if marked."""
    from lawtrail.access.models import ItemConfidentiality

    order = [level.value for level in Confidentiality]
    marks = ItemConfidentiality.objects.filter(case=case, record=record, recording=recording)
    return max([case.confidentiality, *marks.values_list("level", flat=True)], key=order.index)


# Who makes a case's records (documents, recordings) while it is open.
CASE_WRITERS = (Role.OFFICER, Role.HEAD, Role.REVIEWER)
CLOSED_STAGES = (Stage.ARCHIVED, Stage.CLOSED)


def require_role(user, roles, what):
    """Refuse, naming who may, when the user's role is not one of `roles`."""
    if user.role not in roles:
        raise NotAllowed(f"{what}须由" + "、".join(Role(r).label for r in roles) + "办理")


def check_case_writer(user, case, what="制作或修改文书", record=None):
    """May this user add records to this case (or change this record) now? Raises the
    reason otherwise. A grant lets its holder read a confidential case or item, never write
    in it: that stays with its handling officers and the head."""
    if user.agency_id != case.agency_id:
        raise NotFound("案件不存在或您无权查看")
    if user.role not in CASE_WRITERS:
        raise NotAllowed(f"只有执法人员、审核人员或负责人可以{what}")
    if case.stage in CLOSED_STAGES:
        raise InvalidInput(f"案件已处于“{case.get_stage_display()}”阶段，不能再{what}")
    level = item_level(case, record=record) if record is not None else case.confidentiality
    if level in CONFIDENTIAL and user.role != Role.HEAD and not case.handled_by(user):
        raise NotAllowed(f"{Confidentiality(level).label}的案件或文书只能由本案承办人或负责人{what}；"
                         "调阅许可只允许查看")


def entry_for(user, seq):
    """A ledger entry, if the user may see the object it is about.

    Entries carry reasons and actors, so they are as visible as their case (an entry about
    an item hidden from the user comes as a RestrictedEntry); entries outside any case
    (agencies, users) only to admins.
    """
    entry = Entry.objects.filter(seq=seq).first()
    if entry is not None:
        if entry.scope.startswith("case:"):
            case = case_for(user, int(entry.scope.split(":", 1)[1]))
            [entry] = visible_entries(user, [entry], [case])
            return entry
        if user.is_authenticated and user.role == Role.ADMIN:
            return entry
    raise NotFound("账本条目不存在或您无权查看")


"""Who may see what: the one place every view, API endpoint and command asks.

Objects of another agency do not exist for a user (404, not 403). Officers see the
cases of their department and those they handle; heads, reviewers, archivists and
supervisors see their agency; admins manage people and never read records.
"""

from django.db.models import Q

from lawtrail.cases.enums import Stage
from lawtrail.cases.models import Case
from lawtrail.core.errors import InvalidInput, NotAllowed, NotFound
from lawtrail.ledger.models import Entry
from lawtrail.org.enums import Role


def visible_cases(user):
    if not user.is_authenticated or user.role == Role.ADMIN or user.agency_id is None:
        return Case.objects.none()
    cases = Case.objects.filter(agency_id=user.agency_id)
    if user.role == Role.OFFICER:
        handled = Case.objects.filter(assignments__officer__user=user).values("pk")
        cases = cases.filter(Q(department_id=user.department_id) | Q(pk__in=handled))
    return cases


def case_for(user, pk):
    case = visible_cases(user).filter(pk=pk).select_related("agency", "department").first()
    if case is None:
        raise NotFound("案件不存在或您无权查看")
    return case


# Who makes a case's records (documents, recordings) while it is open.
CASE_WRITERS = (Role.OFFICER, Role.HEAD, Role.REVIEWER)
CLOSED_STAGES = (Stage.ARCHIVED, Stage.CLOSED)


def check_case_writer(user, case, what="制作或修改文书"):
    """May this user add records to this case now? Raises the reason otherwise."""
    if user.agency_id != case.agency_id:
        raise NotFound("案件不存在或您无权查看")
    if user.role not in CASE_WRITERS:
        raise NotAllowed(f"只有执法人员、审核人员或负责人可以{what}")
    if case.stage in CLOSED_STAGES:
        raise InvalidInput(f"案件已{case.get_stage_display()}，不能再{what}")


def entry_for(user, seq):
    """A ledger entry, if the user may see the object it is about.

    Entries carry reasons and actors, so they are as visible as their case; entries
    outside any case (agencies, users) only to admins.
    """
    entry = Entry.objects.filter(seq=seq).first()
    if entry is not None:
        if entry.scope.startswith("case:"):
            case_for(user, int(entry.scope.split(":", 1)[1]))
            return entry
        if user.is_authenticated and user.role == Role.ADMIN:
            return entry
    raise NotFound("账本条目不存在或您无权查看")


# Roles that hold approvals, supervision or administration sign in with a second factor.
TWO_FACTOR_ROLES = (Role.HEAD, Role.SUPERVISOR, Role.ADMIN)


def needs_two_factor(user):
    return user.is_authenticated and user.role in TWO_FACTOR_ROLES

"""Who may see what: the one place every view, API endpoint and command asks.

Objects of another agency do not exist for a user (404, not 403). Officers see the
cases of their department and those they handle; heads, reviewers, archivists and
supervisors see their agency; admins manage people and never read records.
"""

from django.db.models import Q

from lawtrail.cases.models import Case
from lawtrail.core.errors import NotFound
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

"""The permission matrix: every role, in and out of the case's department and agency, at
every confidentiality class, for the same actions through the web UI and the API —
including guessed ids. 404 means "does not exist for you", 403 "exists, not allowed"."""

import pytest
from django.test import Client

from lawtrail.cases.enums import Confidentiality
from lawtrail.org.enums import Role
from lawtrail.testing import Org, sign_in

pytestmark = pytest.mark.django_db

# actor -> {class: (view case, download a PDF, add a record)} as HTTP statuses
OPEN = {
    "handling officer": (200, 200, 201),
    "officer, same department": (200, 200, 201),
    "officer, other department": (404, 404, 404),
    "reviewer": (200, 200, 201),
    "head": (200, 200, 201),
    "archivist": (200, 200, 403),
    "supervisor": (200, 200, 403),
    "admin": (404, 404, 404),
    "head of another agency": (404, 404, 404),
}
CONFIDENTIAL = {
    "handling officer": (200, 200, 201),
    "officer, same department": (404, 404, 404),
    "officer, other department": (404, 404, 404),
    "reviewer": (404, 404, 404),
    "head": (200, 200, 201),
    "archivist": (404, 404, 404),
    "supervisor": (404, 404, 404),
    "admin": (404, 404, 404),
    "head of another agency": (404, 404, 404),
}
LEVELS = [
    (Confidentiality.PUBLIC, OPEN),
    (Confidentiality.INTERNAL, OPEN),
    (Confidentiality.PRIVACY, CONFIDENTIAL),
    (Confidentiality.COMMERCIAL, CONFIDENTIAL),
    (Confidentiality.STATE_SECRET, CONFIDENTIAL),
]


def actors(org, other):
    from lawtrail.org.services import user_create
    from lawtrail.testing import PASSWORD

    admin = user_create(actor=None, username=f"admin.{org.agency.code}", password=PASSWORD, full_name="管理员",
                        role=Role.ADMIN, agency=org.agency)
    return {
        "handling officer": org.officer_users[0],
        "officer, same department": org.user(Role.OFFICER),
        "officer, other department": org.user(Role.OFFICER, department=org.legal),
        "reviewer": org.users[Role.REVIEWER],
        "head": org.head,
        "archivist": org.users[Role.ARCHIVIST],
        "supervisor": org.users[Role.SUPERVISOR],
        "admin": admin,
        "head of another agency": other.head,
    }


@pytest.mark.parametrize("level,expected", LEVELS, ids=[level.value for level, _ in LEVELS])
def test_the_permission_matrix(level, expected):
    org, other = Org("m"), Org("mo")
    case = org.open_case(title=f"矩阵{level.label}案", confidentiality=level)
    record = org.final_record(case, "filing_approval")
    for name, user in actors(org, other).items():
        view, download, write = expected[name]
        client = sign_in(Client(), user)
        got = (
            client.get(f"/cases/{case.pk}/").status_code,
            client.get(f"/api/cases/{case.pk}").status_code,
            client.get(f"/api/cases/{case.pk}/records").status_code,
            client.get(f"/cases/{case.pk}/records/{record.pk}/").status_code,
            client.get(f"/api/cases/{case.pk}/records/{record.pk}/pdf").status_code,
            client.get(f"/cases/{case.pk}/records/{record.pk}/pdf/").status_code,
            client.post(f"/api/cases/{case.pk}/records", {"doc_type": "inquiry_record"},
                        content_type="application/json").status_code,
        )
        assert got == (view, view, view, view, download, download, write), f"{name} on {level.label}: {got}"
        listed = client.get("/api/cases").json() if user.role != Role.ADMIN else []
        assert (case.case_no in str(listed)) == (view == 200), name
        page = client.get("/cases/", {"q": "矩阵"}).content.decode()
        assert (f"矩阵{level.label}案" in page) == (view == 200), name


def test_guessed_ids_name_nothing(org):
    other = Org("g")
    theirs = other.open_case()
    record = other.final_record(theirs, "filing_approval")
    client = sign_in(Client(), org.head)
    for url in (f"/api/cases/{theirs.pk}", f"/api/cases/{theirs.pk}/records/{record.pk}",
                f"/api/cases/{theirs.pk}/records/{record.pk}/pdf", f"/api/cases/{theirs.pk}/recordings",
                f"/api/cases/{theirs.pk}/case-file", f"/api/cases/{theirs.pk}/retention",
                f"/api/cases/{theirs.pk}/package", f"/cases/{theirs.pk}/", f"/cases/{theirs.pk}/archive/",
                f"/cases/{theirs.pk}/records/{record.pk}/", "/api/cases/999999999999", "/cases/999999999999999999/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert other.agency.name not in response.content.decode() and theirs.title not in response.content.decode()


def test_one_case_is_seen_exactly_when_the_visible_cases_hold_it(monkeypatch):
    """`case_for` decides on the case it loaded (`may_see`); `visible_cases` filters lists in
    the database. The two must never differ: every role, at every confidentiality class,
    in and out of the department and the agency, handling or not, with a view grant, a copy
    or recordings grant only, a view grant asked for and not yet decided or refused, all again
    once the grants have expired, without a department or an agency, and signed out."""
    import datetime
    import types

    from django.contrib.auth.models import AnonymousUser
    from django.utils import timezone

    from lawtrail.access import policy
    from lawtrail.cases.models import with_team
    from lawtrail.access.services import grant_decide, grant_request
    from lawtrail.core.errors import NotFound
    from lawtrail.org.models import User

    org, other = Org("d"), Org("do")
    people = actors(org, other)
    moved = org.officer_users[1]  # handles the cases, but works in another department now
    User.objects.filter(pk=moved.pk).update(department=org.legal)
    people["handling officer of another department"] = User.objects.get(pk=moved.pk)
    nowhere = org.user(Role.OFFICER)  # an account whose agency and department were taken away
    User.objects.filter(pk=nowhere.pk).update(agency=None, department=None)
    people["officer without an agency"] = User.objects.get(pk=nowhere.pk)
    adrift = org.user(Role.OFFICER)
    User.objects.filter(pk=adrift.pk).update(department=None)
    people["officer without a department"] = User.objects.get(pk=adrift.pk)
    asking, refused = org.user(Role.OFFICER), org.user(Role.REVIEWER)
    people.update({"officer asking for a view grant": asking, "reviewer refused a view grant": refused})
    granted = {}
    for kind in ("view", "copy", "av_view"):
        granted[kind] = [org.user(Role.OFFICER), org.user(Role.REVIEWER), org.user(Role.OFFICER, department=org.legal),
                         org.user(Role.SUPERVISOR)]
        people.update({f"{user.get_role_display()} {user.username}, {kind} granted": user for user in granted[kind]})
    cases = [org.open_case(title=f"差异{level.label}案", confidentiality=level) for level in Confidentiality]
    for case in cases:
        for kind, users in granted.items():
            for user in users:
                grant = grant_request(actor=user, case=case, kind=kind, reason="核查")
                grant_decide(actor=org.head, grant=grant, approve=True, reason="同意", days=7)
        grant_request(actor=asking, case=case, kind="view", reason="核查")
        grant_decide(actor=org.head, grant=grant_request(actor=refused, case=case, kind="view", reason="核查"),
                     approve=False, reason="无须查阅")
    seen = {True: 0, False: 0}
    for later in (0, 8):  # today, and after every grant has expired
        clock = types.SimpleNamespace(now=lambda later=later: timezone.now() + datetime.timedelta(days=later))
        monkeypatch.setattr(policy, "timezone", clock)
        for case in cases:
            for name, user in [*people.items(), ("signed out", AnonymousUser())]:
                expected = policy.visible_cases(user).filter(pk=case.pk).exists() if user.is_authenticated else False
                loaded = type(case).objects.prefetch_related(with_team()).get(pk=case.pk)  # as case_for loads it
                assert policy.may_see(user, loaded) is expected, (case.title, name, later)
                if expected:
                    assert policy.case_for(user, case.pk).pk == case.pk
                else:
                    with pytest.raises(NotFound):
                        policy.case_for(user, case.pk)
                seen[expected] += 1
    assert seen[True] > 50 and seen[False] > 50  # both answers asked many times

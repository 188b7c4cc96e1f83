"""Reads of API tokens and second-factor set-up, as each user may see them."""

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from lawtrail.core.errors import NotFound
from lawtrail.core.lookups import named
from lawtrail.org.enums import TWO_FACTOR_ROLES, EnrolmentStatus, Role
from lawtrail.org.models import ApiToken, Department, Officer, TwoFactorEnrolment, User


def tokens_for(user):
    """The API tokens this user may list and revoke: their own; the admin, everyone's."""
    tokens = ApiToken.objects.select_related("user", "revocation", "revocation__revoked_by").order_by("-id")
    return tokens if user.role == Role.ADMIN else tokens.filter(user=user)


def token_for(user, pk):
    token = tokens_for(user).filter(pk=pk).first()
    if token is None:
        raise NotFound("令牌不存在或您无权查看")
    return token


def two_factor_accounts(q=""):
    """The active users who sign in with a second factor (or match `q`), each with
    `enrolled` (a confirmed authenticator) and `pending_code` (an enrolment code issued
    and still valid), for the admin's page."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    users = User.objects.filter(is_active=True).select_related("agency")
    q = (q or "").strip()
    users = users.filter(Q(username__icontains=q) | Q(full_name__icontains=q)) if q else \
        users.filter(role__in=TWO_FACTOR_ROLES)
    return users.annotate(
        enrolled=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
        pending_code=Exists(TwoFactorEnrolment.objects.filter(user=OuterRef("pk"), status=EnrolmentStatus.ISSUED,
                                                             expires_at__gt=timezone.now())),
    ).order_by("agency__code", "role", "username")


def account_for(user, pk):
    """A user the admin manages (admins manage everyone; nobody else anyone)."""
    if user.role != Role.ADMIN:
        raise NotFound("用户不存在或您无权查看")
    account = User.objects.filter(pk=pk).first()
    if account is None:
        raise NotFound("用户不存在或您无权查看")
    return account


def valid_enrolment(user, pk):
    """The user's enrolment code of that id if it may still be used (a set-up in progress), or None."""
    from lawtrail.org.services import enrolment_problem

    enrolment = TwoFactorEnrolment.objects.filter(pk=pk, user=user).first() if pk else None
    return enrolment if enrolment is not None and enrolment_problem(enrolment) is None else None


def departments_of(user):
    """The departments of the user's own agency (the choices of every form)."""
    return Department.objects.filter(agency_id=user.agency_id)


def officers_of(user):
    """The officers of the user's own agency, by name."""
    return Officer.objects.filter(agency_id=user.agency_id).order_by("name")


def department_for(user, pk):
    return named(departments_of(user), pk, "所选部门不存在")


def officer_for(user, pk):
    return named(officers_of(user), pk, "所选执法人员不存在")


def user_named(viewer, username):
    """A user of the viewer's agency by account name, or None."""
    return User.objects.filter(username=username, agency_id=viewer.agency_id).first()


def user_called(viewer, text):
    """A user of the viewer's agency by account name, or by his name (姓名) when only one
    person of the agency bears it; else None (what a person types to find a colleague)."""
    found = user_named(viewer, text)
    if found is None:
        named = list(User.objects.filter(agency_id=viewer.agency_id, full_name=text)[:2])
        found = named[0] if len(named) == 1 else None
    return found


"""Answers from the access log, limited to what the asking user may see."""

import datetime

from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from lawtrail.access.models import AccessGrant, GrantStatus, ItemConfidentiality, PartyRequest
from lawtrail.access.policy import CONFIDENTIAL, visible_cases
from lawtrail.cases.models import Case
from lawtrail.core.errors import NotFound
from lawtrail.core.lookups import named
from lawtrail.core.prepared import Prepared
from lawtrail.ledger.access_log import ACCESS_ACTIONS_REGEX
from lawtrail.ledger.models import Entry


def access_entries(viewer):
    """Access entries about the cases the viewer may see, newest first."""
    scopes = visible_cases(viewer).annotate(
        scope=Concat(Value("case:"), Cast("pk", CharField()), output_field=CharField())).values("scope")
    return Entry.objects.filter(action__regex=ACCESS_ACTIONS_REGEX, scope__in=scopes).order_by("-seq")


def who_accessed(viewer, object_type, object_id):
    """Who has seen this recording (or record, or case)?"""
    return access_entries(viewer).filter(object_type=object_type, object_id=str(object_id))


def accessed_by(viewer, user):
    """What did this user look at?"""
    return access_entries(viewer).filter(actor_id=user.pk)


def under_grant(actor, scope):
    """Name the grant an access relied on, when the user holds one for the case (the
    access log adds it to the entry: access/apps.py)."""
    if actor is None or not scope.startswith("case:"):
        return ""
    grants = _GRANTS_HELD.rows(actor.pk, int(scope.split(":", 1)[1]), timezone.now())
    return "，依据调阅许可 " + "、".join(f"#{pk}" for pk, in grants) if grants else ""


# The approved, unexpired grants a user holds for a case (on every case page: compiled once).
_GRANTS_HELD = Prepared(lambda user_id, case_id, now: AccessGrant.objects.filter(
    user_id=user_id, case_id=case_id, status=GrantStatus.APPROVED, expires_at__gt=now).values_list("pk"),
    int, int, datetime.datetime)


def my_grants(user):
    return AccessGrant.objects.filter(user=user).select_related("case", "decided_by")


def grants_to_decide(head):
    """Pending requests in the head's agency (never their own)."""
    return (AccessGrant.objects.filter(case__agency_id=head.agency_id, status=GrantStatus.PENDING)
            .exclude(user=head).select_related("case", "user"))


def case_by_number(user, case_no):
    """A case of the user's own agency by its number, for a grant request: the number is
    not secret, what the case holds is (the request form shows nothing of it)."""
    case = Case.objects.filter(agency_id=user.agency_id, case_no=(case_no or "").strip()).first()
    if case is None or user.agency_id is None:
        raise NotFound("本机关没有该案号的案件")
    return case


def grant_for(user, pk):
    """A grant request of the user's own agency, by id."""
    return named(AccessGrant.objects.filter(case__agency_id=user.agency_id), pk, "申请不存在")


def party_request_for(case, pk):
    """A party's request registered on this case, by id."""
    return named(PartyRequest.objects.filter(case=case), pk, "申请不存在")


def kept_from_public(record):
    """Whether the public 扫码验真 page must keep a record's title, number and issuer to
    itself: its case is confidential, or the record is marked so on its own."""
    return (record.case.confidentiality in CONFIDENTIAL
            or ItemConfidentiality.objects.filter(record=record, level__in=CONFIDENTIAL).exists())

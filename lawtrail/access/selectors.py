"""Answers from the access log, limited to what the asking user may see."""

from lawtrail.access.policy import visible_cases
from lawtrail.access.services import ACCESS_VERBS
from lawtrail.ledger.models import Entry

ACCESS_ACTIONS_REGEX = r"\.(%s)$" % "|".join(sorted(ACCESS_VERBS))


def access_entries(viewer):
    """Access entries about the cases the viewer may see, newest first."""
    scopes = [f"case:{pk}" for pk in visible_cases(viewer).values_list("pk", flat=True)]
    return Entry.objects.filter(action__regex=ACCESS_ACTIONS_REGEX, scope__in=scopes).order_by("-seq")


def who_accessed(viewer, object_type, object_id):
    """Who has seen this recording (or record, or case)?"""
    return access_entries(viewer).filter(object_type=object_type, object_id=str(object_id))


def accessed_by(viewer, user):
    """What did this user look at?"""
    return access_entries(viewer).filter(actor_id=user.pk)

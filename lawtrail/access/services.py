"""The access log: every view, play, download and export is a ledger entry (who, what,
when, from where). Reads are logged like writes, so "who has seen this" always has an answer."""

from django.db import transaction

from lawtrail.ledger.services import ledger_append

# The last part of an action that marks a read, not a change (e.g. `recording.play`).
ACCESS_VERBS = frozenset({"view", "play", "download", "attachment_download", "export"})


def is_access(action):
    return action.rsplit(".", 1)[-1] in ACCESS_VERBS


def client_address(request):
    if request is None:
        return "未知来源"
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[0].strip()
    return forwarded or request.META.get("REMOTE_ADDR", "未知来源")


@transaction.atomic
def access_logged(*, actor, action, obj, scope, what, request=None):
    """One read of one object, with the address it came from."""
    if not is_access(action):
        raise ValueError(f"{action} is not an access action")
    ledger_append(actor=actor, action=action, obj=obj, scope=scope, reason=f"{what}（来自 {client_address(request)}）")

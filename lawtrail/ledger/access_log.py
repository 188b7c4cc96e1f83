"""The access log: every view, play, download and export is a ledger entry (who, what,
when, from where). Reads are logged like writes, so "who has seen this" always has an answer."""

from django.conf import settings
from django.db import transaction

from lawtrail.core.errors import NotAllowed
from lawtrail.ledger.services import ledger_append

# The last part of an action that marks a read, not a change (e.g. `recording.play`;
# `record.verify` is a lookup on the public 扫码验真 page).
ACCESS_VERBS = frozenset({"view", "play", "download", "attachment_download", "export", "denied", "verify"})
ACCESS_ACTIONS_REGEX = r"\.(%s)$" % "|".join(sorted(ACCESS_VERBS))

# What an access relied on beyond the user's role (the grants the access policy keeps):
# the policy sits above the ledger, so it registers here at start-up (access/apps.py).
_basis_notes = []


def note_access_basis(func):
    """Register `func(actor, scope)`: the text an access entry adds after its address
    ("" when nothing but the user's role applies)."""
    if func not in _basis_notes:
        _basis_notes.append(func)
    return func


def is_access(action):
    return action.rsplit(".", 1)[-1] in ACCESS_VERBS


def client_address(request):
    """Where a request came from. X-Forwarded-For is believed only as far as it was written
    by the proxies named in LAWTRAIL_TRUSTED_PROXIES: read from its right end (what the
    nearest proxy appended), the first address that is no trusted proxy is the client. Any
    client can send the header, so a forged one must not change the access log or dodge a
    rate limit."""
    if request is None:
        return "未知来源"
    address = request.META.get("REMOTE_ADDR") or "未知来源"
    trusted = settings.LAWTRAIL_TRUSTED_PROXIES
    if address not in trusted:
        return address
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        if (hop := hop.strip()) and hop not in trusted:
            return hop
    return address


@transaction.atomic
def access_logged(*, actor, action, obj, scope, what, request=None):
    """One read of one object, with the address it came from."""
    if not is_access(action):
        raise ValueError(f"{action} is not an access action")
    basis = "".join(note(actor, scope) for note in _basis_notes)
    ledger_append(actor=actor, action=action, obj=obj, scope=scope,
                  reason=f"{what}（来自 {client_address(request)}{basis}）")


def access_refused(*, actor, case, what, message, request=None):
    """A refused attempt is in the access log too (in its own transaction, so it stays)."""
    with transaction.atomic():
        ledger_append(actor=actor, action="case.denied", obj=case, scope=case.scope,
                      reason=f"{what}被拒绝：{message}（来自 {client_address(request)}）")


def guarded(check, *, actor, case, what, request=None):
    """Run a policy check; a refusal is logged before it is raised."""
    try:
        check(actor, case)
    except NotAllowed as exc:
        access_refused(actor=actor, case=case, what=what, message=exc.message, request=request)
        raise

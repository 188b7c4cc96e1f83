"""Template context every page shares."""

from django.conf import settings

from lawtrail.access.middleware import RENEWED_KEY
from lawtrail.org.enums import sees_technical_details


def technical(request):
    """Whether the page may show ledger codes, hashes and verification tools (技术详情)."""
    user = getattr(request, "user", None)
    return {"technical": bool(user) and sees_technical_details(user)}


def session_expiry(request):
    """When the signed-in session ends unless the server hears from the browser again (epoch
    milliseconds): pages kept on the phone for offline use are removed then (app.js, sw.js)."""
    session = getattr(request, "session", None)
    renewed = session.get(RENEWED_KEY) if session is not None else None
    return {"session_expires": (renewed + settings.SESSION_COOKIE_AGE) * 1000} if renewed else {}

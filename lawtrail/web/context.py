"""Template context every page shares."""

from lawtrail.org.enums import sees_technical_details


def technical(request):
    """Whether the page may show ledger codes, hashes and verification tools (技术详情)."""
    user = getattr(request, "user", None)
    return {"technical": bool(user) and sees_technical_details(user)}

from functools import wraps

from django.contrib import messages
from django.http import Http404
from django.shortcuts import render

from lawtrail.core.errors import LawTrailError, NotAllowed, NotFound

GONE = 410


def not_found_as_404(view):
    """A service's NotFound (another agency's object, a guessed id) becomes a 404 page; a
    refusal a 403 page pointing to the grant request; content removed at the end of its
    retention says so with 410."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message)
        except NotAllowed as exc:
            # e.g. a recording that needs an approved grant: say so, and where to ask for one
            return render(request, "web/forbidden.html", {"message": exc.message, "grant_link": True}, status=403)
        except LawTrailError as exc:
            if exc.status != GONE:
                raise
            return render(request, "web/forbidden.html", {"title": "内容已销毁", "message": exc.message},
                          status=GONE)

    return wrapper


def attempt(request, work, success=None, not_found_is_404=False):
    """Run one service call for a form and report it: `success` (text, or a function of the
    result) on success; the service's own message when it refuses, and then None. A
    NotFound about what the page itself names can be passed on as the page's 404."""
    try:
        result = work()
    except LawTrailError as exc:
        if not_found_is_404 and isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message)
        return None
    if success:
        messages.success(request, success(result) if callable(success) else success)
    return result

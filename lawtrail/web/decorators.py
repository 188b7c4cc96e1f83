from functools import wraps

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

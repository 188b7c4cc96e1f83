from functools import wraps

from django.http import Http404

from lawtrail.core.errors import NotFound


def not_found_as_404(view):
    """A service's NotFound (another agency's object, a guessed id) becomes a 404 page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message)

    return wrapper

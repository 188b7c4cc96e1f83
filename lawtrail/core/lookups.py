"""Looking up the one object a URL or a form names by its id."""

from lawtrail.core.errors import NotFound
from lawtrail.core.text import number_or_none


def named(objects, pk, message):
    """The object among `objects` (a queryset already scoped to what the user may reach)
    with this id, or NotFound with `message`: a missing id, a malformed one and another
    agency's all look the same."""
    found = objects.filter(pk=number_or_none(pk)).first() if pk else None
    if found is None:
        raise NotFound(message)
    return found

"""Looking up the one object a URL or a form names by its id, and the rows of many cases."""

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


def of_cases(queryset, ids, field="case_id"):
    """The queryset's rows of these cases, and perhaps of a few others: a dense run of ids (a
    pass over every case) is asked for as a range, far cheaper than an IN list of thousands of
    parameters; the caller keys what it reads by case and looks up only its own."""
    low, high = min(ids), max(ids)
    if high - low < 2 * len(ids):
        return queryset.filter(**{f"{field}__gte": low, f"{field}__lte": high})
    return queryset.filter(**{f"{field}__in": ids})

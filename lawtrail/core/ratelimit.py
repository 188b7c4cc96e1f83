"""A rate limit that every process of the server shares. The counts are kept in the
database (a Counter row per client and window): the cache is each process's own memory."""

import time

from django.db import transaction

from lawtrail.core.models import Counter


@transaction.atomic
def over_limit(series, who, *, limit, seconds):
    """Count one request of `who` in the current window of `seconds`; whether it is beyond
    `limit`. Windows are fixed; the counts of earlier ones are dropped as it goes."""
    prefix = f"rate:{series}:"
    window = f"{prefix}{int(time.time() // seconds):012d}"
    Counter.objects.filter(key__startswith=prefix, key__lt=window).delete()
    counter, _ = Counter.objects.select_for_update().get_or_create(key=f"{window}:{who}"[:120])
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last > limit

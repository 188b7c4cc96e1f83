"""Each recording's retention end kept in the database (`RecordingExpiry`), for the archive
worklist: refreshed in the background (`tasks.py`) after every committed change of a case
(a recording stored, used as evidence, marked, held, the case archived…), and, when the worklist is
opened, for whatever has no row yet (recordings from before) or a row older than its case's
archiving (the one change that fixes an expiry date: the others can only lengthen a period,
and holds stop expiry without moving it), should that job have been lost with its queue.
Nothing is listed before the live rules agree it has expired."""

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from lawtrail.archive.models import RecordingExpiry
from lawtrail.archive.retention import case_facts, recording_retention
from lawtrail.cases.models import Case
from lawtrail.media.models import Recording


def expiries_refresh(case):
    """Write the case's rows anew from its retention rules. Returns how many.

    The case's row is locked first and the rules read after it: two workers refreshing the
    case at once take turns, and the later one, having read the later facts, writes last
    (instead of colliding with the other's rows, or overwriting them with older facts)."""
    with transaction.atomic():
        list(Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True))
        facts, now = case_facts(case), timezone.now()
        rows = []
        for recording in case.recordings.select_related("case__agency"):
            retention = recording_retention(recording, facts)
            fixed = not retention.permanent and not retention.pending
            rows.append(RecordingExpiry(recording=recording, case=case, computed_at=now,
                                        expires_on=retention.expires_on if fixed else None))
        RecordingExpiry.objects.filter(case=case).delete()
        RecordingExpiry.objects.bulk_create(rows)
    return len(rows)


def expiries_fill_in(cases):
    """Rows for the recordings of these cases that have none yet, or none since the case was
    archived. Returns how many cases were refreshed."""
    behind = Recording.objects.filter(case__in=cases).filter(
        Q(expiry__isnull=True) | Q(expiry__computed_at__lt=F("case__archived_at"))).values("case_id")
    count = 0
    for case in Case.objects.filter(pk__in=behind).select_related("agency"):
        expiries_refresh(case)
        count += 1
    return count


def possibly_expired(cases, today):
    """Those of these cases holding a recording whose stored expiry has passed."""
    return cases.filter(pk__in=RecordingExpiry.objects.filter(expires_on__lt=today).values("case_id"))


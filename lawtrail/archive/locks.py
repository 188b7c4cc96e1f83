"""S3 Object Lock from the retention rules: the store itself keeps each file until its expiry.

On a bucket created with Object Lock, every stored file of a case (recordings and their
thumbnails, record PDFs, signatures, attachments, case-file volumes, provided copies) is
kept under a COMPLIANCE-mode retention until the earliest day its retention period can
end, and under a legal hold while the case is held (复议, 诉讼, 投诉). Locks are only ever
extended: a period that is still running from the archiving date is locked from today,
and pushed out again once the case is archived. Nobody, not even the bucket owner, can
delete or overwrite a locked file; disposal is possible only after its date.

The locks are applied in the background after every committed change of a case
(`tasks.py`), and by `lawtrail lock` (run it on a schedule, and once after moving to a
locked bucket).
"""

import datetime

from dateutil.relativedelta import relativedelta
from django.db.models import Q
from django.utils import timezone

from lawtrail.archive.retention import case_facts, case_file_retention, record_retention, recording_retention
from lawtrail.blobs import blob_store


# "永久" on a store that needs a date: a century, the longest default retention S3 allows.
PERMANENT_YEARS = 100


def lock_until(retention, now=None):
    """The retention date a file's lock is set to (UTC): local midnight after its earliest
    possible expiry, or a century for what is kept permanently."""
    now = now or timezone.now()
    if retention.permanent:
        return now + relativedelta(years=PERMANENT_YEARS)
    day = retention.earliest_expiry + datetime.timedelta(days=1)
    start = datetime.datetime.combine(day, datetime.time(), tzinfo=timezone.get_current_timezone())
    return start.astimezone(datetime.timezone.utc)


def case_blobs(case):
    """(sha256, retention) for every stored file of the case that is not disposed of."""
    from lawtrail.archive.models import DecisionStatus, DisposalRequest

    facts = case_facts(case)
    disposed = DisposalRequest.objects.filter(case=case, status=DecisionStatus.APPROVED)
    gone_recordings = set(disposed.values_list("recording_id", flat=True))
    gone_attachments = set(disposed.values_list("attachment_id", flat=True))
    for recording in case.recordings.select_related("case__agency"):
        if recording.pk in gone_recordings:
            continue
        retention = recording_retention(recording, facts)
        yield recording.sha256, retention
        if recording.thumbnail_sha256:
            yield recording.thumbnail_sha256, retention
    for record in case.records.select_related("case__agency").prefetch_related("signatures", "attachments"):
        retention = record_retention(record, facts)
        if record.pdf_sha256:
            yield record.pdf_sha256, retention
        for signature in record.signatures.all():
            if signature.image_sha256:
                yield signature.image_sha256, retention
        for attachment in record.attachments.all():
            if attachment.pk not in gone_attachments:
                yield attachment.sha256, retention
    text = case_file_retention(case, facts)
    for sha256 in [*case.case_files.values_list("pdf_sha256", flat=True),
                   *case.provisions.exclude(package_sha256="").values_list("package_sha256", flat=True)]:
        yield sha256, text


def _held_elsewhere(sha256, case):
    """The same bytes may belong to another case under a legal hold: its hold stays on."""
    from lawtrail.archive.models import LegalHold
    from lawtrail.media.models import Recording
    from lawtrail.records.models import Attachment

    held = LegalHold.objects.filter(released_at__isnull=True).exclude(case=case).values("case_id")
    return (Recording.objects.filter(Q(sha256=sha256) | Q(thumbnail_sha256=sha256), case__in=held).exists()
            or Attachment.objects.filter(sha256=sha256, record__case__in=held).exists())


def case_locks_apply(case):
    """Bring the store's locks of the case's files up to its retention. Returns
    {sha256: LockState} as now in force (empty when the store has no Object Lock)."""
    store = blob_store()
    if not store.locking:
        return {}
    wanted = {}
    for sha256, retention in case_blobs(case):
        until, hold = lock_until(retention), retention.held
        if sha256 in wanted:
            until, hold = max(until, wanted[sha256][0]), hold or wanted[sha256][1]
        wanted[sha256] = (until, hold)
    states = {}
    for sha256, (until, hold) in wanted.items():
        if not hold and _held_elsewhere(sha256, case):
            hold = None  # leave it on
        if (state := store.lock(sha256, until=until, hold=hold)) is not None:  # (None: not stored)
            states[sha256] = state
    return states


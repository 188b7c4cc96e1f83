"""What runs on a schedule: `lawtrail check --record` calls `scheduled_pass`, which asks
each part with scheduled work for its pass. It lives at the top, beside the command line,
because it reaches into parts at every floor (core's queue, archive, rules)."""

from dataclasses import dataclass
from typing import Iterator

from lawtrail.archive.tasks import expiries_pass
from lawtrail.core.tasks import requeue_stalled
from lawtrail.records.tasks import timestamps_pass
from lawtrail.rules.tasks import findings_pass


@dataclass(frozen=True)
class ScheduledPass:
    requeued: int  # background jobs a killed worker had left half-done, queued again
    filled: int  # cases whose recordings' expiry dates were filled in
    findings: Iterator  # (case, findings) of each case, its changes stored as it is read
    timestamped: int = 0  # sealed documents whose time-stamp (时间戳待补) was completed


def scheduled_pass(cases, *, whole=True):
    """The scheduled pass over these cases: on a `whole` pass (not one case asked for by
    name) the queue's stalled jobs are queued again and missing expiry dates filled in
    first, and sealed documents waiting for their time-stamp get it; the cases' findings are
    then refreshed as the caller reads them."""
    requeued = requeue_stalled() if whole else 0
    filled = expiries_pass() if whole else 0
    timestamped = timestamps_pass() if whole else 0
    return ScheduledPass(requeued, filled, findings_pass(cases), timestamped)

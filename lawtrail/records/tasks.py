"""The time-stamp job: a document sealed while the TSA did not answer (时间戳待补) gets its
time-stamp on the next scheduled pass (`lawtrail check --record`, through
`lawtrail.tasks.scheduled_pass`), as a new seal over the same PDF plus an incremental update."""

import logging

from lawtrail.records.selectors import timestamp_pending
from lawtrail.records.services import record_timestamp_add

log = logging.getLogger(__name__)


def timestamps_pass():
    """Time-stamp every sealed record still waiting for one. Returns how many were completed;
    while the TSA still does not answer, the rest wait for the next pass."""
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    done = 0
    for record in timestamp_pending():
        try:
            done += record_timestamp_add(record=record) is not None
        except TimestampRequestError as exc:
            log.warning("TSA still not answering, %s waits for its time-stamp: %s", record, exc)
            break
    return done

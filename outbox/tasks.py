"""The periodic delivery of the outbox. Thin: the claims and the sending are in
outbox/services.py."""

import logging
import time

from celery import shared_task

from outbox.services import SENDERS, outgoing_deliver_side_by_side

log = logging.getLogger(__name__)

# Runs every minute (leakcase/celery.py): work for up to 50 seconds, then leave the rest to
# the next run, so runs rarely overlap (they may: claims are SKIP LOCKED).
WORK_SECONDS = 50


@shared_task(soft_time_limit=WORK_SECONDS + 50, time_limit=WORK_SECONDS + 60)
def deliver_outgoing() -> int:
    """Every pending email that is due, whatever its kind: retries, rows whose writer
    stopped before sending them, and whatever a weekly run left. Safe on two beats at once."""
    report = outgoing_deliver_side_by_side(
        senders=SENDERS, deadline=time.monotonic() + WORK_SECONDS
    )
    log.info(
        "outbox: sent=%s retrying=%s failed=%s interrupted=%s",
        report.sent,
        report.retrying,
        report.failed,
        report.interrupted,
    )
    return report.sent

"""The weekly status beat task. Thin: the claims are in digests/services.py, the sending in
outbox/services.py."""

import logging
import time

from celery import shared_task

from digests.services import weekly_status_run
from outbox.services import SENDERS

log = logging.getLogger(__name__)

# A Monday morning may hold thousands of digests: work for up to four minutes a run, then
# leave the rest for the next run (every five minutes) instead of hitting the time limit.
WORK_SECONDS = 240


@shared_task(soft_time_limit=WORK_SECONDS + 50, time_limit=WORK_SECONDS + 60)
def send_weekly_status() -> int:
    """Safe on two beats at once: due digests and pending emails are claimed with SKIP
    LOCKED, and each slot has one email at most."""
    report = weekly_status_run(deadline=time.monotonic() + WORK_SECONDS, senders=SENDERS)
    log.info(
        "weekly status: sent=%s retrying=%s failed=%s interrupted=%s",
        report.sent,
        report.retrying,
        report.failed,
        report.interrupted,
    )
    return report.sent

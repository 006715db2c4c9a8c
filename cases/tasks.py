"""The periodic run of owed "You have an update" emails. Thin: the work is in
cases/update_notices.py, the sending in outbox/services.py."""

from celery import shared_task

from cases.update_notices import update_notices_send_due


@shared_task(soft_time_limit=240, time_limit=250)
def send_due_update_notices() -> int:
    """Safe on two beats at once (SKIP LOCKED claims); a repeat finds nothing owed."""
    return update_notices_send_due()

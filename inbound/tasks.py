"""Mail coming back, in the background. Thin: the poll is inbound/imap.py."""

import logging

from celery import shared_task

from inbound.imap import MailboxError, mailbox_poll

log = logging.getLogger(__name__)


# A mailbox that cannot be reached (its server restarting, a network blip) is tried again
# after about 10, 20 and 40 s (with jitter), then left to the next minute's run. Safe to run
# twice, or while another run goes on: the poll takes an advisory lock (inbound/imap.py).
@shared_task(
    autoretry_for=(MailboxError,),
    retry_backoff=10,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=3,
)
def poll_replies_mailbox() -> dict:
    try:
        result = mailbox_poll()
    except MailboxError as error:
        # The host and the server's answer, never the password (MailboxError's message).
        log.warning("inbound: %s", error)
        raise
    return {
        "configured": result.configured,
        "locked_out": result.locked_out,
        "filed": result.filed,
        "failed": result.failed,
        "left": result.left,
    }

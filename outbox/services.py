"""Writes of the outbox: an email becomes a row, and the one delivery sends rows.

Every email goes the same way, whoever wrote it:
1. `outgoing_write` (or, for weekly status emails, digests' claim in bulk) saves the row,
   pending, in the writer's transaction.
2. `outgoing_deliver` claims one pending email at a time, marks it "sending" (committed)
   before handing it to the mail server and "sent" after. An SMTP error means the server
   did not take it: it is retried with backoff, or recorded as failed. A sender that dies
   between "sending" and "sent" leaves the row "sending"; once its lease runs out it becomes
   "unconfirmed" and is not sent again by itself, because it may well have arrived.
A writer with someone waiting (a notice, an invitation, a password reset) sends its row at
once through the same delivery (`outgoing_send_now`, `outgoing_send_after_commit`); the
periodic run (outbox/tasks.py) sends everything else, and retries.
"""

import dataclasses
import datetime as dt
import functools
import json
import logging
import smtplib
import threading
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import make_msgid
from django.db import connection, transaction
from django.utils import timezone

from audit.models import AuditKind
from audit.services import audit_record
from outbox.messages import message_fields, outgoing_message
from outbox.models import (
    MAX_ATTEMPTS,
    ONE_ATTEMPT_KINDS,
    RETRY_AFTER,
    EmailStatus,
    OutgoingEmail,
)

log = logging.getLogger(__name__)

__all__ = ["MAX_ATTEMPTS", "RETRY_AFTER"]  # named here too: the delivery's rules

# How long a sender may hold an email in "sending" before it counts as interrupted.
SENDING_LEASE = dt.timedelta(minutes=10)
# Deliveries side by side in the periodic run (see outgoing_deliver_side_by_side).
SENDERS = 4
# An email its writer sends at once waits this long before the periodic run may take it:
# the writer claims it within moments, and the periodic run only sends it if the writer
# stopped first.
AT_ONCE_GRACE = dt.timedelta(minutes=2)


def outgoing_write(
    *,
    kind: str,
    message: EmailMessage,
    user=None,
    scheduled_for: dt.datetime | None = None,
    counts: dict | None = None,
    now: dt.datetime | None = None,
) -> OutgoingEmail:
    """The email its owner rendered, as a row, in the caller's transaction; nothing is sent.
    The caller sends it at once after its transaction (outgoing_send_now or
    outgoing_send_after_commit); if it never gets to, the periodic run does."""
    now = now or timezone.now()
    return OutgoingEmail.objects.create(
        kind=kind,
        user=user,
        scheduled_for=scheduled_for,
        counts=counts or {},
        next_attempt_at=now + AT_ONCE_GRACE,
        **message_fields(message),
    )


@dataclasses.dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    interrupted: int = 0
    stopped_early: bool = False

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed


def outgoing_mark_interrupted(*, now: dt.datetime | None = None) -> int:
    """Emails left "sending" by a sender that died: they may have arrived, so they are not
    sent again by themselves; staff see them and can send one again."""
    now = now or timezone.now()
    return OutgoingEmail.objects.filter(status=EmailStatus.SENDING, lease_until__lt=now).update(
        status=EmailStatus.UNCONFIRMED,
        lease_until=None,
        last_error="The sender stopped while handing this email to the mail server. "
        "It may have been delivered, so it was not sent again.",
    )


# One statement, one round trip, committed at once: the oldest due email (or the one asked
# for) is locked (SKIP LOCKED, so two senders never take the same one), marked "sending" and
# returned with what its message needs and the address it goes to. The ORM has no
# UPDATE ... RETURNING; the select-then-save it would take costs four round trips an email,
# which is most of a Monday morning's sending.
CLAIM_SQL = """
UPDATE {email} AS e
   SET status = %(sending)s,
       lease_until = %(lease_until)s,
       attempts = e.attempts + 1,
       message_id = CASE WHEN e.message_id = '' THEN %(message_id)s ELSE e.message_id END
 WHERE e.id = (SELECT id FROM {email}
                WHERE status = %(pending)s AND {due}
                ORDER BY next_attempt_at
                LIMIT 1
                FOR UPDATE SKIP LOCKED)
RETURNING e.id, e.user_id, e.kind, e.counts, e.attempts, e.message_id, e.from_email,
          e.reply_to, e.subject, e.body_text, e.body_html, e.headers,
          COALESCE(NULLIF(e.to_address, ''), (SELECT u.email FROM {user} AS u
                                               WHERE u.id = e.user_id))
"""
DUE = "next_attempt_at <= %(now)s"
THE_ONE_ASKED_FOR = "id = %(email_id)s"


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _claim_next(*, now: dt.datetime, email_id=None) -> tuple[OutgoingEmail, str] | None:
    """The next due email (or `email_id`, due or not), now "sending" (committed), and the
    address it goes to."""
    sql = CLAIM_SQL.format(
        email=OutgoingEmail._meta.db_table,
        user=get_user_model()._meta.db_table,
        due=DUE if email_id is None else THE_ONE_ASKED_FOR,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "sending": EmailStatus.SENDING,
                "pending": EmailStatus.PENDING,
                "lease_until": now + SENDING_LEASE,
                "message_id": make_msgid(domain=settings.NOTICE_MESSAGE_ID_DOMAIN),
                "now": now,
                "email_id": email_id,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    (pk, user_id, kind, counts, attempts, message_id, from_email, reply_to, subject) = row[:9]
    body_text, body_html, headers, address = row[9:]
    known = {
        "id": pk,
        "user_id": user_id,
        "kind": kind,
        "counts": _json(counts),
        "attempts": attempts,
        "message_id": message_id,
        "from_email": from_email,
        "reply_to": reply_to,
        "subject": subject,
        "body_text": body_text,
        "body_html": body_html,
        "headers": _json(headers),
        "status": EmailStatus.SENDING,
        "lease_until": now + SENDING_LEASE,
    }
    # A row as the database has it (so a later save() updates it), the rest deferred;
    # from_db takes the values in the model's field order.
    fields = [f.attname for f in OutgoingEmail._meta.concrete_fields if f.attname in known]
    email = OutgoingEmail.from_db(connection.alias, fields, [known[f] for f in fields])
    return email, address


def _is_permanent(exc: Exception) -> bool:
    """5xx answers will not change on a retry; everything else (4xx, a dropped or refused
    connection, a timeout) might."""
    if isinstance(exc, ValueError):
        return True  # this email itself: no address, or a header Django refuses
    if isinstance(
        exc, smtplib.SMTPConnectError | smtplib.SMTPHeloError | smtplib.SMTPAuthenticationError
    ):
        return False  # the server or our settings, not this email: try again later
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _is_connection_problem(exc: Exception) -> bool:
    """The server, not this email: refused, gone, or not accepting us. (SMTPException is an
    OSError too, so a reply about one email is told apart from a socket error.)"""
    if isinstance(
        exc,
        smtplib.SMTPServerDisconnected
        | smtplib.SMTPConnectError
        | smtplib.SMTPHeloError
        | smtplib.SMTPAuthenticationError,
    ):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def _record_failure(email: OutgoingEmail, exc: Exception, *, now: dt.datetime) -> str:
    # SMTP errors name the server's reply, never the message: safe to keep and show staff.
    email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    email.lease_until = None
    if _is_permanent(exc) or email.attempts >= MAX_ATTEMPTS or email.kind in ONE_ATTEMPT_KINDS:
        email.status = EmailStatus.FAILED
        email.next_attempt_at = None
    else:
        email.status = EmailStatus.PENDING
        email.next_attempt_at = now + RETRY_AFTER[email.attempts - 1]
    email.save(update_fields=["status", "last_error", "lease_until", "next_attempt_at"])
    return email.status


def outgoing_deliver(
    *,
    limit: int | None = None,
    deadline: float | None = None,
    mail_connection=None,
    email_id=None,
) -> DeliveryReport:
    """Sends pending emails one by one over one SMTP connection until none is due, `limit`
    have been tried, or `deadline` (time.monotonic()) has passed. With `email_id`: that one
    email, once, due or not (its writer sending it at once)."""
    if email_id is not None:
        limit, report = 1, DeliveryReport()  # interrupted ones are the periodic run's
    else:
        report = DeliveryReport(interrupted=outgoing_mark_interrupted())
    mail = mail_connection or get_connection(fail_silently=False)
    try:
        while limit is None or report.attempted < limit:
            if deadline is not None and time.monotonic() > deadline:
                report.stopped_early = True
                break
            claimed = _claim_next(now=timezone.now(), email_id=email_id)
            if claimed is None:
                break
            email, address = claimed
            try:
                mail.open()
                mail.send_messages([outgoing_message(email, to=address)])
            except (smtplib.SMTPException, OSError, ValueError) as exc:
                status = _record_failure(email, exc, now=timezone.now())
                if status == EmailStatus.FAILED:
                    report.failed += 1
                else:
                    report.retrying += 1
                log.warning("%s email %s not sent: %s", email.kind, email.pk, type(exc).__name__)
                mail.close()
                if _is_connection_problem(exc):
                    # The mail server is away: leave the rest pending for the next run
                    # rather than spend their attempts too.
                    report.stopped_early = True
                    break
                continue
            OutgoingEmail.objects.filter(pk=email.pk).update(
                status=EmailStatus.SENT,
                sent_at=timezone.now(),
                lease_until=None,
                last_error="",
                body_text="",
                body_html="",
            )
            report.sent += 1
    finally:
        mail.close()
    return report


def outgoing_deliver_side_by_side(
    *, senders: int = SENDERS, deadline: float | None = None
) -> DeliveryReport:
    """`senders` deliveries at once, each with its own SMTP and database connections. An
    email spends most of its time waiting on the mail server and the database, so a few
    senders side by side go nearly that many times faster; SKIP LOCKED claims keep them
    from ever taking the same email."""
    reports: list[DeliveryReport] = []

    def sender():
        try:
            reports.append(outgoing_deliver(deadline=deadline))
        finally:
            connection.close()  # this thread's own database connection

    threads = [threading.Thread(target=sender, name=f"email-sender-{n}") for n in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = DeliveryReport()
    for report in reports:
        total.sent += report.sent
        total.retrying += report.retrying
        total.failed += report.failed
        total.interrupted += report.interrupted
        total.stopped_early |= report.stopped_early
    return total


def outgoing_send_now(*, email: OutgoingEmail) -> OutgoingEmail:
    """Send one written email now, through the one delivery, and return it as it ended:
    sent, failed (last_error says why), or pending for a retry. Call after the transaction
    that wrote it, so "sending" is committed before the mail server is asked."""
    outgoing_deliver(email_id=email.pk)
    return OutgoingEmail.objects.get(pk=email.pk)


def outgoing_send_after_commit(*, email: OutgoingEmail) -> None:
    """Send one written email as soon as the transaction that wrote it commits (at once
    outside a transaction). A failure leaves it to the periodic run's retries."""
    transaction.on_commit(functools.partial(outgoing_deliver, email_id=email.pk), robust=True)


@transaction.atomic
def outgoing_send_again(*, email: OutgoingEmail, acting_user) -> bool:
    """Staff put a failed or interrupted email back in the queue, knowing it may arrive
    twice if it was interrupted. Notices and reminders are sent again by their owners."""
    if email.sent_again_by_its_owner:
        return False
    changed = OutgoingEmail.objects.filter(
        pk=email.pk, status__in=[EmailStatus.FAILED, EmailStatus.UNCONFIRMED]
    ).update(
        status=EmailStatus.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        last_error=f"Sent again by staff member {acting_user.pk}.",
    )
    if changed:
        audit_record(
            kind=AuditKind.WEEKLY_EMAIL_RESENT,
            actor=acting_user,
            target=f"user {email.user_id}" if email.user_id else f"email {email.pk}",
        )
    return bool(changed)

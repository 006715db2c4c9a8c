"""Writes for weekly status emails: schedules, claiming due digests, delivery, unsubscribe.

Two phases, both safe to run twice or side by side:
1. `digests_claim_due` locks due `WeeklyStatus` rows (SKIP LOCKED), writes one
   `OutgoingEmail` per person with her counts and moves her `next_digest_at` a week on, all
   in one transaction.
2. `outgoing_deliver` claims one pending email at a time, marks it "sending" (committed)
   before handing it to the mail server and "sent" after. An SMTP error means the server
   did not take it: it is retried with backoff, or recorded as failed. A sender that dies
   between "sending" and "sent" leaves the row "sending"; once its lease runs out it becomes
   "unconfirmed" and is not sent again by itself, because it may well have arrived.
"""

import dataclasses
import datetime as dt
import json
import logging
import smtplib
import threading
import time
import typing

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.message import make_msgid
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from audit.models import AuditKind
from audit.services import audit_record
from digests.messages import digest_message
from digests.models import EmailStatus, OutgoingEmail, WeeklyStatus
from digests.selectors import digest_counts, digest_kind_for, statuses_due

log = logging.getLogger(__name__)

CLAIM_BATCH = 500
# How long a sender may hold an email in "sending" before it counts as interrupted.
SENDING_LEASE = dt.timedelta(minutes=10)
# After the 1st, 2nd, 3rd and 4th failed attempt; the 5th failure is final.
RETRY_AFTER = [dt.timedelta(minutes=m) for m in (1, 5, 30, 120)]
MAX_ATTEMPTS = len(RETRY_AFTER) + 1
# Deliveries side by side in the beat task (see outgoing_deliver_side_by_side).
SENDERS = 4
DEFAULT_HOUR = {True: 8, False: 9}  # staff start the week at 08:00, survivors get theirs at 09:00


def _default_status(user: User, *, now: dt.datetime) -> WeeklyStatus:
    """Monday morning in the service's time zone, next week's slot already set."""
    status = WeeklyStatus(
        user=user, hour=DEFAULT_HOUR[user.is_support_staff], time_zone=settings.TIME_ZONE
    )
    status.next_digest_at = status.slot_after(now)
    return status


def weekly_statuses_ensure(*, now: dt.datetime | None = None) -> int:
    """Everyone active gets the default schedule the first time the dispatcher sees them;
    she changes it on her settings page."""
    now = now or timezone.now()
    missing = User.objects.filter(is_active=True, weekly_status__isnull=True).only("pk", "role")
    statuses = [_default_status(user, now=now) for user in missing]
    WeeklyStatus.objects.bulk_create(statuses, ignore_conflicts=True)
    return len(statuses)


def weekly_status_for(user: User) -> WeeklyStatus:
    """Hers, or the default one (scheduled, so opening the settings page without saving
    does not leave her without emails)."""
    status = WeeklyStatus.objects.filter(user=user).first()
    if status is None:
        WeeklyStatus.objects.bulk_create(
            [_default_status(user, now=timezone.now())], ignore_conflicts=True
        )
        status = WeeklyStatus.objects.get(user=user)
    return status


@transaction.atomic
def weekly_status_update(
    *,
    user: User,
    enabled: bool,
    weekday: int,
    hour: int,
    time_zone: str,
    quiet_weeks: bool,
    now: dt.datetime | None = None,
) -> WeeklyStatus:
    now = now or timezone.now()
    status = weekly_status_for(user)
    status = WeeklyStatus.objects.select_for_update().get(pk=status.pk)
    status.enabled, status.quiet_weeks = enabled, quiet_weeks
    status.weekday, status.hour, status.time_zone = weekday, hour, time_zone
    status.next_digest_at = status.slot_after(now) if enabled else None
    status.save()
    # Whether it is on, not when or where: a time zone says roughly where she lives.
    audit_record(kind=AuditKind.WEEKLY_EMAIL_SET, actor=user, detail={"on": enabled})
    return status


@transaction.atomic
def weekly_status_unsubscribe(*, user_id: int) -> bool:
    """One click from the email: off, whatever the schedule was. True if it was on."""
    audit_record(
        kind=AuditKind.WEEKLY_EMAIL_SET,
        target=f"user {user_id}",
        detail={"on": False, "by": "unsubscribe link"},
    )
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return False  # erased since the email went out: nothing left to stop
    changed = WeeklyStatus.objects.filter(pk=weekly_status_for(user).pk, enabled=True).update(
        enabled=False, next_digest_at=None
    )
    return bool(changed)


class Claimed(typing.NamedTuple):
    people: int  # schedules claimed and moved a week on (0: nobody is due)
    emails: int  # emails written (people with nothing to tell get none)


def digests_claim_due(
    *, now: dt.datetime | None = None, email: str | None = None, batch: int = CLAIM_BATCH
) -> Claimed:
    """Claims up to `batch` due digests."""
    now = now or timezone.now()
    with transaction.atomic():
        statuses = list(
            statuses_due(now=now, email=email).select_for_update(skip_locked=True, of=("self",))[
                :batch
            ]
        )
        if not statuses:
            return Claimed(0, 0)
        # Nothing goes to an address she has not confirmed; her week moves on all the same.
        users = [s.user for s in statuses if s.email_verified]
        counts = digest_counts(users, now=now)
        emails = []
        for status in statuses:
            user_counts = counts.get(status.user_id)
            # Nothing to tell a survivor without an open case; a quiet week only if she
            # wants to hear about quiet weeks.
            if user_counts is not None and not (
                user_counts.get("quiet_week") and not status.quiet_weeks
            ):
                emails.append(
                    OutgoingEmail(
                        user_id=status.user_id,
                        kind=digest_kind_for(status.user),
                        scheduled_for=status.next_digest_at,
                        counts=user_counts,
                        next_attempt_at=now,
                    )
                )
            status.last_digest_at = status.next_digest_at
            status.next_digest_at = status.slot_after(now)
        # The unique (user, kind, slot) constraint is the last guard against a second email.
        OutgoingEmail.objects.bulk_create(emails, ignore_conflicts=True)
        WeeklyStatus.objects.bulk_update(statuses, ["last_digest_at", "next_digest_at"])
    return Claimed(len(statuses), len(emails))


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


# One statement, one round trip, committed at once: the oldest due email is locked (SKIP
# LOCKED, so two senders never take the same one), marked "sending" and returned with its
# recipient's address. The ORM has no UPDATE ... RETURNING; the select-then-save it would
# take costs four round trips an email, which is most of a Monday morning's sending.
CLAIM_SQL = """
UPDATE {email} AS e
   SET status = %(sending)s,
       lease_until = %(lease_until)s,
       attempts = e.attempts + 1,
       message_id = CASE WHEN e.message_id = '' THEN %(message_id)s ELSE e.message_id END
  FROM {user} AS u
 WHERE e.id = (SELECT id FROM {email}
                WHERE status = %(pending)s AND next_attempt_at <= %(now)s
                ORDER BY next_attempt_at
                LIMIT 1
                FOR UPDATE SKIP LOCKED)
   AND u.id = e.user_id
RETURNING e.id, e.user_id, e.kind, e.counts, e.attempts, e.message_id, u.email
"""


def _claim_next(*, now: dt.datetime) -> tuple[OutgoingEmail, str] | None:
    """The next due email, now "sending" (committed), and the address it goes to."""
    sql = CLAIM_SQL.format(email=OutgoingEmail._meta.db_table, user=User._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "sending": EmailStatus.SENDING,
                "pending": EmailStatus.PENDING,
                "lease_until": now + SENDING_LEASE,
                "message_id": make_msgid(domain=settings.NOTICE_MESSAGE_ID_DOMAIN),
                "now": now,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    pk, user_id, kind, counts, attempts, message_id, address = row
    counts = json.loads(counts) if isinstance(counts, str) else counts
    known = {
        "id": pk,
        "user_id": user_id,
        "kind": kind,
        "counts": counts,
        "attempts": attempts,
        "message_id": message_id,
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
    if _is_permanent(exc) or email.attempts >= MAX_ATTEMPTS:
        email.status = EmailStatus.FAILED
        email.next_attempt_at = None
    else:
        email.status = EmailStatus.PENDING
        email.next_attempt_at = now + RETRY_AFTER[email.attempts - 1]
    email.save(update_fields=["status", "last_error", "lease_until", "next_attempt_at"])
    return email.status


def outgoing_deliver(
    *, limit: int | None = None, deadline: float | None = None, mail_connection=None
) -> DeliveryReport:
    """Sends pending emails one by one over one SMTP connection until none is due, `limit`
    have been tried, or `deadline` (time.monotonic()) has passed."""
    report = DeliveryReport(interrupted=outgoing_mark_interrupted())
    mail = mail_connection or get_connection(fail_silently=False)
    try:
        while limit is None or report.attempted < limit:
            if deadline is not None and time.monotonic() > deadline:
                report.stopped_early = True
                break
            claimed = _claim_next(now=timezone.now())
            if claimed is None:
                break
            email, address = claimed
            try:
                mail.open()
                mail.send_messages([digest_message(email, to=address)])
            except (smtplib.SMTPException, OSError) as exc:
                status = _record_failure(email, exc, now=timezone.now())
                if status == EmailStatus.FAILED:
                    report.failed += 1
                else:
                    report.retrying += 1
                log.warning("weekly status email %s not sent: %s", email.pk, type(exc).__name__)
                mail.close()
                if _is_connection_problem(exc):
                    # The mail server is away: leave the rest pending for the next run
                    # rather than spend their attempts too.
                    report.stopped_early = True
                    break
                continue
            OutgoingEmail.objects.filter(pk=email.pk).update(
                status=EmailStatus.SENT, sent_at=timezone.now(), lease_until=None, last_error=""
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

    threads = [threading.Thread(target=sender, name=f"digest-sender-{n}") for n in range(senders)]
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


def weekly_status_run(*, deadline: float | None = None, senders: int = 1) -> DeliveryReport:
    """What the beat runs: new people get a schedule, due digests are claimed in batches,
    then everything pending is delivered (by `senders` side by side)."""
    weekly_statuses_ensure()
    while digests_claim_due().people:
        if deadline is not None and time.monotonic() > deadline:
            break
    if senders > 1:
        return outgoing_deliver_side_by_side(senders=senders, deadline=deadline)
    return outgoing_deliver(deadline=deadline)


@transaction.atomic
def outgoing_send_again(*, email: OutgoingEmail, acting_user: User) -> bool:
    """Staff put a failed or interrupted email back in the queue, knowing it may arrive
    twice if it was interrupted."""
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
            target=f"user {email.user_id}",
        )
    return bool(changed)

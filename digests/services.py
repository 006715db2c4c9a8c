"""Writes for weekly status emails: schedules, claiming due digests, unsubscribe.

`digests_claim_due` locks due `WeeklyStatus` rows (SKIP LOCKED), writes one `OutgoingEmail`
in the outbox per person with her counts and moves her `next_digest_at` a week on, all in one
transaction; safe to run twice or side by side. The outbox's one delivery sends them
(outbox/services.py).
"""

import datetime as dt
import time
import typing

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.models import AuditKind
from audit.services import audit_record
from digests.models import WeeklyStatus
from digests.selectors import digest_counts, digest_kind_for, statuses_due
from outbox.models import OutgoingEmail
from outbox.services import DeliveryReport, outgoing_deliver, outgoing_deliver_side_by_side

CLAIM_BATCH = 500
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

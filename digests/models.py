"""Weekly status emails: when each person gets one.

A digest is claimed from `WeeklyStatus.next_digest_at` and written as an `OutgoingEmail` in
the outbox (with its counts) in the same transaction that moves `next_digest_at` to the next
week, so a second beat, a retry or a restart cannot make a second one for the same week.
"""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db import models
from django.utils.dates import WEEKDAYS as DAY_NAMES

from leakcase.choices import QuickChoiceLabels

# The weekly slot is at least this far after the previous one, so changing the weekday
# right after a digest cannot bring a second one within the same week. Six days, not seven,
# because a daylight-saving change moves the same local hour by an hour in UTC.
MIN_DAYS_BETWEEN_DIGESTS = 6

# Django's own day names, translated in its catalogs for every language we offer.
WEEKDAYS = [(number, DAY_NAMES[number]) for number in range(7)]
HOURS = [(h, f"{h:02d}:00") for h in range(24)]


def time_zone_choices():
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


def next_digest_slot(
    *, weekday: int, hour: int, time_zone: str, after: dt.datetime
) -> dt.datetime:
    """The first `weekday` at `hour`:00 in `time_zone` strictly after `after`, in UTC.

    An hour that does not exist on a spring-forward day resolves to the hour after, as
    zoneinfo does for a wall time in the gap; nobody's digest is skipped for it."""
    tz = zoneinfo.ZoneInfo(time_zone)
    local = after.astimezone(tz)
    day = local.date() + dt.timedelta(days=(weekday - local.weekday()) % 7)
    while True:
        slot = dt.datetime.combine(day, dt.time(hour), tzinfo=tz).astimezone(dt.UTC)
        if slot > after:
            return slot
        day += dt.timedelta(days=7)


class WeeklyStatus(QuickChoiceLabels, models.Model):
    """One person's weekly status email: on or off, and when, in her own time zone."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_status"
    )
    enabled = models.BooleanField(default=True)
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS, default=0)
    hour = models.PositiveSmallIntegerField(choices=HOURS, default=9)
    time_zone = models.CharField(max_length=64, default="UTC")
    # A week with nothing new still gets a short "still working on it" note unless she
    # would rather hear nothing.
    quiet_weeks = models.BooleanField(default=True)
    next_digest_at = models.DateTimeField(null=True, blank=True)
    # The slot of the last digest claimed (not when it went out): the next is a week on.
    last_digest_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "weekly statuses"
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="weekday_0_6"),
            models.CheckConstraint(condition=models.Q(hour__lte=23), name="hour_0_23"),
        ]
        indexes = [
            models.Index(
                fields=["next_digest_at"],
                name="weekly_status_due",
                condition=models.Q(enabled=True, next_digest_at__isnull=False),
            )
        ]

    def __str__(self):
        return f"weekly status for user {self.user_id}"

    def slot_after(self, moment: dt.datetime) -> dt.datetime:
        """The next slot after `moment`, and never within six days of the last digest."""
        if self.last_digest_at is not None:
            moment = max(moment, self.last_digest_at + dt.timedelta(days=MIN_DAYS_BETWEEN_DIGESTS))
        return next_digest_slot(
            weekday=self.weekday, hour=self.hour, time_zone=self.time_zone, after=moment
        )

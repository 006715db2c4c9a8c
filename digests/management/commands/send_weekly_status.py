"""Weekly status emails by hand: `--dry-run` to see who is due and what they would get."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from digests.models import WeeklyStatus
from digests.selectors import digest_counts, digest_kind_for, statuses_due
from digests.services import digests_claim_due, weekly_statuses_ensure
from outbox.services import outgoing_deliver

SURVIVOR_FIGURES = (
    ("links_reported", "links"),
    ("removed_this_week", "removed this week"),
    ("removed_in_all", "removed in all"),
    ("still_live", "still up"),
    ("requests_waiting", "waiting on platforms"),
    ("to_do", "for her to do"),
)
STAFF_FIGURES = (
    ("cases_assigned", "cases"),
    ("new_sightings", "new sightings"),
    ("requests_overdue", "overdue"),
    ("requests_due_soon", "due within 48 h"),
    ("cases_quiet", "quiet 7 days"),
)


def describe(counts: dict, *, staff: bool) -> str:
    figures = STAFF_FIGURES if staff else SURVIVOR_FIGURES
    text = ", ".join(f"{counts[key]} {label}" for key, label in figures)
    if not staff and counts["quiet_week"]:
        text += " (quiet week)"
    if staff and counts.get("service"):
        text += f"; service: {counts['service']['requests_overdue']} overdue"
    return text


class Command(BaseCommand):
    help = "Send the weekly status emails that are due (the beat does this every 5 minutes)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Print who is due and the counts; send nothing."
        )
        parser.add_argument("--to", metavar="EMAIL", help="Only this person (if she is due).")

    def handle(self, *args, dry_run=False, to=None, **options):
        if to and not User.objects.filter(email__iexact=to).exists():
            raise CommandError(f"No account has the email address {to}.")
        if dry_run:
            self._dry_run(to)
            return
        weekly_statuses_ensure()
        claimed = 0
        while (claim := digests_claim_due(email=to)).people:
            claimed += claim.emails
        report = outgoing_deliver()
        self.stdout.write(
            f"{claimed} digest(s) claimed; {report.sent} sent, {report.retrying} to retry, "
            f"{report.failed} failed, {report.interrupted} found interrupted."
        )

    def _dry_run(self, to):
        """Reads only: the same selectors as a real run, without claiming anything. People
        with no schedule yet get theirs on the first real run, a week ahead, so they are
        not due now."""
        now = timezone.now()
        statuses = list(statuses_due(now=now, email=to))
        counts = digest_counts([s.user for s in statuses if s.email_verified], now=now)
        would_send = 0
        for status in statuses:
            user, user_counts = status.user, counts.get(status.user_id)
            staff = digest_kind_for(user) == "staff_weekly"
            if not status.email_verified:
                self.stdout.write(
                    f"{user.email} ({user.role}): skipped, email address not confirmed"
                )
                continue
            if user_counts is None:
                self.stdout.write(f"{user.email} ({user.role}): skipped, no open case")
                continue
            if user_counts.get("quiet_week") and not status.quiet_weeks:
                self.stdout.write(f"{user.email} ({user.role}): skipped, quiet week, opted out")
                continue
            would_send += 1
            self.stdout.write(f"{user.email} ({user.role}): {describe(user_counts, staff=staff)}")
        if to and not statuses:
            status = WeeklyStatus.objects.filter(user__email__iexact=to).first()
            if status is None or not status.enabled or status.next_digest_at is None:
                self.stdout.write(f"{to} has weekly emails off, or none scheduled yet.")
            else:
                self.stdout.write(
                    f"{to} is not due until {status.next_digest_at:%Y-%m-%d %H:%M} UTC."
                )
        self.stdout.write(f"{would_send} digest(s) would go out.")

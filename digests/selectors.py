"""What a weekly digest says: counts, gathered for a whole batch of people at once.

Each count is one grouped query over the batch (never one query per person per count), so
a run over 10,000 people costs a handful of queries per batch.
"""

import dataclasses
import datetime as dt

from allauth.account.models import EmailAddress
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from accounts.models import Role, User
from cases.models import Case
from cases.selectors import OPEN_STATUSES
from digests.models import WeeklyStatus
from evidence.models import EvidenceMatch, Sighting, SightingStatus, still_up_q
from outbox.models import EmailKind, OutgoingEmail
from takedowns.models import WAITING_STATUSES, TakedownRequest, TakedownStatus

WEEK = dt.timedelta(days=7)
WEEKLY_KINDS = (EmailKind.SURVIVOR_WEEKLY, EmailKind.STAFF_WEEKLY)
DUE_SOON = dt.timedelta(hours=48)  # "due within 48 hours" in the staff digest
QUIET_CASE_AFTER = dt.timedelta(days=7)  # "no activity for 7 days"
MOST_OVERDUE_PLATFORMS = 5


def digest_kind_for(user: User) -> str:
    return EmailKind.STAFF_WEEKLY if user.is_support_staff else EmailKind.SURVIVOR_WEEKLY


def statuses_due(*, now: dt.datetime, email: str | None = None) -> QuerySet[WeeklyStatus]:
    """Due schedules, each with `email_verified`: whether her login address is confirmed.
    An address nobody confirmed may be mistyped, or someone else's: it gets no email (the
    claim still moves her week on)."""
    statuses = WeeklyStatus.objects.filter(
        enabled=True, next_digest_at__lte=now, user__is_active=True
    )
    if email:
        statuses = statuses.filter(user__email__iexact=email)
    verified = EmailAddress.objects.filter(
        user_id=OuterRef("user_id"), email__iexact=OuterRef("user__email"), verified=True
    )
    return (
        statuses.select_related("user")
        .annotate(email_verified=Exists(verified))
        .order_by("next_digest_at", "pk")
    )


def _counts_by(rows, key: str, **counts) -> dict:
    """The `counts` (Count annotations) of `rows` grouped by `key`, as {key value: counts}:
    one grouped query. A group with no rows is absent (its counts are 0)."""
    return {row.pop(key): row for row in rows.values(key).annotate(**counts)}


def survivor_counts(users: list[User], *, now: dt.datetime) -> dict[int, dict | None]:
    """Per survivor: counts over her open cases for the week up to `now`, or None when she
    has no open case (nothing to tell her)."""
    week_start = now - WEEK
    ids = [u.pk for u in users]
    open_cases = Q(case__status__in=OPEN_STATUSES)
    sightings = _counts_by(
        Sighting.objects.in_workflow().filter(open_cases, case__survivor__in=ids),
        "case__survivor",
        links_reported=Count("pk"),
        new_this_week=Count("pk", filter=Q(created_at__gte=week_start)),
        removed_this_week=Count(
            "pk",
            filter=Q(status=SightingStatus.REMOVED, removed_verified_at__gte=week_start),
        ),
        removed_in_all=Count("pk", filter=Q(status=SightingStatus.REMOVED)),
        still_live=Count("pk", filter=still_up_q()),
    )
    takedowns = _counts_by(
        TakedownRequest.objects.filter(open_cases, case__survivor__in=ids),
        "case__survivor",
        requests_waiting=Count("pk", filter=Q(status__in=WAITING_STATUSES)),
        requests_sent_this_week=Count("pk", filter=Q(sent_at__gte=week_start)),
        replies_this_week=Count("pk", filter=Q(decided_at__gte=week_start)),
        # Hers to do: requests she started and has not sent, and counter-notices whose
        # restore window is still ahead (she may want to act before it closes).
        drafts_to_send=Count(
            "pk",
            filter=Q(status=TakedownStatus.DRAFT, created_by=F("case__survivor")),
        ),
        counter_notices=Count(
            "pk",
            filter=Q(counter_notice_on__isnull=False, restore_window_to__gte=now.date()),
        ),
    )
    matches = _counts_by(
        EvidenceMatch.objects.filter(
            evidence__case__status__in=OPEN_STATUSES,
            evidence__case__survivor__in=ids,
            confirmed_at__isnull=True,
        ),
        "evidence__case__survivor",
        copies_to_check=Count("pk"),
    )
    has_open_case = set(
        Case.objects.filter(survivor__in=ids, status__in=OPEN_STATUSES).values_list(
            "survivor", flat=True
        )
    )
    result: dict[int, dict | None] = {}
    for user_id in ids:
        if user_id not in has_open_case:
            result[user_id] = None
            continue
        counts = {
            "links_reported": 0,
            "new_this_week": 0,
            "removed_this_week": 0,
            "removed_in_all": 0,
            "still_live": 0,
            "requests_waiting": 0,
            "requests_sent_this_week": 0,
            "replies_this_week": 0,
            "drafts_to_send": 0,
            "counter_notices": 0,
            "copies_to_check": 0,
        }
        for source in (sightings, takedowns, matches):
            counts.update(source.get(user_id, {}))
        counts["to_do"] = (
            counts["drafts_to_send"] + counts["counter_notices"] + counts["copies_to_check"]
        )
        counts["quiet_week"] = not any(
            counts[key]
            for key in (
                "new_this_week",
                "removed_this_week",
                "requests_sent_this_week",
                "replies_this_week",
            )
        )
        result[user_id] = counts
    return result


def staff_counts(users: list[User], *, now: dt.datetime) -> dict[int, dict]:
    """Per member of staff: her own caseload; supervisors also get the service's figures."""
    ids = [u.pk for u in users]
    week_start = now - WEEK
    cases = _counts_by(
        Case.objects.filter(assigned_to__in=ids, status__in=OPEN_STATUSES),
        "assigned_to",
        cases_assigned=Count("pk"),
        cases_quiet=Count("pk", filter=Q(last_activity_at__lt=now - QUIET_CASE_AFTER)),
    )
    sightings = _counts_by(
        Sighting.objects.filter(
            case__assigned_to__in=ids,
            case__status__in=OPEN_STATUSES,
            created_at__gte=week_start,
        ),
        "case__assigned_to",
        new_sightings=Count("pk"),
    )
    takedowns = _counts_by(
        TakedownRequest.objects.filter(case__assigned_to__in=ids, status__in=WAITING_STATUSES),
        "case__assigned_to",
        requests_overdue=Count("pk", filter=Q(due_at__lt=now)),
        requests_due_soon=Count("pk", filter=Q(due_at__gte=now, due_at__lt=now + DUE_SOON)),
    )
    unassigned = Case.objects.filter(assigned_to=None, status__in=OPEN_STATUSES).count()
    service = service_figures(now=now) if any(u.is_supervisor for u in users) else None
    result = {}
    for user in users:
        counts = {
            "cases_assigned": 0,
            "cases_quiet": 0,
            "new_sightings": 0,
            "requests_overdue": 0,
            "requests_due_soon": 0,
            "unassigned": unassigned,
        }
        for source in (cases, sightings, takedowns):
            counts.update(source.get(user.pk, {}))
        if user.is_supervisor:
            counts["service"] = service
        result[user.pk] = counts
    return result


def service_figures(*, now: dt.datetime) -> dict:
    """The whole service's week, for supervisors: a few grouped queries."""
    week_start = now - WEEK
    cases = Case.objects.aggregate(
        open_cases=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        new_cases=Count("pk", filter=Q(created_at__gte=week_start)),
        cases_quiet=Count(
            "pk",
            filter=Q(status__in=OPEN_STATUSES, last_activity_at__lt=now - QUIET_CASE_AFTER),
        ),
    )
    sightings = Sighting.objects.aggregate(
        new_sightings=Count("pk", filter=Q(created_at__gte=week_start)),
        removed_this_week=Count(
            "pk", filter=Q(status=SightingStatus.REMOVED, removed_verified_at__gte=week_start)
        ),
    )
    waiting = TakedownRequest.objects.filter(status__in=WAITING_STATUSES)
    takedowns = waiting.aggregate(
        requests_overdue=Count("pk", filter=Q(due_at__lt=now)),
        requests_due_soon=Count("pk", filter=Q(due_at__gte=now, due_at__lt=now + DUE_SOON)),
        # A site outside the directory is known only by the host a survivor typed, which
        # can name her or the leak: it is counted, never named, in an email.
        other_sites_overdue=Count("pk", filter=Q(due_at__lt=now, platform__isnull=True)),
    )
    most_overdue = [
        {"platform": row["platform__name"], "overdue": row["n"]}
        for row in waiting.filter(due_at__lt=now, platform__isnull=False)
        .values("platform__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "platform__name")[:MOST_OVERDUE_PLATFORMS]
    ]
    return {**cases, **sightings, **takedowns, "most_overdue_platforms": most_overdue}


def digest_counts(users: list[User], *, now: dt.datetime) -> dict[int, dict | None]:
    """Counts for a mixed batch of people, each by her role."""
    staff = [u for u in users if u.is_support_staff]
    survivors = [u for u in users if u.role == Role.SURVIVOR]
    counts: dict[int, dict | None] = {}
    if survivors:
        counts.update(survivor_counts(survivors, now=now))
    if staff:
        counts.update(staff_counts(staff, now=now))
    return counts


@dataclasses.dataclass
class WeeklyEmailState:
    status: WeeklyStatus | None
    last: OutgoingEmail | None


def weekly_email_state(user: User | None) -> WeeklyEmailState | None:
    """For the staff case file: is her weekly email on, and how did the last one go."""
    if user is None:
        return None
    return WeeklyEmailState(
        status=WeeklyStatus.objects.filter(user=user).first(),
        last=OutgoingEmail.objects.filter(user=user, kind__in=WEEKLY_KINDS)
        .order_by("-created_at")
        .first(),
    )

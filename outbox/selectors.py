"""Reads of the outbox: what needs a look, and how sending goes."""

import dataclasses
import datetime as dt

from django.db.models import Count, Q, QuerySet

from outbox.models import PROBLEM_STATUSES, OutgoingEmail

WEEK = dt.timedelta(days=7)


def outbox_problems(*, limit: int = 200) -> QuerySet[OutgoingEmail]:
    """Emails that did not go out, or may not have, for staff to look at."""
    return (
        OutgoingEmail.objects.filter(status__in=PROBLEM_STATUSES)
        .select_related("user")
        .order_by("-created_at")[:limit]
    )


@dataclasses.dataclass
class OutboxSummary:
    pending: int
    sent_this_week: int
    problems: int


def outbox_summary(*, now: dt.datetime) -> OutboxSummary:
    figures = OutgoingEmail.objects.aggregate(
        pending=Count("pk", filter=Q(status="pending")),
        sent_this_week=Count("pk", filter=Q(status="sent", sent_at__gte=now - WEEK)),
        problems=Count("pk", filter=Q(status__in=PROBLEM_STATUSES)),
    )
    return OutboxSummary(**figures)

"""Reads of the outbox: what needs a look, and how sending goes."""

import dataclasses
import datetime as dt
import typing

from django.db.models import Count, Q, QuerySet

from outbox.models import PROBLEM_STATUSES, EmailKind, EmailStatus, OutgoingEmail

WEEK = dt.timedelta(days=7)


def outbox_problems(*, limit: int = 200) -> QuerySet[OutgoingEmail]:
    """Emails that did not go out, or may not have, for staff to look at."""
    return outbox_emails(problems_only=True)[:limit]


def outbox_emails(
    *, kind: str = "", status: str = "", problems_only: bool = False
) -> QuerySet[OutgoingEmail]:
    """The outbox's rows, newest first, of one kind and one state when they are given."""
    emails = OutgoingEmail.objects.select_related("user").order_by("-created_at")
    if kind:
        emails = emails.filter(kind=kind)
    if problems_only:
        emails = emails.filter(status__in=PROBLEM_STATUSES)
    elif status:
        emails = emails.filter(status=status)
    return emails


@dataclasses.dataclass
class OutboxSummary:
    pending: int
    sent_this_week: int
    problems: int


def outbox_summary(*, now: dt.datetime, counts: "OutboxCounts | None" = None) -> OutboxSummary:
    """Waiting, sent in the last week, and problems. Given the page's `counts` (by kind
    and state), waiting and problems are read from them, and only the last week's sent
    emails are counted (from the index on sent emails' sent_at), not every email again."""
    if counts is None:
        figures = OutgoingEmail.objects.aggregate(
            pending=Count("pk", filter=Q(status="pending")),
            sent_this_week=Count("pk", filter=Q(status="sent", sent_at__gte=now - WEEK)),
            problems=Count("pk", filter=Q(status__in=PROBLEM_STATUSES)),
        )
        return OutboxSummary(**figures)
    by_state = {cell.state: cell.count for cell in counts.by_state}
    return OutboxSummary(
        pending=by_state.get(EmailStatus.PENDING, 0),
        sent_this_week=OutgoingEmail.objects.filter(
            status=EmailStatus.SENT, sent_at__gte=now - WEEK
        ).count(),
        problems=sum(by_state.get(status, 0) for status in PROBLEM_STATUSES),
    )


class StateCount(typing.NamedTuple):
    state: str
    label: str
    count: int


@dataclasses.dataclass(frozen=True)
class KindCounts:
    kind: str
    label: str
    by_state: list[StateCount]  # one per EmailStatus, in the order of its choices
    total: int
    known: bool = True


@dataclasses.dataclass(frozen=True)
class OutboxCounts:
    states: list[tuple[str, str]]  # (value, label) of every state, the columns
    kinds: list[KindCounts]  # every kind of the model's choices, then any other found
    by_state: list[StateCount]
    total: int

    @property
    def other_kinds(self) -> list[str]:
        return [row.kind for row in self.kinds if not row.known]


def outbox_counts() -> OutboxCounts:
    """How many emails of each kind are in each state, in one grouped query. Every kind of
    EmailKind has its row, none sent yet included; a kind found in the table that is no
    longer among the choices gets one too, named by its stored value."""
    found = {
        (row["kind"], row["status"]): row["n"]
        for row in OutgoingEmail.objects.order_by()
        .values("kind", "status")
        .annotate(n=Count("*"))  # count(*): from the (kind, status) index alone
    }
    states = list(EmailStatus.choices)
    known = dict(EmailKind.choices)
    others = sorted({kind for kind, _ in found} - set(known))
    kinds = []
    for kind, label in [*known.items(), *((kind, kind) for kind in others)]:
        by_state = [StateCount(s, name, found.get((kind, s), 0)) for s, name in states]
        total = sum(cell.count for cell in by_state)
        kinds.append(KindCounts(kind, label, by_state, total, known=kind in known))
    by_state = [
        StateCount(s, name, sum(row.by_state[i].count for row in kinds))
        for i, (s, name) in enumerate(states)
    ]
    return OutboxCounts(
        states=states, kinds=kinds, by_state=by_state, total=sum(row.total for row in kinds)
    )

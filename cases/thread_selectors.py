"""Reads of a case's conversation: the thread as one reader sees it, and what is new to her.

New to a reader: a message from the other side (for her, staff's; for staff, hers), not
withdrawn, written after her read marker (cases.models.ThreadRead). Staff count only what
survivors wrote: a colleague's reply is not something waiting for them.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import User
from cases.models import Case, CaseNote, NoteVisibility, ThreadRead


@dataclass
class ThreadMessage:
    note: CaseNote
    who: str  # as the reader should see it: "You", "Your caseworker", a name
    mine: bool
    new: bool
    can_edit: bool
    can_withdraw: bool


@dataclass
class Thread:
    messages: list[ThreadMessage]
    new_count: int
    newest_at: dt.datetime | None  # what the reader has now seen up to


def _from_the_other_side(user: User) -> Q:
    return Q(from_survivor=True) if user.is_support_staff else Q(from_survivor=False)


def _not_yet_read_by(user: User) -> Exists:
    """Messages written after `user`'s read marker on their case (all of them when she has
    none): the one rule of "new" that the per-case count and the any-case check share."""
    return ~Exists(
        ThreadRead.objects.filter(
            case=OuterRef("case"), user=user, read_up_to__gte=OuterRef("created_at")
        )
    )


def thread_for(user: User, case: Case) -> Thread:
    """The conversation, oldest first, for her (she sees "You" and "Your caseworker") or for
    staff (who see names). Two queries: the messages with their authors, and her marker."""
    notes = list(
        case.notes.filter(visibility=NoteVisibility.SHARED)
        .select_related("author")
        .order_by("created_at", "pk")
    )
    marker = ThreadRead.objects.filter(case=case, user=user)
    read_up_to = marker.values_list("read_up_to", flat=True).first()
    for_staff = user.is_support_staff
    messages = []
    for note in notes:
        mine = note.author_id is not None and note.author_id == user.pk
        from_other_side = note.from_survivor if for_staff else not note.from_survivor
        new = (
            from_other_side
            and note.withdrawn_at is None
            and (read_up_to is None or note.created_at > read_up_to)
        )
        if note.from_survivor:
            who = "You" if mine else f"{case.pseudonym} (survivor)"
        elif for_staff:
            who = "You" if mine else (str(note.author) if note.author else "A former colleague")
        else:
            who = "Your caseworker"
        withdrawn = note.withdrawn_at is not None
        messages.append(
            ThreadMessage(
                note=note,
                who=who,
                mine=mine,
                new=new,
                can_edit=not withdrawn
                and not note.from_survivor
                and for_staff
                and (mine or user.is_supervisor),
                can_withdraw=not withdrawn
                and (
                    (note.from_survivor and user.pk == case.survivor_id)
                    or (not note.from_survivor and for_staff and (mine or user.is_supervisor))
                ),
            )
        )
    return Thread(
        messages=messages,
        new_count=sum(1 for m in messages if m.new),
        newest_at=notes[-1].created_at if notes else None,
    )


def unread_messages(user: User) -> Coalesce:
    """An annotation for a queryset of cases: how many messages are new to `user` on each
    (one correlated count, so a list of cases costs no query per row)."""
    unread = (
        CaseNote.objects.filter(
            _from_the_other_side(user),
            case=OuterRef("pk"),
            visibility=NoteVisibility.SHARED,
            withdrawn_at__isnull=True,
        )
        .filter(_not_yet_read_by(user))
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(unread, output_field=IntegerField()), 0)


def has_unread_messages(user: User) -> bool:
    """Anything new to her on any case of hers (a survivor), or from a survivor on any case
    assigned to her (staff): who the "You have an update" email is for."""
    mine = Q(case__assigned_to=user) if user.is_support_staff else Q(case__survivor=user)
    return (
        CaseNote.objects.filter(
            mine,
            _from_the_other_side(user),
            visibility=NoteVisibility.SHARED,
            withdrawn_at__isnull=True,
        )
        .filter(_not_yet_read_by(user))
        .exists()
    )


def with_unread_messages(cases: QuerySet[Case], user: User) -> QuerySet[Case]:
    return cases.annotate(unread_messages=unread_messages(user))

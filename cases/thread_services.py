"""Writes to a case's conversation: she writes to her caseworker, staff answer, in one
thread. A message is a shared CaseNote (cases.models): staff's are the shared notes, hers
have `from_survivor`. Internal notes are never part of it.

Each write records its CaseEvent in the same transaction, saying that a message was sent,
corrected or withdrawn and by whom, never what it said.
"""

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from cases.models import Case, CaseNote, EventKind, NoteVisibility
from cases.services import event_record
from cases.update_notices import update_notice_send
from leakcase.locking import StateChanged

MESSAGE_MAX_LENGTH = 5000


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": gettext("Write your message first.")})
    if len(body) > MESSAGE_MAX_LENGTH:
        raise ValidationError(
            {
                "body": gettext("Keep the message under %(limit)s characters (it has %(count)s).")
                % {"limit": MESSAGE_MAX_LENGTH, "count": len(body)}
            }
        )
    return body


def _is_hers(case: Case, user: User) -> bool:
    return user.pk is not None and user.pk == case.survivor_id


def _record_message_event(
    note: CaseNote, acting_user: User, kind: EventKind, new_value: dict
) -> None:
    """A message sent, corrected or withdrawn is part of the conversation, so its event is on
    her timeline too (internal=False), whoever acted."""
    event_record(
        case=note.case,
        actor=acting_user,
        kind=kind,
        target=note,
        new_value=new_value,
        internal=False,
    )


def message_post(
    *, case: Case, body: str, acting_user: User, key: uuid.UUID | None = None
) -> tuple[CaseNote, bool]:
    """She writes to her caseworker, or staff write to her. Returns (message, created).

    `key` is the posting form's hidden idempotency key: the same form arriving twice (a double
    tap, a restored tab) returns the message the first one made, and notifies nobody again."""
    from_survivor = _is_hers(case, acting_user)
    if not from_survivor and not acting_user.is_support_staff:
        raise PermissionDenied("Only she and support staff write in this conversation.")
    body = _clean_body(body)
    if key is not None and (earlier := _posted_with(key, case, acting_user)) is not None:
        return earlier, False
    try:
        with transaction.atomic():
            note = CaseNote.objects.create(
                case=case,
                author=acting_user,
                body=body,
                visibility=NoteVisibility.SHARED,
                from_survivor=from_survivor,
                idempotency_key=key,
            )
            _record_message_event(
                note, acting_user, EventKind.MESSAGE_SENT, {"from_survivor": from_survivor}
            )
            message_notify(case=case, message=note)
    except IntegrityError:
        # The same form, posted twice at once: the other request's row won the key.
        earlier = _posted_with(key, case, acting_user) if key is not None else None
        if earlier is None:
            raise
        return earlier, False
    return note, True


def _posted_with(key: uuid.UUID, case: Case, user: User) -> CaseNote | None:
    earlier = CaseNote.objects.filter(idempotency_key=key).first()
    if earlier is None:
        return None
    if earlier.case_id != case.pk or earlier.author_id != user.pk:
        # Not a repeat of one's own form: a key is never shared, so refuse rather than guess.
        raise ValidationError(
            gettext("This form was already used. Reload the page and write again.")
        )
    return earlier


def message_notify(*, case: Case, message: CaseNote) -> None:
    """Who is told that something is new: her message, the assigned caseworker (a case in
    the queue shows it in the caseload, and emails nobody); staff's message, her, if she has
    an account (a helpline case without one: nobody). Inside the message's transaction."""
    if message.from_survivor:
        update_notice_send(to=case.assigned_to)
    else:
        update_notice_send(to=case.survivor)


def _check_may_change(note: CaseNote, user: User, *, withdrawing: bool) -> None:
    if note.visibility != NoteVisibility.SHARED:
        raise PermissionDenied("Only messages in the conversation are corrected here.")
    if note.from_survivor:
        # Hers are hers: she may take one back; nobody rewrites what she said.
        if not (withdrawing and _is_hers(note.case, user)):
            raise PermissionDenied("Only she can withdraw her message.")
        return
    if not user.is_support_staff or not (user.pk == note.author_id or user.is_supervisor):
        raise PermissionDenied("Only its author or a supervisor can change this message.")


def message_edit(*, note: CaseNote, body: str, revision: int, acting_user: User) -> CaseNote:
    """Correct a staff message. `revision` is the one the editor started from: if another tab
    changed or withdrew it since, nothing is overwritten (StateChanged says so)."""
    _check_may_change(note, acting_user, withdrawing=False)
    body = _clean_body(body)
    now = timezone.now()
    with transaction.atomic():
        changed = CaseNote.objects.filter(
            pk=note.pk, revision=revision, withdrawn_at__isnull=True
        ).update(body=body, revision=F("revision") + 1, edited_at=now)
        if not changed:
            raise StateChanged(
                gettext(
                    "This message was corrected or withdrawn by someone else since you opened "
                    "it. It is shown as it is now; nothing was overwritten."
                )
            )
        note.refresh_from_db()
        _record_message_event(
            note, acting_user, EventKind.MESSAGE_EDITED, {"revision": note.revision}
        )
    return note


def message_withdraw(*, note: CaseNote, acting_user: User) -> CaseNote:
    """Take a message back: it stays in the thread as "withdrawn", without its text. Twice
    (two tabs) is once: the second finds it withdrawn and records nothing."""
    _check_may_change(note, acting_user, withdrawing=True)
    now = timezone.now()
    with transaction.atomic():
        changed = CaseNote.objects.filter(pk=note.pk, withdrawn_at__isnull=True).update(
            withdrawn_at=now, body="", revision=F("revision") + 1
        )
        note.refresh_from_db()
        if changed:
            _record_message_event(
                note,
                acting_user,
                EventKind.MESSAGE_WITHDRAWN,
                {"from_survivor": note.from_survivor},
            )
    return note


def thread_mark_read(*, case: Case, user: User, up_to) -> None:
    """She has seen the conversation up to `up_to` (the newest message she was shown). The
    marker only moves forward: two tabs opening the thread at once, in any order, leave the
    later of the two (one upsert, no read-then-write)."""
    if up_to is None or user.pk is None:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_threadread (case_id, user_id, read_up_to) VALUES (%s, %s, %s) "
            "ON CONFLICT (case_id, user_id) DO UPDATE "
            "SET read_up_to = GREATEST(cases_threadread.read_up_to, EXCLUDED.read_up_to)",
            [case.pk, user.pk, up_to],
        )

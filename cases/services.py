"""Every write to a case goes through here, with its CaseEvent in the same transaction."""

import secrets

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Role, User
from accounts.services import email_verify_by_invitation
from cases.models import (
    INTERNAL_EVENT_KINDS,
    STATUS_TRANSITIONS,
    Case,
    CaseEvent,
    CaseNote,
    CaseStatus,
    EventKind,
    NoteVisibility,
    NoticeContact,
    Priority,
    new_reference,
)
from cases.update_notices import update_notice_send
from leakcase.emails import make_message
from leakcase.locking import StateChanged, locked
from outbox.models import EmailKind, OutgoingEmail
from outbox.services import outgoing_send_now, outgoing_write

# Six characters from a 30-letter alphabet give 729 million references; a clash is rare, so
# a few fresh draws always find a free one.
REFERENCE_ATTEMPTS = 5
# A claim link is read out on a helpline call or sent by email; two weeks gives a person in
# crisis time, and a new link can always be issued.
INVITATION_MAX_AGE = 14 * 24 * 3600
INVITATION_SALT = "leakcase.cases.invitation"
ASSIGNABLE_ROLES = (Role.CASEWORKER, Role.SUPERVISOR)


# --- the timeline -----------------------------------------------------------------------


def event_build(
    *,
    case: Case,
    actor: User | None,
    kind: EventKind,
    target: models.Model | None = None,
    old_value=None,
    new_value=None,
    internal: bool | None = None,
) -> CaseEvent:
    """An unsaved event; events_record saves a batch of them."""
    return CaseEvent(
        case=case,
        actor=actor,
        kind=kind,
        internal=kind in INTERNAL_EVENT_KINDS if internal is None else internal,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        old_value=old_value,
        new_value=new_value,
    )


def events_record(case: Case, events: list[CaseEvent]) -> list[CaseEvent]:
    """Append to the case's timeline and mark the case active now. Call it inside the
    transaction that made the change."""
    saved = CaseEvent.objects.bulk_create(events)
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(last_activity_at=now)
    case.last_activity_at = now
    return saved


def events_record_for_cases(events: list[tuple[Case, list[CaseEvent]]]) -> list[CaseEvent]:
    """events_record for many cases at once (a batch of rechecks touches dozens): one
    INSERT and one UPDATE however many cases, the same rows as one call per case."""
    saved = CaseEvent.objects.bulk_create(
        [event for _, case_events in events for event in case_events]
    )
    now = timezone.now()
    Case.objects.filter(pk__in=[case.pk for case, _ in events]).update(last_activity_at=now)
    for case, _ in events:
        case.last_activity_at = now
    return saved


def event_record(**kwargs) -> CaseEvent:
    return events_record(kwargs["case"], [event_build(**kwargs)])[0]


def change_record(
    row: models.Model,
    changed: list[str],
    *,
    case: Case,
    kind: EventKind,
    acting_user: User | None,
    old_value=None,
    new_value=None,
) -> CaseEvent:
    """Save the fields a change set on `row` (a case, a takedown request), with its
    updated_at, and write the change's CaseEvent on it: every change is both, in the
    caller's transaction. acting_user None: the service itself did it (a recheck)."""
    row.save(update_fields=[*changed, "updated_at"])
    return event_record(
        case=case,
        actor=acting_user,
        kind=kind,
        target=row,
        old_value=old_value,
        new_value=new_value,
    )


# --- opening and claiming ----------------------------------------------------------------


def case_open(
    *, survivor: User, pseudonym: str, acting_user: User, jurisdiction: str = ""
) -> Case:
    """A survivor opens her own case. The pseudonym is all we need to start."""
    return _case_create(
        acting_user=acting_user,
        survivor=survivor,
        contact_email=survivor.email,
        pseudonym=pseudonym.strip(),
        jurisdiction=jurisdiction,
    )


def case_open_for_caller(
    *,
    pseudonym: str,
    contact_email: str,
    acting_user: User,
    involves_minor: bool = False,
    threats_or_extortion: bool = False,
    jurisdiction: str = "",
) -> Case:
    """Staff open a case for someone without an account (a helpline call). The case is
    theirs to work; the survivor can claim it later with an invitation link."""
    _require_staff(acting_user)
    urgent = involves_minor or threats_or_extortion
    return _case_create(
        acting_user=acting_user,
        survivor=None,
        contact_email=contact_email.strip().lower(),
        pseudonym=pseudonym.strip(),
        assigned_to=acting_user,
        status=CaseStatus.ACTIVE,
        involves_minor=involves_minor,
        threats_or_extortion=threats_or_extortion,
        priority=Priority.URGENT if urgent else Priority.NORMAL,
        jurisdiction=jurisdiction,
    )


def _case_create(*, acting_user: User, **fields) -> Case:
    for attempt in range(REFERENCE_ATTEMPTS):
        try:
            with transaction.atomic():
                case = Case.objects.create(reference=new_reference(), **fields)
                event_record(
                    case=case,
                    actor=acting_user,
                    kind=EventKind.CASE_OPENED,
                    target=case,
                    new_value={"pseudonym": case.pseudonym, "status": case.status},
                )
                return case
        except IntegrityError:
            if attempt == REFERENCE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def invitation_issue(*, case: Case, acting_user: User) -> str:
    """A signed, expiring token that lets the survivor claim this case. Issuing a new one
    voids the old ones."""
    _require_staff(acting_user)
    if case.survivor_id is not None:
        raise ValidationError(gettext("This case already belongs to a survivor's account."))
    with transaction.atomic():
        case.invitation_nonce = secrets.token_urlsafe(16)
        change_record(
            case,
            ["invitation_nonce"],
            case=case,
            kind=EventKind.INVITATION_ISSUED,
            acting_user=acting_user,
        )
    return signing.dumps(
        {"case": case.reference, "nonce": case.invitation_nonce}, salt=INVITATION_SALT
    )


def invitation_email_send(*, case: Case, link: str) -> OutgoingEmail:
    """The claim link to the case's contact address: an email in the outbox, sent at once
    (one attempt: the caseworker is told whether it went, and gives her the link if not).
    Returns the email as it ended."""
    email = outgoing_write(
        kind=EmailKind.INVITATION,
        # No account yet, so no language of hers to go by: the site's default, not the
        # caseworker's (make_message never uses the active language).
        message=make_message("invitation", {"link": link}, to=case.contact_email),
    )
    return outgoing_send_now(email=email)


class InvitationInvalid(Exception):
    """The link is expired, used, replaced or altered; str(error) says which, kindly."""


def invitation_case(token: str) -> Case:
    """The unclaimed case a token points at, or InvitationInvalid."""
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=INVITATION_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise InvitationInvalid(
            "This link has expired. Please ask the helpline for a new one."
        ) from exc
    except signing.BadSignature as exc:
        raise InvitationInvalid(
            "This link is not valid. Please check it was copied whole."
        ) from exc
    case = Case.objects.filter(reference=data.get("case"), survivor=None).first()
    if case is None or not case.invitation_nonce or case.invitation_nonce != data.get("nonce"):
        raise InvitationInvalid("This link has already been used or was replaced by a newer one.")
    return case


def invitation_claim(*, token: str, user: User) -> Case:
    if user.role != Role.SURVIVOR:
        raise PermissionDenied("Staff accounts cannot claim a case.")
    with transaction.atomic():
        case = invitation_case(token)
        # Only the first claim wins, even if two people open the link at once.
        claimed = Case.objects.filter(
            pk=case.pk, survivor=None, invitation_nonce=case.invitation_nonce
        ).update(survivor=user, invitation_nonce="", updated_at=timezone.now())
        if claimed != 1:
            raise InvitationInvalid("This link has already been used.")
        case.refresh_from_db()
        event_record(case=case, actor=user, kind=EventKind.CLAIMED, target=case)
        # The link was emailed to the contact address: if she signed up with that address,
        # following it has proven she reads it, as a confirmation link would.
        email_verify_by_invitation(user=user, invited_email=case.contact_email)
    return case


# --- triage ---------------------------------------------------------------------------


def case_file_triage(
    *,
    case: Case,
    priority: str,
    involves_minor: bool,
    threats_or_extortion: bool,
    acting_user: User,
    jurisdiction: str | None = None,
) -> Case:
    """The case file's part of a triage: the priority and its reasons, and the country
    (which decides legal routes). A minor, threats or extortion make a case urgent whatever
    priority was asked for. A triage is casework.services.case_triage, which calls this and
    gives the case's live links the tighter action window in the same transaction."""
    _require_staff(acting_user)
    if priority not in Priority.values:
        raise ValidationError({"priority": f"{priority!r} is not a priority."})
    if involves_minor or threats_or_extortion:
        priority = Priority.URGENT
    old = _triage_values(case)
    new = {
        "priority": priority,
        "involves_minor": involves_minor,
        "threats_or_extortion": threats_or_extortion,
        "jurisdiction": case.jurisdiction if jurisdiction is None else jurisdiction,
    }
    if old == new:
        return case
    with transaction.atomic():
        locked(case)
        if _triage_values(case) != old:
            raise StateChanged(
                gettext(
                    "Someone changed this case's priority or its reasons a moment ago. Nothing "
                    "was saved; look at them again."
                )
            )
        for field, value in new.items():
            setattr(case, field, value)
        change_record(
            case,
            [*new],
            case=case,
            kind=EventKind.TRIAGED,
            acting_user=acting_user,
            old_value=old,
            new_value=new,
        )
    return case


def _triage_values(case: Case) -> dict:
    return {
        "priority": case.priority,
        "involves_minor": case.involves_minor,
        "threats_or_extortion": case.threats_or_extortion,
        "jurisdiction": case.jurisdiction,
    }


def case_change_status(*, case: Case, to: str, acting_user: User | None) -> Case:
    """Move a case along its lifecycle; a move the lifecycle does not allow is refused with
    the moves that are allowed."""
    _require_staff(acting_user)
    if to not in CaseStatus.values:
        raise ValidationError({"status": f"{to!r} is not a case status."})
    current = CaseStatus(case.status)
    allowed = STATUS_TRANSITIONS[current]
    if to not in allowed:
        names = gettext(" or ").join(sorted(str(CaseStatus(s).label) for s in allowed))
        raise ValidationError(
            {
                "status": gettext("A %(current)s case can go to %(allowed)s, not to %(to)s.")
                % {
                    "current": str(current.label).lower(),
                    "allowed": names,
                    "to": CaseStatus(to).label,
                }
            }
        )
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, status=current).update(
            status=to, updated_at=timezone.now()
        )
        if updated != 1:
            raise StateChanged(
                {"status": gettext("Someone changed this case a moment ago; reload it.")}
            )
        case.status = to
        event_record(
            case=case,
            actor=acting_user,
            kind=EventKind.STATUS_CHANGED,
            target=case,
            old_value={"status": current.value},
            new_value={"status": to},
        )
    return case


# --- assignment ----------------------------------------------------------------------


def case_assign(*, case: Case, to: User | None, acting_user: User) -> Case:
    """Caseworkers take unassigned cases for themselves and may hand their own back to the
    queue; supervisors assign any case to any caseworker or supervisor, or to nobody."""
    _require_staff(acting_user)
    _check_assignee(to)
    if not acting_user.is_supervisor:
        taking = to == acting_user and case.assigned_to_id is None
        releasing = to is None and case.assigned_to_id == acting_user.pk
        if not (taking or releasing):
            raise PermissionDenied("Only a supervisor can reassign a case.")
    old = case.assigned_to_id
    if old == (to.pk if to else None):
        return case
    with transaction.atomic():
        # Re-read under lock and conditional on what we saw: two people taking the same case
        # cannot both win, and the move to active below sees the status as it is now.
        locked(case)
        if case.assigned_to_id != old:
            raise StateChanged(gettext("Someone else assigned this case a moment ago."))
        case.assigned_to = to
        change_record(
            case,
            ["assigned_to"],
            case=case,
            kind=EventKind.ASSIGNED,
            acting_user=acting_user,
            old_value={"assigned_to": old},
            new_value={"assigned_to": to.pk if to else None},
        )
        if to is not None and case.status == CaseStatus.NEW:
            # Someone is working on it now; the timeline says so like any other move.
            case_change_status(case=case, to=CaseStatus.ACTIVE, acting_user=acting_user)
    return case


def cases_assign_from_queue(
    *, references: list[str], to: User, acting_user: User
) -> tuple[list[Case], list[str]]:
    """Assign several unassigned cases at once. Returns the cases assigned and the
    references that were not (already taken, or not in the queue)."""
    assigned, skipped = [], []
    for case in Case.objects.filter(reference__in=references, assigned_to=None):
        try:
            assigned.append(case_assign(case=case, to=to, acting_user=acting_user))
        except ValidationError:
            skipped.append(case.reference)
    found = {case.reference for case in assigned} | set(skipped)
    skipped.extend(ref for ref in references if ref not in found)
    return assigned, skipped


def _check_assignee(to: User | None) -> None:
    if to is not None and (not to.is_active or to.role not in ASSIGNABLE_ROLES):
        raise ValidationError(
            {
                "assigned_to": gettext(
                    "Cases can only be assigned to an active caseworker or supervisor."
                )
            }
        )


# --- notes ------------------------------------------------------------------------------


def note_add(*, case: Case, body: str, visibility: str, acting_user: User) -> CaseNote:
    _require_staff(acting_user)
    body = body.strip()
    if not body:
        raise ValidationError({"body": gettext("The note is empty.")})
    if visibility not in NoteVisibility.values:
        raise ValidationError({"visibility": gettext("Choose who can read the note.")})
    with transaction.atomic():
        note = CaseNote.objects.create(
            case=case, author=acting_user, body=body, visibility=visibility
        )
        event_record(
            case=case,
            actor=acting_user,
            kind=EventKind.NOTE_ADDED,
            target=note,
            new_value={"visibility": visibility},
            internal=visibility == NoteVisibility.INTERNAL,
        )
        if visibility == NoteVisibility.SHARED:
            # A shared note is a message to her (cases.thread_services): she is told.
            update_notice_send(to=case.survivor)
    return note


# --- her consent, and what notices say about her ---------------------------------------

CONSENT_NOTE_MAX = 300


def case_set_consent(*, case: Case, given: bool, acting_user: User, note: str = "") -> Case:
    """Record that she gives, or withdraws, her consent for LeakCase to write to platforms
    for her. Without it nothing is emailed for her, reminders included, and staff mark
    nothing as submitted (takedowns.services)."""
    note = _consent_note(case, acting_user, note, widens=given)
    with transaction.atomic():
        locked(case)  # two tabs: the second finds it already done, and records nothing
        if case.consent_to_contact_platforms == given:
            return case
        case.consent_to_contact_platforms = given
        change_record(
            case,
            ["consent_to_contact_platforms"],
            case=case,
            kind=EventKind.CONSENT_GIVEN if given else EventKind.CONSENT_WITHDRAWN,
            acting_user=acting_user,
            old_value={"consent": not given},
            new_value={"consent": given, "note": note},
        )
    return case


def case_set_hash_sharing(*, case: Case, given: bool, acting_user: User, note: str = "") -> Case:
    """Record that she gives, or withdraws, her consent for staff to share the fingerprints
    (hashes) of her images to find with platforms and hash-sharing programmes. A separate
    question from writing to platforms: without it nothing is exported
    (evidence.hash_exchange). Who may decide is as for that consent (_consent_note)."""
    note = _consent_note(case, acting_user, note, widens=given)
    with transaction.atomic():
        locked(case)
        if case.consent_to_share_hashes == given:
            return case
        case.consent_to_share_hashes = given
        change_record(
            case,
            ["consent_to_share_hashes"],
            case=case,
            kind=EventKind.HASH_SHARING_GIVEN if given else EventKind.HASH_SHARING_WITHDRAWN,
            acting_user=acting_user,
            old_value={"consent": not given},
            new_value={"consent": given, "note": note},
        )
    return case


def case_set_notice_contact(
    *, case: Case, notice_contact: str, acting_user: User, note: str = ""
) -> Case:
    """Which email address notices give the platform: the service's reply address (the
    default) or hers. A draft's own contact address, if someone typed one, still wins."""
    if notice_contact not in NoticeContact.values:
        raise ValidationError({"notice_contact": gettext("Choose which address notices give.")})
    note = _consent_note(case, acting_user, note, widens=notice_contact == NoticeContact.OWN_EMAIL)
    with transaction.atomic():
        locked(case)
        old = case.notice_contact
        if old == notice_contact:
            return case
        case.notice_contact = notice_contact
        change_record(
            case,
            ["notice_contact"],
            case=case,
            kind=EventKind.NOTICE_CONTACT,
            acting_user=acting_user,
            old_value={"notice_contact": old},
            new_value={"notice_contact": notice_contact, "note": note},
        )
    return case


def _consent_note(case: Case, acting_user: User, note: str, *, widens: bool) -> str:
    """Who may decide for her. She may, on her own case. Staff record what she told them,
    saying who and when in the note: withdrawing, or keeping her address out, on any case
    (she may ask on the phone to stop); giving, or putting her address in, only on a case
    she has no account for (a helpline case). With an account she gives it herself."""
    note = note.strip()
    if len(note) > CONSENT_NOTE_MAX:
        raise ValidationError(
            {
                "note": gettext("Keep the note under %(limit)s characters.")
                % {"limit": CONSENT_NOTE_MAX}
            }
        )
    if acting_user.pk is not None and acting_user.pk == case.survivor_id:
        return note
    if not acting_user.is_support_staff:
        raise PermissionDenied("Only she, or support staff for her, can decide this.")
    if widens and case.survivor_id is not None:
        raise ValidationError(
            gettext(
                "She has an account: she gives this herself, from her case page. Staff record "
                "it only for a case she has no account for."
            )
        )
    if not note:
        raise ValidationError(
            {
                "note": gettext(
                    "Say who told you and when (for example: she said yes on the call of "
                    "3 Nov, 14:10)."
                )
            }
        )
    return note


def _require_staff(user: User | None) -> None:
    # None is LeakCase itself (a worker acting on a recheck), never a request's user.
    if user is not None and not user.is_support_staff:
        raise PermissionDenied("Only support staff can do this.")

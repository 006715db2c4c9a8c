"""Writes for takedown requests, each with its CaseEvent in the same transaction."""

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, make_msgid
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from cases.models import Case, EventKind
from cases.services import event_record
from evidence.models import Sighting, SightingStatus
from leakcase.emails import make_message
from leakcase.locking import StateChanged, locked
from takedowns import notices
from takedowns.models import (
    WAITING_STATUSES,
    Channel,
    Correspondence,
    CorrespondenceKind,
    DeliveryStatus,
    Direction,
    LegalBasis,
    Platform,
    PlatformDomain,
    StaffDigest,
    TakedownRequest,
    TakedownStatus,
)
from takedowns.selectors import bases_offered, notice_for

# The TAKE IT DOWN Act gives platforms 48 hours from a valid request (47 U.S.C. 223a(a)(3)).
TAKE_IT_DOWN_HOURS = 48
# A site we have no directory entry for: give its host a little longer than a platform.
UNKNOWN_PLATFORM_HOURS = 72
# 17 U.S.C. 512(g)(2)(C): restore "not less than 10, nor more than 14, business days"
# after a counter-notice, unless the complainant files suit.
COUNTER_NOTICE_RESTORE_DAYS = (10, 14)
# DSA Art. 20(1): a complaint may be lodged for at least six months after the decision.
DSA_COMPLAINT_MONTHS = 6

# Where a request may go when the platform answers.
REPLY_TRANSITIONS = {
    TakedownStatus.SENT: {"acknowledged", "removed", "partially_removed", "rejected"},
    TakedownStatus.ACKNOWLEDGED: {"removed", "partially_removed", "rejected"},
    TakedownStatus.ESCALATED: {"acknowledged", "removed", "partially_removed", "rejected"},
    TakedownStatus.PARTIALLY_REMOVED: {"removed", "rejected"},
}
ESCALATE_FROM = {
    TakedownStatus.SENT,
    TakedownStatus.ACKNOWLEDGED,
    TakedownStatus.REJECTED,
    TakedownStatus.PARTIALLY_REMOVED,
}
DRAFT_FIELDS = (
    "legal_basis",
    "recipient_name",
    "recipient_email",
    "signer_name",
    "signer_capacity",
    "contact_email",
    "contact_phone",
    "contact_address",
    "content_description",
    "copyright_work",
    "illegality_explanation",
    "search_result_urls",
    "confirms_no_consent",
    "confirms_good_faith",
    "confirms_accuracy",
    "confirms_perjury",
    "confirms_copyright_owner",
    "confirms_not_paid",
)


def takedowns_draft(
    *, case: Case, sightings: list[Sighting], acting_user: User
) -> list[TakedownRequest]:
    """One draft per platform for the chosen live sightings (sites with no directory entry
    are grouped by host). A sighting already in a draft for its platform joins that one."""
    chosen = [s for s in sightings if s.case_id == case.pk]
    if not chosen:
        raise ValidationError({"sightings": "Choose at least one sighting of this case."})
    not_live = [s.url for s in chosen if s.status != SightingStatus.LIVE]
    if not_live:
        raise ValidationError(
            {"sightings": "Only live sightings can be put in a request: " + ", ".join(not_live)}
        )
    groups: dict[tuple, list[Sighting]] = defaultdict(list)
    for sighting in chosen:
        key = (sighting.platform_id, "" if sighting.platform_id else sighting.host)
        groups[key].append(sighting)

    drafts = []
    with transaction.atomic():
        for (platform_id, host), members in groups.items():
            draft = TakedownRequest.objects.filter(
                case=case, status=TakedownStatus.DRAFT, platform_id=platform_id, host=host
            ).first()
            if draft is None:
                platform = Platform.objects.filter(pk=platform_id).first()
                draft = TakedownRequest.objects.create(
                    case=case,
                    platform=platform,
                    host=host,
                    legal_basis=bases_offered(case, platform)[0],
                    contact_email=case.contact_email,
                    created_by=acting_user,
                )
                event_record(
                    case=case,
                    actor=acting_user,
                    kind=EventKind.TAKEDOWN_DRAFTED,
                    target=draft,
                    new_value={
                        "recipient": draft.recipient,
                        "sightings": [str(s.pk) for s in members],
                    },
                )
            draft.sightings.add(*members)
            drafts.append(draft)
    return drafts


def takedown_update_draft(*, takedown: TakedownRequest, acting_user: User, **fields):
    _require_draft(takedown)
    unknown = set(fields) - set(DRAFT_FIELDS)
    if unknown:
        raise ValueError(f"not draft fields: {sorted(unknown)}")
    basis = fields.get("legal_basis", takedown.legal_basis)
    if basis not in bases_offered(takedown.case, takedown.platform):
        raise ValidationError({"legal_basis": "That route is not offered for this platform."})
    with transaction.atomic():
        _locked_as_seen(takedown)
        if takedown.correspondence.filter(
            kind=CorrespondenceKind.NOTICE, status=DeliveryStatus.PENDING
        ).exists():
            raise StateChanged(
                "This notice is being sent right now; it can no longer change. Nothing was saved."
            )
        for name, value in fields.items():
            setattr(takedown, name, value)
        takedown.save(update_fields=[*fields, "updated_at"])
    return takedown


def takedown_send_email(*, takedown: TakedownRequest, acting_user: User) -> TakedownRequest:
    """Email the notice to the platform. The Correspondence row is saved as pending first;
    only a message the mail server accepted marks the request sent."""
    _require_draft(takedown)
    notice = _sendable(takedown)
    to = takedown.recipient_address
    if not to:
        raise ValidationError(
            "There is no email address for this platform; use its web form and record the "
            "ticket number, or add the abuse address."
        )
    text = notices.render(notice)
    message_id = make_msgid(domain=settings.NOTICE_MESSAGE_ID_DOMAIN)
    try:
        with transaction.atomic():
            _locked_as_seen(takedown)
            letter = Correspondence.objects.create(
                takedown=takedown,
                direction=Direction.OUT,
                kind=CorrespondenceKind.NOTICE,
                channel=Channel.EMAIL,
                subject=notices.subject(notice),
                body=text,
                message_id=message_id,
                status=DeliveryStatus.PENDING,
            )
    except IntegrityError as exc:
        raise StateChanged(ALREADY_BEING_SENT) from exc
    if not _deliver(letter, to):
        raise ValidationError(
            f"The email could not be sent ({letter.error}). Nothing was marked as sent."
        )
    with transaction.atomic():
        # Our pending letter keeps every other sender and editor out; the lock makes sure
        # only the fields marked here are written.
        _lock(takedown)
        letter.status = DeliveryStatus.SENT
        letter.sent_at = timezone.now()
        letter.save(update_fields=["status", "sent_at"])
        _mark_sent(takedown, notice, text, Channel.EMAIL, acting_user, sent_at=letter.sent_at)
    return takedown


def takedown_mark_submitted(
    *, takedown: TakedownRequest, ticket_number: str, acting_user: User
) -> TakedownRequest:
    """The notice went in through the platform's own web form; keep its ticket number."""
    _require_draft(takedown)
    notice = _sendable(takedown)
    ticket_number = ticket_number.strip()
    if not ticket_number:
        raise ValidationError(
            {"ticket_number": "Enter the ticket or reference number the form gave."}
        )
    text = notices.render(notice)
    try:
        with transaction.atomic():
            _locked_as_seen(takedown)
            now = timezone.now()
            Correspondence.objects.create(
                takedown=takedown,
                direction=Direction.OUT,
                kind=CorrespondenceKind.NOTICE,
                channel=Channel.WEB_FORM,
                subject=notices.subject(notice),
                body=text,
                status=DeliveryStatus.SENT,
                sent_at=now,
            )
            takedown.ticket_number = ticket_number
            _mark_sent(
                takedown,
                notice,
                text,
                Channel.WEB_FORM,
                acting_user,
                sent_at=now,
                also_changed=["ticket_number"],
            )
    except IntegrityError as exc:
        # An email of this notice is on its way (its pending letter holds the one place).
        raise StateChanged(ALREADY_BEING_SENT) from exc
    return takedown


def due_hours(takedown: TakedownRequest) -> int:
    if takedown.legal_basis == LegalBasis.TAKE_IT_DOWN:
        return TAKE_IT_DOWN_HOURS
    if takedown.platform is None:
        return UNKNOWN_PLATFORM_HOURS
    return takedown.platform.expected_response_hours


def _mark_sent(takedown, notice, text, channel, acting_user, *, sent_at, also_changed=()):
    """Call with the request locked (it is saved field by field)."""
    takedown.status = TakedownStatus.SENT
    takedown.channel = channel
    takedown.notice_text = text
    takedown.notice_template = notices.template_name(notice.basis)
    takedown.sent_at = sent_at
    takedown.due_at = sent_at + dt.timedelta(hours=due_hours(takedown))
    takedown.save(
        update_fields=[
            "status",
            "channel",
            "notice_text",
            "notice_template",
            "sent_at",
            "due_at",
            "updated_at",
            *also_changed,
        ]
    )
    # Covered: the case is no longer waiting on us for these links, but on the platform.
    takedown.sightings.update(action_due_at=None)
    event_record(
        case=takedown.case,
        actor=acting_user,
        kind=EventKind.TAKEDOWN_SENT,
        target=takedown,
        old_value={"status": TakedownStatus.DRAFT},
        new_value={
            "status": TakedownStatus.SENT,
            "recipient": takedown.recipient,
            "channel": channel,
            "legal_basis": takedown.legal_basis,
            "due_at": takedown.due_at.isoformat(),
        },
    )


def takedown_record_reply(
    *,
    takedown: TakedownRequest,
    body: str,
    decision: str,
    acting_user: User,
    reasons: str = "",
    ticket_number: str = "",
) -> TakedownRequest:
    """A platform's answer, pasted or forwarded. decision is "" (just a message) or the
    status it moves the request to."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Paste the platform's reply."})
    if decision:
        allowed = REPLY_TRANSITIONS.get(takedown.status, set())
        if decision not in allowed:
            raise ValidationError(
                {
                    "decision": f"A request that is {takedown.get_status_display().lower()} "
                    f"cannot become {TakedownStatus(decision).label.lower()}."
                }
            )
    elif takedown.status == TakedownStatus.DRAFT:
        raise ValidationError({"body": "This request has not been sent yet."})
    old_status = takedown.status
    now = timezone.now()
    with transaction.atomic():
        _locked_as_seen(takedown)
        Correspondence.objects.create(
            takedown=takedown,
            direction=Direction.IN,
            kind=CorrespondenceKind.REPLY,
            channel=takedown.channel or Channel.OTHER,
            body=body,
            status=DeliveryStatus.RECEIVED,
        )
        changed = ["updated_at"]
        if ticket_number.strip():
            takedown.ticket_number = ticket_number.strip()
            changed.append("ticket_number")
        if decision:
            takedown.status = decision
            changed.append("status")
            if decision == TakedownStatus.ACKNOWLEDGED:
                takedown.acknowledged_at = now
                changed.append("acknowledged_at")
            else:
                takedown.decided_at = now
                takedown.decision_reasons = reasons.strip()
                changed += ["decided_at", "decision_reasons"]
                if decision == TakedownStatus.REMOVED:
                    takedown.removed_at = now
                    changed.append("removed_at")
                if takedown.legal_basis == LegalBasis.DSA:
                    takedown.complaint_deadline = add_months(now.date(), DSA_COMPLAINT_MONTHS)
                    changed.append("complaint_deadline")
        takedown.save(update_fields=changed)
        event_record(
            case=takedown.case,
            actor=acting_user,
            kind=EventKind.TAKEDOWN_REPLY,
            target=takedown,
            old_value={"status": old_status},
            new_value={"status": takedown.status},
        )
    return takedown


def takedown_record_counter_notice(
    *, takedown: TakedownRequest, received_on: dt.date, body: str, acting_user: User
) -> TakedownRequest:
    if takedown.legal_basis != LegalBasis.DMCA:
        raise ValidationError("Counter-notices exist only for DMCA requests.")
    if takedown.status == TakedownStatus.DRAFT:
        raise ValidationError("This request has not been sent yet.")
    with transaction.atomic():
        _locked_as_seen(takedown)
        Correspondence.objects.create(
            takedown=takedown,
            direction=Direction.IN,
            kind=CorrespondenceKind.COUNTER_NOTICE,
            channel=takedown.channel or Channel.OTHER,
            body=body.strip(),
            status=DeliveryStatus.RECEIVED,
        )
        takedown.counter_notice_on = received_on
        takedown.restore_window_from = add_business_days(
            received_on, COUNTER_NOTICE_RESTORE_DAYS[0]
        )
        takedown.restore_window_to = add_business_days(received_on, COUNTER_NOTICE_RESTORE_DAYS[1])
        takedown.save(
            update_fields=[
                "counter_notice_on",
                "restore_window_from",
                "restore_window_to",
                "updated_at",
            ]
        )
        event_record(
            case=takedown.case,
            actor=acting_user,
            kind=EventKind.COUNTER_NOTICE,
            target=takedown,
            new_value={
                "restore_window_from": takedown.restore_window_from.isoformat(),
                "restore_window_to": takedown.restore_window_to.isoformat(),
            },
        )
    return takedown


def takedown_escalate(*, takedown: TakedownRequest, to: str, acting_user: User) -> TakedownRequest:
    if takedown.status not in ESCALATE_FROM:
        raise ValidationError(
            f"A request that is {takedown.get_status_display().lower()} cannot be escalated."
        )
    if not to.strip():
        raise ValidationError({"to": "Say where it was escalated to."})
    old_status = takedown.status
    with transaction.atomic():
        _locked_as_seen(takedown)
        takedown.status = TakedownStatus.ESCALATED
        takedown.escalated_to = to.strip()
        takedown.save(update_fields=["status", "escalated_to", "updated_at"])
        event_record(
            case=takedown.case,
            actor=acting_user,
            kind=EventKind.TAKEDOWN_ESCALATED,
            target=takedown,
            old_value={"status": old_status},
            new_value={"status": TakedownStatus.ESCALATED, "escalated_to": to.strip()},
        )
    return takedown


def _deliver(letter: Correspondence, to: str) -> bool:
    """Hand a claimed letter to the mail server. On failure the letter keeps the server's
    words, for the caseworker, and is marked failed; the caller marks success."""
    email = EmailMessage(
        subject=letter.subject,
        body=letter.body,
        from_email=settings.NOTICE_FROM_EMAIL,
        to=[to],
        reply_to=[reply_address(letter.takedown)],
        headers={"Message-ID": letter.message_id},
    )
    try:
        if email.send() != 1:  # Django sends nothing, silently, to an empty address list
            raise ValueError("no recipient address")
    except Exception as exc:
        letter.status = DeliveryStatus.FAILED
        letter.error = f"{type(exc).__name__}: {exc}"[:2000]
        letter.save(update_fields=["status", "error"])
        return False
    return True


def reply_address(takedown: TakedownRequest) -> str:
    """Replies come back to an address that names the request, so they can be matched."""
    local, _, domain = settings.NOTICE_REPLY_TO.partition("@")
    return f"{local}+{takedown.pk.hex}@{domain}"


def add_business_days(start: dt.date, days: int) -> dt.date:
    """Weekdays only; public holidays are not known here and are not skipped."""
    current = start
    while days > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def add_months(start: dt.date, months: int) -> dt.date:
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


ALREADY_BEING_SENT = "This notice is already being sent, or was sent; reload the page."


def _lock(takedown: TakedownRequest) -> TakedownRequest:
    # Its case first: the lock order of leakcase/locking.py (event_record writes the case).
    locked(takedown.case)
    return locked(takedown)


def _locked_as_seen(takedown: TakedownRequest) -> TakedownRequest:
    """The request re-read under lock, inside the caller's transaction. Refused when its
    status moved since the caller read it (a colleague sent it, a recheck closed it): what
    the caller decided was decided on the old state."""
    seen = takedown.status
    _lock(takedown)
    if takedown.status != seen:
        raise StateChanged(
            f"This request changed meanwhile: it is now "
            f"{takedown.get_status_display().lower()}. Nothing was saved; look at it again."
        )
    return takedown


def _require_draft(takedown):
    if takedown.status != TakedownStatus.DRAFT:
        raise ValidationError("This request was already sent; its notice cannot change.")


def _sendable(takedown) -> notices.Notice:
    notice = notice_for(takedown)
    missing = notices.lint(notice)
    if missing:
        raise ValidationError(
            {"__all__": [f"Missing: {label}" for label in missing]}, code="incomplete"
        )
    return notice


def platform_save(*, platform: Platform, domains: list[str], acting_user: User) -> Platform:
    """Save a directory entry and its domains (supervisors). A domain may belong to one
    platform only."""
    if not acting_user.is_supervisor:
        raise PermissionDenied("Only supervisors edit the platform directory.")
    cleaned = sorted({d.strip().lower().rstrip(".") for d in domains if d.strip()})
    if not cleaned:
        raise ValidationError({"domains_text": "Give at least one domain."})
    taken = PlatformDomain.objects.filter(domain__in=cleaned).exclude(platform_id=platform.pk)
    if taken.exists():
        names = ", ".join(f"{d.domain} ({d.platform})" for d in taken.select_related("platform"))
        raise ValidationError({"domains_text": f"Already in the directory under: {names}"})
    with transaction.atomic():
        if not platform.slug:
            platform.slug = slugify(platform.name)
        platform.save()
        platform.domains.exclude(domain__in=cleaned).delete()
        for domain in cleaned:
            PlatformDomain.objects.get_or_create(platform=platform, domain=domain)
    return platform


# --- reminders ------------------------------------------------------------------------------

# DESIGN.md: "a reminder to the platform (at most one a day, at most three)".
MAX_REMINDERS = 3
REMINDER_INTERVAL = dt.timedelta(days=1)


def takedowns_due_a_reminder(now=None):
    """Overdue requests we can still remind by email: waiting, past due, fewer than three
    reminders, none in the last day."""
    now = now or timezone.now()
    recent = Correspondence.objects.filter(
        takedown=OuterRef("pk"),
        kind=CorrespondenceKind.REMINDER,
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENT],
        created_at__gt=now - REMINDER_INTERVAL,
    )
    return (
        TakedownRequest.objects.filter(
            status__in=(TakedownStatus.SENT, TakedownStatus.ACKNOWLEDGED),
            due_at__lt=now,
            reminders_sent__lt=MAX_REMINDERS,
            channel=Channel.EMAIL,
        )
        # Someone must receive it: the address staff filled in, or the platform's.
        .filter(~Q(recipient_email="") | ~Q(platform__abuse_email=""))
        .exclude(Exists(recent))
        .select_related("platform", "case")
    )


def takedown_send_reminder(*, takedown: TakedownRequest, now=None) -> Correspondence | None:
    """Send the next reminder for an overdue request, or nothing if another worker has
    claimed it. The claim is the reminder's row, unique per (request, sequence)."""
    now = now or timezone.now()
    sequence = takedown.reminders_sent + 1
    overdue = now - takedown.due_at
    hours = int(overdue.total_seconds() // 3600)
    subject = f"Reminder {sequence}: {notices.subject(notice_for(takedown))}"
    body = render_to_string(
        "notices/reminder.txt",
        {"takedown": takedown, "sequence": sequence, "hours_overdue": hours},
    )
    message_id = make_msgid(domain=settings.NOTICE_MESSAGE_ID_DOMAIN)
    try:
        with transaction.atomic():
            # The request was picked from a list a moment ago: a reply, a recheck or another
            # worker may have moved it since. Still due, as the list would say now? (The one
            # row this transaction locks, so it needs no case lock before it.)
            still_due = (
                takedowns_due_a_reminder(now)
                .select_for_update(no_key=True, of=("self",))
                .filter(pk=takedown.pk, reminders_sent=takedown.reminders_sent)
            )
            if not list(still_due):
                return None
            letter = Correspondence.objects.create(
                takedown=takedown,
                direction=Direction.OUT,
                kind=CorrespondenceKind.REMINDER,
                channel=Channel.EMAIL,
                sequence=sequence,
                subject=subject,
                body=body,
                message_id=message_id,
                status=DeliveryStatus.PENDING,
            )
    except IntegrityError:
        return None  # claimed by someone else: they send it
    if not _deliver(letter, takedown.recipient_address):
        return letter
    with transaction.atomic():
        _lock(takedown)  # in the lock order: its event writes the case
        letter.status = DeliveryStatus.SENT
        letter.sent_at = timezone.now()
        letter.save(update_fields=["status", "sent_at"])
        TakedownRequest.objects.filter(pk=takedown.pk).update(
            reminders_sent=F("reminders_sent") + 1
        )
        event_record(
            case=takedown.case,
            actor=None,
            kind=EventKind.TAKEDOWN_REMINDER,
            target=takedown,
            new_value={"sequence": sequence, "hours_overdue": hours},
        )
    return letter


def overdue_digests_send(*, base_url: str, now=None) -> int:
    """Each caseworker with overdue requests on her cases gets one email a day: the count and
    a link to the caseload's overdue tab. No case, platform or address in it."""
    now = now or timezone.now()
    today = now.date()
    counts = (
        TakedownRequest.objects.filter(
            status__in=WAITING_STATUSES, due_at__lt=now, case__assigned_to__isnull=False
        )
        .values("case__assigned_to")
        .annotate(n=Count("pk"))
    )
    counts = list(counts)
    users = User.objects.filter(
        pk__in=[row["case__assigned_to"] for row in counts], is_active=True
    ).in_bulk()
    sent = 0
    for row in counts:
        user = users.get(row["case__assigned_to"])
        if user is None:
            continue
        try:
            with transaction.atomic():
                digest = StaffDigest.objects.create(user=user, day=today, overdue_count=row["n"])
        except IntegrityError:
            continue  # already sent (or being sent) today
        message = make_message(
            "overdue-digest",
            {"count": row["n"], "link": base_url.rstrip("/") + "/caseload/?tab=overdue"},
            to=user.email,
        )
        try:
            message.send()
        except Exception as exc:  # kept on the row for staff to see
            digest.status, digest.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        else:
            digest.status = "sent"
            sent += 1
        digest.save(update_fields=["status", "error"])
    return sent

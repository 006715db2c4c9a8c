"""Writes for takedown requests, each with its CaseEvent in the same transaction."""

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, make_msgid
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from accounts.models import User
from cases.models import Case, EventKind, NoticeContact
from cases.services import change_record, event_record
from evidence.models import STILL_UP_STATUSES, Sighting
from hosting.selectors import first_abuse_contact
from hosting.services import host_lookup_request
from leakcase.emails import language_of, make_message
from leakcase.locking import StateChanged, locked
from outbox.models import PROBLEM_STATUSES, EmailKind, EmailStatus, OutgoingEmail
from outbox.services import outgoing_send_now, outgoing_write
from platforms.models import Platform
from takedowns import notices
from takedowns.models import (
    TAKE_IT_DOWN_HOURS,
    WAITING_STATUSES,
    Channel,
    Correspondence,
    CorrespondenceKind,
    DeliveryStatus,
    Direction,
    LegalBasis,
    Rung,
    TakedownRequest,
    TakedownStatus,
)
from takedowns.notices import reply_address
from takedowns.selectors import (
    RUNG_ROWS_SQL,
    bases_offered,
    earlier_ladder_for_copies,
    her_email_addresses,
    notice_for,
    recipient_needs_approval,
    rung_wait_hours,
)

# A site we have no directory entry for: give its host a little longer than a platform.
UNKNOWN_PLATFORM_HOURS = 72
# 17 U.S.C. 512(g)(2)(C): restore "not less than 10, nor more than 14, business days"
# after a counter-notice, unless the complainant files suit.
COUNTER_NOTICE_RESTORE_DAYS = (10, 14)
# DSA Art. 20(1): a complaint may be lodged for at least six months after the decision.
DSA_COMPLAINT_MONTHS = 6

# Notices go out from LeakCase's own address, so each one spends the service's standing
# with mail providers and platforms' abuse desks. Five of the directory's platforms take
# notices by email (platforms/platform_directory.py), so one survivor's case needs at most a
# handful in a sitting; a caseworker working through the queue sends more, but even her
# busiest hour is far below one a minute. Web-form submissions send nothing and are free.
SENDING_LIMIT_WINDOW = dt.timedelta(hours=1)
SURVIVOR_NOTICES_PER_HOUR = 5
STAFF_NOTICES_PER_HOUR = 60
NO_CONSENT = gettext_lazy(
    "Nothing can be sent for her yet: her consent to LeakCase writing to platforms for her "
    "is missing. She gives it on her case page (or staff record it there for a helpline case)."
)
NO_CONSENT_HERS = gettext_lazy(
    "Nothing can be sent yet: LeakCase writes to a platform for you only with your consent. "
    'Give it on your case page, under "Writing to platforms for you".'
)
NO_EMAIL_ADDRESS = gettext_lazy(
    "There is no email address for this platform; use its web form and record the ticket "
    "number, or add the abuse address."
)
RECIPIENT_NOT_APPROVED = gettext_lazy(
    "A caseworker must approve this address first. It is not in our list of platforms."
)

# The platform's outcomes, the ones the figures count (removed, partly, rejected).
OUTCOME_STATUSES = {
    TakedownStatus.REMOVED,
    TakedownStatus.PARTIALLY_REMOVED,
    TakedownStatus.REJECTED,
}

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
# The boxes she ticks in a notice (takedowns.notices.lint asks for the ones its route needs).
NOTICE_CONFIRMATIONS = (
    "confirms_no_consent",
    "confirms_good_faith",
    "confirms_accuracy",
    "confirms_perjury",
    "confirms_copyright_owner",
    "confirms_not_paid",
)
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
    *NOTICE_CONFIRMATIONS,
)
# A draft edit's event (EventKind.TAKEDOWN_EDITED) names every field that changed, and keeps
# the old and new values of these only: the route, whom the notice goes to, in what capacity
# it is signed, and the confirmations ticked. The other fields hold her personal details
# (her name, email, phone and postal address, what the images show, why they are illegal,
# the search results that find them). The timeline is read by everyone on the case and goes
# into the evidence bundle, and the values are on the request itself (frozen into the notice
# once sent), so the event does not copy them.
DRAFT_FIELDS_KEPT_IN_EVENTS = frozenset(
    {
        "legal_basis",
        "recipient_name",
        "recipient_email",
        "signer_capacity",
        *NOTICE_CONFIRMATIONS,
    }
)


def takedowns_draft(
    *,
    case: Case,
    sightings: list[Sighting],
    acting_user: User,
    search_engine: Platform | None = None,
) -> list[TakedownRequest]:
    """One draft per platform for the chosen live sightings (sites with no directory entry
    are grouped by host). A sighting already in a draft for its platform joins that one.
    With search_engine, one draft to that engine for all of them: a delisting request
    (delisting.services), which asks the engine to drop the results, not the site."""
    if search_engine is not None and not search_engine.is_search_engine:
        raise ValidationError(f"{search_engine.name} is not a search engine.")
    chosen = [s for s in sightings if s.case_id == case.pk]
    if not chosen:
        raise ValidationError({"sightings": gettext("Choose at least one sighting of this case.")})
    not_live = [
        s.url for s in chosen if s.status not in STILL_UP_STATUSES or s.withdrawn_at is not None
    ]
    if not_live:
        raise ValidationError(
            {
                "sightings": gettext(
                    "Only links that are up, or up as far as we know, can be put in a "
                    "request: %(links)s"
                )
                % {"links": ", ".join(not_live)}
            }
        )
    groups: dict[tuple, list[Sighting]] = defaultdict(list)
    for sighting in chosen:
        if search_engine is not None:
            key = (search_engine.pk, "")
        else:
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
                # A site outside the directory is addressed to its host's abuse contact
                # (hosting: the network owner, else the registrar, else the CDN), for staff
                # to confirm: the address is not approved here, so nothing can be sent to it
                # until a caseworker approves it (takedown_approve_recipient).
                contact = None if platform else first_abuse_contact(host)
                draft = TakedownRequest.objects.create(
                    case=case,
                    platform=platform,
                    host=host,
                    recipient_name=contact.name[:120] if contact else "",
                    recipient_email=contact.abuse_email if contact else "",
                    legal_basis=_first_basis(case, platform, delisting=search_engine is not None),
                    # Copies of images already asked about on another host (matched to the
                    # same reference image): this new ladder quotes the earlier one.
                    reappeared_after=earlier_ladder_for_copies(case, members),
                    # No contact email here: the notice gives the one her case says
                    # (selectors.default_notice_contact) unless someone types another.
                    created_by=acting_user,
                )
                new_value = {
                    "recipient": draft.recipient,
                    "sightings": [str(s.pk) for s in members],
                }
                if contact:
                    new_value["recipient_from"] = f"{contact.role}: {contact.source}"
                elif not platform:
                    # Never looked up (or nothing published): look it up now, so the
                    # request page can name the host within minutes.
                    host_lookup_request(host=host)
                event_record(
                    case=case,
                    actor=acting_user,
                    kind=EventKind.TAKEDOWN_DRAFTED,
                    target=draft,
                    new_value=new_value,
                )
            draft.sightings.add(*members)
            drafts.append(draft)
    return drafts


def _first_basis(case: Case, platform: Platform | None, *, delisting: bool) -> str:
    """The route a new draft starts on: the first offered; for a delisting request the
    engine's own NCII policy form, which is what Google and Bing answer for search results."""
    offered = bases_offered(case, platform)
    if delisting and LegalBasis.PLATFORM_POLICY in offered:
        return LegalBasis.PLATFORM_POLICY
    return offered[0]


EDITED_MEANWHILE = gettext_lazy(
    "Someone else saved this draft while you were editing it. Nothing of yours was saved, "
    "and nothing of theirs was undone: your changes are still in the form below. Check them "
    "against the draft as it is now, then save again."
)


def draft_version(takedown: TakedownRequest) -> str:
    """The draft as an editor's form saw it: a form carries it back, and a save over a
    newer draft is refused (takedown_update_draft), so two editors at once never undo each
    other's edits."""
    return takedown.updated_at.isoformat() if takedown.updated_at else ""


def takedown_update_draft(
    *, takedown: TakedownRequest, acting_user: User, seen_version: str | None = None, **fields
):
    """Change a draft's fields. With seen_version (the draft_version the editor's form was
    rendered from), refused with StateChanged (code "edited_meanwhile") when anyone saved the
    draft since."""
    _require_draft(takedown)
    unknown = set(fields) - set(DRAFT_FIELDS)
    if unknown:
        raise ValueError(f"not draft fields: {sorted(unknown)}")
    basis = fields.get("legal_basis", takedown.legal_basis)
    if basis not in bases_offered(takedown.case, takedown.platform):
        raise ValidationError(
            {"legal_basis": gettext("That route is not offered for this platform.")}
        )
    with transaction.atomic():
        _locked_as_seen(takedown)
        if seen_version is not None and seen_version != draft_version(takedown):
            raise StateChanged(EDITED_MEANWHILE, code="edited_meanwhile")
        if takedown.correspondence.filter(
            kind=CorrespondenceKind.NOTICE, status=DeliveryStatus.PENDING
        ).exists():
            raise StateChanged(
                gettext(
                    "This notice is being sent right now; it can no longer change. Nothing was "
                    "saved."
                )
            )
        changed = [
            name
            for name in DRAFT_FIELDS
            if name in fields and fields[name] != getattr(takedown, name)
        ]
        old = {
            name: getattr(takedown, name)
            for name in changed
            if name in DRAFT_FIELDS_KEPT_IN_EVENTS
        }
        for name, value in fields.items():
            setattr(takedown, name, value)
        takedown.save(update_fields=[*fields, "updated_at"])
        if changed:
            event_record(
                case=takedown.case,
                actor=acting_user,
                kind=EventKind.TAKEDOWN_EDITED,
                target=takedown,
                old_value=old,
                new_value={"changed": changed, **{name: getattr(takedown, name) for name in old}},
            )
    return takedown


def takedown_send_email(*, takedown: TakedownRequest, acting_user: User) -> TakedownRequest:
    """Email the notice to the platform. The Correspondence row and its email in the outbox
    are saved as pending first, and the email is sent at once, once (the outbox's one
    delivery); only a message the mail server accepted marks the request sent. LeakCase
    writes it, from its own address, whoever presses the button: her consent is needed even
    when she sends it herself, and reminders follow it for days."""
    notice = takedown_check_email(takedown=takedown, acting_user=acting_user)
    to = takedown.recipient_address
    text = notices.render(notice)
    subject = notices.subject(notice)
    try:
        with transaction.atomic():
            _locked_as_seen(takedown)
            _require_within_sending_limit(acting_user)
            letter = _letter_write(
                takedown,
                kind=CorrespondenceKind.NOTICE,
                subject=subject,
                body=text,
                to=to,
                created_by=acting_user,
            )
    except IntegrityError as exc:
        raise StateChanged(ALREADY_BEING_SENT) from exc
    outgoing_send_now(email=letter.email)
    # Our pending letter kept every other sender and editor out; settling it marks the
    # request sent when the mail server took the notice.
    letter = letter_settle(letter=letter, takedown=takedown)
    if letter.status == DeliveryStatus.FAILED:
        raise ValidationError(
            gettext("The email could not be sent (%(error)s). Nothing was marked as sent.")
            % {"error": letter.error}
        )
    if letter.status != DeliveryStatus.SENT:
        raise StateChanged(ALREADY_BEING_SENT)  # another sender holds it (not seen in use)
    return takedown


def takedown_check_email(*, takedown: TakedownRequest, acting_user: User) -> notices.Notice:
    """Everything takedown_send_email checks before it writes anything, for the page that
    asks "Send this notice to ...?": raises the same ValidationError the send would."""
    _require_draft(takedown)
    _require_her_consent(takedown, acting_user)
    notice = _sendable(takedown)
    if not takedown.recipient_address:
        raise ValidationError(NO_EMAIL_ADDRESS, code="no_address")
    _require_her_contact_choice(notice)
    _require_approved_recipient(takedown)
    return notice


def takedown_mark_submitted(
    *, takedown: TakedownRequest, ticket_number: str, acting_user: User
) -> TakedownRequest:
    """The notice went in through the platform's own web form; keep its ticket number.
    Staff filled the form in for her, which needs her consent; she may record what she
    submitted herself."""
    _require_draft(takedown)
    by_her = acting_user is not None and acting_user.pk == takedown.case.survivor_id
    if not by_her:
        _require_her_consent(takedown, acting_user)
    notice = _sendable(takedown)
    if not by_her:
        _require_her_contact_choice(notice)
    ticket_number = ticket_number.strip()
    if not ticket_number:
        raise ValidationError(
            {"ticket_number": gettext("Enter the ticket or reference number the form gave.")}
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
                created_by=acting_user,
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


def due_hours(takedown: TakedownRequest) -> int | None:
    """The request's clock, in hours. Above the site, the rung's wait (takedowns/ladder.py,
    or the service's own choice); None on a last rung, which nothing follows on a clock. At
    the site: the Act's 48 hours, else the service's choice for the site rung if it made
    one, else the platform's usual time (or UNKNOWN_PLATFORM_HOURS for a site not in the
    directory)."""
    if takedown.rung != Rung.SITE:
        return rung_wait_hours(takedown.rung)
    if takedown.legal_basis == LegalBasis.TAKE_IT_DOWN:
        return TAKE_IT_DOWN_HOURS
    chosen = rung_wait_hours(Rung.SITE)
    if chosen:
        return chosen
    if takedown.platform is None:
        return UNKNOWN_PLATFORM_HOURS
    return takedown.platform.expected_response_hours


def _mark_sent(takedown, notice, text, channel, acting_user, *, sent_at, also_changed=()):
    """Call with the request locked (it is saved field by field)."""
    takedown.status = TakedownStatus.SENT
    takedown.channel = channel
    takedown.notice_text = text
    takedown.notice_template = notices.template_for(notice)
    takedown.sent_at = sent_at
    hours = due_hours(takedown)
    takedown.due_at = sent_at + dt.timedelta(hours=hours) if hours else None
    # Covered: the case is no longer waiting on us for these links, but on the platform.
    takedown.sightings.update(action_due_at=None)
    if takedown.escalated_from_id:
        _mark_escalated_below(takedown, acting_user)
    change_record(
        takedown,
        [
            "status",
            "channel",
            "notice_text",
            "notice_template",
            "sent_at",
            "due_at",
            *also_changed,
        ],
        case=takedown.case,
        kind=EventKind.TAKEDOWN_SENT,
        acting_user=acting_user,
        old_value={"status": TakedownStatus.DRAFT},
        new_value={
            "status": TakedownStatus.SENT,
            "recipient": takedown.recipient,
            "channel": channel,
            "legal_basis": takedown.legal_basis,
            "due_at": takedown.due_at.isoformat() if takedown.due_at else None,
            "rung": takedown.rung,
        },
    )


def _mark_escalated_below(takedown: TakedownRequest, acting_user) -> None:
    """The next rung went out: the request below it is escalated (still waiting on its
    recipient, whose answer is still recorded there), naming where it went."""
    # A refusal or a partial removal keeps its status: it is the recipient's decision, and
    # the figures count it.
    below = (
        TakedownRequest.objects.select_for_update(no_key=True)
        .filter(
            pk=takedown.escalated_from_id,
            status__in=(TakedownStatus.SENT, TakedownStatus.ACKNOWLEDGED),
        )
        .first()
    )
    if below is None:
        return
    old = below.status
    below.status = TakedownStatus.ESCALATED
    below.escalated_to = f"{takedown.recipient} ({takedown.get_rung_display().lower()})"[:200]
    change_record(
        below,
        ["status", "escalated_to"],
        case=takedown.case,
        kind=EventKind.TAKEDOWN_ESCALATED,
        acting_user=acting_user,
        old_value={"status": old},
        new_value={"status": TakedownStatus.ESCALATED, "escalated_to": below.escalated_to},
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
    status it moves the request to. An outcome the survivor records herself is marked as
    hers and counts in the platform figures once staff confirm it."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": gettext("Paste the platform's reply.")})
    if decision:
        allowed = REPLY_TRANSITIONS.get(takedown.status, set())
        if decision not in allowed:
            raise ValidationError(
                {
                    "decision": gettext("A request that is %(now)s cannot become %(then)s.")
                    % {
                        "now": takedown.get_status_display().lower(),
                        "then": str(TakedownStatus(decision).label).lower(),
                    }
                }
            )
    elif takedown.status == TakedownStatus.DRAFT:
        raise ValidationError({"body": gettext("This request has not been sent yet.")})
    old_status = takedown.status
    by_survivor = _by_survivor(acting_user)
    now = timezone.now()
    with transaction.atomic():
        _locked_as_seen(takedown)
        _letter_received(takedown, kind=CorrespondenceKind.REPLY, body=body, by=acting_user)
        changed = []
        if ticket_number.strip():
            takedown.ticket_number = ticket_number.strip()
            changed.append("ticket_number")
        if decision:
            takedown.status = decision
            changed.append("status")
            # Whose word the outcome is: hers waits for staff before the figures count it.
            takedown.decision_by_survivor = by_survivor and decision in OUTCOME_STATUSES
            takedown.decision_confirmed_by = None
            takedown.decision_confirmed_at = None
            changed += ["decision_by_survivor", "decision_confirmed_by", "decision_confirmed_at"]
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
        change_record(
            takedown,
            changed,
            case=takedown.case,
            kind=EventKind.TAKEDOWN_REPLY,
            acting_user=acting_user,
            old_value={"status": old_status},
            new_value={"status": takedown.status, "by_survivor": by_survivor},
        )
    return takedown


def takedown_note_ticket_number(
    *, takedown: TakedownRequest, ticket_number: str, acting_user: User | None = None
) -> TakedownRequest:
    """The platform's automatic acknowledgement gave its ticket number. It is kept when the
    request has none yet; nothing else changes: an acknowledgement is not an answer, so the
    status and the due time stay as they are (inbound/)."""
    ticket_number = ticket_number.strip()[:120]
    if not ticket_number:
        return takedown
    with transaction.atomic():
        _lock(takedown)
        if takedown.ticket_number:
            return takedown  # the form's number, or an earlier acknowledgement's, stays
        takedown.ticket_number = ticket_number
        change_record(
            takedown,
            ["ticket_number"],
            case=takedown.case,
            kind=EventKind.TICKET_NOTED,
            acting_user=acting_user,
            new_value={"ticket_number": ticket_number, "from": "automatic acknowledgement"},
        )
    return takedown


def letter_mark_undelivered(*, letter: Correspondence, reason: str) -> Correspondence:
    """The recipient's mail server sent a notice or reminder back (a bounce): the platform
    never got it. The letter says so, with the server's words; the request keeps its status
    and staff are told to use another channel (its web form). Reminders stop going to the
    address (takedowns_due_a_reminder skips it)."""
    takedown = letter.takedown
    with transaction.atomic():
        _lock(takedown)
        letter = Correspondence.objects.select_for_update().get(pk=letter.pk)
        if letter.direction != Direction.OUT or letter.status == DeliveryStatus.UNDELIVERED:
            return letter
        letter.status, letter.error = DeliveryStatus.UNDELIVERED, reason.strip()[:2000]
        letter.save(update_fields=["status", "error"])
        event_record(
            case=takedown.case,
            actor=None,
            kind=EventKind.LETTER_UNDELIVERED,
            target=takedown,
            new_value={"letter": letter.kind, "delivery": DeliveryStatus.UNDELIVERED},
        )
    return letter


def takedown_confirm_decision(*, takedown: TakedownRequest, acting_user: User) -> TakedownRequest:
    """Staff have checked the outcome she recorded (against the platform's email or the
    page itself): from now on it counts in the platform figures."""
    if not acting_user.is_support_staff:
        raise PermissionDenied("Only support staff confirm a recorded reply.")
    with transaction.atomic():
        _locked_as_seen(takedown)
        if not takedown.decision_awaits_confirmation:
            raise ValidationError(
                gettext("There is no outcome she recorded waiting to be confirmed.")
            )
        takedown.decision_confirmed_by = acting_user
        takedown.decision_confirmed_at = timezone.now()
        change_record(
            takedown,
            ["decision_confirmed_by", "decision_confirmed_at"],
            case=takedown.case,
            kind=EventKind.DECISION_CONFIRMED,
            acting_user=acting_user,
            new_value={"status": takedown.status},
        )
    return takedown


def takedown_approve_recipient(*, takedown: TakedownRequest, acting_user: User) -> TakedownRequest:
    """A caseworker vouches for an address that is not in the platform directory (a site's
    hosting provider, found by a lookup): only then is anything emailed to it."""
    if not acting_user.is_support_staff:
        raise PermissionDenied("Only a caseworker can approve an address.")
    seen = takedown.recipient_email.strip()
    with transaction.atomic():
        # The address approved is the one on the row now, and the one she was shown.
        _locked_as_seen(takedown)
        address = takedown.recipient_email.strip()
        if address != seen:
            raise StateChanged(
                "The address on this request changed meanwhile. Nothing was approved; "
                "look at it again."
            )
        if not address:
            raise ValidationError("This request names no address of its own to approve.")
        if not recipient_needs_approval(takedown):
            raise ValidationError(
                f"{address} needs no approval: it is approved or in the directory."
            )
        takedown.recipient_approved_email = address
        takedown.recipient_approved_by = acting_user
        takedown.recipient_approved_at = timezone.now()
        change_record(
            takedown,
            ["recipient_approved_email", "recipient_approved_by", "recipient_approved_at"],
            case=takedown.case,
            kind=EventKind.RECIPIENT_APPROVED,
            acting_user=acting_user,
            new_value={"recipient_email": address},
        )
    return takedown


def takedown_record_counter_notice(
    *, takedown: TakedownRequest, received_on: dt.date, body: str, acting_user: User
) -> TakedownRequest:
    if takedown.legal_basis != LegalBasis.DMCA:
        raise ValidationError(gettext("Counter-notices exist only for DMCA requests."))
    if takedown.status == TakedownStatus.DRAFT:
        raise ValidationError(gettext("This request has not been sent yet."))
    with transaction.atomic():
        _locked_as_seen(takedown)
        _letter_received(
            takedown, kind=CorrespondenceKind.COUNTER_NOTICE, body=body.strip(), by=acting_user
        )
        takedown.counter_notice_on = received_on
        takedown.restore_window_from = add_business_days(
            received_on, COUNTER_NOTICE_RESTORE_DAYS[0]
        )
        takedown.restore_window_to = add_business_days(received_on, COUNTER_NOTICE_RESTORE_DAYS[1])
        change_record(
            takedown,
            ["counter_notice_on", "restore_window_from", "restore_window_to"],
            case=takedown.case,
            kind=EventKind.COUNTER_NOTICE,
            acting_user=acting_user,
            new_value={
                "restore_window_from": takedown.restore_window_from.isoformat(),
                "restore_window_to": takedown.restore_window_to.isoformat(),
            },
        )
    return takedown


def takedown_escalate(*, takedown: TakedownRequest, to: str, acting_user: User) -> TakedownRequest:
    if takedown.status not in ESCALATE_FROM:
        raise ValidationError(
            gettext("A request that is %(now)s cannot be escalated.")
            % {"now": takedown.get_status_display().lower()}
        )
    if not to.strip():
        raise ValidationError({"to": gettext("Say where it was escalated to.")})
    old_status = takedown.status
    with transaction.atomic():
        _locked_as_seen(takedown)
        takedown.status = TakedownStatus.ESCALATED
        takedown.escalated_to = to.strip()
        change_record(
            takedown,
            ["status", "escalated_to"],
            case=takedown.case,
            kind=EventKind.TAKEDOWN_ESCALATED,
            acting_user=acting_user,
            old_value={"status": old_status},
            new_value={"status": TakedownStatus.ESCALATED, "escalated_to": to.strip()},
        )
    return takedown


def _letter_message(takedown, subject: str, body: str, message_id: str, *, to: str):
    """A notice or reminder as it goes out: from the service's notice address, replies to
    the address that names the request."""
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.NOTICE_FROM_EMAIL,
        to=[to],
        reply_to=[reply_address(takedown)],
        headers={"Message-ID": message_id},
    )


def letter_settle(*, letter: Correspondence, takedown: TakedownRequest | None = None):
    """Bring an emailed letter in step with its email in the outbox, once that email has
    gone or failed: a notice sent marks its request sent; a reminder sent is counted and
    written in her timeline; a failure keeps the server's words, for the caseworker, and
    frees the way for another attempt. Still on its way: nothing changes. Safe to run twice
    and side by side (the letter is re-read under the request's lock)."""
    email = OutgoingEmail.objects.filter(pk=letter.email_id).first()
    if email is None or email.status not in (EmailStatus.SENT, *PROBLEM_STATUSES):
        return letter
    takedown = takedown or letter.takedown
    with transaction.atomic():
        # Its case first (event_record writes it), then the request: the lock order.
        _lock(takedown)
        letter = Correspondence.objects.select_for_update().get(pk=letter.pk)
        if letter.status != DeliveryStatus.PENDING:
            return letter  # settled meanwhile
        if email.status != EmailStatus.SENT:
            letter.status, letter.error = DeliveryStatus.FAILED, email.last_error
            letter.save(update_fields=["status", "error"])
            return letter
        letter.status, letter.sent_at = DeliveryStatus.SENT, email.sent_at
        letter.save(update_fields=["status", "sent_at"])
        if letter.kind == CorrespondenceKind.NOTICE:
            if takedown.status != TakedownStatus.DRAFT:
                return letter  # marked by the send that settled it first
            _mark_sent(
                takedown,
                notice_for(takedown),
                letter.body,
                Channel.EMAIL,
                letter.created_by,
                sent_at=letter.sent_at,
            )
        else:
            TakedownRequest.objects.filter(pk=takedown.pk).update(
                reminders_sent=F("reminders_sent") + 1
            )
            overdue = letter.created_at - takedown.due_at
            event_record(
                case=takedown.case,
                actor=None,
                kind=EventKind.TAKEDOWN_REMINDER,
                target=takedown,
                new_value={
                    "sequence": letter.sequence,
                    "hours_overdue": int(overdue.total_seconds() // 3600),
                },
            )
    return letter


def letters_settle() -> int:
    """Letters whose email the outbox finished with after their writer stopped looking: a
    reminder that went on a retry, a notice whose page stopped before it heard back.
    Returns how many were settled."""
    waiting = Correspondence.objects.filter(
        status=DeliveryStatus.PENDING,
        email__status__in=[EmailStatus.SENT, *PROBLEM_STATUSES],
    ).select_related("takedown__case", "takedown__platform")
    return sum(letter_settle(letter=letter).status != DeliveryStatus.PENDING for letter in waiting)


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


ALREADY_BEING_SENT = gettext_lazy(
    "This notice is already being sent, or was sent; reload the page."
)


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
            gettext(
                "This request changed meanwhile: it is now %(now)s. Nothing was saved; look at "
                "it again."
            )
            % {"now": takedown.get_status_display().lower()}
        )
    return takedown


def _require_draft(takedown):
    if takedown.status != TakedownStatus.DRAFT:
        raise ValidationError(gettext("This request was already sent; its notice cannot change."))


def _sendable(takedown) -> notices.Notice:
    notice = notice_for(takedown)
    missing = notices.lint(notice)
    if missing:
        raise ValidationError(
            {"__all__": [gettext("Missing: %(what)s") % {"what": label} for label in missing]},
            code="incomplete",
        )
    return notice


def _by_survivor(acting_user: User | None) -> bool:
    # Whoever may act on a case and is not staff is the survivor herself (case_for_user).
    return acting_user is not None and not acting_user.is_support_staff


def _require_her_consent(takedown, acting_user: User | None) -> None:
    case = takedown.case
    if not case.consent_to_contact_platforms:
        by_her = acting_user is not None and acting_user.pk == case.survivor_id
        raise ValidationError(NO_CONSENT_HERS if by_her else NO_CONSENT, code="no_consent")


def _require_her_contact_choice(notice: notices.Notice) -> None:
    """Her own email address goes into a notice only if she chose that on her case."""
    case = notice.request.case
    if case.notice_contact == NoticeContact.SERVICE and (
        notice.contact_email.lower() in her_email_addresses(case)
    ):
        raise ValidationError(
            gettext(
                "The notice's contact email is the survivor's own address, and her case says "
                "notices give LeakCase's reply address instead. Empty the contact email field, "
                "or change that choice on the case page."
            ),
            code="her_address",
        )


def _require_approved_recipient(takedown) -> None:
    if recipient_needs_approval(takedown):
        raise ValidationError(RECIPIENT_NOT_APPROVED, code="recipient_not_approved")


def _require_within_sending_limit(user: User) -> None:
    """Call inside the transaction that saves the notice's row. Her (or the caseworker's)
    account row is locked first, so two tabs sending at once are counted one after the
    other and the limit is exact."""
    if user is None:
        # The service itself (a ladder rung set to send by itself): bounded by the ladder,
        # one notice per rung a request climbs, not by an account's hour.
        return
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
    limit = STAFF_NOTICES_PER_HOUR if user.is_support_staff else SURVIVOR_NOTICES_PER_HOUR
    since = timezone.now() - SENDING_LIMIT_WINDOW
    sent = list(
        Correspondence.objects.filter(
            created_by=user,
            kind=CorrespondenceKind.NOTICE,
            channel=Channel.EMAIL,
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENT],
            created_at__gt=since,
        )
        .order_by("created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(sent) >= limit:
        again = (sent[0] + SENDING_LIMIT_WINDOW).astimezone(dt.UTC)
        raise ValidationError(
            gettext(
                "%(limit)s notices have been emailed from this account in the last hour, the "
                "most one account may send. The next can go at %(time)s UTC."
            )
            % {"limit": limit, "time": f"{again:%H:%M}"},
            code="sending_limit",
        )


# --- what rechecks found ------------------------------------------------------------------
# Rechecks (monitoring.services.sighting_checks_record) find links removed or back; what
# that means for the requests covering them is written here, the one place that writes
# takedown state. Both run inside the recheck's transaction, after it locked the cases and
# then the sightings (leakcase/locking.py); they lock the requests they change.


def takedowns_close_for_removed_sightings(
    *, sightings: list[Sighting], now, verified_by: str = "recheck"
) -> None:
    """Requests waiting on these removed sightings close (removed, verified by the recheck,
    or by a person: `verified_by` "staff" or "survivor") when all their links are removed.
    A removal only she saw counts in the platform figures once staff confirm it, like an
    outcome she records herself."""
    waiting = TakedownRequest.objects.filter(
        sightings__in=sightings, status__in=WAITING_STATUSES
    ).values("pk")
    # Locked, and the status filter applied again to the rows as they are once locked: a
    # reply recorded meanwhile (rejected, removed) is not overwritten with our older view.
    requests = (
        TakedownRequest.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk__in=waiting, status__in=WAITING_STATUSES)
        .select_related("case")
        .order_by("pk")
    )
    for request in requests:
        if request.sightings.still_up().exists():
            continue
        old = request.status
        request.status = TakedownStatus.REMOVED
        request.removed_at = request.removed_at or now
        request.decision_by_survivor = verified_by == "survivor"
        change_record(
            request,
            ["status", "removed_at", "decision_by_survivor"],
            case=request.case,
            kind=EventKind.TAKEDOWN_REPLY,
            acting_user=None,
            old_value={"status": old},
            new_value={"status": TakedownStatus.REMOVED, "verified_by": verified_by},
        )


def takedowns_reopen_for_reappeared(*, sighting: Sighting, now) -> None:
    """Back after a verified removal: the request that removed it is on the clock again.
    The event is what the caseworker's queue shows. Back on a company its ladder never
    asked (a new host): the ladder starts again from the site instead, quoting the earlier
    one, whose requests keep their outcome (imported here: the ladder's services are built
    on this module's)."""
    from takedowns.ladder_services import takedowns_restart_if_new_host

    if takedowns_restart_if_new_host(sighting=sighting, now=now) is not None:
        return
    # Locked and filtered on the fresh rows: a request a caseworker moved meanwhile is left be.
    removed = sighting.takedowns.select_for_update(no_key=True, of=("self",)).filter(
        status=TakedownStatus.REMOVED
    )
    for request in removed.order_by("pk"):
        request.status = TakedownStatus.SENT
        request.due_at = now + dt.timedelta(hours=due_hours(request))
        request.removed_at = None
        change_record(
            request,
            ["status", "due_at", "removed_at"],
            case=request.case,
            kind=EventKind.TAKEDOWN_REPLY,
            acting_user=None,
            old_value={"status": TakedownStatus.REMOVED},
            new_value={"status": TakedownStatus.SENT, "reason": "reappeared"},
        )


NOT_AN_UNKNOWN_SITE = (
    "This request goes to a platform in the directory: there is no host to look up."
)


def takedown_host_lookup_request(*, takedown: TakedownRequest, acting_user: User) -> None:
    """Staff pressed "Look up again" on a request to a site outside the directory: its host
    is due a lookup now (the next dispatch, within minutes, runs it). Nothing on the case
    changes, so no event: the lookup's own result is what is recorded."""
    if takedown.platform_id or not takedown.host:
        raise ValidationError(NOT_AN_UNKNOWN_SITE)
    host_lookup_request(host=takedown.host)


def takedowns_host_changed(*, host: str, now) -> list[TakedownRequest]:
    """A lookup found a site on another network owner (hosting.services.host_facts_record,
    which wrote the case events). Requests waiting on its links that are still up are due
    now, so they are back at the top of the caseload (next due, overdue) for staff to write
    to the new host; drafts addressed to the old host's contact and not yet approved are
    addressed to the new one. Inside monitoring.host_lookup's transaction."""
    waiting = (
        TakedownRequest.objects.select_for_update(no_key=True, of=("self",))
        .filter(
            status__in=WAITING_STATUSES,
            pk__in=TakedownRequest.objects.filter(
                sightings__host=host,
                sightings__withdrawn_at__isnull=True,
                sightings__status__in=STILL_UP_STATUSES,
            ).values("pk"),
        )
        .select_related("case")
        .order_by("pk")
    )
    changed = []
    for request in waiting:
        old_due = request.due_at
        if old_due is not None and old_due <= now:
            continue  # already due: in front of staff as it is
        request.due_at = now
        change_record(
            request,
            ["due_at"],
            case=request.case,
            kind=EventKind.HOST_CHANGED,
            acting_user=None,
            old_value={"due_at": old_due.isoformat() if old_due else None},
            new_value={"due_at": now.isoformat(), "reason": "host_changed", "host": host},
        )
        changed.append(request)
    contact = first_abuse_contact(host)
    drafts = (
        TakedownRequest.objects.select_for_update(no_key=True, of=("self",))
        # The site's drafts only: a higher rung's draft (registrar, CDN, a regulator) is
        # addressed to its own rung's contact (takedowns/ladder_services.py).
        .filter(status=TakedownStatus.DRAFT, platform__isnull=True, host=host, rung=Rung.SITE)
        .select_related("case")
        .order_by("pk")
    )
    for draft in drafts:
        if draft.recipient_approved_email or contact is None:
            continue
        if draft.recipient_email == contact.abuse_email:
            continue
        old = {"recipient_name": draft.recipient_name, "recipient_email": draft.recipient_email}
        draft.recipient_name = contact.name[:120]
        draft.recipient_email = contact.abuse_email
        change_record(
            draft,
            ["recipient_name", "recipient_email"],
            case=draft.case,
            kind=EventKind.TAKEDOWN_EDITED,
            acting_user=None,
            old_value=old,
            new_value={
                "changed": ["recipient_name", "recipient_email"],
                "recipient_name": draft.recipient_name,
                "recipient_email": draft.recipient_email,
                "reason": "host_changed",
            },
        )
        changed.append(draft)
    return changed


def takedowns_drop_withdrawn_sighting(*, sighting: Sighting, acting_user: User) -> None:
    """She removed a link from her list: drafts stop naming it (a sent request keeps it, as
    the record of what the platform was sent). Inside casework.services.sighting_withdraw's
    transaction, which locked the case."""
    drafts = sighting.takedowns.select_for_update(no_key=True, of=("self",)).filter(
        status=TakedownStatus.DRAFT
    )
    for draft in drafts.order_by("pk"):
        draft.sightings.remove(sighting)
        event_record(
            case=draft.case,
            actor=acting_user,
            kind=EventKind.TAKEDOWN_EDITED,
            target=draft,
            new_value={"changed": ["sightings"]},
        )


# --- reminders ------------------------------------------------------------------------------

# DESIGN.md: "a reminder to the platform (at most one a day, at most three)".
MAX_REMINDERS = 3
REMINDER_INTERVAL = dt.timedelta(days=1)


def takedowns_due_a_reminder(now=None):
    """Overdue requests we can still remind by email: waiting, past due, fewer than three
    reminders, none in the last day."""
    now = now or timezone.now()
    in_directory = Platform.objects.filter(abuse_email__iexact=OuterRef("recipient_email"))
    recent = Correspondence.objects.filter(
        takedown=OuterRef("pk"),
        kind=CorrespondenceKind.REMINDER,
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENT],
        created_at__gt=now - REMINDER_INTERVAL,
    )
    returned = Correspondence.objects.filter(
        takedown=OuterRef("pk"), status=DeliveryStatus.UNDELIVERED
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
        # Reminders are written for her too: only with her consent, only to the directory's
        # addresses or one a caseworker approved (as takedown_send_reminder checks again).
        .filter(case__consent_to_contact_platforms=True)
        .filter(
            Q(recipient_email="")
            | Exists(in_directory)
            | Q(recipient_approved_email__iexact=F("recipient_email"))
        )
        .exclude(Exists(recent))
        # A notice or reminder that came back undelivered: the address does not take mail.
        .exclude(Exists(returned))
        .select_related("platform", "case")
    )


def takedown_send_reminder(*, takedown: TakedownRequest, now=None) -> Correspondence | None:
    """Send the next reminder for an overdue request, or nothing if another worker has
    claimed it. The claim is the reminder's row, unique per (request, sequence), written
    with its email in the outbox; the email is sent at once, and retried by the outbox if
    the mail server does not take it (the reminder then counts once it went, when
    letters_settle sees it). Refused (ValidationError) without her consent or to an address
    no caseworker approved."""
    now = now or timezone.now()
    _require_her_consent(takedown, None)
    _require_approved_recipient(takedown)
    sequence = takedown.reminders_sent + 1
    overdue = now - takedown.due_at
    hours = int(overdue.total_seconds() // 3600)
    # In the platform's language, like the notice (a worker's language is nobody's).
    subject = notices.reminder_subject(notice_for(takedown), sequence=sequence)
    body = notices.reminder_text(takedown, sequence=sequence, hours_overdue=hours)
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
            letter = _letter_write(
                takedown,
                kind=CorrespondenceKind.REMINDER,
                subject=subject,
                body=body,
                to=takedown.recipient_address,
                sequence=sequence,
                now=now,
            )
    except IntegrityError:
        return None  # claimed by someone else: they send it
    outgoing_send_now(email=letter.email)
    return letter_settle(letter=letter, takedown=takedown)


def _letter_received(takedown, *, kind, body: str, by: User) -> Correspondence:
    """A letter from the platform (a reply or a counter-notice), pasted or forwarded by
    `by`: received on the channel the request went out on."""
    return Correspondence.objects.create(
        takedown=takedown,
        direction=Direction.IN,
        kind=kind,
        channel=takedown.channel or Channel.OTHER,
        body=body,
        status=DeliveryStatus.RECEIVED,
        created_by=by,
    )


def _letter_write(
    takedown, *, kind, subject, body, to, created_by=None, sequence=1, now=None
) -> Correspondence:
    """An emailed letter (a notice or a reminder) and its email in the outbox, written
    together in the caller's transaction; the letter is the request's record of it, the
    email what the outbox sends. Unique per request (notice) or per (request, sequence)
    (reminder): a second writer meets an IntegrityError."""
    message_id = make_msgid(domain=settings.NOTICE_MESSAGE_ID_DOMAIN)
    email_kind = EmailKind.NOTICE if kind == CorrespondenceKind.NOTICE else EmailKind.REMINDER
    return Correspondence.objects.create(
        takedown=takedown,
        direction=Direction.OUT,
        kind=kind,
        channel=Channel.EMAIL,
        sequence=sequence,
        subject=subject,
        body=body,
        message_id=message_id,
        status=DeliveryStatus.PENDING,
        created_by=created_by,
        email=outgoing_write(
            kind=email_kind,
            message=_letter_message(takedown, subject, body, message_id, to=to),
            **({"now": now} if now is not None else {}),
        ),
    )


def overdue_digests_send(*, base_url: str, now=None) -> int:
    """Each caseworker with overdue requests on her cases gets one email a day: the count and
    a link to the caseload's overdue tab. No case, platform or address in it. Each is an
    email in the outbox, one per person a day (its slot is the day), sent at once; returns
    how many went now (the outbox retries the others)."""
    now = now or timezone.now()
    today = dt.datetime.combine(now.date(), dt.time(0), tzinfo=dt.UTC)
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
        message = make_message(
            "overdue-digest",
            {"count": row["n"], "link": base_url.rstrip("/") + "/caseload/?tab=overdue"},
            to=user.email,
            language=language_of(user),
        )
        try:
            with transaction.atomic():
                email = outgoing_write(
                    kind=EmailKind.OVERDUE_COUNT,
                    message=message,
                    user=user,
                    scheduled_for=today,
                    counts={"overdue": row["n"]},
                    now=now,
                )
        except IntegrityError:
            continue  # already sent (or being sent) today
        sent += outgoing_send_now(email=email).status == EmailStatus.SENT
    return sent


# --- the platform figures' summary ---------------------------------------------------------

# The outcomes of the requests sent on the given UTC days, as the figures count them (the
# same rules as selectors.platform_figures_from_requests): an outcome she recorded herself
# counts as none yet until staff confirm it; erased survivors' requests count anonymously.
# Per day, platform and legal basis: the counts, and per bucket of hours to removal how
# many removals and their hours added up (bucket 0 holds only removals dated before they
# were sent, which only bad data has).
_SUMMARY_SQL = """
WITH days AS (SELECT unnest(%(days)s::date[]) AS day),
outcomes AS (
    SELECT days.day, platform_id, legal_basis,
        CASE WHEN {unconfirmed} THEN %(sent)s ELSE status END AS status,
        sent_at,
        CASE WHEN {unconfirmed} THEN NULL ELSE removed_at END AS removed_at
    FROM {requests} JOIN days
        ON sent_at >= days.day::timestamp AT TIME ZONE 'UTC'
        AND sent_at < (days.day + 1)::timestamp AT TIME ZONE 'UTC'
    -- A platform's figures are of the requests to the site itself; the rungs above it
    -- (its host, registrar, regulators) are counted by rung (selectors.rung_figures).
    WHERE rung = %(site)s
    UNION ALL
    SELECT days.day, platform_id, legal_basis, status, sent_at, removed_at
    FROM {anonymous} JOIN days
        ON sent_at >= days.day::timestamp AT TIME ZONE 'UTC'
        AND sent_at < (days.day + 1)::timestamp AT TIME ZONE 'UTC'
), timed AS (
    SELECT *, date_part('epoch', removed_at - sent_at) / 3600 AS hours FROM outcomes
)
SELECT day, platform_id, legal_basis,
    NULL AS bucket,
    count(*),
    count(*) FILTER (WHERE status = %(removed)s AND removed_at IS NOT NULL),
    count(*) FILTER (WHERE status = %(rejected)s),
    count(*) FILTER (WHERE status = %(removed)s AND removed_at - sent_at <= %(within)s),
    NULL
FROM timed GROUP BY day, platform_id, legal_basis
UNION ALL
SELECT day, platform_id, legal_basis,
    width_bucket(hours, %(edges)s::float8[]),
    count(*), NULL, NULL, NULL, sum(hours)
FROM timed WHERE status = %(removed)s AND removed_at IS NOT NULL
GROUP BY day, platform_id, legal_basis, 4
"""


# Removals by rung for the requests sent on the given UTC days (selectors.rung_figures reads
# them): per day and rung, how many were sent, and per bucket of hours the removals that
# count at that rung (the highest rung sent when the removal came) and their hours.
_RUNG_SUMMARY_SQL = """
WITH days AS (SELECT unnest(%(days)s::date[]) AS day),
sent AS (
    SELECT days.day, r.* FROM ({rows}) r JOIN days
        ON r.sent_at >= days.day::timestamp AT TIME ZONE 'UTC'
        AND r.sent_at < (days.day + 1)::timestamp AT TIME ZONE 'UTC'
)
SELECT day, rung, NULL AS bucket, count(*), count(*) FILTER (WHERE counted), NULL
FROM sent GROUP BY day, rung
UNION ALL
SELECT day, rung, width_bucket(hours, %(edges)s::float8[]), count(*), NULL, sum(hours)
FROM sent WHERE counted GROUP BY day, rung, 3
"""


def _rung_days_refresh(cursor, days, now) -> None:
    """RungFigureDay worked out again for `days` (in platform_figures_refresh's
    transaction)."""
    from takedowns.models import REMOVAL_HOUR_EDGES, RungFigureDay

    cursor.execute(
        _RUNG_SUMMARY_SQL.format(
            rows=RUNG_ROWS_SQL.format(requests=TakedownRequest._meta.db_table)
        ),
        {
            "days": days,
            "removed": TakedownStatus.REMOVED.value,
            "edges": [float(edge) for edge in REMOVAL_HOUR_EDGES],
        },
    )
    fetched = cursor.fetchall()
    buckets = len(REMOVAL_HOUR_EDGES) + 1
    rows = {
        (day, rung): RungFigureDay(
            day=day,
            rung=rung,
            sent=count,
            removed=removed,
            removal_counts=[0] * buckets,
            removal_hours=[0.0] * buckets,
            worked_out_at=now,
        )
        for day, rung, bucket, count, removed, _ in fetched
        if bucket is None
    }
    for day, rung, bucket, count, _, hours in fetched:
        if bucket is not None:
            rows[day, rung].removal_counts[bucket] = count
            rows[day, rung].removal_hours[bucket] = hours
    RungFigureDay.objects.filter(day__in=days).delete()
    # A few rows a day (one a rung sent that day): bulk_create's arrays cost little here.
    RungFigureDay.objects.bulk_create(rows.values())


def platform_figures_refresh(*, days=None, now=None) -> int:
    """Work out the platform figures' summary again for every stale day (the triggers on
    the requests mark them, takedowns/models.py), or for `days` (the rebuild command gives
    them all). Runs before the figures are read and every minute (beat), so the figures
    include every change committed before they are read. Returns the days worked out.

    The stale days are claimed by deleting their rows: a second refresh at the same time
    waits for the first and then finds nothing to do, and a request changed meanwhile marks
    its day stale again once this transaction is done, so no change is lost."""
    from takedowns.models import (
        REMOVAL_HOUR_EDGES,
        AnonymousOutcome,
        PlatformFigureDay,
        PlatformFigureStale,
    )

    now = now or timezone.now()
    if not days and not PlatformFigureStale.objects.exists():
        return 0  # one query when nothing changed: what the page and the beat mostly see
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM takedowns_platformfigurestale RETURNING day")
        stale = {day for (day,) in cursor.fetchall()}
        days = sorted(stale | set(days or ()))
        if not days:
            return 0
        cursor.execute(
            _SUMMARY_SQL.format(
                requests=TakedownRequest._meta.db_table,
                anonymous=AnonymousOutcome._meta.db_table,
                unconfirmed="decision_by_survivor AND decision_confirmed_at IS NULL",
            ),
            {
                "days": days,
                "site": Rung.SITE.value,
                "sent": TakedownStatus.SENT.value,
                "removed": TakedownStatus.REMOVED.value,
                "rejected": TakedownStatus.REJECTED.value,
                "within": dt.timedelta(hours=TAKE_IT_DOWN_HOURS),
                "edges": [float(edge) for edge in REMOVAL_HOUR_EDGES],
            },
        )
        fetched = cursor.fetchall()
        buckets = len(REMOVAL_HOUR_EDGES) + 1  # and bucket 0, below the first edge
        rows = {}
        for day, platform_id, basis, bucket, count, removed, rejected, within, _ in fetched:
            if bucket is None:
                rows[day, platform_id, basis] = PlatformFigureDay(
                    day=day,
                    platform_id=platform_id,
                    legal_basis=basis,
                    sent=count,
                    removed=removed,
                    rejected=rejected,
                    removed_within_48h=within,
                    # Zeros, not NULLs, in empty buckets: an array without NULLs is read at
                    # any position in one step (with them PostgreSQL walks its bitmap).
                    removal_counts=[0] * buckets,
                    removal_hours=[0.0] * buckets,
                    worked_out_at=now,
                )
        for day, platform_id, basis, bucket, count, _, _, _, hours in fetched:
            if bucket is not None:
                row = rows[day, platform_id, basis]
                row.removal_counts[bucket] = count
                row.removal_hours[bucket] = hours
        PlatformFigureDay.objects.filter(day__in=days).delete()
        # COPY: bulk_create prepares each array element in Python, 50 times slower.
        columns = ["day", "platform_id", "legal_basis", "sent", "removed", "rejected"]
        columns += ["removed_within_48h", "removal_counts", "removal_hours"]
        columns += ["worked_out_at"]
        statement = f"COPY takedowns_platformfigureday ({', '.join(columns)}) FROM STDIN"
        with cursor.cursor.copy(statement) as copy:
            for row in rows.values():
                copy.write_row([getattr(row, column) for column in columns])
        _rung_days_refresh(cursor, days, now)
    return len(days)


def platform_figures_rebuild(*, now=None) -> int:
    """The whole summary worked out again from the requests (the rebuild command): every
    row deleted, every day a request or an anonymous outcome was sent on refreshed. Returns
    the days worked out."""
    from takedowns.models import AnonymousOutcome, PlatformFigureDay, RungFigureDay

    with transaction.atomic():
        PlatformFigureDay.objects.all().delete()
        RungFigureDay.objects.all().delete()
        days = set()
        for model in (TakedownRequest, AnonymousOutcome):
            days.update(
                model.objects.filter(sent_at__isnull=False)
                .annotate(day=TruncDate("sent_at", tzinfo=dt.UTC))
                .values_list("day", flat=True)
                .distinct()
            )
        return platform_figures_refresh(days=days, now=now)

"""Receiving mail: one way in for every source (IMAP polling, providers' webhooks), and
staff's two acts on what came in (filing by hand, confirming a decision).

inbound_receive never trusts the message and never raises for one: what cannot be read
safely is quarantined, sealed like the rest, for staff to look at. What it files changes a
request only where nobody needs to judge (a ticket number from an acknowledgement, a notice
returned undelivered); a human answer gets a suggested decision that changes nothing until
staff confirm it (inbound_confirm_decision), and only then does the survivor see it.
"""

import datetime as dt
import hashlib
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from inbound import reading as mail
from inbound import rules, selectors, vault
from inbound.models import (
    Decision,
    InboundAttachment,
    InboundKind,
    InboundMessage,
    InboundStatus,
    RoutedBy,
)
from leakcase.locking import StateChanged, locked
from takedowns.models import LegalBasis, TakedownRequest, TakedownStatus
from takedowns.services import (
    REPLY_TRANSITIONS,
    letter_mark_undelivered,
    takedown_note_ticket_number,
    takedown_record_counter_notice,
    takedown_record_reply,
)

log = logging.getLogger(__name__)

# What each confirmed decision does to the request (takedowns.services.takedown_record_reply):
# removed and refused are outcomes; more information and a plain message keep it waiting.
DECISION_STATUS = {
    Decision.REMOVED: TakedownStatus.REMOVED,
    Decision.REFUSED: TakedownStatus.REJECTED,
    Decision.MORE_INFORMATION: "",
    Decision.NOTHING: "",
}


def inbound_receive(
    *, raw: bytes, source: str, received_at: dt.datetime | None = None
) -> InboundMessage:
    """File one message as it came (the whole RFC 5322 message as bytes). source is
    "imap:<mailbox>" or "webhook:<provider>". Never raises for a hostile or broken message:
    it is quarantined. The same message twice (by Message-ID, or by the raw bytes' SHA-256
    without one) is filed once: the second call returns the first row."""
    received_at = received_at or timezone.now()
    message_id = mail.message_id_of(raw)
    existing = InboundMessage.objects.filter(message_id=message_id).first()
    if existing is not None:
        return existing
    max_bytes = getattr(settings, "INBOUND_MAX_MESSAGE_BYTES", mail.DEFAULT_MAX_MESSAGE_BYTES)
    reading = mail.read(raw, max_bytes=max_bytes)
    row = InboundMessage(
        message_id=message_id,
        source=source[:200],
        received_at=received_at,
        from_address=reading.from_address[:998],
        to_addresses=", ".join(reading.to_addresses)[:5000],
        subject=reading.subject[:998],
        raw_size=len(raw),
        raw_sha256=hashlib.sha256(raw).hexdigest(),
        text_body=reading.text[:200_000],
        html_body=reading.html[:500_000],
    )
    key = vault.new_key(row)
    vault.store_raw(row, raw, key)
    attachments = []
    for found in reading.attachments:
        attachment = InboundAttachment(
            message=row,
            content_type=found.content_type[:255],
            size=found.size,
            sha256=found.sha256,
            refused_because=found.refused_because,
        )
        vault.store_attachment(attachment, found.name, found.payload, key)
        attachments.append(attachment)
    row._unsaved_attachments = attachments

    if reading.refused:
        row.kind, row.status = InboundKind.UNKNOWN, InboundStatus.QUARANTINED
        row.quarantine_reason = reading.refused
        route = None
    else:
        try:
            route = _classify_and_route(row, reading)
        except Exception as exc:  # a message built to break our rules: staff look at it
            log.warning("inbound message %s could not be classified", row.pk, exc_info=True)
            row.kind, row.status = InboundKind.UNKNOWN, InboundStatus.QUARANTINED
            row.quarantine_reason = f"The message could not be read ({type(exc).__name__})."
            route = None
    try:
        with transaction.atomic():
            row.save()
            InboundAttachment.objects.bulk_create(attachments)
            if route is not None:
                _file(row, route)
    except IntegrityError:
        # Another worker filed the same message a moment ago: theirs is the one.
        vault.delete_files(row)
        return InboundMessage.objects.get(message_id=message_id)
    return row


def _classify_and_route(row: InboundMessage, reading: mail.Reading) -> selectors.Route | None:
    message = reading.message
    bounce = rules.bounce_status(message, reading.from_address, reading.subject)
    auto = "" if bounce else rules.is_auto_reply(message, reading.text)
    row.kind = (
        InboundKind.BOUNCE
        if bounce == "permanent"
        else InboundKind.AUTO_REPLY
        if (auto or bounce == "delay")
        else InboundKind.REPLY
    )
    route = None
    if row.kind == InboundKind.BOUNCE:
        route = selectors.route_by_message_ids(_returned_ids(reading), RoutedBy.RETURNED_MESSAGE)
    route = route or selectors.route_by_token(message)
    route = route or selectors.route_by_message_ids(
        mail.header_ids(message, "In-Reply-To"), RoutedBy.IN_REPLY_TO
    )
    route = route or selectors.route_by_message_ids(
        mail.header_ids(message, "References"), RoutedBy.REFERENCES
    )
    slug = route.takedown.platform.slug if route and route.takedown.platform else None
    if route is None:
        tickets = [
            found.group(1)
            for pattern in rules.DEFAULT_TICKET_PATTERNS
            for found in pattern.finditer(reading.subject)
        ]
        route = selectors.route_by_ticket(reading.subject, reading.from_address, tickets)
        slug = route.takedown.platform.slug if route and route.takedown.platform else None
    if row.kind == InboundKind.AUTO_REPLY:
        row.ticket_number = (
            rules.find_ticket(reading.subject, slug)
            or rules.find_ticket(rules.new_words(reading.text), slug)
        )[:120]
    elif row.kind == InboundKind.REPLY:
        dmca = route is None or route.takedown.legal_basis == LegalBasis.DMCA
        rule = rules.suggest(reading.text, slug, dmca=dmca)
        if rule is not None:
            row.suggested_decision, row.suggestion_rule = rule.decision, rule.name
        else:
            row.suggested_decision, row.suggestion_rule = Decision.NOTHING, ""
    row.status = InboundStatus.INBOX if route is None else InboundStatus.FILED
    return route


def _returned_ids(reading: mail.Reading) -> list[str]:
    """The Message-IDs of the message a bounce returns: from the returned message or its
    headers (message/rfc822 or text/rfc822-headers, RFC 6522), or from the lines of a
    non-standard bounce that quotes them."""
    return reading.returned_ids + mail.MESSAGE_ID_LINE.findall(reading.text)


def _file(row: InboundMessage, route: selectors.Route) -> None:
    """Inside inbound_receive's transaction, after the row won the race to exist: what
    filing does to the request where nobody needs to judge."""
    row.takedown, row.routed_by = route.takedown, route.routed_by
    row.filed_at = timezone.now()
    update = ["takedown", "routed_by", "filed_at"]
    try:
        with transaction.atomic():
            if row.kind == InboundKind.AUTO_REPLY and row.ticket_number:
                takedown_note_ticket_number(
                    takedown=route.takedown, ticket_number=row.ticket_number
                )
            if row.kind == InboundKind.BOUNCE:
                letter = route.letter or _last_letter(route.takedown)
                if letter is not None:
                    letter_mark_undelivered(letter=letter, reason=_bounce_reason(row))
                    row.returned_letter = letter
                    update.append("returned_letter")
    except (ValidationError, StateChanged) as exc:
        row.quarantine_reason = f"Filed, but the request could not be updated: {exc}"
        update.append("quarantine_reason")
    row.save(update_fields=update)


def _last_letter(takedown: TakedownRequest):
    return (
        takedown.correspondence.filter(direction="out", channel="email")
        .exclude(message_id="")
        .order_by("-created_at")
        .first()
    )


def _bounce_reason(row: InboundMessage) -> str:
    lines = [line.strip() for line in row.text_body.splitlines() if line.strip()]
    return "Returned undelivered by the recipient's mail server: " + " ".join(lines[:3])[:500]


# --- staff's acts --------------------------------------------------------------------------


def inbound_file_by_hand(
    *, message: InboundMessage, takedown: TakedownRequest, acting_user: User
) -> InboundMessage:
    """Staff put a message no rule could file onto a request (found by case reference).
    A human reply gets its suggestion then, from the platform's rules."""
    if not acting_user.is_support_staff:
        raise PermissionDenied("Only support staff file messages.")
    if takedown.status == TakedownStatus.DRAFT:
        raise ValidationError("That request has not been sent yet: nothing can answer it.")
    with transaction.atomic():
        message = InboundMessage.objects.select_for_update().get(pk=message.pk)
        if message.takedown_id is not None:
            raise StateChanged("This message was filed meanwhile. Nothing was changed.")
        message.takedown, message.routed_by = takedown, RoutedBy.HAND
        message.filed_by, message.filed_at = acting_user, timezone.now()
        update = ["takedown", "routed_by", "filed_by", "filed_at"]
        if message.status == InboundStatus.INBOX:
            message.status = InboundStatus.FILED
            update.append("status")
            if message.kind == InboundKind.REPLY:
                slug = takedown.platform.slug if takedown.platform else None
                dmca = takedown.legal_basis == LegalBasis.DMCA
                rule = rules.suggest(message.text_body, slug, dmca=dmca)
                message.suggested_decision = rule.decision if rule else Decision.NOTHING
                message.suggestion_rule = rule.name if rule else ""
                update += ["suggested_decision", "suggestion_rule"]
            elif message.kind == InboundKind.AUTO_REPLY and message.ticket_number:
                takedown_note_ticket_number(
                    takedown=takedown, ticket_number=message.ticket_number, acting_user=acting_user
                )
        message.save(update_fields=update)
    return message


def inbound_confirm_decision(
    *, message: InboundMessage, acting_user: User, decision: str | None = None
) -> InboundMessage:
    """Staff confirm what the reply says (the suggestion, or the decision they chose
    instead): the reply goes into the request's correspondence and moves it, exactly as if
    they had pasted it (takedown_record_reply), or records a DMCA counter-notice. One click;
    a second one (another tab, a colleague) is refused."""
    if not acting_user.is_support_staff:
        raise PermissionDenied("Only support staff confirm a platform's answer.")
    decision = decision or message.suggested_decision or Decision.NOTHING
    if decision not in Decision.values:
        raise ValidationError("Choose what the answer says.")
    takedown = message.takedown
    if takedown is None or message.kind != InboundKind.REPLY:
        raise ValidationError("Only a platform's reply filed on a request can be confirmed.")
    # Her page shows the answer itself: the notice it quotes below is ours, and the whole
    # message stays on the inbound row for staff.
    body = (
        rules.new_words(message.text_body).strip()
        or message.text_body.strip()
        or f"(An email with no text: {message.subject})"
    )
    with transaction.atomic():
        locked(takedown.case)  # the lock order (leakcase/locking.py): the case first
        message = InboundMessage.objects.select_for_update().get(pk=message.pk)
        if message.confirmed_at is not None:
            raise StateChanged("This answer was confirmed already. Nothing was changed.")
        if decision == Decision.COUNTER_NOTICE:
            if takedown.legal_basis != LegalBasis.DMCA:
                raise ValidationError(
                    "Counter-notices exist only for DMCA requests: choose another reading."
                )
            takedown_record_counter_notice(
                takedown=takedown,
                received_on=timezone.localdate(message.received_at),
                body=body,
                acting_user=acting_user,
            )
        else:
            status = DECISION_STATUS[decision]
            if status and status not in REPLY_TRANSITIONS.get(takedown.status, set()):
                raise ValidationError(
                    f"A request that is {takedown.get_status_display().lower()} cannot become "
                    f"{TakedownStatus(status).label.lower()}."
                )
            takedown_record_reply(
                takedown=takedown,
                body=body,
                decision=status,
                acting_user=acting_user,
                reasons=rules.new_words(message.text_body)[:2000]
                if decision == Decision.REFUSED
                else "",
            )
        message.letter = takedown.correspondence.order_by("-created_at").first()
        message.confirmed_decision = decision
        message.confirmed_by, message.confirmed_at = acting_user, timezone.now()
        message.save(
            update_fields=["letter", "confirmed_decision", "confirmed_by", "confirmed_at"]
        )
    return message

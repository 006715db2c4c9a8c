"""Reads for inbound mail: which request a message belongs to, and the staff's lists."""

import re
import uuid
from dataclasses import dataclass
from email.message import EmailMessage

from django.conf import settings
from django.db.models import Q, QuerySet

from inbound import reading as mail
from inbound.models import InboundMessage, InboundStatus
from platforms.models import PlatformDomain
from platforms.selectors import registrable_domain
from takedowns.models import Correspondence, Direction, TakedownRequest


@dataclass(frozen=True)
class Route:
    takedown: TakedownRequest
    routed_by: str  # inbound.models.RoutedBy
    letter: Correspondence | None = None  # our letter the message answers or returns


def reply_token_pattern() -> re.Pattern:
    """replies+<32 hex digits>@<domain>, from settings.NOTICE_REPLY_TO
    (takedowns.notices.reply_address writes it)."""
    local, _, domain = settings.NOTICE_REPLY_TO.lower().partition("@")
    return re.compile(rf"^{re.escape(local)}\+([0-9a-f]{{32}})@{re.escape(domain)}$")


def route_by_token(message: EmailMessage) -> Route | None:
    pattern = reply_token_pattern()
    for address in mail.delivery_addresses(message):
        found = pattern.match(address)
        if found:
            takedown = _takedown(pk=uuid.UUID(found.group(1)))
            if takedown is not None:
                return Route(takedown, "token")
    return None


def route_by_message_ids(ids: list[str], routed_by: str) -> Route | None:
    """Our notice or reminder with one of these Message-IDs (the last named first: the
    newest letter in a thread)."""
    ids = [i for i in ids if i][-50:]
    if not ids:
        return None
    letters = {
        letter.message_id: letter
        for letter in Correspondence.objects.filter(
            direction=Direction.OUT, message_id__in=ids
        ).select_related("takedown__case", "takedown__platform")
    }
    for message_id in reversed(ids):
        if message_id in letters:
            letter = letters[message_id]
            return Route(letter.takedown, routed_by, letter)
    return None


def route_by_ticket(subject: str, sender: str, candidates: list[str]) -> Route | None:
    """A ticket number in the subject that one of our requests to the sender's platform
    holds. The sender's domain must be the platform's (or the address the request went
    to): a ticket number alone is short and guessable."""
    candidates = [c for c in candidates if c]
    if not candidates or "@" not in sender:
        return None
    sender_domain = registrable_domain(sender.rpartition("@")[2])
    platform_ids = set(
        PlatformDomain.objects.filter(domain=sender_domain).values_list("platform_id", flat=True)
    )
    requests = TakedownRequest.objects.filter(ticket_number__in=candidates).select_related(
        "case", "platform"
    )
    for takedown in requests.order_by("-sent_at"):
        if _sent_by_recipient(takedown, sender_domain, platform_ids):
            return Route(takedown, "ticket")
    return None


def sender_is_recipient(takedown: TakedownRequest, sender: str) -> bool:
    """Whether a message comes from the platform's own domain (or the address the request
    went to). The reply address is printed in every notice, and DMCA notices may be
    published: anyone can write to it, so staff are told when a sender is not the platform."""
    if "@" not in sender:
        return False
    sender_domain = registrable_domain(sender.rpartition("@")[2])
    platform_ids = set(
        PlatformDomain.objects.filter(domain=sender_domain).values_list("platform_id", flat=True)
    )
    return _sent_by_recipient(takedown, sender_domain, platform_ids)


def _sent_by_recipient(takedown, sender_domain: str, platform_ids: set) -> bool:
    addresses = [takedown.recipient_email, takedown.platform and takedown.platform.abuse_email]
    domains = {registrable_domain(a.rpartition("@")[2]) for a in addresses if a}
    return takedown.platform_id in platform_ids or sender_domain in domains


def _takedown(**lookup) -> TakedownRequest | None:
    return TakedownRequest.objects.filter(**lookup).select_related("case", "platform").first()


# --- lists for staff -----------------------------------------------------------------------


def inbox_messages() -> QuerySet[InboundMessage]:
    """What waits for staff: messages no rule could file, and quarantined ones."""
    return InboundMessage.objects.filter(
        status__in=[InboundStatus.INBOX, InboundStatus.QUARANTINED]
    ).order_by("-received_at")


def messages_for_request(takedown: TakedownRequest) -> list[InboundMessage]:
    return list(
        InboundMessage.objects.filter(takedown=takedown)
        .select_related("returned_letter", "confirmed_by")
        .prefetch_related("attachments")
        .order_by("-received_at")
    )


def requests_matching(query: str, *, within: QuerySet) -> QuerySet[TakedownRequest]:
    """Sent requests of the cases `within` (what the user may see) whose case reference,
    ticket number or recipient matches what staff typed in the file-by-hand form."""
    query = query.strip()
    if not query:
        return TakedownRequest.objects.none()
    return (
        TakedownRequest.objects.filter(case__in=within)
        .exclude(status="draft")
        .filter(
            Q(case__reference__iexact=query)
            | Q(ticket_number__iexact=query)
            | Q(platform__name__icontains=query)
            | Q(recipient_email__icontains=query)
        )
        .select_related("case", "platform")
        .order_by("-sent_at")[:20]
    )

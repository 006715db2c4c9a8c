"""Writes for the ladder (takedowns/ladder.py): preparing the next rung's draft when a
rung's wait lapses unanswered or its recipient refuses, skipping a rung nobody can be asked
at, starting again on a new host, and the service's own waits. Each with its CaseEvent in
the same transaction; sending goes through takedowns.services' one send path (the outbox).
"""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from cases.models import EventKind
from cases.services import change_record, event_record
from evidence.models import Sighting
from hosting.selectors import contacts_for
from leakcase.locking import StateChanged, locked
from platforms.models import PlatformKind
from takedowns import ladder, selectors, services
from takedowns.models import (
    LadderRungSetting,
    LegalBasis,
    Rung,
    TakedownRequest,
    TakedownStatus,
)

log = logging.getLogger(__name__)

# A rung whose wait lapsed unanswered (sent or acknowledged and past due), or whose
# recipient refused or removed only part: the next rung's draft is due.
CLIMB_FROM_WAITING = (TakedownStatus.SENT, TakedownStatus.ACKNOWLEDGED)
CLIMB_FROM_ANSWERED = (TakedownStatus.REJECTED, TakedownStatus.PARTIALLY_REMOVED)
# What a rung's draft carries over from the rung below: the route, who signs and in what
# capacity, her contact details, what the images are and why they are unlawful, and the
# boxes she ticked. Her words are not retyped for each company.
CARRIED_OVER = (
    "legal_basis",
    "signer_name",
    "signer_capacity",
    "contact_email",
    "contact_phone",
    "contact_address",
    "content_description",
    "copyright_work",
    "illegality_explanation",
    *services.NOTICE_CONFIRMATIONS,
)
# Rungs nothing follows, whatever the route (the others end where ladder.LADDERS says).
_LAST_RUNGS = Q(rung__in=[Rung.FTC, Rung.DSA_COORDINATOR]) | Q(
    rung=Rung.CDN, legal_basis__in=[LegalBasis.DMCA, LegalBasis.PLATFORM_POLICY]
)
DISPATCH_BATCH = 200


def _due_filter(now) -> Q:
    return Q(status__in=CLIMB_FROM_WAITING, due_at__lt=now) | Q(status__in=CLIMB_FROM_ANSWERED)


def takedowns_due_a_climb(now=None):
    """Requests whose rung is done with, not yet climbed from: the dispatcher's list."""
    now = now or timezone.now()
    return (
        TakedownRequest.objects.filter(ladder_climbed_at__isnull=True)
        .filter(_due_filter(now))
        .exclude(_LAST_RUNGS)
        # Search engines delist; delisting is tracked apart from removal and has no ladder.
        .exclude(platform__kind=PlatformKind.SEARCH_ENGINE)
        .order_by("due_at")
    )


def ladders_climb_due(*, now=None) -> int:
    """The dispatcher: prepares the next rung for every request due one. Rows are picked
    with SKIP LOCKED (a second beat's dispatcher passes over what the first is working on)
    and each is claimed by takedown_climb's conditional UPDATE. Returns how many drafts were
    prepared."""
    now = now or timezone.now()
    prepared = 0
    with transaction.atomic():
        due = list(
            takedowns_due_a_climb(now)
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:DISPATCH_BATCH]
        )
    for pk in due:
        takedown = TakedownRequest.objects.select_related("case", "platform").get(pk=pk)
        if takedown_climb(takedown=takedown, now=now) is not None:
            prepared += 1
    return prepared


def takedown_climb(*, takedown: TakedownRequest, now=None) -> TakedownRequest | None:
    """Prepare the next rung's draft for a request whose wait lapsed or that was refused:
    its recipient from the hosting lookup (host, registrar, CDN) or the regulators' table,
    the notice's details carried over, the earlier requests quoted. None when someone else
    climbed it first (the claim is a conditional UPDATE that changes exactly one row), or
    when nothing is left to ask about. Safe to run twice. When the rung is set to send by
    itself and its recipient is known, the draft is sent through the outbox."""
    now = now or timezone.now()
    with transaction.atomic():
        locked(takedown.case)  # the lock order: case, then request (leakcase/locking.py)
        claimed = (
            TakedownRequest.objects.filter(pk=takedown.pk, ladder_climbed_at__isnull=True)
            .filter(_due_filter(now))
            .update(ladder_climbed_at=now)
        )
        if claimed != 1:
            return None
        takedown.refresh_from_db()
        following = ladder.next_rung(takedown.legal_basis, takedown.rung)
        still_up = list(takedown.sightings.still_up().filter(withdrawn_at__isnull=True))
        if following is None or not still_up:
            return None
        following, skipped = _past_contacts_asked(takedown, following, still_up)
        if following is None:
            return None
        try:
            with transaction.atomic():
                draft = _rung_draft(
                    takedown,
                    following,
                    still_up,
                    now,
                    reason=_why_climbed(takedown),
                    skipped=skipped,
                )
        except IntegrityError:
            return None  # a next rung exists already (one per request)
    if selectors.rung_sends_automatically(draft.rung):
        _send_automatically(draft)
    return draft


def _past_contacts_asked(takedown, following, sightings) -> tuple[str | None, list[str]]:
    """The next rung, passing over those whose contact this ladder has asked already: a
    site outside the directory is written to at its host's abuse address (takedowns_draft),
    so its host rung would ask the same desk again."""
    asked = {
        request.recipient_email.strip().lower()
        for request in selectors.ladder_chain(takedown)
        if request.recipient_email.strip()
    }
    host = _host_of(takedown, sightings)
    skipped: list[str] = []
    while following is not None and ladder.RUNGS[following].contact_role:
        address = _recipient(following, host, takedown)["recipient_email"].strip().lower()
        if not address or address not in asked:
            break
        skipped.append(following)
        following = ladder.next_rung(takedown.legal_basis, following, tuple(skipped))
    return following, skipped


def _why_climbed(takedown: TakedownRequest) -> str:
    if takedown.status == TakedownStatus.REJECTED:
        return "refused"
    if takedown.status == TakedownStatus.PARTIALLY_REMOVED:
        return "partly removed"
    return "no answer by the due time"


def _host_of(takedown: TakedownRequest, sightings: list[Sighting]) -> str:
    return takedown.host or (sightings[0].host if sightings else "")


def _recipient(rung: str, host: str, below: TakedownRequest) -> dict:
    """Whom a rung's draft goes to: the hosting lookup's contact of the rung's role, or the
    regulator. Empty when nobody is known (the page says so and offers to skip)."""
    spec = ladder.RUNGS[rung]
    if spec.contact_role:
        for contact in contacts_for(host):
            if contact.role == spec.contact_role and (contact.abuse_email or contact.abuse_url):
                return {
                    "recipient_name": contact.name[:120],
                    "recipient_email": contact.abuse_email or "",
                    "recipient_form_url": (contact.abuse_url or "")[:500],
                }
        return {"recipient_name": "", "recipient_email": "", "recipient_form_url": ""}
    earlier = selectors.earlier_requests(below)
    site = below if below.rung == Rung.SITE else None
    site_name = (
        site.recipient
        if site
        else next((e.recipient for e in earlier if e.rung == Rung.SITE), host)
    )
    site_form = site.platform.report_form_url if site and site.platform else ""
    regulator = ladder.regulator_for(
        rung, country=below.case.jurisdiction or "", site=site_name, site_form=site_form
    )
    return {
        "recipient_name": regulator.name[:120],
        "recipient_email": "",
        "recipient_form_url": regulator.form_url,
    }


def _known_approval(address: str) -> dict:
    """An address a caseworker approved before, on any request, counts as known: the new
    rung's draft carries that approval (who and when), so it can be sent (or go by itself)
    without asking again. Any other address waits for a caseworker."""
    if not address:
        return {}
    approved = (
        TakedownRequest.objects.filter(recipient_approved_email__iexact=address)
        .exclude(recipient_approved_at=None)
        .order_by("recipient_approved_at")
        .first()
    )
    if approved is None:
        return {}
    return {
        "recipient_approved_email": address,
        "recipient_approved_by_id": approved.recipient_approved_by_id,
        "recipient_approved_at": approved.recipient_approved_at,
    }


def _rung_draft(
    below: TakedownRequest,
    rung: str,
    sightings: list[Sighting],
    now,
    *,
    reason: str,
    skipped: list[str] | None = None,
) -> TakedownRequest:
    host = _host_of(below, sightings)
    recipient = _recipient(rung, host, below)
    draft = TakedownRequest.objects.create(
        case=below.case,
        platform=None,
        host=host,
        rung=rung,
        escalated_from=below,
        rungs_skipped=skipped or [],
        **recipient,
        **_known_approval(recipient["recipient_email"]),
        **{name: getattr(below, name) for name in CARRIED_OVER},
    )
    draft.sightings.add(*sightings)
    event_record(
        case=below.case,
        actor=None,
        kind=EventKind.TAKEDOWN_DRAFTED,
        target=draft,
        new_value={
            "rung": rung,
            "escalated_from": str(below.pk),
            "because": reason,
            "recipient": draft.recipient,
            "contact_known": bool(recipient["recipient_email"] or recipient["recipient_form_url"]),
            "sightings": [str(s.pk) for s in sightings],
        },
    )
    return draft


def _send_automatically(draft: TakedownRequest) -> None:
    """The rung is set to send by itself: through the one send path, as the service
    (no account: created_by empty), only when everything the send checks holds (her
    consent, a complete notice, a known or approved address). Otherwise the draft waits for
    staff, and the refusal is logged."""
    draft = TakedownRequest.objects.select_related("case", "platform").get(pk=draft.pk)
    if draft.recipient_form_url and not draft.recipient_email:
        return  # a form: copied in by a person
    try:
        services.takedown_send_email(takedown=draft, acting_user=None)
    except (ValidationError, StateChanged) as error:
        log.info("ladder rung=%s takedown=%s not sent by itself: %s", draft.rung, draft.pk, error)


def takedown_ladder_skip(*, takedown: TakedownRequest, acting_user: User) -> TakedownRequest:
    """Nobody is known to ask at this rung (no abuse contact in the lookup): its draft moves
    up to the next rung, which says it passed this one over."""
    if not acting_user.is_support_staff:
        raise PermissionDenied("Only staff move a request up the ladder.")
    if takedown.status != TakedownStatus.DRAFT or takedown.escalated_from_id is None:
        raise ValidationError("Only a prepared next rung's draft can be passed over.")
    with transaction.atomic():
        locked(takedown.case)
        takedown = locked(takedown)
        if takedown.status != TakedownStatus.DRAFT:
            raise StateChanged("This request was sent meanwhile. Nothing was changed.")
        old_rung = takedown.rung
        skipped = [*takedown.rungs_skipped, old_rung]
        following = ladder.next_rung(takedown.legal_basis, old_rung, tuple(skipped))
        if following is None:
            raise ValidationError("This is the last rung of this route's ladder.")
        below = TakedownRequest.objects.select_related("case", "platform").get(
            pk=takedown.escalated_from_id
        )
        sightings = list(takedown.sightings.all())
        recipient = _recipient(following, _host_of(takedown, sightings), below)
        takedown.rung = following
        takedown.rungs_skipped = skipped
        for name, value in {**recipient, **_known_approval(recipient["recipient_email"])}.items():
            setattr(takedown, name, value)
        changed = ["rung", "rungs_skipped", *recipient]
        if takedown.recipient_approved_email:
            changed += [
                "recipient_approved_email",
                "recipient_approved_by",
                "recipient_approved_at",
            ]
        change_record(
            takedown,
            changed,
            case=takedown.case,
            kind=EventKind.TAKEDOWN_EDITED,
            acting_user=acting_user,
            old_value={"rung": old_rung},
            new_value={"rung": following, "skipped": old_rung, "recipient": takedown.recipient},
        )
    return takedown


def takedowns_restart_ladder(
    *, sightings: list[Sighting], earlier: TakedownRequest, now, reason: str
) -> TakedownRequest | None:
    """The images are back on a new host: a new ladder starts at the site rung for these
    links, its draft quoting the earlier ladder (reappeared_after: the last request sent on
    it). Call inside a transaction that locked the case. Safe to run twice: a draft for
    this new ladder that is there already takes the links (and is returned)."""
    sightings = [s for s in sightings if s.withdrawn_at is None]
    if not sightings:
        return None
    case = earlier.case
    host = sightings[0].host
    existing = TakedownRequest.objects.filter(
        case=case,
        status=TakedownStatus.DRAFT,
        rung=Rung.SITE,
        reappeared_after=earlier,
        host=host,
    ).first()
    if existing is not None:
        existing.sightings.add(*sightings)
        return existing
    platform = sightings[0].platform
    draft = TakedownRequest.objects.create(
        case=case,
        platform=platform,
        host="" if platform else host,
        rung=Rung.SITE,
        reappeared_after=earlier,
        **{name: getattr(earlier, name) for name in CARRIED_OVER},
    )
    if draft.legal_basis not in selectors.bases_offered(case, platform):
        draft.legal_basis = selectors.bases_offered(case, platform)[0]
        draft.save(update_fields=["legal_basis"])
    draft.sightings.add(*sightings)
    event_record(
        case=case,
        actor=None,
        kind=EventKind.TAKEDOWN_DRAFTED,
        target=draft,
        new_value={
            "rung": Rung.SITE,
            "reappeared_after": str(earlier.pk),
            "because": reason,
            "recipient": draft.recipient,
            "sightings": [str(s.pk) for s in sightings],
        },
    )
    return draft


def _host_contact_name(host: str) -> str:
    for contact in contacts_for(host):
        if contact.role == "host":
            return contact.name
    return ""


def takedowns_restart_if_new_host(*, sighting: Sighting, now) -> TakedownRequest | None:
    """A link back after a verified removal: when the company hosting it now is not the one
    its ladder asked (its host rung's recipient), the ladder starts again from the site,
    quoting the earlier one. Inside the recheck's transaction (the case is locked)."""
    asked_hosts = list(
        TakedownRequest.objects.filter(sightings=sighting, rung=Rung.HOST)
        .exclude(sent_at=None)
        .values_list("recipient_name", flat=True)
    )
    if not asked_hosts:
        return None  # the ladder never reached a host: reopening the site's request is all
    now_hosted_by = _host_contact_name(sighting.host)
    if not now_hosted_by or now_hosted_by in asked_hosts:
        return None
    earlier = (
        TakedownRequest.objects.filter(sightings=sighting)
        .exclude(sent_at=None)
        .order_by("-sent_at")
        .first()
    )
    return takedowns_restart_ladder(
        sightings=[sighting],
        earlier=earlier,
        now=now,
        reason=f"back on a new host ({now_hosted_by})",
    )


def ladder_setting_change(
    *, rung: str, wait_hours: int | None, send_automatically: bool, acting_user: User
) -> LadderRungSetting:
    """A supervisor sets a rung's wait (empty: the default in takedowns/ladder.py) and
    whether its drafts go out by themselves. Logged with who and when on the row."""
    if not acting_user.is_supervisor:
        raise PermissionDenied("Only a supervisor changes the ladder's settings.")
    if rung not in Rung.values:
        raise ValidationError({"rung": "There is no such rung."})
    if wait_hours is not None and not 1 <= wait_hours <= 24 * 365:
        raise ValidationError({"wait_hours": "A wait is between 1 hour and a year."})
    if send_automatically and ladder.RUNGS[rung].web_form_only:
        raise ValidationError(
            {"send_automatically": "This rung takes a web form: a person submits it."}
        )
    setting, _created = LadderRungSetting.objects.update_or_create(
        rung=rung,
        defaults={
            "wait_hours": wait_hours,
            "send_automatically": send_automatically,
            "changed_by": acting_user,
        },
    )
    log.info(
        "ladder setting rung=%s wait_hours=%s auto=%s by=%s",
        rung,
        wait_hours,
        send_automatically,
        acting_user.pk,
    )
    return setting

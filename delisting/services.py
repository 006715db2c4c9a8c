"""Every write about a link in search results. Each writes its CaseEvent (kind
SEARCH_LISTING) in the same transaction; the event names the engine and the step, never the
address."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cases.models import EventKind
from cases.services import event_record
from delisting.engines import ENGINES, Listing, SearchEngine
from delisting.models import SearchListing
from evidence.models import STILL_UP_STATUSES, Sighting
from leakcase.locking import locked
from platforms.models import Platform
from takedowns.models import TakedownRequest, TakedownStatus
from takedowns.services import takedowns_draft


def _listing(sighting: Sighting, engine: str) -> SearchListing:
    """The row for this link and engine, made on first use, locked for the caller's
    transaction. The case is locked first (leakcase.locking's order): two first uses at
    once queue there, and the second finds the first's row."""
    if engine not in SearchEngine.values:
        raise ValidationError(_("Choose Google or Bing."))
    locked(sighting.case)
    listing, _created = SearchListing.objects.get_or_create(sighting=sighting, engine=engine)
    return locked(listing)


def _event(listing: SearchListing, acting_user: User | None, step: str, **values) -> None:
    event_record(
        case=listing.sighting.case,
        actor=acting_user,
        kind=EventKind.SEARCH_LISTING,
        target=listing.sighting,
        new_value={"engine": listing.engine, "step": step, **values},
    )


def search_listing_record(
    *, sighting: Sighting, engine: str, listed: bool, acting_user: User
) -> SearchListing:
    """What a person saw when they searched for the link's address in the engine: she or
    staff. Seen again after it was delisted: it is back, and the delisting no longer holds."""
    with transaction.atomic():
        listing = _listing(sighting, engine)
        old = listing.listing
        listing.listing = Listing.LISTED if listed else Listing.NOT_LISTED
        listing.checked_at = timezone.now()
        listing.checked_by = acting_user
        changed = ["listing", "checked_at", "checked_by", "updated_at"]
        came_back = listed and listing.delisted_at is not None
        if came_back:
            listing.delisted_at = None
            changed.append("delisted_at")
        listing.save(update_fields=changed)
        _event(listing, acting_user, "checked", was=old, now=listing.listing, back=came_back)
    return listing


def delisting_draft(*, sighting: Sighting, engine: str, acting_user: User) -> TakedownRequest:
    """A delisting request to the engine for this link: a draft to its directory entry,
    which staff complete (the search results' addresses) and send through its form."""
    if engine not in SearchEngine.values:
        raise ValidationError(_("Choose Google or Bing."))
    platform = Platform.objects.filter(slug=ENGINES[engine].platform_slug).first()
    if platform is None:
        raise ValidationError(
            f"The platform directory has no entry for {ENGINES[engine].name}; a supervisor "
            "can add it."
        )
    with transaction.atomic():
        listing = _listing(sighting, engine)
        request = listing.delisting_request
        if request is not None and request.status != TakedownStatus.REJECTED:
            raise ValidationError(
                f"A delisting request to {ENGINES[engine].name} already exists for this link."
            )
        (draft,) = takedowns_draft(
            case=sighting.case,
            sightings=[sighting],
            acting_user=acting_user,
            search_engine=platform,
        )
        listing.delisting_request = draft
        listing.save(update_fields=["delisting_request", "updated_at"])
        _event(listing, acting_user, "delisting_drafted")
    return draft


def delisting_mark_done(*, sighting: Sighting, engine: str, acting_user: User) -> SearchListing:
    """Staff searched and the engine no longer shows it."""
    _require_staff(acting_user)
    with transaction.atomic():
        listing = _listing(sighting, engine)
        if listing.delisted_at is not None:
            raise ValidationError(
                f"It is already marked as dropped from {listing.get_engine_display()} results."
            )
        listing.delisted_at = timezone.now()
        listing.listing = Listing.NOT_LISTED
        listing.checked_at = listing.delisted_at
        listing.checked_by = acting_user
        listing.save(
            update_fields=["delisted_at", "listing", "checked_at", "checked_by", "updated_at"]
        )
        _event(listing, acting_user, "delisted")
    return listing


def outdated_removal_record(
    *, sighting: Sighting, engine: str, acting_user: User
) -> SearchListing:
    """Staff used the engine's tool for a result whose page is gone ("deleted is not
    delisted"). Only once the page is gone: the tool refuses a page that is still up."""
    _require_staff(acting_user)
    with transaction.atomic():
        listing = _listing(sighting, engine)
        sighting = locked(sighting)
        if sighting.status in STILL_UP_STATUSES and sighting.withdrawn_at is None:
            raise ValidationError(
                "The page is still up, so the outdated-result tool would refuse it. Ask for "
                "delisting instead, or wait until the site removes it."
            )
        if listing.outdated_removal_requested_at is not None:
            raise ValidationError("That was already recorded.")
        listing.outdated_removal_requested_at = timezone.now()
        listing.save(update_fields=["outdated_removal_requested_at", "updated_at"])
        _event(listing, acting_user, "outdated_removal_requested")
    return listing


def _require_staff(user: User) -> None:
    if not user.is_support_staff:
        raise PermissionDenied

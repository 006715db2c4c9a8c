"""Where a link stands in each search engine, in words, with what to do next."""

from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from delisting.engines import ENGINES, Engine, Listing, SearchEngine
from delisting.models import SearchListing
from evidence.models import STILL_UP_STATUSES, Sighting
from takedowns.models import TakedownStatus


@dataclass(frozen=True)
class EngineListing:
    engine: Engine
    listing: SearchListing | None  # None: nobody has recorded anything for this engine yet
    stage: str  # where it stands, in words
    # "Delisted is not deleted" / "deleted is not delisted": what the person should know now.
    advice: str
    may_draft: bool  # a delisting request can be drafted for it
    may_record_outdated: bool  # the page is gone and the outdated result can be reported
    may_mark_delisted: bool


def _day(moment) -> str:
    return date_format(moment, "j M Y")


def _stage(engine: Engine, listing: SearchListing | None) -> str:
    if listing is None or (listing.listing == Listing.UNKNOWN and not listing.delisting_request):
        return _("Not checked yet")
    request = listing.delisting_request
    if listing.delisted_at:
        return _("Dropped from %(engine)s results on %(day)s") % {
            "engine": engine.name,
            "day": _day(listing.delisted_at),
        }
    if request is not None and request.sent_at:
        if request.status == TakedownStatus.REJECTED:
            return _("%(engine)s refused to drop it from results") % {"engine": engine.name}
        if request.due_at:
            return _("Asked %(engine)s to drop it on %(day)s; answer due %(due)s") % {
                "engine": engine.name,
                "day": _day(request.sent_at),
                "due": _day(request.due_at),
            }
        return _("Asked %(engine)s to drop it on %(day)s") % {
            "engine": engine.name,
            "day": _day(request.sent_at),
        }
    if request is not None:
        return _("A request to %(engine)s is being prepared") % {"engine": engine.name}
    if listing.listing == Listing.LISTED:
        return _("Shows in %(engine)s results (checked %(day)s)") % {
            "engine": engine.name,
            "day": _day(listing.checked_at),
        }
    return _("Not in %(engine)s results (checked %(day)s)") % {
        "engine": engine.name,
        "day": _day(listing.checked_at),
    }


def _advice(engine: Engine, listing: SearchListing | None, page_up: bool, for_staff: bool):
    if listing is None:
        return ""
    delisted = listing.delisted_at is not None
    if delisted and page_up:
        if for_staff:
            return _(
                "Delisted is not deleted: %(engine)s no longer shows it, but the page is "
                "still online. Keep the request to the site going."
            ) % {"engine": engine.name}
        return _(
            "%(engine)s no longer shows it, but the page itself is still online. We keep "
            "asking the site to remove it."
        ) % {"engine": engine.name}
    listed_or_asked = listing.listing == Listing.LISTED or (
        listing.delisting_request is not None and not delisted
    )
    if not page_up and listed_or_asked and listing.outdated_removal_requested_at is None:
        if for_staff:
            return _(
                "Deleted is not delisted: the page is gone, but %(engine)s may still show "
                "it, with its title and a small picture. Ask %(engine)s to drop the "
                "outdated result with its %(tool)s."
            ) % {"engine": engine.name, "tool": engine.outdated_tool_name}
        return _(
            "The page is gone, but %(engine)s may still show it in results for a while. "
            "Your caseworker can ask %(engine)s to drop it."
        ) % {"engine": engine.name}
    if listing.outdated_removal_requested_at is not None and not delisted:
        return _("Asked %(engine)s on %(day)s to drop the outdated result.") % {
            "engine": engine.name,
            "day": _day(listing.outdated_removal_requested_at),
        }
    return ""


def listings_for(sighting: Sighting, *, for_staff: bool) -> list[EngineListing]:
    """Every engine we track, in a fixed order, recorded or not: one query."""
    rows = {
        row.engine: row
        for row in SearchListing.objects.filter(sighting=sighting).select_related(
            "delisting_request"
        )
    }
    page_up = sighting.status in STILL_UP_STATUSES and sighting.withdrawn_at is None
    result = []
    for code in SearchEngine.values:
        engine, listing = ENGINES[code], rows.get(code)
        request = listing.delisting_request if listing else None
        open_request = request is not None and request.status != TakedownStatus.REJECTED
        result.append(
            EngineListing(
                engine=engine,
                listing=listing,
                stage=_stage(engine, listing),
                advice=_advice(engine, listing, page_up, for_staff),
                may_draft=for_staff and page_up and not open_request,
                may_record_outdated=for_staff
                and not page_up
                and listing is not None
                and listing.outdated_removal_requested_at is None,
                may_mark_delisted=for_staff
                and listing is not None
                and listing.delisted_at is None
                and (open_request or listing.listing == Listing.LISTED),
            )
        )
    return result

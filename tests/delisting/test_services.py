import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cases.models import CaseEvent, EventKind
from cases.services import case_assign
from casework.services import sighting_status_set
from delisting import services
from delisting.engines import Listing
from delisting.models import SearchListing
from evidence.services import sighting_log
from takedowns.models import TakedownRequest


@pytest.fixture
def sighting(case, survivor, caseworker):
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    return sighting_log(case=case, url="https://pics.example/a/1", acting_user=survivor)


def _events(case):
    return list(
        CaseEvent.objects.filter(case=case, kind=EventKind.SEARCH_LISTING).order_by(
            "created_at", "id"
        )
    )


def test_she_records_what_the_engine_shows_with_an_event_that_names_no_address(sighting, survivor):
    listing = services.search_listing_record(
        sighting=sighting, engine="google", listed=True, acting_user=survivor
    )
    assert listing.listing == Listing.LISTED
    assert listing.checked_by == survivor
    (event,) = _events(sighting.case)
    assert event.actor == survivor
    assert event.new_value == {
        "engine": "google",
        "step": "checked",
        "was": "unknown",
        "now": "listed",
        "back": False,
    }
    assert "pics.example" not in str(event.new_value)


def test_a_second_record_updates_the_one_row_per_engine(sighting, survivor, caseworker):
    services.search_listing_record(
        sighting=sighting, engine="bing", listed=True, acting_user=survivor
    )
    services.search_listing_record(
        sighting=sighting, engine="bing", listed=False, acting_user=caseworker
    )
    (row,) = SearchListing.objects.filter(sighting=sighting)
    assert (row.engine, row.listing, row.checked_by) == ("bing", "not_listed", caseworker)
    assert len(_events(sighting.case)) == 2


def test_an_unknown_engine_is_refused_and_nothing_is_saved(sighting, survivor):
    with pytest.raises(ValidationError, match="Google or Bing"):
        services.search_listing_record(
            sighting=sighting, engine="yahoo", listed=True, acting_user=survivor
        )
    assert not SearchListing.objects.exists()
    assert _events(sighting.case) == []


def test_a_delisting_request_is_a_draft_to_the_engines_directory_entry(sighting, caseworker):
    draft = services.delisting_draft(sighting=sighting, engine="google", acting_user=caseworker)
    assert draft.platform.slug == "google-search"
    assert list(draft.sightings.all()) == [sighting]
    listing = SearchListing.objects.get(sighting=sighting, engine="google")
    assert listing.delisting_request == draft
    assert [e.new_value["step"] for e in _events(sighting.case)] == ["delisting_drafted"]


def test_a_second_delisting_request_to_the_same_engine_is_refused(sighting, caseworker):
    services.delisting_draft(sighting=sighting, engine="bing", acting_user=caseworker)
    with pytest.raises(ValidationError, match="already exists"):
        services.delisting_draft(sighting=sighting, engine="bing", acting_user=caseworker)
    assert TakedownRequest.objects.filter(platform__slug="bing").count() == 1


def test_the_site_and_the_engine_get_separate_drafts(sighting, caseworker):
    from takedowns.services import takedowns_draft

    (to_site,) = takedowns_draft(case=sighting.case, sightings=[sighting], acting_user=caseworker)
    to_google = services.delisting_draft(
        sighting=sighting, engine="google", acting_user=caseworker
    )
    assert to_site.pk != to_google.pk
    assert to_site.platform is None and to_site.host == "pics.example"


def test_a_link_that_is_gone_cannot_be_put_in_a_delisting_request(sighting, caseworker):
    sighting_status_set(
        sighting=sighting, status="removed", acting_user=caseworker, reason="Checked: 404"
    )
    with pytest.raises(ValidationError):
        services.delisting_draft(sighting=sighting, engine="google", acting_user=caseworker)
    assert not TakedownRequest.objects.filter(platform__slug="google-search").exists()


def test_marking_delisted_then_seeing_it_again_means_it_came_back(sighting, caseworker):
    services.search_listing_record(
        sighting=sighting, engine="google", listed=True, acting_user=caseworker
    )
    listing = services.delisting_mark_done(
        sighting=sighting, engine="google", acting_user=caseworker
    )
    assert listing.delisted_at is not None and listing.listing == Listing.NOT_LISTED
    with pytest.raises(ValidationError, match="already marked"):
        services.delisting_mark_done(sighting=sighting, engine="google", acting_user=caseworker)
    listing = services.search_listing_record(
        sighting=sighting, engine="google", listed=True, acting_user=caseworker
    )
    assert listing.delisted_at is None
    assert _events(sighting.case)[-1].new_value["back"] is True


def test_the_outdated_result_tool_is_only_for_a_page_that_is_gone(sighting, caseworker):
    with pytest.raises(ValidationError, match="still up"):
        services.outdated_removal_record(sighting=sighting, engine="bing", acting_user=caseworker)
    sighting_status_set(
        sighting=sighting, status="removed", acting_user=caseworker, reason="Checked: 404"
    )
    sighting.refresh_from_db()
    listing = services.outdated_removal_record(
        sighting=sighting, engine="bing", acting_user=caseworker
    )
    assert listing.outdated_removal_requested_at is not None
    with pytest.raises(ValidationError, match="already recorded"):
        services.outdated_removal_record(sighting=sighting, engine="bing", acting_user=caseworker)


def test_only_staff_record_what_the_engines_did(sighting, survivor):
    with pytest.raises(PermissionDenied):
        services.delisting_mark_done(sighting=sighting, engine="google", acting_user=survivor)
    with pytest.raises(PermissionDenied):
        services.outdated_removal_record(sighting=sighting, engine="google", acting_user=survivor)
    assert not SearchListing.objects.exists()

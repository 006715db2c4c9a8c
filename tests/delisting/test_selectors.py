import pytest

from cases.services import case_assign
from casework.services import sighting_status_set
from delisting import services
from delisting.selectors import listings_for
from evidence.services import sighting_log
from takedowns.services import takedown_mark_submitted, takedown_update_draft


@pytest.fixture
def sighting(case, survivor, caseworker):
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    return sighting_log(case=case, url="https://pics.example/a/1", acting_user=survivor)


def _by_engine(sighting, *, for_staff=True):
    return {item.engine.code: item for item in listings_for(sighting, for_staff=for_staff)}


def test_every_engine_is_listed_before_anyone_checks(sighting, django_assert_num_queries):
    with django_assert_num_queries(1):
        items = listings_for(sighting, for_staff=True)
    assert [(i.engine.name, i.stage, i.advice) for i in items] == [
        ("Google", "Not checked yet", ""),
        ("Bing", "Not checked yet", ""),
    ]
    assert all(i.may_draft and not i.may_mark_delisted for i in items)


def test_shown_in_results_can_be_drafted_and_marked(sighting, caseworker):
    services.search_listing_record(
        sighting=sighting, engine="google", listed=True, acting_user=caseworker
    )
    google = _by_engine(sighting)["google"]
    assert google.stage.startswith("Shows in Google results (checked ")
    assert google.may_draft and google.may_mark_delisted and not google.may_record_outdated


def test_a_sent_delisting_request_shows_its_dates(sighting, caseworker, consent, evidence):
    draft = services.delisting_draft(sighting=sighting, engine="bing", acting_user=caseworker)
    bing = _by_engine(sighting)["bing"]
    assert bing.stage == "A request to Bing is being prepared"
    assert not bing.may_draft
    takedown_update_draft(
        takedown=draft,
        acting_user=caseworker,
        signer_name="R",
        contact_email="r@example.test",
        confirms_no_consent=True,
        confirms_not_paid=True,
        search_result_urls="https://www.bing.com/search?q=x",
    )
    takedown_mark_submitted(takedown=draft, ticket_number="B-1", acting_user=caseworker)
    bing = _by_engine(sighting)["bing"]
    assert bing.stage.startswith("Asked Bing to drop it on ")
    assert "; answer due " in bing.stage


def test_delisted_is_not_deleted_while_the_page_is_up(sighting, caseworker):
    services.search_listing_record(
        sighting=sighting, engine="google", listed=True, acting_user=caseworker
    )
    services.delisting_mark_done(sighting=sighting, engine="google", acting_user=caseworker)
    staff = _by_engine(sighting)["google"]
    assert staff.stage.startswith("Dropped from Google results on ")
    assert staff.advice.startswith("Delisted is not deleted: Google no longer shows it")
    her = _by_engine(sighting, for_staff=False)["google"]
    assert her.advice == (
        "Google no longer shows it, but the page itself is still online. We keep asking the "
        "site to remove it."
    )
    assert not her.may_draft and not her.may_mark_delisted


def test_deleted_is_not_delisted_once_the_page_is_gone(sighting, caseworker):
    services.search_listing_record(
        sighting=sighting, engine="bing", listed=True, acting_user=caseworker
    )
    sighting_status_set(
        sighting=sighting, status="removed", acting_user=caseworker, reason="Checked: 404"
    )
    sighting.refresh_from_db()
    bing = _by_engine(sighting)["bing"]
    assert bing.advice.startswith("Deleted is not delisted: the page is gone, but Bing may")
    assert "Content Removal Tool" in bing.advice
    assert bing.may_record_outdated and not bing.may_draft
    services.outdated_removal_record(sighting=sighting, engine="bing", acting_user=caseworker)
    bing = _by_engine(sighting)["bing"]
    assert bing.advice.startswith("Asked Bing on ")
    assert not bing.may_record_outdated
    # Google was never seen showing it: nothing to suggest there.
    assert _by_engine(sighting)["google"].advice == ""

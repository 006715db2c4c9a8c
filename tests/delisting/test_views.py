import pytest
from django.urls import reverse

from cases.services import case_assign
from delisting.models import SearchListing
from evidence.services import sighting_log
from takedowns.models import TakedownRequest


@pytest.fixture
def sighting(case, survivor, caseworker):
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    return sighting_log(case=case, url="https://pics.example/a/1", acting_user=survivor)


@pytest.fixture
def staff_client(client, caseworker):
    client.force_login(caseworker)
    return client


def _url(name, sighting, engine="google"):
    return reverse(name, args=[sighting.case.reference, sighting.pk, engine])


def _page(sighting):
    return reverse("evidence:sighting_detail", args=[sighting.case.reference, sighting.pk])


def test_she_says_google_shows_it_and_reads_it_on_the_link_page(survivor_client, sighting):
    response = survivor_client.post(
        _url("delisting:record", sighting), {"listed": "yes"}, follow=True
    )
    assert response.redirect_chain[-1][0] == _page(sighting)
    page = response.content.decode()
    assert "Thank you. Saved: it shows in Google results." in page
    assert "Shows in Google results (checked " in page
    # Staff actions are not offered to her.
    assert "Ask Google to drop it" not in page


def test_an_answer_that_is_neither_yes_nor_no_changes_nothing(survivor_client, sighting):
    response = survivor_client.post(
        _url("delisting:record", sighting), {"listed": "maybe"}, follow=True
    )
    assert "Nothing was changed: say whether it shows in the results." in response.content.decode()
    assert not SearchListing.objects.exists()


def test_an_unknown_engine_is_a_404(survivor_client, sighting):
    response = survivor_client.post(
        _url("delisting:record", sighting, "altavista"), {"listed": "yes"}
    )
    assert response.status_code == 404


def test_staff_draft_a_delisting_request_and_land_on_it(staff_client, sighting):
    response = staff_client.post(_url("delisting:draft", sighting, "bing"), follow=True)
    draft = TakedownRequest.objects.get(platform__slug="bing")
    assert response.redirect_chain[-1][0] == reverse(
        "takedowns:detail", args=[sighting.case.reference, draft.pk]
    )
    page = response.content.decode()
    assert "A delisting request to Bing is drafted." in page
    # Bing's own form, field by field, to paste.
    assert "Your relationship to the person depicted" in page
    assert "https://www.microsoft.com/en-us/concern/revengeporn" in page


def test_a_refusal_is_a_message_on_the_link_page_not_an_error_page(staff_client, sighting):
    response = staff_client.post(_url("delisting:outdated", sighting), follow=True)
    assert response.status_code == 200
    assert "The page is still up, so the outdated-result tool would refuse it." in (
        response.content.decode()
    )
    assert not SearchListing.objects.filter(outdated_removal_requested_at__isnull=False).exists()


def test_the_link_page_with_listings_for_staff(staff_client, sighting, caseworker):
    staff_client.post(_url("delisting:record", sighting), {"listed": "yes"})
    page = staff_client.get(_page(sighting)).content.decode()
    assert "In search results" in page
    assert "Dropped from Google" in page  # the button to mark it

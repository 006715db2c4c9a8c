"""The link's page and its forms (casework.link_views): a caseworker's status with a reason,
her still up / gone, her corrections and removals. Bad input is a clear message with nothing
changed; someone else's link is a 404."""

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.services import case_assign
from evidence.models import Sighting
from evidence.services import sighting_log
from tests.helpers.takedowns import sent_request


@pytest.fixture
def link(case, survivor):
    return sighting_log(case=case, url="https://blocks.example/t/1", acting_user=survivor)


def _url(name, sighting):
    return reverse(f"evidence:{name}", args=[sighting.case.reference, sighting.pk])


@pytest.fixture
def staff_client(client, case, caseworker):
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    client.force_login(caseworker)
    return client


def test_staff_set_a_status_with_a_reason(staff_client, link):
    response = staff_client.post(
        _url("sighting_status", link), {"status": "removed", "reason": "Gone when I looked."}
    )
    assert response.status_code == 302
    assert Sighting.objects.get(pk=link.pk).status == "removed"
    page = staff_client.get(response["Location"]).content.decode()
    assert "The link is marked removed." in page


def test_a_status_without_a_reason_is_refused_plainly_and_nothing_changes(staff_client, link):
    response = staff_client.post(_url("sighting_status", link), {"status": "removed"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was changed" in page
    assert "This field is required." in page
    assert Sighting.objects.get(pk=link.pk).status == "live"
    assert not link.case.events.filter(kind="sighting_status").exists()


def test_nonsense_status_is_refused_not_a_500(staff_client, link):
    response = staff_client.post(_url("sighting_status", link), {"status": "x", "reason": "r"})
    assert response.status_code == 400
    assert Sighting.objects.get(pk=link.pk).status == "live"


def test_her_its_gone_in_her_words(survivor_client, link):
    response = survivor_client.post(
        _url("sighting_status", link), {"seen": "gone", "words": "The post says deleted."}
    )
    assert response.status_code == 302
    sighting = Sighting.objects.get(pk=link.pk)
    assert (sighting.status, sighting.status_source) == ("removed", "survivor")
    case_page = survivor_client.get(reverse("cases:detail", args=[link.case.reference]))
    text = case_page.content.decode()
    assert "You told us it&#x27;s gone." in text
    assert "blocks.example/t/1: Up → Removed (“The post says deleted.”)" in text


@pytest.mark.parametrize(
    "name", ["sighting_detail", "sighting_status", "sighting_correct", "sighting_withdraw"]
)
def test_someone_elses_link_is_a_404(client, other_survivor, link, name):
    client.force_login(other_survivor)
    url = _url(name, link)
    response = (
        client.get(url)
        if name == "sighting_detail"
        else client.post(url, {"seen": "gone", "url": "https://x.com/mine"})
    )
    assert response.status_code == 404
    sighting = Sighting.objects.get(pk=link.pk)
    assert (sighting.status, sighting.url, sighting.withdrawn_at) == (
        "live",
        "https://blocks.example/t/1",
        None,
    )


def test_a_link_she_removed_is_gone_from_her_view_and_marked_for_staff(
    survivor_client, link, case, caseworker, client
):
    response = survivor_client.post(_url("sighting_withdraw", link))
    assert response.status_code == 302
    assert survivor_client.get(_url("sighting_detail", link)).status_code == 404
    page = survivor_client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert 'href="/cases/' + case.reference + "/sightings/" + str(link.pk) not in page
    survivor_client.logout()
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    client.force_login(caseworker)
    staff_page = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert "Removed from her list" in staff_page
    assert "https://blocks.example/t/1" in staff_page


def test_a_correction_to_a_duplicate_says_so(survivor_client, link, case, survivor):
    sighting_log(case=case, url="https://x.com/other", acting_user=survivor)
    response = survivor_client.post(_url("sighting_correct", link), {"url": "x.com/other"})
    assert response.status_code == 400
    assert "Another of your links already has this address." in response.content.decode()
    assert Sighting.objects.get(pk=link.pk).url == "https://blocks.example/t/1"


def test_a_sent_address_is_locked_and_the_page_says_why(survivor_client, link, case, caseworker):
    sent_request(case, link, caseworker)
    page = survivor_client.get(_url("sighting_detail", link)).content.decode()
    assert "This address was already sent to the platform in a request." in page
    assert "In a request to" in page
    # A changed address posted anyway is ignored (the field is disabled); the note is saved.
    response = survivor_client.post(
        _url("sighting_correct", link), {"url": "https://x.com/sneaky", "note": "Top post"}
    )
    assert response.status_code == 302
    sighting = Sighting.objects.get(pk=link.pk)
    assert (sighting.url, sighting.note) == ("https://blocks.example/t/1", "Top post")


def test_her_case_page_says_what_up_as_far_as_we_know_means(survivor_client, link, case):
    Sighting.objects.filter(pk=link.pk).update(
        status="unknown", last_check_outcome="login_walled", last_checked_at=timezone.now()
    )
    page = survivor_client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert "Up, as far as we know" in page
    assert "We treat it as still up until you or your caseworker tell us otherwise" in page


@pytest.mark.parametrize("requests", [1, 8])
def test_the_link_page_query_count_is_flat(
    survivor_client, link, case, caseworker, requests, django_assert_max_num_queries, survivor
):
    from takedowns.models import TakedownRequest

    for n in range(requests):
        request = TakedownRequest.objects.create(
            case=case, host=f"h{n}.example", created_by=caseworker
        )
        request.sightings.add(link)
    # session, user, the link with its case, its requests, its evidence, its search
    # listings; the removed requests' links (plain words) are not asked for: none here is
    # removed.
    with django_assert_max_num_queries(7):
        response = survivor_client.get(_url("sighting_detail", link))
    assert response.status_code == 200


@pytest.mark.parametrize("seen", ["maybe", ""])
def test_her_answer_other_than_up_or_gone_is_refused_not_a_500(survivor_client, link, seen):
    response = survivor_client.post(_url("sighting_status", link), {"seen": seen})
    assert response.status_code == 400
    assert "Nothing was changed" in response.content.decode()
    assert Sighting.objects.get(pk=link.pk).status == "live"

import pytest
from django.urls import reverse

from cases.models import Case
from cases.services import case_open


def test_home_invites_visitors_and_sends_members_to_their_cases(client, survivor):
    body = client.get("/").content.decode()
    assert "Create a private account" in body
    client.force_login(survivor)
    assert client.get("/")["Location"] == reverse("cases:list")


def test_a_survivor_opens_a_case(client, survivor):
    client.force_login(survivor)
    response = client.post(reverse("cases:open"), {"pseudonym": "Rose"})
    case = Case.objects.get()
    assert response["Location"] == reverse("cases:detail", args=[case.reference])
    page = client.get(response["Location"]).content.decode()
    assert case.reference in page
    assert "Case opened" in page  # the timeline


@pytest.mark.parametrize("pseudonym", ["", "   ", "x" * 81])
def test_a_case_needs_a_sensible_name(client, survivor, pseudonym):
    client.force_login(survivor)
    response = client.post(reverse("cases:open"), {"pseudonym": pseudonym})
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_staff_are_sent_to_open_a_case_for_a_caller(client, caseworker):
    client.force_login(caseworker)
    assert client.get(reverse("cases:open"))["Location"] == reverse("cases:open_for_caller")


def test_case_list_shows_only_her_cases(client, survivor, other_survivor):
    case_open(survivor=survivor, pseudonym="Mine", acting_user=survivor)
    theirs = case_open(survivor=other_survivor, pseudonym="Theirs", acting_user=other_survivor)
    client.force_login(survivor)
    body = client.get(reverse("cases:list")).content.decode()
    assert "Mine" in body
    assert theirs.reference not in body


def test_case_list_query_count_is_flat(client, survivor, django_assert_max_num_queries):
    for n in range(30):
        case_open(survivor=survivor, pseudonym=f"Case {n}", acting_user=survivor)
    client.force_login(survivor)
    with django_assert_max_num_queries(3):
        assert client.get(reverse("cases:list")).status_code == 200


def test_pages_say_no_store_and_load_nothing_from_elsewhere(client, survivor):
    case = case_open(survivor=survivor, pseudonym="Rose", acting_user=survivor)
    client.force_login(survivor)
    response = client.get(reverse("cases:detail", args=[case.reference]))
    assert response["Cache-Control"] == "no-store"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    body = response.content.decode()
    for marker in ("https://fonts.", "cdn.", "googleapis", "<script>"):
        assert marker not in body
    assert 'id="quick-exit"' in body

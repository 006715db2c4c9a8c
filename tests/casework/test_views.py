import pytest
from django.urls import reverse

from cases.models import Case, CaseNote
from cases.services import case_assign, case_open, case_open_for_caller, note_add
from evidence.services import evidence_add, sightings_log_pasted
from takedowns.services import takedowns_draft


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
    # Session, user, her cases with their counts, and whether her address is confirmed.
    with django_assert_max_num_queries(4):
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


@pytest.mark.parametrize("count", [10, 500])
def test_caseload_query_count_does_not_grow_with_cases(
    open_cases, client, survivor, supervisor, count, django_assert_max_num_queries
):
    open_cases(survivor, count)
    client.force_login(supervisor)
    # session, user, platforms for the filter, count, page of cases (+assignee), staff list
    with django_assert_max_num_queries(6):
        response = client.get(reverse("cases:caseload"), {"tab": "all", "sort": "-due"})
    assert response.status_code == 200
    assert f"{count} cases" in response.content.decode()


def test_caseload_paginates(open_cases, client, survivor, caseworker):
    open_cases(survivor, 30)
    client.force_login(caseworker)
    first = client.get(reverse("cases:caseload"), {"tab": "unassigned"}).content.decode()
    assert "Page 1 of 2 · 30 cases" in first
    second = client.get(
        reverse("cases:caseload"), {"tab": "unassigned", "page": 2}
    ).content.decode()
    assert second.count('name="case"') == 5


def test_caseload_names_filters_it_did_not_understand(client, caseworker):
    client.force_login(caseworker)
    response = client.get(reverse("cases:caseload"), {"tab": "mine", "status": "exploded"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_a_wrong_transition_is_refused_on_the_page_with_its_reason(client, case, supervisor):
    client.force_login(supervisor)
    response = client.post(reverse("cases:status", args=[case.reference]), {"status": "resolved"})
    assert response.status_code == 400
    assert "A new case can go to Active or Closed, not to Resolved." in response.content.decode()
    case.refresh_from_db()
    assert case.status == "new"


def test_reassigning_to_a_survivor_is_refused_and_changes_nothing(
    client, case, survivor, caseworker, supervisor
):
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    client.force_login(supervisor)
    response = client.post(
        reverse("cases:assign", args=[case.reference]),
        {"action": "assign", "assigned_to": survivor.pk},
    )
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.assigned_to == caseworker


def test_triage_and_notes_from_the_case_page(client, case, caseworker):
    client.force_login(caseworker)
    url = reverse("cases:triage", args=[case.reference])
    client.post(url, {"priority": "normal", "involves_minor": "on"})
    case.refresh_from_db()
    assert case.priority == "urgent"
    client.post(
        reverse("cases:note_add", args=[case.reference]),
        {"body": "<b>bold</b>", "visibility": "shared"},
    )
    page = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    empty = client.post(
        reverse("cases:note_add", args=[case.reference]), {"body": "", "visibility": "shared"}
    )
    assert empty.status_code == 400
    assert CaseNote.objects.count() == 1


@pytest.mark.parametrize("count", [5, 200])
def test_staff_case_page_query_count_is_flat(
    client, case, survivor, supervisor, count, django_assert_max_num_queries
):
    sightings_log_pasted(
        case=case,
        text="\n".join(f"https://x.com/a/status/{i}" for i in range(count)),
        acting_user=survivor,
    )
    for n in range(3):
        note_add(case=case, body=f"note {n}", visibility="internal", acting_user=supervisor)
    client.force_login(supervisor)
    # survivor's 12 + next due, staff for the assign form, staff names in the timeline, and
    # her weekly email's schedule and last send
    with django_assert_max_num_queries(17):
        assert client.get(reverse("cases:detail", args=[case.reference])).status_code == 200


INTERNAL = "INTERNAL-NOTE-d41d8c: caller mentioned her employer"


def test_a_survivor_never_sees_internal_notes_on_any_page(
    client, case, survivor, caseworker, image_upload
):
    """Every GET page of hers, found from the URL resolver, is searched for the text."""
    from digests.messages import unsubscribe_token
    from tests.case_world import our_urls
    from tests.helpers.access_matrix import MATRIX

    case_assign(case=case, to=caseworker, acting_user=caseworker)
    sighting = sightings_log_pasted(case=case, text="https://x.com/a", acting_user=survivor).saved[
        0
    ]
    evidence = evidence_add(case=case, upload=image_upload(), acting_user=survivor)
    note_add(case=case, body=INTERNAL, visibility="internal", acting_user=caseworker)
    note_add(
        case=case, body="Shared: we sent the request.", visibility="shared", acting_user=caseworker
    )
    (takedown,) = takedowns_draft(case=case, sightings=[sighting], acting_user=caseworker)
    values = {
        "reference": case.reference,
        "sighting_id": sighting.pk,
        "evidence_id": evidence.pk,
        "takedown_id": takedown.pk,
        "rendition": "preview",
        "slug": "x-twitter",
        "unsubscribe_token": unsubscribe_token(survivor.pk),
    }
    client.force_login(survivor)
    pages = [
        reverse(name, kwargs={key: values[key] for key in params})
        for name, params in our_urls()
        if MATRIX[name][0] == "GET" and "token" not in params
    ]
    assert reverse("cases:detail", args=[case.reference]) in pages
    for url in pages:
        response = client.get(url, follow=True)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert INTERNAL.encode() not in body, url
        assert b"employer" not in body, url
    case_page = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert "Shared: we sent the request." in case_page


@pytest.mark.parametrize("count", [2, 40])
def test_case_page_rows_of_removed_requests_cost_no_query_each(
    client, case, survivor, caseworker, count, django_assert_max_num_queries
):
    """Each sighting's row names its newest request in plain words; for a removed request
    those words look at the request's links, which once cost a query per row."""
    import datetime as dt

    from django.utils import timezone

    from takedowns.models import TakedownRequest

    sightings_log_pasted(
        case=case,
        text="\n".join(f"https://x.com/a/status/{i}" for i in range(count)),
        acting_user=survivor,
    )
    now = timezone.now()
    for n, sighting in enumerate(case.sightings.order_by("url")):
        older = TakedownRequest.objects.create(
            case=case, status="rejected", sent_at=now - dt.timedelta(days=3)
        )
        newer = TakedownRequest.objects.create(
            case=case, status="removed", sent_at=now, removed_at=now
        )
        TakedownRequest.objects.filter(pk=older.pk).update(
            created_at=now - dt.timedelta(days=3, minutes=n)
        )
        older.sightings.add(sighting)
        newer.sightings.add(sighting)
    client.force_login(caseworker)
    with django_assert_max_num_queries(17):
        response = client.get(reverse("cases:detail", args=[case.reference]))
    body = response.content.decode()
    for sighting in case.sightings.all():
        newest = sighting.takedowns.order_by("-created_at").first()
        link = reverse("takedowns:detail", args=[case.reference, newest.pk])
        assert f'<a href="{link}">' in body
        assert reverse("evidence:sighting_detail", args=[case.reference, sighting.pk]) in body
        # The screenshot form offers every sighting.
        assert f'<option value="{sighting.pk}">{sighting.url}</option>' in body
    rows = body.split('id="takedowns-heading"')[0]
    assert rows.count("says it removed the content") == count
    assert "refused" not in rows


def test_she_gives_and_withdraws_her_consent_from_her_case_page(client, case, survivor):
    client.force_login(survivor)
    detail = reverse("cases:detail", args=[case.reference])
    page = client.get(detail).content.decode()
    assert "Nothing is sent to a platform for you until you agree." in page
    assert "I agree: write to platforms for me" in page
    response = client.post(reverse("cases:consent", args=[case.reference]), {"consent": "give"})
    assert response["Location"] == f"{detail}#consent"
    case.refresh_from_db()
    assert case.consent_to_contact_platforms
    page = client.get(detail).content.decode()
    assert "Thank you. LeakCase may now write to platforms for you." in page
    assert "Consent to write to platforms given" in page  # the timeline
    assert "Withdraw my consent" in page
    client.post(reverse("cases:consent", args=[case.reference]), {"consent": "withdraw"})
    case.refresh_from_db()
    assert not case.consent_to_contact_platforms
    assert "Consent to write to platforms withdrawn" in client.get(detail).content.decode()


def test_staff_record_consent_by_phone_for_a_helpline_case_but_not_for_her(
    client, case, caseworker
):
    caller = case_open_for_caller(
        pseudonym="Caller", contact_email="c@example.test", acting_user=caseworker
    )
    client.force_login(caseworker)
    url = reverse("cases:consent", args=[caller.reference])
    missing_note = client.post(url, {"consent": "give"})
    assert missing_note.status_code == 400
    assert "Say who told you and when" in missing_note.content.decode()
    note = "Said yes on the call of 3 Nov, 14:10"
    assert client.post(url, {"consent": "give", "note": note}).status_code == 302
    caller.refresh_from_db()
    assert caller.consent_to_contact_platforms
    page = client.get(reverse("cases:detail", args=[caller.reference])).content.decode()
    assert note in page and "Record her withdrawal" in page

    case_assign(case=case, to=caseworker, acting_user=caseworker)
    page = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert "She has an account: she gives it herself, from her case page." in page
    refused = client.post(
        reverse("cases:consent", args=[case.reference]), {"consent": "give", "note": note}
    )
    assert refused.status_code == 400
    assert "she gives this herself" in refused.content.decode()
    case.refresh_from_db()
    assert not case.consent_to_contact_platforms


def test_she_chooses_the_address_notices_give(client, case, survivor):
    client.force_login(survivor)
    url = reverse("cases:notice_contact", args=[case.reference])
    assert client.post(url, {"notice_contact": "nowhere"}).status_code == 400
    assert client.post(url, {"notice_contact": "own_email"}).status_code == 302
    case.refresh_from_db()
    assert case.notice_contact == "own_email"


@pytest.mark.django_db(transaction=True)
def test_a_triage_posted_as_a_colleague_triages_is_refused_in_plain_words(
    client, case, caseworker, supervisor, in_another_connection, monkeypatch
):
    import html

    from cases.services import case_triage
    from casework import views

    read = views.case_for_user

    def read_then_a_colleague_triages(user, reference):
        case = read(user, reference)
        in_another_connection(
            lambda: case_triage(
                case=Case.objects.get(reference=reference),
                priority="normal",
                involves_minor=True,
                threats_or_extortion=False,
                acting_user=supervisor,
            )
        )
        return case

    monkeypatch.setattr(views, "case_for_user", read_then_a_colleague_triages)
    client.force_login(caseworker)
    response = client.post(reverse("cases:triage", args=[case.reference]), {"priority": "high"})
    monkeypatch.undo()
    detail = reverse("cases:detail", args=[case.reference])
    assert (response.status_code, response["Location"]) == (302, detail)
    page = client.get(detail)
    assert page.status_code == 200
    text = html.unescape(page.content.decode())
    assert "Someone changed this case's priority or its reasons a moment ago." in text
    assert "Priority is high" not in text
    case.refresh_from_db()
    assert (case.priority, case.involves_minor) == ("urgent", True)

import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import Case, CaseNote
from cases.services import case_assign, case_open, case_open_for_caller, note_add
from cases.thread_services import message_post
from casework.pages import CASE_PAGE_SIZE
from evidence import vault
from evidence.demo_images import make_image
from evidence.models import EvidenceFile, Sighting
from evidence.services import evidence_add, sighting_log, sightings_log_pasted
from takedowns.services import takedowns_draft
from tests import images


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
    # Session, user, her cases with their counts and new messages, whether her address is
    # confirmed, and "Things that need you": her weekly email's four grouped counts.
    with django_assert_max_num_queries(8):
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
    # survivor's 13 + next due, staff for the assign form, staff names in the timeline, her
    # weekly email's schedule and last send, and the references for the exchange file's counts
    with django_assert_max_num_queries(19):
        assert client.get(reverse("cases:detail", args=[case.reference])).status_code == 200


INTERNAL = "INTERNAL-NOTE-d41d8c: caller mentioned her employer"


def _received_on(takedown) -> dict:
    from inbound.services import inbound_receive
    from tests.helpers import mail

    answer = mail.with_attachment(
        mail.reply_to_request(takedown, body="We removed it."), "a.pdf", b"%PDF", "application/pdf"
    )
    message = inbound_receive(raw=answer.as_bytes(), source="imap:INBOX")
    return {"message_id": message.pk, "attachment_id": message.attachments.get().pk}


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
        # A platform's email on her request, with a file: staff's pages (404 to her).
        **_received_on(takedown),
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
    # Over CASE_PAGE_SIZE links the list pages: every page costs the same queries.
    bodies = []
    for number in range(1, (count - 1) // CASE_PAGE_SIZE + 2):
        with django_assert_max_num_queries(19):
            response = client.get(
                reverse("cases:detail", args=[case.reference]), {"links_page": number}
            )
        bodies.append(response.content.decode())
    body = "".join(bodies)
    for sighting in case.sightings.all():
        newest = sighting.takedowns.order_by("-created_at").first()
        link = reverse("takedowns:detail", args=[case.reference, newest.pk])
        assert f'<a href="{link}">' in body
        assert reverse("evidence:sighting_detail", args=[case.reference, sighting.pk]) in body
        # The screenshot form offers every sighting.
        assert f'<option value="{sighting.pk}">{sighting.url}</option>' in body
    rows = "".join(page.split('id="takedowns-heading"')[0] for page in bodies)
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

    from casework import views
    from casework.services import case_triage

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


def _case_url(case):
    return reverse("cases:detail", args=[case.reference])


class TestLogSighting:
    def test_logs_and_returns_to_the_case(self, survivor_client, case):
        response = survivor_client.post(
            reverse("evidence:sighting_add", args=[case.reference]),
            {"url": "x.com/a/status/1", "note": "", "first_seen_on": "2026-11-01"},
        )
        assert response.status_code == 302
        sighting = Sighting.objects.get(case=case)
        assert sighting.url == "https://x.com/a/status/1"
        assert str(sighting.first_seen_on) == "2026-11-01"

    @pytest.mark.parametrize(
        ("url", "message"),
        [
            ("javascript:alert(1)", "not javascript: links"),
            ("data:text/html;base64,PHNjcmlwdD4=", "not data: links"),
            ("file:///etc/passwd", "not file: links"),
            ("https://example.com/" + "a" * 4980, "5,000 characters long"),
        ],
        ids=["javascript", "data", "file", "5000-chars"],
    )
    def test_bad_addresses_are_refused_with_a_message(self, survivor_client, case, url, message):
        sighting_log(case=case, url="https://x.com/kept", acting_user=case.survivor)
        response = survivor_client.post(
            reverse("evidence:sighting_add", args=[case.reference]), {"url": url}
        )
        assert response.status_code == 400
        assert message in response.content.decode()
        # What was saved before is still there, and nothing new was.
        assert list(Sighting.objects.values_list("url", flat=True)) == ["https://x.com/kept"]

    def test_a_future_first_seen_date_is_refused(self, survivor_client, case):
        response = survivor_client.post(
            reverse("evidence:sighting_add", args=[case.reference]),
            {"url": "https://x.com/a", "first_seen_on": "2999-01-01"},
        )
        assert response.status_code == 400
        assert "in the future" in response.content.decode()
        assert not Sighting.objects.exists()

    def test_markup_in_a_note_is_shown_escaped(self, survivor_client, case):
        note = '<script>alert("x")</script><img src=x onerror=alert(1)>'
        survivor_client.post(
            reverse("evidence:sighting_add", args=[case.reference]),
            {"url": "https://x.com/a", "note": note},
        )
        sighting = Sighting.objects.get()
        assert sighting.note == note  # kept as she wrote it
        for url in (
            _case_url(case),
            reverse("evidence:sighting_detail", args=[case.reference, sighting.pk]),
        ):
            body = survivor_client.get(url).content.decode()
            assert "<script>alert" not in body
            assert "<img src=x" not in body
            assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body


class TestPasteSightings:
    def test_reports_problems_by_line_and_saves_the_rest(self, survivor_client, case):
        text = "https://x.com/a/status/1\njavascript:alert(1)\nreddit.com/r/x/1\nX.COM/a/status/1#x\nimgur.com/a"
        response = survivor_client.post(
            reverse("evidence:sightings_paste", args=[case.reference]), {"urls": text}
        )
        # Post/Redirect/Get: the result is on the case page, at its top.
        assert response.status_code == 302
        assert response["Location"] == f"{_case_url(case)}#paste-result"
        body = survivor_client.get(response["Location"]).content.decode()
        assert "3 sightings saved, 2 lines not saved" in body
        assert "<strong>Line 2</strong>" in body
        assert "<strong>Line 4</strong>" in body
        assert "Same address as line 1." in body
        assert Sighting.objects.filter(case=case).count() == 3

    def test_an_empty_paste_is_refused(self, survivor_client, case):
        response = survivor_client.post(
            reverse("evidence:sightings_paste", args=[case.reference]), {"urls": "  "}
        )
        assert response.status_code == 400
        assert "This field is required." in response.content.decode()


class TestUploadEvidence:
    def _upload(self, client, case, data, name="shot.jpg"):
        return client.post(
            reverse("evidence:upload", args=[case.reference]),
            {"image": SimpleUploadedFile(name, data), "sighting": ""},
        )

    def test_the_same_file_twice_is_refused_on_the_form(self, survivor_client, case):
        data = make_image(seed=43)
        assert self._upload(survivor_client, case, data).status_code == 302
        again = self._upload(survivor_client, case, data, name="copy.jpg")
        assert again.status_code == 400
        body = again.content.decode()
        assert "There is a problem" in body
        assert re.search(r'<a href="#id_image">You already added this file on \d+ \w{3}\.', body)
        assert EvidenceFile.objects.filter(case=case).count() == 1

    def test_upload_goes_to_the_blurred_evidence_page(self, survivor_client, case, image_upload):
        response = survivor_client.post(
            reverse("evidence:upload", args=[case.reference]), {"image": image_upload()}
        )
        evidence = EvidenceFile.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse(
            "evidence:detail", args=[case.reference, evidence.pk]
        )
        page = survivor_client.get(response["Location"]).content.decode()
        assert 'data-state="blurred"' in page
        assert reverse("evidence:file", args=[case.reference, evidence.pk, "preview"]) in page
        assert "Content warning" in page

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (images.NOT_AN_IMAGE, "not an image we can read"),
            (images.decompression_bomb(), "million we accept"),
            (images.truncated_jpeg(), "damaged or incomplete"),
        ],
        ids=["ten-byte-non-image", "decompression-bomb", "truncated-jpeg"],
    )
    def test_bad_files_are_refused_with_a_message(
        self, survivor_client, case, evidence, data, message
    ):
        response = self._upload(survivor_client, case, data)
        assert response.status_code == 400
        assert message in response.content.decode()
        assert list(EvidenceFile.objects.all()) == [evidence]

    def test_a_file_over_the_limit_is_refused(self, survivor_client, case, settings, image_upload):
        settings.EVIDENCE_MAX_UPLOAD_BYTES = 10_000
        response = survivor_client.post(
            reverse("evidence:upload", args=[case.reference]),
            {"image": image_upload(size=(1200, 900))},
        )
        assert response.status_code == 400
        assert "the limit is 9.8\xa0KB" in response.content.decode()
        assert not EvidenceFile.objects.exists()

    @pytest.mark.parametrize(
        ("name", "make"),
        [
            ("IMG_0042.HEIC", lambda: images.heic(images.picture(seed=4), orientation=6)),
            ("funny.gif", lambda: images.animated(images.palette(images.picture(seed=5)), "GIF")),
        ],
        ids=["heic", "gif"],
    )
    def test_heic_and_gif_are_taken_and_served_as_the_png_they_are_stored_as(
        self, survivor_client, case, name, make
    ):
        response = self._upload(survivor_client, case, make(), name=name)
        assert response.status_code == 302
        evidence = EvidenceFile.objects.get()
        assert evidence.content_type == "image/png"
        for rendition, disposition in (("image", "inline"), ("download", "attachment")):
            served = survivor_client.get(
                reverse("evidence:file", args=[case.reference, evidence.pk, rendition])
            )
            assert served["Content-Type"] == "image/png"
            assert served["Content-Disposition"].startswith(disposition)
            assert served["Content-Disposition"].endswith('.png"')
            assert served.content == vault.read(evidence, "file")
            assert served.content.startswith(b"\x89PNG\r\n\x1a\n")

    def test_the_file_pickers_offer_every_format_we_take(self, survivor_client, case):
        accept = "image/jpeg,image/png,image/webp,image/gif,image/heic,image/heif,.heic,.heif"
        for url in (_case_url(case), reverse("evidence:references", args=[case.reference])):
            page = survivor_client.get(url).content.decode()
            assert f'accept="{accept}"' in page
        assert (
            "JPEG, PNG, WebP, GIF or HEIC."
            in survivor_client.get(_case_url(case)).content.decode()
        )

    def test_a_sighting_id_from_another_case_is_refused(
        self, survivor_client, case, other_survivor, image_upload
    ):
        from cases.services import case_open

        other = case_open(survivor=other_survivor, pseudonym="B", acting_user=other_survivor)
        foreign = sighting_log(case=other, url="https://x.com/b", acting_user=other_survivor)
        response = survivor_client.post(
            reverse("evidence:upload", args=[case.reference]),
            {"image": image_upload(), "sighting": str(foreign.pk)},
        )
        assert response.status_code == 400
        assert not EvidenceFile.objects.exists()


class TestCasePageQueries:
    @pytest.mark.parametrize("count", [5, 200])
    def test_query_count_does_not_grow_with_sightings(
        self, survivor_client, case, survivor, evidence, count, django_assert_max_num_queries
    ):
        Sighting.objects.bulk_create(
            Sighting(case=case, url=f"https://x.com/a/status/{i}", host="x.com")
            for i in range(count)
        )
        # session, user, case, every link listed and the page's links in full (+platform),
        # evidence, shared notes, the case's takedowns and their links' ids, reference count,
        # copy groups, timeline (+actor), the counts of the paged evidence and timeline,
        # whether a link came back lately (support contacts)
        with django_assert_max_num_queries(16):
            response = survivor_client.get(_case_url(case))
        assert response.status_code == 200
        assert response.content.decode().count("https://x.com/a/status/") >= count


# --- the conversation ---------------------------------------------------------------------


def _post_message(client, case, body, key=None):
    return client.post(
        reverse("cases:message_post", args=[case.reference]),
        {"body": body, "key": str(key or uuid.uuid4())},
    )


def test_she_writes_and_the_post_ends_in_a_redirect_to_the_thread(survivor_client, case, survivor):
    response = _post_message(survivor_client, case, "Can you look at the new link?")
    assert response.status_code == 302
    assert response["Location"] == f"{_case_url(case)}#thread"
    (note,) = CaseNote.objects.filter(case=case)
    assert (note.body, note.from_survivor, note.author) == (
        "Can you look at the new link?",
        True,
        survivor,
    )
    page = survivor_client.get(response["Location"]).content.decode()
    assert "Your message is sent." in page
    assert "Can you look at the new link?" in page


def test_the_same_post_twice_makes_one_message(survivor_client, case):
    key = uuid.uuid4()
    first = _post_message(survivor_client, case, "Only once", key)
    second = _post_message(survivor_client, case, "Only once", key)
    assert (first.status_code, second.status_code) == (302, 302)
    assert CaseNote.objects.filter(case=case).count() == 1


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("", "Write your message first."),
        ("   ", "Write your message first."),
        ("x" * 5001, "at most 5000 characters"),
    ],
)
def test_a_bad_message_says_so_and_saves_nothing(survivor_client, case, body, problem):
    response = _post_message(survivor_client, case, body)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was changed" in page
    assert problem in page
    assert not CaseNote.objects.exists()


def test_another_survivors_case_is_not_found_for_writing_nor_changing(
    client, case, survivor, other_survivor
):
    note, _ = message_post(case=case, body="Mine", acting_user=survivor)
    client.force_login(other_survivor)
    assert _post_message(client, case, "Hi").status_code == 404
    response = client.post(
        reverse("cases:message_change", args=[case.reference]),
        {"message": note.pk, "action": "withdraw"},
    )
    assert response.status_code == 404
    assert list(CaseNote.objects.values_list("body", flat=True)) == ["Mine"]


def test_she_withdraws_her_message_but_cannot_reach_an_internal_note(
    survivor_client, case, survivor, caseworker
):
    mine, _ = message_post(case=case, body="Please delete this", acting_user=survivor)
    internal = note_add(case=case, body="Internal", visibility="internal", acting_user=caseworker)
    url = reverse("cases:message_change", args=[case.reference])
    response = survivor_client.post(url, {"message": internal.pk, "action": "withdraw"})
    assert response.status_code == 302
    page = survivor_client.get(_case_url(case)).content.decode()
    assert "that message could not be found" in page
    assert "Internal" not in page.split('id="thread"')[1].split("</section>")[0]

    survivor_client.post(url, {"message": mine.pk, "action": "withdraw"})
    mine.refresh_from_db()
    internal.refresh_from_db()
    assert (mine.body, mine.withdrawn_at is not None) == ("", True)
    assert (internal.body, internal.withdrawn_at) == ("Internal", None)
    page = survivor_client.get(_case_url(case)).content.decode()
    assert "You withdrew this message" in page


def test_a_correction_from_an_older_tab_is_refused_with_a_message(
    client, case, caseworker, supervisor
):
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    note, _ = message_post(case=case, body="Original", acting_user=caseworker)
    url = reverse("cases:message_change", args=[case.reference])
    client.force_login(supervisor)
    client.post(url, {"message": note.pk, "revision": 0, "action": "edit", "body": "Fixed"})
    client.force_login(caseworker)
    response = client.post(
        url, {"message": note.pk, "revision": 0, "action": "edit", "body": "Stale"}
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.body, note.revision) == ("Fixed", 1)
    page = client.get(_case_url(case)).content.decode()
    assert "nothing was overwritten" in page
    assert "Edited" in page


def test_her_case_page_shows_what_is_new_once_and_marks_it_read(
    survivor_client, case, survivor, caseworker
):
    message_post(case=case, body="We sent the request", acting_user=caseworker)
    assert (
        'class="badge new-message">New message'
        in survivor_client.get(reverse("cases:list")).content.decode()
    )
    first = survivor_client.get(_case_url(case)).content.decode()
    assert "You have 1 new message from your caseworker" in first
    second = survivor_client.get(_case_url(case)).content.decode()
    assert "new message" not in second
    assert "New message" not in survivor_client.get(reverse("cases:list")).content.decode()


@pytest.mark.parametrize("count", [2, 60])
def test_her_case_page_query_count_does_not_grow_with_messages(
    survivor_client, case, survivor, caseworker, count, django_assert_max_num_queries
):
    for n in range(count):
        message_post(case=case, body=f"message {n}", acting_user=survivor if n % 2 else caseworker)
    # session, user, case, sightings, takedowns, evidence, the case's takedowns, reference
    # count, copy groups, timeline and its count (a page of it), the evidence count, whether a
    # link came back; the thread (+authors), her read marker and moving it; her programme
    # cases (StopNCII.org, Take It Down)
    with django_assert_max_num_queries(15):
        response = survivor_client.get(_case_url(case))
    # It opens on the conversation's last page: the newest messages, 25 at most.
    shown = response.content.decode().count('class="note-item message-')
    assert shown == (count - 1) % CASE_PAGE_SIZE + 1


@pytest.mark.parametrize("count", [10, 200])
def test_caseload_shows_unread_messages_without_a_query_per_case(
    open_cases, client, survivor, caseworker, count, django_assert_max_num_queries
):
    cases = open_cases(survivor, count)
    Case.objects.update(assigned_to=caseworker)
    for case in cases[:3]:
        message_post(case=case, body="Hello?", acting_user=survivor)
        message_post(case=case, body="Anyone?", acting_user=survivor)
    client.force_login(caseworker)
    # the same queries as without messages: the unread count is a column of the page's query
    with django_assert_max_num_queries(6):
        response = client.get(reverse("cases:caseload"), {"tab": "mine", "sort": "-activity"})
    assert response.content.decode().count("2 new messages") == 3
    client.get(_case_url(cases[0]))
    page = client.get(reverse("cases:caseload"), {"tab": "mine", "sort": "-activity"})
    page = page.content.decode()
    assert page.count("2 new messages") == 2


def test_her_dashboard_lists_things_that_need_her_as_her_weekly_email_counts_them(
    survivor_client, case, survivor, evidence
):
    from django.utils import timezone

    from digests.selectors import survivor_counts
    from evidence.demo_images import make_image
    from evidence.models import EvidenceMatch
    from evidence.services import reference_register

    reference = reference_register(
        case=case, data=make_image(seed=2), acting_user=survivor, label="r"
    )
    EvidenceMatch.objects.create(
        evidence=evidence, reference=reference, phash_distance=0, dhash_distance=0
    )
    page = survivor_client.get(reverse("cases:list")).content.decode()
    counts = survivor_counts([survivor], now=timezone.now())[survivor.pk]
    assert counts["to_do"] == 1
    assert "Things that need you" in page
    assert "<strong>1</strong> possible copy of your images to check" in page


def test_a_dashboard_with_nothing_to_do_lists_nothing(survivor_client, case):
    assert (
        "Things that need you" not in survivor_client.get(reverse("cases:list")).content.decode()
    )


def test_an_empty_correction_says_so_and_keeps_the_message(client, case, caseworker):
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    note, _ = message_post(case=case, body="Original", acting_user=caseworker)
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:message_change", args=[case.reference]),
        {"message": note.pk, "revision": 0, "action": "edit", "body": "   "},
        follow=True,
    )
    assert "Nothing was changed. Write your message first." in response.content.decode()
    note.refresh_from_db()
    assert (note.body, note.revision, note.edited_at) == ("Original", 0, None)


# --- the industry's hash programmes ------------------------------------------------------


def test_she_notes_her_programme_case_number_and_sees_it_on_her_page(client, case, survivor):
    client.force_login(survivor)
    detail = reverse("cases:detail", args=[case.reference])
    url = reverse("cases:programme_record", args=[case.reference])
    data = {"programme": "take_it_down", "case_number": "TID-55821", "registered_on": "2026-11-03"}
    response = client.post(url, data)
    assert response["Location"] == f"{detail}#programmes"
    page = client.get(detail).content.decode()
    assert "The Take It Down (NCMEC) case is saved." in page
    assert re.search(
        r"<strong>Take It Down \(NCMEC\)</strong>: case number "
        r'<span class="reference">TID-55821</span>, made <time[^>]*>3 Nov 2026</time>; '
        r"not withdrawn",
        page,
    )
    assert "Hash programme case recorded" in page  # the timeline, without the number's event
    # The form starts from her record: adding a withdrawal date is one field.
    assert re.search(r'name="case_number" value="TID-55821"', page)
    assert re.search(r'name="registered_on" value="2026-11-03"', page)

    # A withdrawal dated before the case was made: the page again, with the reason.
    refused = client.post(url, {**data, "withdrawn_on": "2026-11-01"})
    assert refused.status_code == 400
    assert "The withdrawal is before the date the case was made." in refused.content.decode()
    client.post(url, {**data, "withdrawn_on": "2026-11-05"})
    assert re.search(
        r"; withdrawn <time[^>]*>5 Nov 2026</time>", client.get(detail).content.decode()
    )


def test_staff_record_a_case_number_for_her(client, case, caseworker):
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    client.force_login(caseworker)
    url = reverse("cases:programme_record", args=[case.reference])
    blank = client.post(url, {"programme": "stopncii", "case_number": "", "registered_on": ""})
    assert blank.status_code == 400
    assert not case.programme_cases.exists()
    data = {"programme": "stopncii", "case_number": "SN 4410", "registered_on": "2026-11-03"}
    assert client.post(url, data).status_code == 302
    assert case.programme_cases.get().recorded_by == caseworker


def test_she_gives_and_withdraws_her_consent_to_share_fingerprints(client, case, survivor):
    client.force_login(survivor)
    detail = reverse("cases:detail", args=[case.reference])
    url = reverse("cases:hash_sharing", args=[case.reference])
    assert client.post(url, {"consent": "give"})["Location"] == f"{detail}#programmes"
    case.refresh_from_db()
    assert case.consent_to_share_hashes and not case.consent_to_contact_platforms
    page = client.get(detail).content.decode()
    assert "Thank you. Your caseworker may now share the fingerprints." in page
    assert "Withdraw my consent to share fingerprints" in page
    client.post(url, {"consent": "withdraw"})
    case.refresh_from_db()
    assert not case.consent_to_share_hashes
    assert "Consent to share image fingerprints withdrawn" in client.get(detail).content.decode()

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from evidence.services import sightings_log_pasted
from platforms.models import Platform
from takedowns import services
from takedowns.models import Correspondence, TakedownRequest
from takedowns.selectors import escalation_suggestions
from takedowns.services import (
    platform_figures_refresh,
    takedown_approve_recipient,
    takedown_mark_submitted,
    takedown_record_reply,
    takedown_update_draft,
    takedowns_draft,
)


@pytest.fixture
def sightings(case, survivor):
    text = "https://www.dropbox.com/s/a/1.jpg\nhttps://x.com/a/status/1\nhttps://unknown.example/1"
    return sightings_log_pasted(case=case, text=text, acting_user=survivor).saved


def test_drafting_from_the_case_makes_one_request_per_platform(
    client, case, caseworker, sightings
):
    client.force_login(caseworker)
    url = reverse("takedowns:draft", args=[case.reference])
    page = client.get(url).content.decode()
    assert all(s.url in page for s in sightings)
    response = client.post(url, {"sightings": [str(s.pk) for s in sightings]})
    assert response.status_code == 302
    assert TakedownRequest.objects.filter(case=case, status="draft").count() == 3
    empty = client.post(url, {})
    assert empty.status_code == 400


def test_a_draft_page_names_what_is_missing_and_refuses_to_send(
    client, case, caseworker, sightings, consent
):
    (draft,) = takedowns_draft(case=case, sightings=sightings[:1], acting_user=caseworker)
    client.force_login(caseworker)
    page = client.get(
        reverse("takedowns:detail", args=[case.reference, draft.pk])
    ).content.decode()
    assert "Before this can be sent" in page
    assert "Signature (her full name" in page
    response = client.post(reverse("takedowns:send", args=[case.reference, draft.pk]))
    assert response.status_code == 400
    assert "Missing: Signature" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_the_dmca_route_shows_its_warning(client, case, caseworker, sightings):
    (draft,) = takedowns_draft(case=case, sightings=sightings[:1], acting_user=caseworker)
    client.force_login(caseworker)
    client.post(
        reverse("takedowns:edit", args=[case.reference, draft.pk]),
        {"legal_basis": "dmca", "signer_capacity": "self"},
    )
    draft.refresh_from_db()
    assert draft.legal_basis == "dmca"
    page = client.get(
        reverse("takedowns:detail", args=[case.reference, draft.pk])
    ).content.decode()
    assert "owns the copyright" in page and "Lumen" in page
    assert "Identification of the copyrighted work" in page


def test_a_route_the_platform_does_not_take_is_refused(client, case, caseworker, sightings):
    (draft,) = takedowns_draft(case=case, sightings=sightings[:1], acting_user=caseworker)
    Platform.objects.filter(pk=draft.platform_id).update(legal_bases=["platform_policy"])
    client.force_login(caseworker)
    response = client.post(
        reverse("takedowns:edit", args=[case.reference, draft.pk]),
        {"legal_basis": "dmca", "signer_capacity": "self"},
    )
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.legal_basis != "dmca"


def test_the_survivor_sees_which_request_covers_each_sighting(
    client, case, survivor, caseworker, sightings, consent
):
    dropbox, x, _unknown = sightings
    (sent,) = takedowns_draft(case=case, sightings=[dropbox], acting_user=caseworker)
    takedown_update_draft(
        takedown=sent,
        acting_user=caseworker,
        signer_name="Rose",
        contact_email="r@example.test",
        content_description="Photos",
        confirms_no_consent=True,
        confirms_good_faith=True,
    )
    takedown_mark_submitted(takedown=sent, ticket_number="D-1", acting_user=caseworker)
    takedowns_draft(case=case, sightings=[x], acting_user=caseworker)
    client.force_login(survivor)
    page = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    due = timezone.localtime(sent.due_at)
    assert f"Request to Dropbox sent; the answer is due by {due:%-d %b, %H:%M}." in page
    assert "A request to X (Twitter) is being prepared." in page
    assert "No request yet." in page  # the unknown site


def test_suggestions_appear_when_rejected_or_overdue(case, caseworker, sightings):
    (draft,) = takedowns_draft(case=case, sightings=sightings[:1], acting_user=caseworker)
    assert escalation_suggestions(draft) == []
    draft.status, draft.due_at = "sent", timezone.now() - dt.timedelta(hours=1)
    # The ladder's next rung (takedowns/ladder.py), then search delisting, apart from it.
    routes = [s.route for s in escalation_suggestions(draft)]
    assert routes == ["The company hosting the site", "Search delisting"]
    draft.due_at = timezone.now() + dt.timedelta(hours=1)
    assert escalation_suggestions(draft) == []
    draft.status = "rejected"
    assert "the recipient refused" in escalation_suggestions(draft)[0].why


def test_figures_csv(client, case, supervisor):
    reddit = Platform.objects.get(slug="reddit")
    start = timezone.now() - dt.timedelta(days=3)
    TakedownRequest.objects.create(
        case=case,
        platform=reddit,
        status="removed",
        sent_at=start,
        removed_at=start + dt.timedelta(hours=12),
    )
    client.force_login(supervisor)
    page = client.get(reverse("platforms:figures"))
    assert "<svg" in page.content.decode() and "12.0 h" in page.content.decode()
    response = client.get(reverse("platforms:figures"), {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows == [
        {
            "platform": "Reddit",
            "sent": "1",
            "removed": "1",
            "rejected": "0",
            "removal_rate": "1.0000",
            "median_hours": "12.0000",
            "p90_hours": "12.0000",
            "within_48h_share": "1.0000",
            "sent_from": (timezone.now().date() - dt.timedelta(days=89)).isoformat(),
            "sent_to": timezone.now().date().isoformat(),
        }
    ]


class TestFiguresDateRange:
    """Figures are of the requests sent between two dates, by default the last 90 days; the
    table, the chart and the CSV apply the same range."""

    @pytest.fixture
    def sent_over_a_year(self, case):
        reddit, tumblr = (Platform.objects.get(slug=s) for s in ("reddit", "tumblr"))
        now = timezone.now()
        for platform, days_ago, hours in ((reddit, 2, 12), (reddit, 40, 30), (tumblr, 200, 6)):
            start = now - dt.timedelta(days=days_ago)
            TakedownRequest.objects.create(
                case=case,
                platform=platform,
                status="removed",
                sent_at=start,
                removed_at=start + dt.timedelta(hours=hours),
            )
        # As the beat leaves it: the summary up to date (the page refreshes what is not).
        platform_figures_refresh()
        return now.date()

    def _csv(self, client, params):
        response = client.get(reverse("platforms:figures"), {**params, "format": "csv"})
        assert response.status_code == 200
        return list(csv.DictReader(io.StringIO(response.content.decode())))

    def test_by_default_the_last_90_days_and_the_page_says_so(
        self, client, supervisor, sent_over_a_year, django_assert_max_num_queries
    ):
        client.force_login(supervisor)
        # The session, her account, her second factor, whether any day is stale, the figures.
        with django_assert_max_num_queries(5):
            response = client.get(reverse("platforms:figures"))
        page = response.content.decode()
        start = sent_over_a_year - dt.timedelta(days=89)
        assert f'value="{start.isoformat()}"' in page
        assert f'value="{sent_over_a_year.isoformat()}"' in page
        assert "(the last 90 days; choose other dates above)" in page
        assert "Reddit" in page and "Tumblr" not in page  # sent 200 days ago
        assert "21.0 h" in page  # the median of 12 h and 30 h, in the table and the chart
        assert [(r["platform"], r["sent"]) for r in self._csv(client, {})] == [("Reddit", "2")]

    def test_chosen_dates_apply_to_the_table_the_chart_and_the_csv(
        self, client, supervisor, sent_over_a_year, django_assert_max_num_queries
    ):
        today = sent_over_a_year
        params = {
            "date_from": (today - dt.timedelta(days=365)).isoformat(),
            "date_to": (today - dt.timedelta(days=30)).isoformat(),
        }
        client.force_login(supervisor)
        # session, user, the summary's stale days, the summary read, removals by rung.
        with django_assert_max_num_queries(5):
            response = client.get(reverse("platforms:figures"), params)
        assert response.status_code == 200
        page = response.content.decode()
        table = page[page.index("<table") : page.index("</table>")]
        chart = page[page.index("<svg") : page.index("</svg>")]
        for part in (table, chart):
            assert "Reddit" in part and "Tumblr" in part
            assert "30.0 h" in part and "6.0 h" in part and "12.0 h" not in part
        assert "the last 90 days" not in page
        csv_link = (
            f"?date_from={params['date_from']}&amp;date_to={params['date_to']}&amp;format=csv"
        )
        assert csv_link in page
        rows = self._csv(client, params)
        assert [(r["platform"], r["sent"], r["median_hours"]) for r in rows] == [
            ("Reddit", "1", "30.0000"),
            ("Tumblr", "1", "6.0000"),
        ]
        assert {(r["sent_from"], r["sent_to"]) for r in rows} == {
            (params["date_from"], params["date_to"])
        }

    def test_one_end_is_enough(self, client, supervisor, sent_over_a_year):
        client.force_login(supervisor)
        since = (sent_over_a_year - dt.timedelta(days=10)).isoformat()
        page = client.get(reverse("platforms:figures"), {"date_from": since}).content.decode()
        assert "to now" in page and "Reddit" in page and "30.0 h" not in page

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"date_from": "2026-02-30"}, "From: Enter a date as year-month-day"),
            ({"date_to": "last week"}, "To: Enter a date as year-month-day"),
            ({"date_from": "2026-05-01", "date_to": "2026-04-01"}, "“To” must be on or after"),
        ],
    )
    def test_bad_dates_are_said_not_replaced_by_the_default(
        self, client, supervisor, sent_over_a_year, params, message
    ):
        client.force_login(supervisor)
        for extra in ({}, {"format": "csv"}):
            response = client.get(reverse("platforms:figures"), {**params, **extra})
            assert response.status_code == 400
            assert response["Content-Type"].startswith("text/html")
            page = response.content.decode()
            assert message in page and "No figures are shown" in page
            assert "Reddit" not in page and "<svg" not in page


def test_a_survivor_cannot_make_leakcase_email_an_address_of_her_choosing(
    client, case, survivor, caseworker, consent, mailoutbox, settings
):
    """Before: any account drafted a request for a site of its choosing, typed any address
    and pressed send, and LeakCase emailed it. Now the address waits for a caseworker."""
    settings.LEAKCASE_SURVIVOR_SELF_SERVICE = True
    (sighting,) = sightings_log_pasted(
        case=case, text="https://leak-site.example/p/1", acting_user=survivor
    ).saved
    (draft,) = takedowns_draft(case=case, sightings=[sighting], acting_user=survivor)
    client.force_login(survivor)
    edit = client.post(
        reverse("takedowns:edit", args=[case.reference, draft.pk]),
        {
            "legal_basis": "platform_policy",
            "recipient_email": "victim@example.org",
            "signer_name": "Rose",
            "signer_capacity": "self",
            "confirms_no_consent": "on",
        },
    )
    assert edit.status_code == 302
    detail = reverse("takedowns:detail", args=[case.reference, draft.pk])
    page = client.get(detail).content.decode()
    assert "A caseworker must approve this address first" in page
    assert "Approve victim@example.org" not in page  # hers is not the approving kind

    send = client.post(reverse("takedowns:send", args=[case.reference, draft.pk]))
    assert send.status_code == 400
    assert "A caseworker must approve this address first" in send.content.decode()
    assert mailoutbox == []
    assert not Correspondence.objects.exists()
    assert (
        client.post(
            reverse("takedowns:approve_recipient", args=[case.reference, draft.pk])
        ).status_code
        == 404
    )
    draft.refresh_from_db()
    assert draft.recipient_approved_email == ""

    client.force_login(caseworker)
    assert "Approve victim@example.org" in client.get(detail).content.decode()
    approved = client.post(reverse("takedowns:approve_recipient", args=[case.reference, draft.pk]))
    assert approved["Location"] == detail
    page = client.get(detail).content.decode()
    assert "The address is approved" in page
    assert "A caseworker must approve this address first" not in page
    client.force_login(survivor)
    send_url = reverse("takedowns:send", args=[case.reference, draft.pk])
    assert client.post(send_url, {"confirm": "send"}).status_code == 302
    assert [m.to for m in mailoutbox] == [["victim@example.org"]]


def test_a_send_without_her_consent_is_refused_with_what_is_missing(
    client, case, caseworker, sightings, mailoutbox
):
    (draft,) = takedowns_draft(case=case, sightings=sightings[:1], acting_user=caseworker)
    takedown_update_draft(
        takedown=draft,
        acting_user=caseworker,
        signer_name="Rose",
        content_description="Photos",
        confirms_no_consent=True,
        confirms_good_faith=True,
    )
    client.force_login(caseworker)
    detail = reverse("takedowns:detail", args=[case.reference, draft.pk])
    assert "Her consent to LeakCase writing to platforms for her is missing" in (
        client.get(detail).content.decode()
    )
    response = client.post(reverse("takedowns:send", args=[case.reference, draft.pk]))
    assert response.status_code == 400
    assert "her consent to LeakCase writing to platforms for her is missing" in (
        response.content.decode()
    )
    assert mailoutbox == []
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_staff_confirm_an_outcome_she_recorded_from_the_request_page(
    client, case, survivor, caseworker, sightings, consent
):
    (request,) = takedowns_draft(case=case, sightings=sightings[:1], acting_user=caseworker)
    takedown_update_draft(
        takedown=request,
        acting_user=caseworker,
        signer_name="Rose",
        content_description="Photos",
        confirms_no_consent=True,
        confirms_good_faith=True,
    )
    takedown_mark_submitted(takedown=request, ticket_number="D-1", acting_user=caseworker)
    detail = reverse("takedowns:detail", args=[case.reference, request.pk])
    client.force_login(survivor)
    client.post(
        reverse("takedowns:reply", args=[case.reference, request.pk]),
        {"body": "Dropbox: we removed it.", "decision": "removed"},
    )
    page = client.get(detail).content.decode()
    assert "You recorded this outcome" in page and "recorded by you" in page
    assert "Confirm her reply" not in page
    confirm = reverse("takedowns:confirm_decision", args=[case.reference, request.pk])
    assert client.post(confirm).status_code == 404

    client.force_login(caseworker)
    page = client.get(detail).content.decode()
    assert "She recorded this outcome herself" in page and "recorded by the survivor" in page
    assert client.post(confirm)["Location"] == detail
    request.refresh_from_db()
    assert request.decision_confirmed_by == caseworker
    assert "Confirm her reply" not in client.get(detail).content.decode()


@pytest.mark.django_db(transaction=True)
def test_an_edit_posted_as_a_colleague_sends_the_request_is_refused_in_plain_words(
    platform_directory, client, case, consent, caseworker, other_caseworker, sightings,
    in_another_connection, monkeypatch, mailoutbox,
):  # fmt: skip
    from takedowns import views
    from takedowns.services import takedown_send_email

    (draft,) = takedowns_draft(case=case, sightings=sightings[:1], acting_user=caseworker)
    takedown_update_draft(
        takedown=draft,
        acting_user=caseworker,
        signer_name="Rose Example",
        contact_email="rose@example.test",
        content_description="Two intimate photos.",
        confirms_no_consent=True,
        confirms_good_faith=True,
    )
    read = views.takedown_for_user

    def read_then_a_colleague_sends(user, reference, takedown_id):
        takedown = read(user, reference, takedown_id)
        in_another_connection(
            lambda: takedown_send_email(
                takedown=TakedownRequest.objects.get(pk=takedown_id), acting_user=other_caseworker
            )
        )
        return takedown

    monkeypatch.setattr(views, "takedown_for_user", read_then_a_colleague_sends)
    client.force_login(caseworker)
    detail = reverse("takedowns:detail", args=[case.reference, draft.pk])
    response = client.post(
        reverse("takedowns:edit", args=[case.reference, draft.pk]),
        {"legal_basis": draft.legal_basis, "signer_capacity": "self", "signer_name": "Changed"},
    )
    monkeypatch.undo()
    assert (response.status_code, response["Location"]) == (302, detail)
    page = client.get(detail)
    assert page.status_code == 200
    text = page.content.decode()
    assert "This request changed meanwhile: it is now sent. Nothing was saved" in text
    assert "The draft is saved" not in text
    draft.refresh_from_db()
    assert (draft.status, draft.signer_name) == ("sent", "Rose Example")
    assert draft.notice_text == mailoutbox[0].body


def test_a_notice_the_mail_server_refuses_says_so_plainly_and_stays_a_draft(
    client, case, caseworker, supervisor, sightings, consent, smtp_server
):
    """The send goes through the outbox's one delivery, at once, to a real SMTP server that
    refuses the address: she reads the server's words on the page, nothing is marked sent,
    and the failed notice shows on the outbox page, to be sent again from its request."""
    from outbox.models import EmailKind, EmailStatus, OutgoingEmail

    (draft,) = takedowns_draft(case=case, sightings=sightings[:1], acting_user=caseworker)
    takedown_update_draft(
        takedown=draft,
        acting_user=caseworker,
        signer_name="Rose",
        content_description="Photos",
        confirms_no_consent=True,
        confirms_good_faith=True,
    )
    smtp_server.answer = lambda n, envelope: "550 5.1.1 Mailbox unavailable"
    client.force_login(caseworker)
    response = client.post(
        reverse("takedowns:send", args=[case.reference, draft.pk]), {"confirm": "send"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The email could not be sent (SMTPDataError: (550, " in page
    assert "Mailbox unavailable" in page and "Nothing was marked as sent." in page
    assert smtp_server.messages == []
    draft.refresh_from_db()
    assert (draft.status, draft.sent_at) == ("draft", None)
    (letter,) = Correspondence.objects.filter(takedown=draft)
    assert letter.status == "failed" and "550" in letter.error
    email = OutgoingEmail.objects.get(pk=letter.email_id)
    assert (email.kind, email.status, email.attempts) == (EmailKind.NOTICE, EmailStatus.FAILED, 1)

    client.force_login(supervisor)
    outbox = client.get(reverse("outbox:outbox")).content.decode()
    assert "Takedown notice" in outbox and "abuse@dropbox.com" in outbox
    assert "Sent again from its request" in outbox
    assert reverse("outbox:send_again", args=[email.pk]) not in outbox
    again = client.post(reverse("outbox:send_again", args=[email.pk]), follow=True)
    assert "sent again from its request" in again.content.decode()
    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED  # not queued behind her back


# --- her own request page -------------------------------------------------------------------

COMPLETE = {
    "signer_name": "Rose Example",
    "contact_email": "rose@example.test",
    "content_description": "Two intimate photos.",
    "confirms_no_consent": True,
    "confirms_good_faith": True,
}
# What only the staff editor and staff's forms say: never on her page.
STAFF_ONLY_WORDS = (
    'name="signer_name"',
    "Save draft",
    "Record a reply",
    "Mark escalated",
    "Record counter-notice",
    "Template ",
    "Approve ",
    "Mark as submitted",
    "Her consent to LeakCase",
)


def _sent_by_caseworker(case, caseworker, sighting, **fields):
    (request,) = takedowns_draft(case=case, sightings=[sighting], acting_user=caseworker)
    takedown_update_draft(
        takedown=request,
        acting_user=caseworker,
        legal_basis="take_it_down",
        **{**COMPLETE, **fields},
    )
    return takedown_mark_submitted(takedown=request, ticket_number="D-1", acting_user=caseworker)


def _when(value):
    local = timezone.localtime(value)
    return f"{local.day} {local:%b %Y}, {local:%H:%M}"


def test_her_request_page_tells_her_in_her_words(
    client, case, survivor, caseworker, sightings, consent, django_assert_max_num_queries
):
    dropbox = sightings[0]
    request = _sent_by_caseworker(case, caseworker, dropbox)
    type(dropbox).objects.filter(pk=dropbox.pk).update(
        next_check_at=timezone.now() + dt.timedelta(hours=6)
    )
    dropbox.refresh_from_db()
    client.force_login(survivor)
    url = reverse("takedowns:detail", args=[case.reference, request.pk])
    # 6 measured: session, user, case, request, its links, its letters.
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "My request to Dropbox" in page
    assert "Sent. Dropbox has not answered yet." in page
    assert (
        "A removal request under the US TAKE IT DOWN Act. It gives the platform 48 hours" in page
    )
    assert dropbox.url in page
    assert (
        f"Sent {_when(request.sent_at)}, through Dropbox&#x27;s own report form "
        "(its reference: D-1)." in page
    )
    assert f"Dropbox&#x27;s answer is due by {_when(request.due_at)}." in page
    # Sent through its web form: reminders go by email only, so none is promised.
    assert "your caseworker follows it up" in page
    assert "we send it a reminder" not in page
    assert f"We&#x27;ll check the links again on {_when(dropbox.next_check_at)}." in page
    assert "Exactly what was sent" in page
    assert "Two intimate photos." in page  # the frozen notice text, to read
    assert "Nothing yet. We will show its answer here as soon as it comes." in page
    for words in STAFF_ONLY_WORDS:
        assert words not in page, words

    # Staff opening the same request get the editor's page, not hers.
    client.force_login(caseworker)
    staff_page = client.get(url).content.decode()
    assert "Record a reply" in staff_page and "My request to" not in staff_page


def test_her_page_says_what_the_platform_answered_and_the_next_step_after_a_refusal(
    client, case, survivor, caseworker, sightings, consent
):
    request = _sent_by_caseworker(case, caseworker, sightings[0])
    takedown_record_reply(
        takedown=request,
        body="We reviewed the content and it does not violate our policies.",
        decision="rejected",
        reasons="Not a violation.",
        acting_user=caseworker,
    )
    client.force_login(survivor)
    page = client.get(reverse("takedowns:detail", args=[case.reference, request.pk]))
    text = page.content.decode()
    assert "Dropbox refused to remove it." in text
    assert "Dropbox gave these reasons: Not a violation." in text
    assert "it does not violate our policies" in text
    # The ladder's next rung, in her words.
    assert (
        "If it still does not act, the next step is to ask: the company hosting the site." in text
    )
    assert "Your caseworker will talk the next step through with you." in text


def test_another_survivors_request_is_not_found(
    client, case, caseworker, other_survivor, sightings, consent
):
    request = _sent_by_caseworker(case, caseworker, sightings[0])
    client.force_login(other_survivor)
    assert (
        client.get(reverse("takedowns:detail", args=[case.reference, request.pk])).status_code
        == 404
    )


def test_her_draft_started_by_staff_is_for_reading_only(
    client, case, survivor, caseworker, sightings, consent
):
    (draft,) = takedowns_draft(case=case, sightings=sightings[:1], acting_user=caseworker)
    client.force_login(survivor)
    page = client.get(
        reverse("takedowns:detail", args=[case.reference, draft.pk])
    ).content.decode()
    assert "Being prepared. Nothing has been sent yet." in page
    assert "Your caseworker is preparing this request." in page
    assert "Once it is sent, Dropbox has 48 hours to answer." in page
    assert 'name="signer_name"' not in page


# --- self-service: a service setting, off by default -----------------------------------------


def test_self_service_is_off_by_default(
    client, case, survivor, caseworker, sightings, consent, mailoutbox
):
    from django.conf import settings as django_settings

    assert django_settings.LEAKCASE_SURVIVOR_SELF_SERVICE is False
    (draft,) = takedowns_draft(case=case, sightings=sightings[:1], acting_user=caseworker)
    takedown_update_draft(takedown=draft, acting_user=caseworker, **COMPLETE)
    before = TakedownRequest.objects.filter(pk=draft.pk).values().get()
    client.force_login(survivor)
    args = [case.reference, draft.pk]
    pick = str(sightings[1].pk)
    changed = {"legal_basis": "dsa", "signer_name": "X", "signer_capacity": "self"}
    for response in (
        client.get(reverse("takedowns:draft", args=[case.reference])),
        client.post(reverse("takedowns:draft", args=[case.reference]), {"sightings": [pick]}),
        client.post(reverse("takedowns:edit", args=args), changed),
        client.post(reverse("takedowns:send", args=args), {"confirm": "send"}),
        client.post(reverse("takedowns:submitted", args=args), {"ticket_number": "T"}),
    ):  # fmt: skip
        assert response.status_code == 403
        text = response.content.decode()
        assert "Your caseworker writes the requests" in text
        assert "Nothing was changed." in text
    assert TakedownRequest.objects.filter(pk=draft.pk).values().get() == before
    assert TakedownRequest.objects.filter(case=case).count() == 1
    assert mailoutbox == []
    case_page = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert reverse("takedowns:detail", args=args) in case_page


def test_self_service_on_gives_her_a_guided_form_that_drives_the_same_services(
    client, case, survivor, sightings, consent, mailoutbox, settings
):
    settings.LEAKCASE_SURVIVOR_SELF_SERVICE = True
    client.force_login(survivor)
    start = reverse("takedowns:draft", args=[case.reference])
    page = client.get(start).content.decode()
    assert "Which of my links should be taken down" in page
    response = client.post(start, {"sightings": [str(sightings[0].pk)]})
    draft = TakedownRequest.objects.get(case=case)
    her_page = reverse("takedowns:detail", args=[case.reference, draft.pk])
    assert response["Location"] == her_page
    assert draft.created_by == survivor

    page = client.get(her_page).content.decode()
    assert "Step 2 of 3: my request to Dropbox" in page
    assert "I am the person shown" in page and "My signature: my full name" in page
    assert "The images are intimate and were published without my consent" in page
    assert 'name="version"' in page
    saved = client.post(
        reverse("takedowns:edit", args=[case.reference, draft.pk]),
        {
            "legal_basis": "take_it_down",
            "signer_capacity": "self",
            "signer_name": "Rose Example",
            "content_description": "Two photos of me.",
            "confirms_no_consent": "on",
            "confirms_good_faith": "on",
            "version": services.draft_version(draft),
        },
    )
    assert saved["Location"] == her_page
    draft.refresh_from_db()
    assert (draft.signer_name, draft.confirms_no_consent) == ("Rose Example", True)

    send = reverse("takedowns:send", args=[case.reference, draft.pk])
    ask = client.post(send)
    assert ask.status_code == 200
    assert "Send this notice to abuse@dropbox.com?" in ask.content.decode()
    assert mailoutbox == []
    assert client.post(send, {"confirm": "send"})["Location"] == her_page
    assert [m.to for m in mailoutbox] == [["abuse@dropbox.com"]]
    draft.refresh_from_db()
    assert draft.status == "sent"


def test_with_self_service_on_a_staff_draft_stays_read_only_to_her(
    client, case, survivor, caseworker, sightings, consent, settings, mailoutbox
):
    settings.LEAKCASE_SURVIVOR_SELF_SERVICE = True
    (draft,) = takedowns_draft(case=case, sightings=sightings[:1], acting_user=caseworker)
    takedown_update_draft(takedown=draft, acting_user=caseworker, **COMPLETE)
    before = TakedownRequest.objects.filter(pk=draft.pk).values().get()
    client.force_login(survivor)
    args = [case.reference, draft.pk]
    page = client.get(reverse("takedowns:detail", args=args)).content.decode()
    assert "Your caseworker is preparing this request." in page
    assert 'name="signer_name"' not in page and "Step 2 of 3" not in page
    changed = {"legal_basis": "dsa", "signer_name": "Me", "signer_capacity": "self"}
    for response in (
        client.post(reverse("takedowns:edit", args=args), changed),
        client.post(reverse("takedowns:send", args=args), {"confirm": "send"}),
        client.post(reverse("takedowns:submitted", args=args), {"ticket_number": "T"}),
    ):  # fmt: skip
        assert response.status_code == 403
        assert "Your caseworker is preparing this request" in response.content.decode()
    assert TakedownRequest.objects.filter(pk=draft.pk).values().get() == before
    assert mailoutbox == []
    # Her link on that platform joins no draft of hers: it is shown as being requested.
    start = client.get(reverse("takedowns:draft", args=[case.reference])).content.decode()
    assert "your caseworker is preparing a request to Dropbox" in start
    assert f'value="{sightings[0].pk}"' not in start


def test_two_editors_at_once_never_undo_each_others_edits(
    client, case, caseworker, other_caseworker, supervisor, sightings
):
    (draft,) = takedowns_draft(case=case, sightings=sightings[:1], acting_user=caseworker)
    edit = reverse("takedowns:edit", args=[case.reference, draft.pk])
    seen = services.draft_version(draft)  # both opened the draft now
    client.force_login(supervisor)
    first = client.post(
        edit,
        {"legal_basis": draft.legal_basis, "signer_capacity": "self", "signer_name": "Rose A",
         "content_description": "Theirs", "version": seen},
    )  # fmt: skip
    assert first.status_code == 302
    client.force_login(caseworker)
    second = client.post(
        edit,
        {"legal_basis": draft.legal_basis, "signer_capacity": "self", "signer_name": "Rose B",
         "content_description": "Mine, typed meanwhile", "version": seen},
    )  # fmt: skip
    assert second.status_code == 409
    page = second.content.decode()
    assert "Someone else saved this draft while you were editing it." in page
    assert "Mine, typed meanwhile" in page  # her input is still in the form
    draft.refresh_from_db()
    assert (draft.signer_name, draft.content_description) == ("Rose A", "Theirs")
    # Saved again from the draft as it is now, hers goes in.
    again = client.post(
        edit,
        {"legal_basis": draft.legal_basis, "signer_capacity": "self", "signer_name": "Rose B",
         "content_description": "Mine, typed meanwhile",
         "version": services.draft_version(draft)},
    )  # fmt: skip
    assert again.status_code == 302
    draft.refresh_from_db()
    assert draft.signer_name == "Rose B"


# --- staff pages that tell the truth ----------------------------------------------------------


def test_the_draft_page_marks_links_that_already_have_a_request(
    client, case, caseworker, sightings, consent
):
    dropbox, x, unknown = sightings
    sent = _sent_by_caseworker(case, caseworker, dropbox)
    (draft,) = takedowns_draft(case=case, sightings=[x], acting_user=caseworker)
    client.force_login(caseworker)
    page = client.get(reverse("takedowns:draft", args=[case.reference])).content.decode()
    marked = page.split("Links that already have a request")[1]
    assert dropbox.url in marked and x.url in marked and unknown.url not in marked
    assert reverse("takedowns:detail", args=[case.reference, sent.pk]) in marked
    assert reverse("takedowns:detail", args=[case.reference, draft.pk]) in marked
    assert 'request to Dropbox</a> <span class="badge takedown-sent">Sent</span>' in marked
    assert 'request to X (Twitter)</a> <span class="badge takedown-draft">Draft</span>' in marked


def test_no_email_button_without_an_address_and_the_text_to_paste_instead(
    client, case, caseworker, sightings, consent
):
    (draft,) = takedowns_draft(case=case, sightings=sightings[1:2], acting_user=caseworker)
    assert draft.platform.abuse_email == ""
    client.force_login(caseworker)
    page = client.get(
        reverse("takedowns:detail", args=[case.reference, draft.pk])
    ).content.decode()
    assert "Send by email" not in page
    assert "No email address is known for X (Twitter), so it cannot be sent by email" in page
    assert "Use its web form" in page
    assert draft.platform.report_form_url and draft.platform.report_form_url in page
    textarea = page.split('<textarea id="copy-text"')[1].split("</textarea>")[0]
    assert "readonly" in textarea and sightings[1].url in textarea
    assert "copy-text.js" in page

    # A site outside the directory: look up the host's abuse contact.
    (unknown,) = takedowns_draft(case=case, sightings=sightings[2:], acting_user=caseworker)
    page = client.get(
        reverse("takedowns:detail", args=[case.reference, unknown.pk])
    ).content.decode()
    assert "Send by email" not in page
    assert "Look up the host's abuse contact" in page


def test_sending_asks_first_and_names_the_recipient(
    client, case, caseworker, sightings, consent, mailoutbox
):
    (draft,) = takedowns_draft(case=case, sightings=sightings[:1], acting_user=caseworker)
    takedown_update_draft(takedown=draft, acting_user=caseworker, **COMPLETE)
    client.force_login(caseworker)
    send = reverse("takedowns:send", args=[case.reference, draft.pk])
    ask = client.post(send)
    assert ask.status_code == 200
    page = ask.content.decode()
    assert "Send this notice to abuse@dropbox.com?" in page
    assert "Yes, send it to abuse@dropbox.com" in page
    assert 'name="confirm" value="send"' in page
    assert mailoutbox == []
    assert not Correspondence.objects.exists()
    draft.refresh_from_db()
    assert draft.status == "draft"
    done = client.post(send, {"confirm": "send"})
    assert done["Location"] == reverse("takedowns:detail", args=[case.reference, draft.pk])
    assert [m.to for m in mailoutbox] == [["abuse@dropbox.com"]]


def test_routes_are_named_in_words_on_the_platform_directory(client, caseworker):
    client.force_login(caseworker)
    page = client.get(reverse("platforms:list")).content.decode()
    assert "TAKE IT DOWN Act (47 U.S.C. 223a)" in page
    assert "take_it_down" not in page and "platform_policy" not in page


def test_her_pages_answer_in_a_bounded_number_of_queries(
    client, case, survivor, caseworker, sightings, consent, settings,
    django_assert_max_num_queries,
):  # fmt: skip
    """Her first step, her guided form, the send's confirmation and the refusal page."""
    settings.LEAKCASE_SURVIVOR_SELF_SERVICE = True
    client.force_login(survivor)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("takedowns:draft", args=[case.reference])).status_code == 200
    (draft,) = takedowns_draft(case=case, sightings=sightings[:1], acting_user=survivor)
    takedown_update_draft(takedown=draft, acting_user=survivor, **COMPLETE)
    args = [case.reference, draft.pk]
    with django_assert_max_num_queries(14):
        page = client.get(reverse("takedowns:detail", args=args))
    assert "Step 2 of 3" in page.content.decode()
    with django_assert_max_num_queries(14):
        ask = client.post(reverse("takedowns:send", args=args))
    assert "Send this notice to abuse@dropbox.com?" in ask.content.decode()
    settings.LEAKCASE_SURVIVOR_SELF_SERVICE = False
    with django_assert_max_num_queries(6):
        assert client.get(reverse("takedowns:draft", args=[case.reference])).status_code == 403


def test_her_guided_form_refuses_a_route_not_offered_and_changes_nothing(
    client, case, survivor, sightings, settings
):
    settings.LEAKCASE_SURVIVOR_SELF_SERVICE = True
    (draft,) = takedowns_draft(case=case, sightings=sightings[:1], acting_user=survivor)
    before = TakedownRequest.objects.filter(pk=draft.pk).values().get()
    client.force_login(survivor)
    response = client.post(
        reverse("takedowns:edit", args=[case.reference, draft.pk]),
        {"legal_basis": "no-such-route", "signer_capacity": "self", "signer_name": "R"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was changed." in page and "Step 2 of 3" in page
    assert 'name="signer_name"' in page and "Record a reply" not in page
    assert TakedownRequest.objects.filter(pk=draft.pk).values().get() == before


def test_her_case_page_offers_writing_requests_only_with_self_service_on(
    client, case, survivor, sightings, settings
):
    client.force_login(survivor)
    url = reverse("cases:detail", args=[case.reference])
    start = reverse("takedowns:draft", args=[case.reference])
    page = client.get(url).content.decode()
    assert start not in page
    assert "Your caseworker writes the requests to platforms" in page
    settings.LEAKCASE_SURVIVOR_SELF_SERVICE = True
    page = client.get(url).content.decode()
    assert start in page and "Ask for my images to be taken down" in page


def test_a_confirmation_given_for_another_recipient_sends_nothing(
    client, case, caseworker, sightings, consent, mailoutbox
):
    """She was asked about one address; a colleague changed it meanwhile: she is asked again
    about the new one, and nothing goes to either until she confirms it."""
    (draft,) = takedowns_draft(case=case, sightings=sightings[:1], acting_user=caseworker)
    takedown_update_draft(takedown=draft, acting_user=caseworker, **COMPLETE)
    takedown_update_draft(
        takedown=draft, acting_user=caseworker, recipient_email="legal@dropbox.com"
    )
    takedown_approve_recipient(takedown=draft, acting_user=caseworker)
    client.force_login(caseworker)
    send = reverse("takedowns:send", args=[case.reference, draft.pk])
    response = client.post(send, {"confirm": "send", "to": "abuse@dropbox.com"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "The recipient changed since you were asked" in page
    assert "Send this notice to legal@dropbox.com?" in page
    assert mailoutbox == []
    draft.refresh_from_db()
    assert draft.status == "draft"


# --- the ladder on the request page, passing a rung over, its settings page ---------------


def _host_rung_without_contact(case, survivor, caseworker):
    import time_machine

    from takedowns.ladder_services import ladders_climb_due
    from tests.helpers.ladder import hosted

    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    (sighting,) = sightings_log_pasted(
        case=case, text="https://leaks.example/1.jpg", acting_user=survivor
    ).saved
    with time_machine.travel(start, tick=False):
        site = _sent_by_caseworker(case, caseworker, sighting)
    hosted("leaks.example", at=start, owner_email="")
    with time_machine.travel(start + dt.timedelta(hours=49), tick=False):
        assert ladders_climb_due() == 1
    return site, TakedownRequest.objects.get(escalated_from=site)


def test_the_request_page_shows_the_ladder_and_a_rung_nobody_can_be_asked_at(
    client, case, survivor, caseworker, consent
):
    site, host = _host_rung_without_contact(case, survivor, caseworker)
    client.force_login(caseworker)
    page = client.get(reverse("takedowns:detail", args=[case.reference, site.pk])).content
    page = page.decode()
    assert "The ladder" in page
    assert "Where it stands: <strong>The site</strong>" in page
    assert "Open the next rung's draft: Hosting provider" in page
    page = client.get(reverse("takedowns:detail", args=[case.reference, host.pk])).content
    page = page.decode()
    assert "No contact is known for this rung (hosting provider)" in page
    response = client.post(reverse("takedowns:skip_rung", args=[case.reference, host.pk]))
    assert response.status_code == 302
    host.refresh_from_db()
    assert host.rung == "registrar" and host.rungs_skipped == ["host"]
    page = client.get(reverse("takedowns:detail", args=[case.reference, host.pk])).content
    assert "passed over (no contact known" in page.decode()


def test_her_page_says_where_her_request_stands_on_the_ladder(
    client, case, survivor, caseworker, consent
):
    site, host = _host_rung_without_contact(case, survivor, caseworker)
    host.recipient_name, host.recipient_email = "Hostco", "abuse@hostco.test"
    host.save()
    from takedowns.services import takedown_mark_submitted

    takedown_mark_submitted(takedown=host, ticket_number="H-1", acting_user=caseworker)
    client.force_login(survivor)
    page = client.get(reverse("takedowns:detail", args=[case.reference, site.pk])).content
    assert "We have now asked the company that hosts the site." in page.decode()


def test_supervisors_set_a_rungs_wait_and_bad_input_changes_nothing(client, supervisor):
    from takedowns.models import LadderRungSetting

    client.force_login(supervisor)
    url = reverse("platforms:ladder")
    page = client.get(url).content.decode()
    assert "Registrar Accreditation Agreement" in page  # each default with its source
    response = client.post(url, {"rung": "host", "wait_hours": "24", "send_automatically": "on"})
    assert response.status_code == 302
    setting = LadderRungSetting.objects.get(rung="host")
    assert (setting.wait_hours, setting.send_automatically) == (24, True)
    for bad in (
        {"rung": "host", "wait_hours": "-3"},
        {"rung": "nowhere", "wait_hours": "3"},
        {"rung": "ftc", "send_automatically": "on"},
        {"rung": "host", "wait_hours": "many"},
    ):
        response = client.post(url, bad)
        assert response.status_code == 400, bad
    setting.refresh_from_db()
    assert (setting.wait_hours, setting.send_automatically) == (24, True)
    assert not LadderRungSetting.objects.filter(rung="ftc").exists()


def test_the_figures_page_shows_removals_by_rung(client, case, survivor, caseworker, supervisor):
    TakedownRequest.objects.create(
        case=case,
        rung="host",
        status="removed",
        sent_at=timezone.now() - dt.timedelta(hours=5),
        removed_at=timezone.now(),
    )
    client.force_login(supervisor)
    page = client.get(reverse("platforms:figures")).content.decode()
    assert "Removals by rung of the ladder" in page
    assert '<th scope="row">Hosting provider</th><td data-label="Sent">1</td>' in page


def test_the_request_page_shows_who_hosts_an_unknown_site_with_sources(
    client, case, caseworker, sightings
):
    from hosting.services import HostFacts, NetworkFound, host_facts_record

    host_facts_record(
        facts=HostFacts(
            host="unknown.example",
            looked_up_at=dt.datetime(2026, 12, 5, 11, 40, tzinfo=dt.UTC),
            registrable_domain="unknown.example",
            domain_source="Public Suffix List (tldextract 5.4.0, bundled snapshot)",
            registrar_name="Example Registrar, Inc.",
            registrar_abuse_email="abuse@registrar.example",
            registrar_source="RDAP rdap.verisign.com 2026-12-05T11:40Z",
            networks=[
                NetworkFound(
                    address="104.16.1.1",
                    handle="NET-104-16-0-0-1",
                    name="CLOUDFLARENET",
                    cidr="104.16.0.0/12",
                    owner="Cloudflare, Inc.",
                    abuse_email="",
                    source="RDAP rdap.arin.net 2026-12-05T11:40Z",
                    cdn_name="Cloudflare",
                    cdn_abuse_url="https://abuse.cloudflare.com/",
                    cdn_source="cdn_ranges.json (Cloudflare, 2026-12-05)",
                )
            ],
        )
    )
    (draft,) = takedowns_draft(case=case, sightings=sightings[2:], acting_user=caseworker)
    client.force_login(caseworker)

    page = client.get(
        reverse("takedowns:detail", args=[case.reference, draft.pk])
    ).content.decode()

    assert "Who hosts it" in page and "WHOIS" not in page.split("Who hosts it")[1][:3000]
    for text in (
        "Hidden behind Cloudflare: its abuse desk (below) can name the host.",
        "104.16.1.1</span>: Cloudflare, Inc., CLOUDFLARENET (104.16.0.0/12)",
        "Example Registrar, Inc.",
        "abuse: abuse@registrar.example",
        "Source: RDAP rdap.verisign.com 2026-12-05T11:40Z",
        "Source: cdn_ranges.json (Cloudflare, 2026-12-05)",
        "https://abuse.cloudflare.com/",
        "104.16.0.0/12",
        "Look up again",
    ):
        assert text in page, text
    # Addressed to the registrar (the host hides behind the CDN), for staff to approve.
    assert "addressed to the registrar's abuse contact (Example Registrar, Inc.)" in page


def test_look_up_again_makes_the_host_due_now(client, case, caseworker, sightings):
    from hosting.models import Host

    (draft,) = takedowns_draft(case=case, sightings=sightings[2:], acting_user=caseworker)
    Host.objects.filter(name="unknown.example").update(
        next_lookup_at=timezone.now() + dt.timedelta(days=7)
    )
    client.force_login(caseworker)
    detail = reverse("takedowns:detail", args=[case.reference, draft.pk])
    assert "Not looked up yet" in client.get(detail).content.decode()

    response = client.post(reverse("takedowns:host_lookup", args=[case.reference, draft.pk]))

    assert response.status_code == 302
    assert Host.objects.get(name="unknown.example").next_lookup_at <= timezone.now()
    assert "A new lookup is on its way" in client.get(detail).content.decode()

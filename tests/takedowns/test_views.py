import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from evidence.services import sightings_log_pasted
from platforms.models import Platform
from takedowns.models import Correspondence, TakedownRequest
from takedowns.selectors import escalation_suggestions
from takedowns.services import takedown_mark_submitted, takedown_update_draft, takedowns_draft


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
    routes = [s.route for s in escalation_suggestions(draft)]
    assert routes == ["Hosting provider", "Search delisting", "Regulator or legal route"]
    draft.due_at = timezone.now() + dt.timedelta(hours=1)
    assert escalation_suggestions(draft) == []
    draft.status = "rejected"
    assert "the platform refused" in escalation_suggestions(draft)[0].why


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
        }
    ]


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

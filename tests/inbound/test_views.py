import pytest
from django.urls import reverse

from audit.models import AuditEvent
from inbound.models import InboundMessage
from inbound.services import inbound_receive
from tests.helpers import mail


def receive(message) -> InboundMessage:
    return inbound_receive(raw=message.as_bytes(), source="imap:INBOX")


def request_page(takedown) -> str:
    return reverse("takedowns:detail", args=[takedown.case.reference, takedown.pk])


def test_the_replies_panel_shows_the_text_and_the_suggestion(client, caseworker, emailed_request):
    receive(
        mail.reply_to_request(
            emailed_request,
            body="We have removed the content.\n<script>alert('x')</script>",
            html="<p>We have removed the content.</p><img src='https://tracker.example/p.gif'>",
        )
    )
    client.force_login(caseworker)
    page = client.get(request_page(emailed_request)).content.decode()
    assert "Replies by email (1)" in page
    assert "Suggested: Removed" in page and "says it removed" in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "tracker.example" not in page
    assert "Confirm: removed" in page


def test_a_reply_from_outside_the_platform_is_flagged(client, caseworker, emailed_request):
    receive(mail.reply_to_request(emailed_request, sender="someone@attacker.example"))
    receive(mail.reply_to_request(emailed_request, sender="legal@dropbox.com"))
    client.force_login(caseworker)
    page = client.get(request_page(emailed_request)).content.decode()
    assert page.count("Anyone can write to the reply address") == 1
    assert "This came from someone@attacker.example" in page


def test_one_click_confirms_and_only_then_she_sees_the_answer(
    client, caseworker, survivor, emailed_request
):
    message = receive(mail.reply_to_request(emailed_request, body="We have removed the content."))
    client.force_login(survivor)
    hers = client.get(request_page(emailed_request)).content.decode()
    assert "We have removed the content." not in hers
    assert "Nothing yet" in hers

    client.force_login(caseworker)
    response = client.post(reverse("inbound:confirm", args=[message.pk]))
    assert response.status_code == 302
    assert response["Location"] == request_page(emailed_request)
    emailed_request.refresh_from_db()
    assert emailed_request.status == "removed"
    page = client.get(request_page(emailed_request)).content.decode()
    assert "Confirmed as <strong>removed</strong>" in page

    client.force_login(survivor)
    hers = client.get(request_page(emailed_request)).content.decode()
    assert "We have removed the content." in hers
    assert "Dropbox removed it." in hers


def test_staff_may_choose_another_reading(client, caseworker, emailed_request):
    message = receive(mail.reply_to_request(emailed_request, body="Thanks for your report."))
    client.force_login(caseworker)
    client.post(reverse("inbound:confirm", args=[message.pk]), {"decision": "refused"})
    emailed_request.refresh_from_db()
    assert emailed_request.status == "rejected"


def test_a_reading_that_does_not_fit_is_refused_in_words(client, caseworker, emailed_request):
    message = receive(mail.reply_to_request(emailed_request, body="Thanks for your report."))
    client.force_login(caseworker)
    response = client.post(
        reverse("inbound:confirm", args=[message.pk]), {"decision": "counter_notice"}, follow=True
    )
    assert "only for DMCA" in response.content.decode()
    message.refresh_from_db()
    assert message.confirmed_at is None
    bad = client.post(reverse("inbound:confirm", args=[message.pk]), {"decision": "nonsense"})
    assert bad.status_code == 302
    message.refresh_from_db()
    assert message.confirmed_at is None


def test_the_inbox_lists_unfiled_and_quarantined_mail(client, caseworker, emailed_request):
    unfiled = receive(mail.reply(subject="About report", body="Which case is this?"))
    bomb = mail.zip_of({"z.bin": b"\0" * (5 * 1024 * 1024)})
    quarantined = receive(
        mail.with_attachment(mail.reply(subject="Files"), "x.zip", bomb, "application/zip")
    )
    filed = receive(mail.reply_to_request(emailed_request, body="We removed it."))
    client.force_login(caseworker)
    page = client.get(reverse("inbound:inbox")).content.decode()
    assert reverse("inbound:message", args=[unfiled.pk]) in page
    assert reverse("inbound:message", args=[quarantined.pk]) in page
    assert "zip bomb" in page
    assert reverse("inbound:message", args=[filed.pk]) not in page


def test_filing_by_hand_finds_the_request_by_case_reference(client, caseworker, emailed_request):
    message = receive(mail.reply(subject="Your report", body="We have removed the content."))
    client.force_login(caseworker)
    url = reverse("inbound:message", args=[message.pk])
    page = client.get(url, {"q": emailed_request.case.reference}).content.decode()
    assert "File on this request" in page
    assert client.get(url, {"q": "LC-NOPE00"}).content.decode().count("File on this request") == 0
    response = client.post(
        reverse("inbound:file", args=[message.pk]),
        {"takedown": str(emailed_request.pk), "reference": emailed_request.case.reference},
    )
    assert response["Location"] == request_page(emailed_request)
    message.refresh_from_db()
    assert (message.takedown, message.routed_by, message.filed_by) == (
        emailed_request,
        "hand",
        caseworker,
    )


def test_filing_on_a_request_of_a_case_she_may_not_see_is_a_404(
    client, other_caseworker, caseworker, emailed_request
):
    from cases.services import case_assign

    case_assign(case=emailed_request.case, to=caseworker, acting_user=caseworker)
    message = receive(mail.reply(subject="Your report"))
    client.force_login(other_caseworker)
    response = client.post(
        reverse("inbound:file", args=[message.pk]),
        {"takedown": str(emailed_request.pk), "reference": emailed_request.case.reference},
    )
    assert response.status_code == 404
    message.refresh_from_db()
    assert message.takedown is None


@pytest.mark.parametrize("what", ["raw", "attachment"])
def test_downloads_are_attachments_not_stored_and_audited(
    client, caseworker, emailed_request, what
):
    html = b"<html><script>alert(document.cookie)</script></html>"
    message = receive(
        mail.with_attachment(
            mail.reply_to_request(emailed_request, body="See the attached page."),
            "../../evil page.html",
            html,
            "text/html",
        )
    )
    attachment = message.attachments.get()
    client.force_login(caseworker)
    if what == "raw":
        url = reverse("inbound:raw", args=[message.pk])
    else:
        url = reverse("inbound:attachment", args=[message.pk, attachment.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "no-store, private"
    assert response["X-Content-Type-Options"] == "nosniff"
    if what == "attachment":
        assert response.content == html
        assert 'filename="evil_page.html"' in response["Content-Disposition"]
    else:
        assert b"See the attached page." in response.content
    assert AuditEvent.objects.filter(kind="mail_downloaded", actor_id=caseworker.pk).count() == 1


def test_a_survivor_never_reaches_the_mail(client, survivor, emailed_request):
    message = receive(mail.reply_to_request(emailed_request, body="We removed it."))
    client.force_login(survivor)
    for url in (
        reverse("inbound:inbox"),
        reverse("inbound:message", args=[message.pk]),
        reverse("inbound:raw", args=[message.pk]),
    ):
        assert client.get(url).status_code == 404

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from cases.models import CaseEvent, EventKind
from inbound import vault
from inbound.models import InboundAttachment, InboundMessage
from inbound.services import inbound_confirm_decision, inbound_file_by_hand, inbound_receive
from leakcase.locking import StateChanged
from takedowns.models import DeliveryStatus
from takedowns.services import takedown_mark_submitted, takedowns_due_a_reminder
from tests.conftest import tables_holding
from tests.helpers import mail
from tests.inbound.conftest import DMCA_NOTICE, email_request

SOURCE = "imap:INBOX"


def receive(message) -> InboundMessage:
    raw = message if isinstance(message, bytes) else message.as_bytes()
    return inbound_receive(raw=raw, source=SOURCE)


# --- routing -------------------------------------------------------------------------------


def test_a_reply_to_the_request_address_is_filed_on_it(emailed_request):
    message = receive(
        mail.reply_to_request(emailed_request, body="We have removed the content you reported.")
    )
    assert (message.status, message.kind, message.routed_by) == ("filed", "reply", "token")
    assert message.takedown == emailed_request
    assert (message.suggested_decision, message.suggestion_rule) == ("removed", "says it removed")
    emailed_request.refresh_from_db()
    assert emailed_request.status == "sent"  # a suggestion: nothing applied by itself
    assert not emailed_request.correspondence.filter(kind="reply").exists()


@pytest.mark.parametrize("header", ["Cc", "Delivered-To", "X-Original-To"])
def test_the_token_is_found_in_every_header_that_carries_the_delivery_address(
    emailed_request, header
):
    from takedowns.notices import reply_address

    message = mail.reply(
        to="someone-else@example.test", headers={header: reply_address(emailed_request)}
    )
    assert receive(message).takedown == emailed_request


def test_a_token_for_no_request_goes_to_the_inbox(emailed_request):
    message = receive(mail.reply(to="replies+" + "0" * 32 + "@leakcase.invalid"))
    assert (message.status, message.takedown) == ("inbox", None)


def test_a_reply_by_in_reply_to_our_notice(emailed_request, notice):
    message = receive(mail.reply(headers={"In-Reply-To": notice.message_id}))
    assert (message.takedown, message.routed_by) == (emailed_request, "in_reply_to")


def test_a_reply_by_references_to_our_notice(emailed_request, notice):
    references = f"<elsewhere@mail.example> {notice.message_id} <later@mail.example>"
    message = receive(mail.reply(headers={"References": references}))
    assert (message.takedown, message.routed_by) == (emailed_request, "references")


@pytest.fixture
def submitted_with_ticket(case, caseworker, consent):
    from evidence.services import sighting_log
    from takedowns.services import takedown_update_draft, takedowns_draft
    from tests.inbound.conftest import NOTICE

    sighting = sighting_log(
        case=case, url="https://www.dropbox.com/s/two/b.jpg", acting_user=case.survivor
    )
    (draft,) = takedowns_draft(case=case, sightings=[sighting], acting_user=caseworker)
    takedown_update_draft(takedown=draft, acting_user=caseworker, **NOTICE)
    return takedown_mark_submitted(
        takedown=draft, ticket_number="DBX-482913", acting_user=caseworker
    )


def test_a_reply_by_ticket_number_in_the_subject_from_the_platforms_domain(submitted_with_ticket):
    message = receive(
        mail.reply(
            sender="Dropbox Support <support@dropbox.com>",
            subject="Re: [Ticket DBX-482913] Your report",
        )
    )
    assert (message.takedown, message.routed_by) == (submitted_with_ticket, "ticket")


def test_a_ticket_number_from_another_domain_files_nothing(submitted_with_ticket):
    """Ticket numbers are short and guessable: only the platform's own mail is matched."""
    message = receive(
        mail.reply(
            sender="someone@attacker.example", subject="Re: [Ticket DBX-482913] Your report"
        )
    )
    assert (message.status, message.takedown) == ("inbox", None)


def test_a_message_that_matches_nothing_goes_to_the_inbox(emailed_request):
    message = receive(mail.reply(subject="Hello", body="Is this the right address?"))
    assert (message.status, message.kind, message.takedown) == ("inbox", "reply", None)


def test_the_same_message_twice_is_filed_once(emailed_request):
    raw = mail.reply_to_request(emailed_request, body="We have removed it.").as_bytes()
    first = inbound_receive(raw=raw, source="imap:INBOX")
    second = inbound_receive(raw=raw, source="webhook:mailgun")
    assert first.pk == second.pk
    assert second.source == "imap:INBOX"
    assert InboundMessage.objects.count() == 1


def test_without_a_message_id_the_raw_bytes_decide(emailed_request):
    message = mail.reply_to_request(emailed_request)
    del message["Message-ID"]
    raw = message.as_bytes()
    first, second = receive(raw), receive(raw)
    assert first.pk == second.pk and first.message_id.startswith("sha256:")
    assert receive(raw + b"\nP.S.").pk != first.pk


# --- automatic replies and bounces ---------------------------------------------------------


def test_an_auto_reply_fills_the_ticket_number_and_is_not_an_answer(emailed_request):
    due = emailed_request.due_at
    message = receive(
        mail.reply_to_request(
            emailed_request,
            subject="[Case #48291734] We received your request",
            body="This is an automated response. Our team will review your report.",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert (message.kind, message.ticket_number, message.suggested_decision) == (
        "auto_reply",
        "48291734",
        "",
    )
    emailed_request.refresh_from_db()
    assert emailed_request.ticket_number == "48291734"
    assert (emailed_request.status, emailed_request.due_at) == ("sent", due)
    assert not emailed_request.correspondence.filter(kind="reply").exists()
    event = CaseEvent.objects.get(kind=EventKind.TICKET_NOTED)
    assert event.new_value["ticket_number"] == "48291734"
    assert not CaseEvent.objects.filter(kind=EventKind.TAKEDOWN_REPLY).exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
        {"Precedence": "auto_reply"},
        {"Precedence": "bulk"},
        {"X-Zendesk-From-Account-Id": "7c1d3"},
        {"X-Mailer": "Zendesk Mailer"},
        {"X-Freshdesk-Ticket-Id": "3301"},
        {"X-SFDC-LK": "00D3000000001"},
    ],
)
def test_auto_replies_by_their_headers(emailed_request, headers):
    message = receive(
        mail.reply_to_request(
            emailed_request,
            subject="Your request (#5512093) has been received",
            body="Thank you for contacting us. Your ticket has been created.",
            headers=headers,
        )
    )
    assert (message.kind, message.ticket_number) == ("auto_reply", "5512093")


def test_a_helpdesk_agents_answer_is_a_reply_not_an_acknowledgement(emailed_request):
    message = receive(
        mail.reply_to_request(
            emailed_request,
            subject="Re: Your request (#5512093)",
            body="Hi, after review we have removed the reported content.",
            headers={"X-Zendesk-From-Account-Id": "7c1d3"},
        )
    )
    assert (message.kind, message.suggested_decision) == ("reply", "removed")


def test_auto_submitted_no_is_a_person(emailed_request):
    message = receive(
        mail.reply_to_request(emailed_request, body="Thanks", headers={"Auto-Submitted": "no"})
    )
    assert message.kind == "reply"


def test_a_delivery_status_notification_marks_the_notice_undelivered(emailed_request, notice):
    message = receive(mail.rfc3464_bounce(original_message_id=notice.message_id))
    assert (message.kind, message.status, message.routed_by) == ("bounce", "filed", "returned")
    assert (message.takedown, message.returned_letter) == (emailed_request, notice)
    notice.refresh_from_db()
    assert notice.status == DeliveryStatus.UNDELIVERED
    assert "Returned undelivered" in notice.error
    emailed_request.refresh_from_db()
    assert emailed_request.status == "sent"
    # Staff's to act on: in the timeline for staff only (cases.models.INTERNAL_EVENT_KINDS).
    from cases.models import INTERNAL_EVENT_KINDS

    assert CaseEvent.objects.filter(kind=EventKind.LETTER_UNDELIVERED).count() == 1
    assert EventKind.LETTER_UNDELIVERED in INTERNAL_EVENT_KINDS
    # No reminder goes to an address that returns mail.
    later = emailed_request.due_at + dt.timedelta(days=2)
    assert not takedowns_due_a_reminder(later).filter(pk=emailed_request.pk).exists()
    # The returned headers are kept, sealed, as a file staff can download.
    (returned,) = message.attachments.all()
    assert returned.content_type == "text/rfc822-headers"


def test_a_bounce_returning_the_whole_notice_is_filed_by_its_message_id(emailed_request, notice):
    raw = mail.rfc3464_bounce(original_message_id=notice.message_id, whole_message=True)
    message = receive(raw)
    assert (message.kind, message.returned_letter) == ("bounce", notice)
    (returned,) = message.attachments.all()
    assert returned.content_type == "message/rfc822"
    assert notice.message_id.encode() in vault.read_attachment(returned)


def test_a_delay_notice_is_not_a_failure(emailed_request, notice):
    message = receive(mail.rfc3464_bounce(original_message_id=notice.message_id, status="4.4.1"))
    assert message.kind == "auto_reply"
    notice.refresh_from_db()
    assert notice.status == DeliveryStatus.SENT


def test_a_non_standard_bounce_from_the_mailer_daemon(emailed_request, notice):
    message = receive(mail.plain_bounce(original_message_id=notice.message_id))
    assert (message.kind, message.takedown, message.returned_letter) == (
        "bounce",
        emailed_request,
        notice,
    )
    notice.refresh_from_db()
    assert notice.status == DeliveryStatus.UNDELIVERED


# --- what a reply says ---------------------------------------------------------------------

WORDINGS = [
    ("We have removed the content you reported. Thank you.", "removed"),
    ("The reported URL has been taken down.", "removed"),
    ("The content is no longer available on our service.", "removed"),
    ("After review, the content does not violate our Community Guidelines.", "refused"),
    ("We have decided not to take action on this report.", "refused"),
    ("The material has not been removed.", "refused"),
    ("Please provide the exact URLs of the content so that we can review it.", "more_information"),
    ("We were unable to locate the content at the address you gave.", "more_information"),
    ("Hello, we are looking into it and will get back to you.", "nothing"),
]


@pytest.mark.parametrize(("body", "decision"), WORDINGS)
def test_each_wording_suggests_its_decision(emailed_request, body, decision):
    message = receive(mail.reply_to_request(emailed_request, body=body))
    assert message.suggested_decision == decision


def test_the_quoted_notice_below_the_answer_does_not_count(emailed_request):
    body = (
        "Please provide a link to the content.\n\n"
        "On Fri, 4 Dec 2026 at 10:00, LeakCase <notices@leakcase.invalid> wrote:\n"
        "> The images have been removed from other sites already.\n"
    )
    assert receive(mail.reply_to_request(emailed_request, body=body)).suggested_decision == (
        "more_information"
    )


def test_an_html_only_reply_is_cleaned_and_read_as_text(emailed_request):
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        '<p onclick="steal()">We have <b>removed</b> the content.</p>'
        '<img src="https://tracker.example/pixel.gif"><a href="javascript:evil()">x</a>'
        '<a href="https://help.dropbox.com/">Help</a></body></html>'
    )
    message = receive(mail.reply_to_request(emailed_request, body=None, html=html))
    assert message.text_body.startswith("We have removed the content.")
    assert "alert" not in message.text_body and "color" not in message.text_body
    for gone in ("<script", "<img", "onclick", "javascript:", "tracker.example", "<style"):
        assert gone not in message.html_body
    assert 'href="https://help.dropbox.com/"' in message.html_body
    assert message.suggested_decision == "removed"


# --- confirming ----------------------------------------------------------------------------


def test_staff_confirm_the_suggestion_with_one_call(emailed_request, caseworker):
    message = receive(mail.reply_to_request(emailed_request, body="We have removed the content."))
    confirmed = inbound_confirm_decision(message=message, acting_user=caseworker)
    assert (confirmed.confirmed_decision, confirmed.confirmed_by) == ("removed", caseworker)
    emailed_request.refresh_from_db()
    assert emailed_request.status == "removed"
    assert emailed_request.decision_by_survivor is False  # staff's word: counts in figures
    reply = emailed_request.correspondence.get(kind="reply")
    assert reply.body == "We have removed the content."
    assert confirmed.letter == reply
    with pytest.raises(StateChanged, match="confirmed already"):
        inbound_confirm_decision(message=message, acting_user=caseworker)


def test_staff_may_correct_the_suggestion(emailed_request, caseworker):
    message = receive(
        mail.reply_to_request(emailed_request, body="This does not violate our policies.")
    )
    inbound_confirm_decision(message=message, acting_user=caseworker, decision="refused")
    emailed_request.refresh_from_db()
    assert emailed_request.status == "rejected"
    assert "does not violate" in emailed_request.decision_reasons


def test_more_information_keeps_the_request_waiting(emailed_request, caseworker):
    message = receive(mail.reply_to_request(emailed_request, body="Please provide more details."))
    inbound_confirm_decision(message=message, acting_user=caseworker)
    emailed_request.refresh_from_db()
    assert emailed_request.status == "sent"
    assert emailed_request.correspondence.filter(kind="reply").count() == 1


def test_a_counter_notice_on_a_dmca_request_records_the_restore_window(
    case, caseworker, consent, mailoutbox
):
    takedown = email_request(case, caseworker, **DMCA_NOTICE)
    assert takedown.legal_basis == "dmca"
    message = receive(
        mail.reply_to_request(takedown, body="Attached is a counter-notification we received.")
    )
    assert message.suggested_decision == "counter_notice"
    inbound_confirm_decision(message=message, acting_user=caseworker)
    takedown.refresh_from_db()
    assert takedown.counter_notice_on is not None and takedown.restore_window_to is not None


def test_a_counter_notice_is_suggested_only_on_a_dmca_request(emailed_request, caseworker):
    message = receive(mail.reply_to_request(emailed_request, body="We received a counter-notice."))
    assert emailed_request.legal_basis != "dmca"
    assert message.suggested_decision == "nothing"
    with pytest.raises(ValidationError, match="only for DMCA"):
        inbound_confirm_decision(
            message=message, acting_user=caseworker, decision="counter_notice"
        )
    message.refresh_from_db()
    assert message.confirmed_at is None


def test_a_survivor_cannot_confirm(emailed_request, survivor):
    from django.core.exceptions import PermissionDenied

    message = receive(mail.reply_to_request(emailed_request, body="We have removed it."))
    with pytest.raises(PermissionDenied):
        inbound_confirm_decision(message=message, acting_user=survivor)


def test_filing_by_hand_then_suggests(emailed_request, caseworker):
    message = receive(mail.reply(subject="Your report", body="We have removed the content."))
    assert (message.status, message.suggested_decision) == ("inbox", "removed")
    filed = inbound_file_by_hand(message=message, takedown=emailed_request, acting_user=caseworker)
    assert (filed.status, filed.routed_by, filed.filed_by) == ("filed", "hand", caseworker)
    with pytest.raises(StateChanged):
        inbound_file_by_hand(message=message, takedown=emailed_request, acting_user=caseworker)


# --- safe handling -------------------------------------------------------------------------


def test_a_message_over_the_size_limit_is_quarantined_unread_but_kept(emailed_request, settings):
    settings.INBOUND_MAX_MESSAGE_BYTES = 50_000
    raw = mail.reply_to_request(emailed_request, body="x" * 60_000).as_bytes()
    message = inbound_receive(raw=raw, source=SOURCE)
    assert (message.status, message.kind, message.takedown) == ("quarantined", "unknown", None)
    assert "over the limit" in message.quarantine_reason
    assert message.text_body == ""
    assert message.subject.startswith("Re: Report")  # headers still read, for staff
    assert vault.read_raw(message) == raw


def test_malformed_mime_is_quarantined(emailed_request):
    raw = (
        b"From: abuse@dropbox.com\r\nTo: replies@leakcase.invalid\r\nSubject: broken\r\n"
        b"Message-ID: <broken@dropbox.com>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="abc"\r\n\r\nno boundary ever comes\r\n'
    )
    message = inbound_receive(raw=raw, source=SOURCE)
    assert message.status == "quarantined"
    assert "StartBoundaryNotFoundDefect" in message.quarantine_reason
    assert vault.read_raw(message) == raw


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff" * 100,
        b"Content-Type: multipart/mixed\r\n\r\nhello",
        b"Subject: =?utf-8?b?////?=\r\n"
        b"Content-Type: text/plain; charset=no-such-charset\r\n\r\n\xff",
        b"From: <<<@@@>>>\r\nTo: ;;;\r\nMessage-ID: <<<>>>\r\n\r\n",
        b"Message-ID: <a\x00b@c>\r\nSubject: nul\x00here\r\nIn-Reply-To: <x\x00y@z>\r\n"
        b"To: replies@leakcase.invalid\r\n\r\nbody with \x00 nul",
        b"Content-Type: text/html\r\n\r\n<p>\x00</p>" + b"<div>" * 5000,
    ],
)
def test_garbage_never_raises(raw, db):
    message = inbound_receive(raw=raw, source=SOURCE)
    assert message.pk is not None and message.status in ("quarantined", "inbox")


def test_deep_nesting_is_quarantined(emailed_request):
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    inner = MIMEText("deep")
    for _ in range(15):
        outer = MIMEMultipart()
        outer.attach(inner)
        inner = outer
    inner["To"] = "replies@leakcase.invalid"
    assert "deep" in receive(inner).quarantine_reason


def test_a_zip_bomb_is_quarantined_without_being_unpacked(emailed_request):
    bomb = mail.zip_of({"zeros.bin": b"\0" * (20 * 1024 * 1024)})
    assert len(bomb) < 100_000
    message = receive(
        mail.with_attachment(
            mail.reply_to_request(emailed_request), "evidence.zip", bomb, "application/zip"
        )
    )
    assert message.status == "quarantined"
    assert "zip bomb" in message.quarantine_reason
    (attachment,) = message.attachments.all()
    assert "zip bomb" in attachment.refused_because
    assert vault.read_attachment(attachment) == bomb  # kept, sealed, for staff


def test_a_nested_archive_is_quarantined(emailed_request):
    import os

    inner = mail.zip_of({"a.bin": os.urandom(2000)})
    outer = mail.zip_of({"inner.zip": inner})
    message = receive(
        mail.with_attachment(
            mail.reply_to_request(emailed_request), "files.zip", outer, "application/zip"
        )
    )
    assert message.status == "quarantined"
    assert "archive holding other archives" in message.quarantine_reason


def test_an_ordinary_zip_is_filed(emailed_request):
    import os

    archive = mail.zip_of({"decision.pdf": os.urandom(5000)})
    message = receive(
        mail.with_attachment(
            mail.reply_to_request(emailed_request), "decision.zip", archive, "application/zip"
        )
    )
    assert message.status == "filed"


def test_attachments_are_sealed_never_plain_on_disk_or_in_the_database(emailed_request, settings):
    from pathlib import Path

    secret = b"%PDF-1.4 SECRET-ATTACHMENT-MARKER-7731"
    message = receive(
        mail.with_attachment(
            mail.reply_to_request(emailed_request, body="See attached."),
            "decision-letter.pdf",
            secret,
            "application/pdf",
        )
    )
    (attachment,) = message.attachments.all()
    assert (attachment.content_type, attachment.size) == ("application/pdf", len(secret))
    import hashlib

    assert attachment.sha256 == hashlib.sha256(secret).hexdigest()
    assert vault.read_attachment(attachment) == secret
    assert vault.attachment_name(attachment) == "decision-letter.pdf"
    from django.core.files.storage import default_storage

    stored = [p.read_bytes() for p in Path(default_storage.location).rglob("*") if p.is_file()]
    assert stored and not any(b"SECRET-ATTACHMENT-MARKER" in blob for blob in stored)
    assert not any(b"decision-letter" in blob for blob in stored)
    assert tables_holding("SECRET-ATTACHMENT-MARKER") == []
    assert tables_holding("decision-letter") == []


# --- two workers at once -------------------------------------------------------------------


def _waiting_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return bool(row) and row[0] == "Lock"


@pytest.mark.django_db(transaction=True)
def test_two_workers_receiving_the_same_message_at_once_file_it_once(
    platform_directory, case, caseworker, consent, mailoutbox
):
    """Worker A has inserted the message and not committed; worker B, which checked before A
    inserted, blocks on the unique Message-ID until A commits, then returns A's row. The
    acknowledgement's ticket number is written once, and B's sealed copies are deleted."""
    from django.db import transaction

    takedown = email_request(case, caseworker)
    raw = mail.reply_to_request(
        takedown,
        subject="[Case #77001234] We received your request",
        headers={"Auto-Submitted": "auto-replied"},
    ).as_bytes()
    a_inserted, a_may_commit = threading.Event(), threading.Event()
    results, pids = {}, {}

    def worker_a():
        try:
            with transaction.atomic():
                results["a"] = inbound_receive(raw=raw, source="imap:INBOX")
                a_inserted.set()
                a_may_commit.wait(30)
        finally:
            connection.close()

    def worker_b():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids["b"] = cursor.fetchone()[0]
            results["b"] = inbound_receive(raw=raw, source="webhook:mailgun")
        finally:
            connection.close()

    a = threading.Thread(target=worker_a)
    a.start()
    assert a_inserted.wait(30)
    b = threading.Thread(target=worker_b)
    b.start()
    deadline = timezone.now() + dt.timedelta(seconds=30)
    while not (pids.get("b") and _waiting_on_a_lock(pids["b"])):
        assert timezone.now() < deadline, "worker B never reached the unique index"
    a_may_commit.set()
    a.join(30)
    b.join(30)
    assert results["a"].pk == results["b"].pk
    assert InboundMessage.objects.count() == 1
    assert InboundAttachment.objects.count() == 0
    events = CaseEvent.objects.filter(kind=EventKind.TICKET_NOTED, target_id=str(takedown.pk))
    assert [e.new_value.get("ticket_number") for e in events] == ["77001234"]
    from pathlib import Path

    from django.core.files.storage import default_storage

    kept = [p.parent.name for p in Path(default_storage.location, "inbound").rglob("*.sealed")]
    assert kept == [str(results["a"].pk)]  # B's sealed copy is gone

"""The one delivery: every kind of email is a row, claimed, leased, retried and sent the
same way (weekly status emails set up through digests' claims, as the beat makes them)."""

import datetime as dt
from unittest import mock

import pytest
import time_machine
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse

from digests.services import digests_claim_due, weekly_status_run
from outbox.models import EmailKind, EmailStatus, OutgoingEmail
from outbox.services import (
    AT_ONCE_GRACE,
    SENDING_LEASE,
    outgoing_deliver,
    outgoing_mark_interrupted,
    outgoing_send_after_commit,
    outgoing_send_again,
    outgoing_send_now,
    outgoing_write,
)
from tests.digests.conftest import NOW, due


@pytest.mark.django_db
class TestDelivery:
    def test_pending_emails_go_out_once(self, survivor, her_case, mailoutbox):
        due(survivor)
        with time_machine.travel(NOW, tick=False):
            report = weekly_status_run()
            again = weekly_status_run()
        assert (report.sent, again.sent) == (1, 0)
        assert len(mailoutbox) == 1 and mailoutbox[0].to == [survivor.email]
        email = OutgoingEmail.objects.get()
        assert email.status == EmailStatus.SENT and email.sent_at == NOW
        assert mailoutbox[0].extra_headers["Message-ID"] == email.message_id

    def test_an_interrupted_send_is_not_repeated_but_shown(
        self, survivor, her_case, supervisor, mailoutbox
    ):
        due(survivor)
        with time_machine.travel(NOW, tick=False):
            digests_claim_due()
        # A sender died after marking it "sending": within the lease nobody touches it...
        OutgoingEmail.objects.update(status=EmailStatus.SENDING, lease_until=NOW + SENDING_LEASE)
        with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
            assert outgoing_deliver().sent == 0
        # ...after it, it is marked interrupted, and still not sent again by itself.
        with time_machine.travel(NOW + dt.timedelta(minutes=11), tick=False):
            report = outgoing_deliver()
        assert (report.interrupted, report.sent, len(mailoutbox)) == (1, 0, 0)
        email = OutgoingEmail.objects.get()
        assert email.status == EmailStatus.UNCONFIRMED and "may have been" in email.last_error
        # Staff can choose to send it again.
        assert outgoing_send_again(email=email, acting_user=supervisor) is True
        assert outgoing_send_again(email=email, acting_user=supervisor) is False
        assert outgoing_deliver().sent == 1 and len(mailoutbox) == 1

    def test_marking_interrupted_spares_live_leases(self, survivor, her_case):
        due(survivor)
        with time_machine.travel(NOW, tick=False):
            digests_claim_due()
        OutgoingEmail.objects.update(status=EmailStatus.SENDING, lease_until=NOW)
        assert outgoing_mark_interrupted(now=NOW) == 0
        assert outgoing_mark_interrupted(now=NOW + dt.timedelta(seconds=1)) == 1


# --- every kind, one way --------------------------------------------------------------------

# What the delivery hands each email to (tests run on the locmem backend).
MAIL_SERVER = "django.core.mail.backends.locmem.EmailBackend.send_messages"


def _message(to="someone@example.test", **overrides):
    fields = {
        "subject": "A subject",
        "body": "The text.",
        "from_email": "Case updates <updates@leakcase.invalid>",
        "to": [to],
        "reply_to": ["replies+1@leakcase.invalid"],
        "headers": {"Auto-Submitted": "auto-generated"},
        **overrides,
    }
    message = EmailMultiAlternatives(**fields)
    message.attach_alternative("<p>The text.</p>", "text/html")
    return message


@pytest.mark.django_db
def test_every_kind_is_a_row_that_the_one_delivery_sends(
    survivor, caseworker, case, consent, mailoutbox, client, django_capture_on_commit_callbacks
):
    """A weekly status email (hers and a caseworker's), the daily overdue count, a notice, a
    reminder, an invitation, a password reset and a new-message notice: each made by its own
    app's service, each a row in the outbox, each sent by outgoing_deliver with its row's
    Message-ID."""
    from cases.services import case_assign, case_open_for_caller, invitation_email_send
    from cases.thread_services import message_post
    from evidence.services import sightings_log_pasted
    from takedowns.services import (
        overdue_digests_send,
        takedown_send_email,
        takedown_send_reminder,
        takedown_update_draft,
        takedowns_draft,
    )
    from tests.conftest import confirm_email

    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        sightings = sightings_log_pasted(
            case=case, text="https://www.dropbox.com/s/a/1.jpg", acting_user=survivor
        ).saved
        (request,) = takedowns_draft(case=case, sightings=sightings, acting_user=caseworker)
        takedown_update_draft(
            takedown=request,
            acting_user=caseworker,
            signer_name="Rose",
            contact_email="r@example.test",
            content_description="photos",
            confirms_no_consent=True,
            confirms_good_faith=True,
        )
        takedown_send_email(takedown=request, acting_user=caseworker)  # notice
        caller = case_open_for_caller(
            pseudonym="Caller", contact_email="caller@example.test", acting_user=caseworker
        )
        invitation_email_send(case=caller, link="https://leakcase.example/invitations/x/")
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("account_reset_password"), {"email": survivor.email})
    later = start + dt.timedelta(days=3)
    with time_machine.travel(later, tick=False):
        case_assign(case=case, to=caseworker, acting_user=caseworker)
        with django_capture_on_commit_callbacks(execute=True):  # sent after its commit
            message_post(case=case, body="We sent it.", acting_user=caseworker)
        request.refresh_from_db()
        takedown_send_reminder(takedown=request)
        overdue_digests_send(base_url="https://leakcase.example")
        for person in (survivor, confirm_email(caseworker)):
            due(person, next_digest_at=later - dt.timedelta(minutes=1))
        assert weekly_status_run().sent == 2

    emails = list(OutgoingEmail.objects.order_by("created_at"))
    assert sorted(e.kind for e in emails) == sorted(EmailKind.values)
    assert {e.status for e in emails} == {EmailStatus.SENT}
    assert all(e.attempts == 1 and e.message_id for e in emails)
    by_message_id = {m.extra_headers["Message-ID"]: m for m in mailoutbox}
    assert len(by_message_id) == len(mailoutbox) == len(emails)
    for email in emails:
        message = by_message_id[email.message_id]
        assert message.to == [email.recipient]
        # Sent: no text kept but a notice's or reminder's, on its letter.
        assert email.body_text == email.body_html == ""
    assert {e.kind: e.recipient for e in emails} == {
        EmailKind.NOTICE: "abuse@dropbox.com",
        EmailKind.REMINDER: "abuse@dropbox.com",
        EmailKind.INVITATION: "caller@example.test",
        EmailKind.ACCOUNT: survivor.email,
        EmailKind.OVERDUE_COUNT: caseworker.email,
        EmailKind.SURVIVOR_WEEKLY: survivor.email,
        EmailKind.STAFF_WEEKLY: caseworker.email,
        EmailKind.UPDATE_NOTICE: survivor.email,
    }


@pytest.mark.django_db
def test_a_written_email_goes_as_its_owner_rendered_it(mailoutbox):
    email = outgoing_write(kind=EmailKind.INVITATION, message=_message())
    assert email.status == EmailStatus.PENDING and email.body_html == "<p>The text.</p>"
    email = outgoing_send_now(email=email)
    (message,) = mailoutbox
    assert (message.subject, message.body, message.alternatives[0][0]) == (
        "A subject",
        "The text.",
        "<p>The text.</p>",
    )
    assert message.from_email == "Case updates <updates@leakcase.invalid>"
    assert message.to == ["someone@example.test"]
    assert message.reply_to == ["replies+1@leakcase.invalid"]
    assert message.extra_headers == {
        "Auto-Submitted": "auto-generated",
        "Message-ID": email.message_id,
    }
    assert (email.status, email.attempts, email.subject, email.body_text) == (
        EmailStatus.SENT,
        1,
        "A subject",
        "",
    )


@pytest.mark.django_db
def test_an_email_someone_waits_for_gets_one_attempt_the_others_five(mailoutbox):
    """She is told at once whether an invitation or a notice went; an account email nobody
    is told about is retried."""
    invitation = outgoing_write(kind=EmailKind.INVITATION, message=_message())
    account = outgoing_write(kind=EmailKind.ACCOUNT, message=_message())
    with mock.patch(MAIL_SERVER, side_effect=OSError("down")):
        invitation = outgoing_send_now(email=invitation)
        account = outgoing_send_now(email=account)
    assert (invitation.status, invitation.attempts, invitation.next_attempt_at) == (
        EmailStatus.FAILED,
        1,
        None,
    )
    assert invitation.last_error == "OSError: down"
    assert (account.status, account.attempts) == (EmailStatus.PENDING, 1)
    assert account.next_attempt_at is not None and mailoutbox == []


@pytest.mark.django_db
def test_an_email_with_no_address_fails_at_once_and_says_why(mailoutbox):
    email = outgoing_send_now(
        email=outgoing_write(kind=EmailKind.ACCOUNT, message=_message(to=""))
    )
    assert (email.status, email.attempts) == (EmailStatus.FAILED, 1)
    assert email.last_error == "NoRecipient: no recipient address"
    assert mailoutbox == []


@pytest.mark.django_db
def test_an_email_sent_at_once_waits_for_its_writer_then_for_the_periodic_run(mailoutbox):
    """Its writer sends it at once; the periodic run leaves it alone meanwhile, and sends it
    only if the writer stopped before it could."""
    with time_machine.travel(NOW, tick=False):
        email = outgoing_write(kind=EmailKind.ACCOUNT, message=_message())
    with time_machine.travel(NOW + AT_ONCE_GRACE - dt.timedelta(seconds=1), tick=False):
        assert outgoing_deliver().attempted == 0
    with time_machine.travel(NOW + AT_ONCE_GRACE, tick=False):
        assert outgoing_deliver().sent == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and len(mailoutbox) == 1


@pytest.mark.django_db
def test_sending_after_commit_waits_for_the_commit(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        email = outgoing_write(kind=EmailKind.ACCOUNT, message=_message())
        outgoing_send_after_commit(email=email)
        assert mailoutbox == []
    assert len(callbacks) == 1 and len(mailoutbox) == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT


@pytest.mark.django_db
def test_notices_and_reminders_are_sent_again_by_their_owners_the_rest_by_staff(supervisor):
    failed = {
        kind: OutgoingEmail.objects.create(
            kind=kind, to_address="a@example.test", status=EmailStatus.FAILED, attempts=1
        )
        for kind in (EmailKind.NOTICE, EmailKind.REMINDER, EmailKind.INVITATION)
    }
    assert outgoing_send_again(email=failed[EmailKind.NOTICE], acting_user=supervisor) is False
    assert outgoing_send_again(email=failed[EmailKind.REMINDER], acting_user=supervisor) is False
    assert outgoing_send_again(email=failed[EmailKind.INVITATION], acting_user=supervisor)
    statuses = dict(OutgoingEmail.objects.values_list("kind", "status"))
    assert statuses == {
        EmailKind.NOTICE: EmailStatus.FAILED,
        EmailKind.REMINDER: EmailStatus.FAILED,
        EmailKind.INVITATION: EmailStatus.PENDING,
    }

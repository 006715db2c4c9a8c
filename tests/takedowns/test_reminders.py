"""Reminders to late platforms: once a day, three at most, never twice, even when the task
runs twenty times at once."""

import datetime as dt
import smtplib
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection

from evidence.services import sightings_log_pasted
from takedowns.models import Correspondence, TakedownRequest
from takedowns.services import (
    takedown_record_reply,
    takedown_send_email,
    takedown_send_reminder,
    takedown_update_draft,
    takedowns_draft,
    takedowns_due_a_reminder,
)
from takedowns.tasks import send_reminders

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
# What the outbox's delivery hands each email to (tests run on the locmem backend).
MAIL_SERVER = "django.core.mail.backends.locmem.EmailBackend.send_messages"


@pytest.fixture
def emailed(case, survivor, caseworker, consent):
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
    with time_machine.travel(START, tick=False):
        takedown_send_email(takedown=request, acting_user=caseworker)
    mail.outbox.clear()
    return request


def _reminders(request):
    return list(
        Correspondence.objects.filter(takedown=request, kind="reminder").order_by("sequence")
    )


def test_no_reminder_before_the_deadline(emailed):
    with time_machine.travel(START + dt.timedelta(hours=47), tick=False):
        assert send_reminders() == 0
    assert mail.outbox == []


def test_one_a_day_three_at_most_quoting_the_notice(emailed):
    for day, expected in ((2, 1), (2, 0), (3, 1), (4, 1), (5, 0), (9, 0)):
        with time_machine.travel(START + dt.timedelta(days=day, hours=1), tick=False):
            assert send_reminders() == expected, day
    assert [r.sequence for r in _reminders(emailed)] == [1, 2, 3]
    first = mail.outbox[0]
    assert first.to == ["abuse@dropbox.com"]
    assert first.subject.startswith("Reminder 1: ")
    assert "now 1 hour overdue" in first.body
    assert emailed.notice_text.strip() in first.body
    emailed.refresh_from_db()
    assert emailed.reminders_sent == 3


def test_a_failed_reminder_is_tried_again(emailed):
    """Refused for good (a 5xx): the letter fails at once, and the next run writes it anew."""
    from unittest import mock

    refused = smtplib.SMTPRecipientsRefused({"abuse@dropbox.com": (550, b"no such user")})
    with time_machine.travel(START + dt.timedelta(days=2, hours=1), tick=False):
        with mock.patch(MAIL_SERVER, side_effect=refused):
            assert send_reminders() == 0
        assert send_reminders() == 1
    assert [r.status for r in _reminders(emailed)] == ["failed", "sent"]


def test_a_reminder_the_mail_server_could_not_take_yet_is_retried_by_the_outbox(emailed):
    """A mail server that is away: the outbox tries the reminder's email again a minute
    later, as it does every email; the reminder counts, once, when it went."""
    from unittest import mock

    from cases.models import CaseEvent, EventKind
    from outbox.models import RETRY_AFTER, EmailKind, EmailStatus, OutgoingEmail
    from outbox.services import outgoing_deliver

    moment = START + dt.timedelta(days=2, hours=1)
    with time_machine.travel(moment, tick=False):
        with mock.patch(MAIL_SERVER, side_effect=OSError("down")):
            assert send_reminders() == 0
        assert send_reminders() == 0  # not a second reminder: this one is on its way
        (letter,) = _reminders(emailed)
        assert letter.status == "pending"
        email = OutgoingEmail.objects.get(kind=EmailKind.REMINDER)
        assert (email.status, email.attempts, email.next_attempt_at) == (
            EmailStatus.PENDING,
            1,
            moment + RETRY_AFTER[0],
        )
        assert mail.outbox == []
    with time_machine.travel(moment + RETRY_AFTER[0], tick=False):
        assert outgoing_deliver().sent == 1
        assert send_reminders() == 0  # settles the one that went; none other is due yet
    (letter,) = _reminders(emailed)
    assert (letter.status, letter.sent_at) == ("sent", moment + RETRY_AFTER[0])
    assert [m.subject[:11] for m in mail.outbox] == ["Reminder 1:"]
    emailed.refresh_from_db()
    assert emailed.reminders_sent == 1
    (event,) = CaseEvent.objects.filter(kind=EventKind.TAKEDOWN_REMINDER)
    assert event.new_value == {"sequence": 1, "hours_overdue": 1}
    # Settling again changes nothing.
    with time_machine.travel(moment + RETRY_AFTER[0], tick=False):
        assert send_reminders() == 0
    emailed.refresh_from_db()
    assert emailed.reminders_sent == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_runs_at_once_send_each_reminder_once(
    platform_directory, case, survivor, caseworker, consent
):
    requests = []
    for n in range(3):
        sightings = sightings_log_pasted(
            case=case, text=f"https://www.dropbox.com/s/{n}/1.jpg", acting_user=survivor
        ).saved
        (request,) = takedowns_draft(case=case, sightings=sightings, acting_user=caseworker)
        requests.append(request)
    # Dropbox groups them into one draft; make three sent requests by hand instead.
    TakedownRequest.objects.filter(pk__in=[r.pk for r in requests]).update(
        status="sent", channel="email", sent_at=START, due_at=START + dt.timedelta(hours=48)
    )
    waiting = list(TakedownRequest.objects.filter(status="sent"))
    for request in waiting:
        Correspondence.objects.create(
            takedown=request, direction="out", kind="notice", channel="email",
            subject="Removal request under the TAKE IT DOWN Act", status="sent",
        )  # fmt: skip
    mail.outbox.clear()
    barrier = threading.Barrier(20)
    errors = []

    def run():
        try:
            barrier.wait()
            with time_machine.travel(START + dt.timedelta(days=3), tick=False):
                send_reminders()
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = list(Correspondence.objects.filter(kind="reminder").values_list("status", "error"))
    assert len(mail.outbox) == len(waiting), rows
    assert Correspondence.objects.filter(kind="reminder", status="sent").count() == len(waiting)


def test_no_reminder_without_someone_to_receive_it(emailed):
    from platforms.models import Platform

    Platform.objects.filter(pk=emailed.platform_id).update(abuse_email="")
    with time_machine.travel(START + dt.timedelta(days=3), tick=False):
        assert send_reminders() == 0
    assert not Correspondence.objects.filter(kind="reminder").exists()


def test_caseworkers_get_one_overdue_digest_a_day_with_counts_only(emailed, case, caseworker):
    from cases.services import case_assign
    from takedowns.services import overdue_digests_send

    case_assign(case=case, to=caseworker, acting_user=caseworker)
    mail.outbox.clear()
    later = START + dt.timedelta(days=3)
    with time_machine.travel(later, tick=False):
        assert overdue_digests_send(base_url="https://leakcase.example") == 1
        assert overdue_digests_send(base_url="https://leakcase.example") == 0
    (message,) = mail.outbox
    assert message.to == [caseworker.email]
    assert message.subject == "1 request past due"
    html = message.alternatives[0][0]
    for body in (message.body, html):
        assert "https://leakcase.example/caseload/?tab=overdue" in body
        for private in (case.reference, case.pseudonym, "Dropbox", "dropbox.com", "Rose"):
            assert private not in body
    with time_machine.travel(later + dt.timedelta(days=1), tick=False):
        assert overdue_digests_send(base_url="https://leakcase.example") == 1


def test_no_reminder_once_she_withdraws_her_consent(emailed, case, survivor):
    from django.core.exceptions import ValidationError

    from cases.services import case_set_consent
    from takedowns.services import takedown_send_reminder

    case_set_consent(case=case, given=False, acting_user=survivor)
    with time_machine.travel(START + dt.timedelta(days=3), tick=False):
        assert send_reminders() == 0
        emailed.case.refresh_from_db()
        with pytest.raises(ValidationError, match="her consent to LeakCase writing"):
            takedown_send_reminder(takedown=emailed)
    assert mail.outbox == []
    assert not Correspondence.objects.filter(kind="reminder").exists()


def test_reminders_go_to_an_address_outside_the_directory_only_once_approved(emailed, caseworker):
    """A request sent to an address typed in (as any account could, before approvals) is
    not reminded until a caseworker approves the address."""
    from django.core.exceptions import ValidationError

    from takedowns.services import takedown_approve_recipient, takedown_send_reminder

    TakedownRequest.objects.filter(pk=emailed.pk).update(recipient_email="victim@example.org")
    emailed.refresh_from_db()
    with time_machine.travel(START + dt.timedelta(days=3), tick=False):
        assert send_reminders() == 0
        with pytest.raises(ValidationError, match="A caseworker must approve this address"):
            takedown_send_reminder(takedown=emailed)
        assert mail.outbox == []
        assert not Correspondence.objects.filter(kind="reminder").exists()
        takedown_approve_recipient(takedown=emailed, acting_user=caseworker)
        assert send_reminders() == 1
    assert mail.outbox[0].to == ["victim@example.org"]


def _platform_answers_removed(pk, user):
    takedown_record_reply(
        takedown=TakedownRequest.objects.get(pk=pk),
        body="We removed it.",
        decision="removed",
        acting_user=user,
    )


@pytest.mark.django_db(transaction=True)
def test_no_reminder_for_a_request_answered_after_it_was_picked(
    platform_directory, emailed, caseworker, in_another_connection
):
    """The worker picked the request as overdue; before it sends, a caseworker records the
    platform's answer (another connection). No reminder goes to a platform that removed it."""
    with time_machine.travel(START + dt.timedelta(days=3), tick=False):
        (picked,) = takedowns_due_a_reminder()
        in_another_connection(_platform_answers_removed, emailed.pk, caseworker)
        assert takedown_send_reminder(takedown=picked) is None
    assert mail.outbox == []
    assert _reminders(emailed) == []
    emailed.refresh_from_db()
    assert (emailed.status, emailed.reminders_sent) == ("removed", 0)

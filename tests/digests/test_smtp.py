"""The weekly emails through a real SMTP conversation with a server the test starts."""

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from accounts.models import Role, User
from cases.services import case_open
from digests.models import WeeklyStatus
from digests.services import weekly_status_run
from outbox.models import MAX_ATTEMPTS, RETRY_AFTER, EmailStatus, OutgoingEmail
from outbox.services import outgoing_deliver
from tests.conftest import confirm_email, free_port
from tests.digests.conftest import NOW

ROOT = Path(__file__).resolve().parents[2]


def people_due(n, *, now=NOW):
    people = []
    for i in range(n):
        person = confirm_email(
            User.objects.create_user(email=f"p{i}@example.test", role=Role.SURVIVOR)
        )
        case_open(survivor=person, pseudonym="P", acting_user=person)
        WeeklyStatus.objects.create(user=person, next_digest_at=now - dt.timedelta(minutes=1))
        people.append(person)
    return people


@pytest.mark.django_db
def test_a_digest_makes_a_real_smtp_round_trip(smtp_server, settings):
    (person,) = people_due(1)
    with time_machine.travel(NOW, tick=False):
        assert weekly_status_run().sent == 1
    ((recipients, message),) = smtp_server.messages
    assert recipients == [person.email]
    assert message["Subject"] == settings.WEEKLY_STATUS_SUBJECT
    assert message["From"] == settings.WEEKLY_STATUS_FROM_EMAIL
    assert (
        message["List-Unsubscribe"].strip().startswith(f"<{settings.SITE_URL}/email/unsubscribe/")
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"] == OutgoingEmail.objects.get().message_id
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "still working on it" in text and "still working on it" in html  # a quiet week
    assert OutgoingEmail.objects.get().status == EmailStatus.SENT


@pytest.mark.django_db
def test_a_temporary_refusal_is_retried_with_backoff(smtp_server):
    people_due(1)
    smtp_server.answer = lambda n, envelope: "451 4.3.0 Try again later" if n <= 2 else None
    moment = NOW
    with time_machine.travel(moment, tick=False):
        report = weekly_status_run()
    assert (report.sent, report.retrying) == (0, 1)
    email = OutgoingEmail.objects.get()
    assert email.status == EmailStatus.PENDING and email.attempts == 1
    assert "451" in email.last_error
    assert email.next_attempt_at == moment + RETRY_AFTER[0]
    with time_machine.travel(moment + RETRY_AFTER[0] - dt.timedelta(seconds=1), tick=False):
        assert outgoing_deliver().attempted == 0  # not yet
    moment += RETRY_AFTER[0]
    with time_machine.travel(moment, tick=False):
        assert outgoing_deliver().retrying == 1
    moment += RETRY_AFTER[1]
    with time_machine.travel(moment, tick=False):
        assert outgoing_deliver().sent == 1
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (EmailStatus.SENT, 3, "")
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db
def test_a_permanent_refusal_fails_at_once_and_the_rest_still_go(smtp_server):
    first, second = people_due(2)
    refused = first.email
    smtp_server.answer = lambda n, envelope: (
        "550 5.1.1 Mailbox unavailable" if refused in envelope.rcpt_tos else None
    )
    with time_machine.travel(NOW, tick=False):
        report = weekly_status_run()
    assert (report.sent, report.failed) == (1, 1)
    failed = OutgoingEmail.objects.get(user=first)
    assert failed.status == EmailStatus.FAILED and "550" in failed.last_error
    assert smtp_server.recipients() == [second.email]


@pytest.mark.django_db
def test_too_many_temporary_failures_become_a_failure(smtp_server):
    people_due(1)
    smtp_server.answer = lambda n, envelope: "451 4.3.0 Try again later"
    moment = NOW
    for attempt in range(MAX_ATTEMPTS):
        with time_machine.travel(moment, tick=False):
            weekly_status_run()
        if attempt < len(RETRY_AFTER):
            moment += RETRY_AFTER[attempt]
    email = OutgoingEmail.objects.get()
    assert (email.status, email.attempts) == (EmailStatus.FAILED, MAX_ATTEMPTS)


@pytest.mark.django_db
def test_a_mail_server_that_is_down_costs_one_attempt_not_all(settings):
    people_due(3)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    with time_machine.travel(NOW, tick=False):
        report = weekly_status_run()
    assert (report.retrying, report.stopped_early) == (1, True)
    attempts = sorted(OutgoingEmail.objects.values_list("attempts", flat=True))
    assert attempts == [0, 0, 1]


def _sender(smtp_port):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "leakcase.settings_test",
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(
            **{k: connection.settings_dict[k] or "" for k in ("USER", "HOST", "PORT", "NAME")}
        ),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "send_weekly_status"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.django_db(transaction=True)
def test_a_sender_killed_mid_batch_then_run_again_sends_each_digest_once(smtp_server):
    """The sender is killed with SIGKILL while the mail server holds the 3rd message, the
    worst moment: the server has it, the database still says "sending". Run again, every
    due digest has arrived exactly once, and the 3rd is not sent a second time."""
    people = people_due(5, now=timezone.now())
    smtp_server.hold_at = 3
    first = _sender(smtp_server.port)
    try:
        assert smtp_server.holding.wait(60), first.communicate(timeout=5)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        smtp_server.release.set()
    states = sorted(OutgoingEmail.objects.values_list("status", flat=True))
    assert states == ["pending", "pending", "sending", "sent", "sent"]

    second = _sender(smtp_server.port)
    _, err = second.communicate(timeout=60)
    assert second.returncode == 0, err.decode()[-2000:]
    assert sorted(smtp_server.recipients()) == sorted(p.email for p in people)

    # Later runs find the interrupted one and leave it for staff, never sending it again.
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        report = outgoing_deliver()
    assert (report.interrupted, report.sent) == (1, 0)
    assert sorted(smtp_server.recipients()) == sorted(p.email for p in people)
    assert OutgoingEmail.objects.filter(status=EmailStatus.UNCONFIRMED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_senders_side_by_side_deliver_each_email_once(smtp_server):
    people = people_due(30, now=timezone.now())
    report = weekly_status_run(senders=3)
    assert (report.sent, report.failed, report.retrying) == (30, 0, 0)
    assert sorted(smtp_server.recipients()) == sorted(p.email for p in people)
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {EmailStatus.SENT}

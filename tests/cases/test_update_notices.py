"""The neutral "You have an update" email (cases.update_notices): what it says, and what it
must never say."""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings

from cases.models import UpdateNotice
from cases.services import case_assign
from cases.thread_services import message_post, thread_mark_read
from cases.update_notices import (
    update_notice_set,
    update_notice_settings_for,
    update_notices_send_due,
)
from outbox.models import EmailKind, EmailStatus, OutgoingEmail

SECRET_TEXT = "the video is on badsite dot com, my name is Jane Doe"
URL = re.compile(r"https?://[^\s\"'<>]+")


@pytest.fixture
def assigned(case, caseworker):
    return case_assign(case=case, to=caseworker, acting_user=caseworker)


def test_the_notice_says_there_is_an_update_and_carries_only_the_sign_in_link(
    assigned, survivor, caseworker, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message_post(case=assigned, body=SECRET_TEXT, acting_user=caseworker)
    (message,) = mailoutbox
    assert message.to == [survivor.email]
    assert message.subject == "You have an update"
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    html = message.alternatives[0][0]
    sign_in = settings.SITE_URL.rstrip("/") + "/accounts/login/"
    for body in (message.body, html):
        assert set(URL.findall(body)) == {sign_in}
        for never in (
            SECRET_TEXT,
            "Jane",
            "badsite",
            assigned.reference,
            assigned.pseudonym,
            str(caseworker),
            caseworker.email,
        ):
            assert never not in body
            assert never not in message.subject
    # Sent through the one outbox, and nothing of it kept once sent.
    (row,) = OutgoingEmail.objects.filter(kind=EmailKind.UPDATE_NOTICE)
    assert (row.status, row.body_text, row.body_html) == (EmailStatus.SENT, "", "")


def test_her_setting_is_on_until_she_turns_it_off(survivor):
    assert update_notice_settings_for(survivor).enabled is True
    assert update_notice_set(user=survivor, enabled=False).enabled is False
    assert update_notice_settings_for(survivor).enabled is False
    assert update_notice_set(user=survivor, enabled=True).enabled is True


# --- a message within the hour: one more notice at its end, if still unread -------------

T0 = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC)


def notices_to(user):
    return OutgoingEmail.objects.filter(user=user, kind=EmailKind.UPDATE_NOTICE).count()


def test_a_reply_within_the_hour_gets_its_notice_when_the_hour_is_up(
    assigned, survivor, caseworker
):
    with time_machine.travel(T0, tick=False):
        message_post(case=assigned, body="First reply", acting_user=caseworker)
    with time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False):
        message_post(case=assigned, body="Second reply", acting_user=caseworker)
    assert notices_to(survivor) == 1
    assert UpdateNotice.objects.get(user=survivor).due_at == T0 + dt.timedelta(hours=1)
    assert update_notices_send_due(now=T0 + dt.timedelta(minutes=59)) == 0
    assert update_notices_send_due(now=T0 + dt.timedelta(hours=1)) == 1
    assert notices_to(survivor) == 2
    notice = UpdateNotice.objects.get(user=survivor)
    assert (notice.due_at, notice.last_sent_at) == (None, T0 + dt.timedelta(hours=1))
    assert update_notices_send_due(now=T0 + dt.timedelta(hours=2)) == 0  # once


def test_an_owed_notice_is_dropped_when_she_has_read_everything(assigned, survivor, caseworker):
    with time_machine.travel(T0, tick=False):
        message_post(case=assigned, body="First reply", acting_user=caseworker)
    with time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False):
        second, _ = message_post(case=assigned, body="Second reply", acting_user=caseworker)
    thread_mark_read(case=assigned, user=survivor, up_to=second.created_at)
    assert update_notices_send_due(now=T0 + dt.timedelta(hours=1)) == 0
    assert notices_to(survivor) == 1
    assert UpdateNotice.objects.get(user=survivor).due_at is None


def test_an_owed_notice_is_dropped_when_she_turned_them_off(assigned, survivor, caseworker):
    with time_machine.travel(T0, tick=False):
        message_post(case=assigned, body="First reply", acting_user=caseworker)
    with time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False):
        message_post(case=assigned, body="Second reply", acting_user=caseworker)
    update_notice_set(user=survivor, enabled=False)
    assert update_notices_send_due(now=T0 + dt.timedelta(hours=1)) == 0
    assert notices_to(survivor) == 1


def test_the_periodic_task_sends_what_is_owed(assigned, survivor, caseworker):
    from cases.tasks import send_due_update_notices

    with time_machine.travel(T0, tick=False):
        message_post(case=assigned, body="First", acting_user=survivor)
        message_post(case=assigned, body="Second", acting_user=survivor)
    with time_machine.travel(T0 + dt.timedelta(hours=1, minutes=1), tick=False):
        assert send_due_update_notices() == 1
    assert notices_to(caseworker) == 2

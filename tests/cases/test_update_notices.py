"""The neutral "You have an update" email (cases.update_notices): what it says, and what it
must never say."""

import re

import pytest
from django.conf import settings

from cases.services import case_assign
from cases.thread_services import message_post
from cases.update_notices import update_notice_set, update_notice_settings_for
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

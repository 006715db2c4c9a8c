import re

import pytest
from django.urls import reverse

from digests.messages import (
    digest_message,
    unsubscribe_token,
    user_id_for_unsubscribe_token,
)
from digests.selectors import staff_counts, survivor_counts
from outbox.models import EmailKind, OutgoingEmail
from tests.digests.conftest import NOW, Week

pytestmark = pytest.mark.django_db


def render(user, counts, kind):
    email = OutgoingEmail(user=user, kind=kind, scheduled_for=NOW, counts=counts)
    message = digest_message(email, to=user.email)
    return message, message.body, message.alternatives[0][0]


@pytest.fixture
def week(survivor, caseworker):
    return Week(survivor, caseworker)


def test_her_digest_says_the_counts_and_nothing_of_hers(week, survivor, settings):
    counts = survivor_counts([survivor], now=NOW)[survivor.pk]
    message, text, html = render(survivor, counts, EmailKind.SURVIVOR_WEEKLY)
    for body in (text, re.sub(r"<[^>]+>", " ", html)):
        assert re.search(r"Links reported\D+6\b", body)
        assert re.search(r"Removed this week\D+1\b", body)
        assert re.search(r"Removed in all\D+2\b", body)
        assert re.search(r"Still up\D+4\b", body)
        assert re.search(r"Requests waiting on a reply\D+2\b", body)
        assert re.search(r"3\s+things need you", body)
    for body in (text, html):
        assert settings.SITE_URL + "/" in body
    secrets = week.secrets()
    assert len(secrets) > 20
    headers = str(message.message()).replace(survivor.email, "")  # To: is hers, rightly
    for secret in secrets:
        for part in (message.subject, text, html, headers):
            assert secret.lower() not in part.lower(), secret
    assert message.subject == settings.WEEKLY_STATUS_SUBJECT
    assert message.from_email == settings.WEEKLY_STATUS_FROM_EMAIL


def test_a_quiet_week_is_a_short_still_working_note(week, survivor):
    counts = {**survivor_counts([survivor], now=NOW)[survivor.pk], "quiet_week": True}
    _, text, html = render(survivor, counts, EmailKind.SURVIVOR_WEEKLY)
    for body in (text, html):
        assert "still working on it" in body
        assert "Removed this week" not in body


def test_the_unsubscribe_link_and_header_are_signed(survivor, week):
    counts = survivor_counts([survivor], now=NOW)[survivor.pk]
    message, text, html = render(survivor, counts, EmailKind.SURVIVOR_WEEKLY)
    token = unsubscribe_token(survivor.pk)
    link = reverse("digests:unsubscribe", args=[token])
    assert link in text and link in html
    assert message.extra_headers["List-Unsubscribe"].endswith(link + ">")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert user_id_for_unsubscribe_token(token) == survivor.pk
    assert user_id_for_unsubscribe_token(token[:-2] + "xx") is None
    assert user_id_for_unsubscribe_token("not-a-token") is None


def test_the_staff_digest_has_her_caseload_and_for_supervisors_the_service(
    week, caseworker, supervisor
):
    counts = staff_counts([caseworker, supervisor], now=NOW)
    _, text, html = render(caseworker, counts[caseworker.pk], EmailKind.STAFF_WEEKLY)
    for body in (text, html):
        assert "Cases assigned to you" in body
        assert "The whole service" not in body
    _, text, html = render(supervisor, counts[supervisor.pk], EmailKind.STAFF_WEEKLY)
    for body in (text, html):
        assert "The whole service" in body
        assert "Platforms most overdue" in body and "Reddit" in body
        # Staff digests are counts too: no case, no survivor, no address.
        for case in week.cases:
            assert case.reference not in body and case.pseudonym not in body
        for sighting in week.sightings:
            assert sighting.url not in body


def test_the_html_needs_nothing_from_elsewhere(week, survivor):
    counts = survivor_counts([survivor], now=NOW)[survivor.pk]
    _, _, html = render(survivor, counts, EmailKind.SURVIVOR_WEEKLY)
    assert "<img" not in html and "<link" not in html and "<script" not in html
    assert "<style" not in html  # inline styles only: mail clients drop style blocks

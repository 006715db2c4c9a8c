"""An OutgoingEmail row and its email, both ways."""

import pytest
from django.core.mail import EmailMessage

from outbox.messages import NoRecipient, message_fields, outgoing_message
from outbox.models import EmailKind, OutgoingEmail
from tests.digests.conftest import NOW


def test_an_html_only_message_comes_back_html_only():
    """allauth sends a message as HTML alone when it has no text template."""
    message = EmailMessage(subject="S", body="<p>Hi</p>", to=["a@example.test"])
    message.content_subtype = "html"
    fields = message_fields(message)
    assert (fields["body_text"], fields["body_html"]) == ("", "<p>Hi</p>")
    again = outgoing_message(OutgoingEmail(kind=EmailKind.ACCOUNT, **fields), to="a@example.test")
    assert (again.content_subtype, again.body) == ("html", "<p>Hi</p>")
    assert again.alternatives == []


def test_a_message_id_given_by_its_owner_is_the_rows():
    message = EmailMessage(
        subject="S", body="B", to=["a@example.test"], headers={"Message-ID": "<n@x.test>"}
    )
    fields = message_fields(message)
    assert (fields["message_id"], fields["headers"]) == ("<n@x.test>", {})


def test_nobody_to_send_to_is_an_error_not_a_silent_skip():
    with pytest.raises(NoRecipient):
        outgoing_message(OutgoingEmail(kind=EmailKind.ACCOUNT, subject="S"), to="")


@pytest.mark.django_db
def test_weekly_status_emails_are_built_by_digests_when_they_are_sent(survivor, settings):
    """Their row keeps counts, not a message: the builder digests registered makes it."""
    email = OutgoingEmail(
        user=survivor,
        kind=EmailKind.SURVIVOR_WEEKLY,
        scheduled_for=NOW,
        counts={"quiet_week": True},
        message_id="<w@x.test>",
    )
    message = outgoing_message(email, to=survivor.email)
    assert message.subject == settings.WEEKLY_STATUS_SUBJECT
    assert message.from_email == settings.WEEKLY_STATUS_FROM_EMAIL
    assert message.extra_headers["Message-ID"] == "<w@x.test>"
    assert message.extra_headers["List-Unsubscribe"].startswith(f"<{settings.SITE_URL}")

"""accounts/adapter.py: allauth's mail goes through the outbox like every other email."""

from unittest import mock

import pytest
from django.urls import reverse

from accounts.models import User
from outbox.models import EmailKind, EmailStatus, OutgoingEmail
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
MAIL_SERVER = "django.core.mail.backends.locmem.EmailBackend.send_messages"


def test_a_password_reset_is_a_row_in_the_outbox_sent_after_commit(
    client, survivor, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as waiting:
        client.post(reverse("account_reset_password"), {"email": survivor.email})
    email = OutgoingEmail.objects.get()
    assert (email.kind, email.user, email.to_address, email.status) == (
        EmailKind.ACCOUNT,
        survivor,
        survivor.email,
        EmailStatus.PENDING,
    )
    assert email.subject == "Your password reset link" and "/password/reset/key/" in (
        email.body_text
    )
    assert mailoutbox == []  # not before the request's transaction commits
    for callback in waiting:
        callback()
    (message,) = mailoutbox
    email.refresh_from_db()
    assert message.extra_headers["Message-ID"] == email.message_id
    assert (email.status, email.body_text) == (EmailStatus.SENT, "")  # the link is not kept


def test_a_mail_server_that_is_down_at_sign_up_leaves_the_confirmation_to_the_outbox(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    """Before, the mail server's refusal came out of allauth's send as an error page and her
    link was lost; now she is signed up and the outbox tries again a minute later."""
    with (
        mock.patch(MAIL_SERVER, side_effect=OSError("down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            reverse("account_signup"),
            {"email": "new@example.test", "password1": PASSWORD, "password2": PASSWORD},
        )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.test")
    email = OutgoingEmail.objects.get(user=user)
    assert (email.kind, email.status, email.attempts, email.last_error) == (
        EmailKind.ACCOUNT,
        EmailStatus.PENDING,
        1,
        "OSError: down",
    )
    assert email.subject == "Confirm your email address" and mailoutbox == []

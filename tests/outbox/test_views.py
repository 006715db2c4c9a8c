import datetime as dt

import pytest
from django.urls import reverse

from outbox.models import EmailKind, EmailStatus, OutgoingEmail
from tests.digests.conftest import NOW

pytestmark = pytest.mark.django_db


class TestOutbox:
    def test_supervisors_see_failures_and_can_send_again(self, client, supervisor, survivor):
        failed = OutgoingEmail.objects.create(
            user=survivor,
            kind=EmailKind.SURVIVOR_WEEKLY,
            scheduled_for=NOW,
            status=EmailStatus.FAILED,
            attempts=5,
            last_error="SMTPRecipientsRefused: 550 Mailbox unavailable",
        )
        OutgoingEmail.objects.create(
            user=survivor, kind=EmailKind.SURVIVOR_WEEKLY, scheduled_for=NOW - dt.timedelta(7)
        )
        client.force_login(supervisor)
        body = client.get(reverse("outbox:outbox")).content.decode()
        assert "550 Mailbox unavailable" in body and survivor.email in body
        response = client.post(reverse("outbox:send_again", args=[failed.pk]), follow=True)
        assert "queued" in response.content.decode()
        failed.refresh_from_db()
        assert (failed.status, failed.attempts) == (EmailStatus.PENDING, 0)
        again = client.post(reverse("outbox:send_again", args=[failed.pk]))
        assert again.status_code == 404  # no longer a problem to resend

    def test_the_outbox_costs_a_few_queries(
        self, client, supervisor, survivor, django_assert_max_num_queries
    ):
        for days in range(30):
            OutgoingEmail.objects.create(
                user=survivor,
                kind=EmailKind.SURVIVOR_WEEKLY,
                scheduled_for=NOW - dt.timedelta(days=days),
                status=EmailStatus.FAILED,
            )
        client.force_login(supervisor)
        client.get(reverse("outbox:outbox"))
        with django_assert_max_num_queries(8):
            assert client.get(reverse("outbox:outbox")).status_code == 200


def test_the_outbox_shows_every_kind_with_its_address(client, supervisor, survivor):
    """A failed invitation, password reset and notice are shown as the weekly ones are; the
    invitation is sent again from here, the notice from its request."""
    rows = {
        kind: OutgoingEmail.objects.create(
            kind=kind,
            to_address=address,
            user=user,
            status=EmailStatus.FAILED,
            attempts=1,
            last_error=f"SMTPDataError: (550, b'{kind} refused')",
        )
        for kind, address, user in (
            (EmailKind.INVITATION, "caller@example.test", None),
            (EmailKind.ACCOUNT, "second@example.test", survivor),
            (EmailKind.NOTICE, "abuse@platform.example", None),
        )
    }
    client.force_login(supervisor)
    page = client.get(reverse("outbox:outbox")).content.decode()
    for label, address in (
        ("Invitation to claim a case", "caller@example.test"),
        ("Account email", "second@example.test"),  # the address it went to, not her login
        ("Takedown notice", "abuse@platform.example"),
    ):
        assert label in page and address in page
    assert reverse("outbox:send_again", args=[rows[EmailKind.NOTICE].pk]) not in page
    assert "Sent again from its request" in page
    response = client.post(
        reverse("outbox:send_again", args=[rows[EmailKind.INVITATION].pk]), follow=True
    )
    assert "queued" in response.content.decode()
    rows[EmailKind.INVITATION].refresh_from_db()
    assert rows[EmailKind.INVITATION].status == EmailStatus.PENDING

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


def _counts_table(page: str) -> str:
    return page[page.index('id="counts-heading"') : page.index('id="list-heading"')]


def _email_list(page: str) -> str:
    return page[page.index('id="list-heading"') :]


class TestEveryKindCounted:
    """The outbox counts every kind of email by state, from the model's choices, and lists
    the emails of the kind and state chosen, each named in words."""

    def test_every_kind_of_the_choices_has_its_row_with_a_count_per_state(
        self, client, supervisor, survivor
    ):
        for kind, status in (
            (EmailKind.NOTICE, EmailStatus.SENT),
            (EmailKind.NOTICE, EmailStatus.SENT),
            (EmailKind.REMINDER, EmailStatus.PENDING),
            (EmailKind.OVERDUE_COUNT, EmailStatus.FAILED),
            (EmailKind.INVITATION, EmailStatus.UNCONFIRMED),
        ):
            OutgoingEmail.objects.create(kind=kind, status=status, to_address="a@example.test")
        client.force_login(supervisor)
        counts = _counts_table(client.get(reverse("outbox:outbox")).content.decode())
        for label in EmailKind.labels:  # none sent yet counts too: a row of zeros
            assert f'<th scope="row">{label}' in counts
        for label in EmailStatus.labels:
            assert f'<th scope="col">{label}</th>' in counts
        assert 'aria-label="2 Takedown notice: Sent">2</a>' in counts
        assert 'aria-label="1 Reminder to a platform: Waiting to be sent">1</a>' in counts
        assert 'aria-label="1 Daily overdue count (staff): Failed">1</a>' in counts
        assert (
            'aria-label="1 Invitation to claim a case: Interrupted while sending">1</a>' in counts
        )
        assert '<td data-label="All">5</td>' in counts  # the foot: every kind, every state

    def test_a_kind_no_longer_among_the_choices_is_counted_by_its_stored_name(
        self, client, supervisor
    ):
        OutgoingEmail.objects.create(kind="fax_notice", status=EmailStatus.SENT)
        client.force_login(supervisor)
        page = client.get(reverse("outbox:outbox")).content.decode()
        assert "fax_notice" in _counts_table(page) and "(no longer sent)" in page
        listed = client.get(reverse("outbox:outbox"), {"kind": "fax_notice", "state": "sent"})
        assert listed.status_code == 200
        assert "1 email: fax_notice (no longer sent), sent" in listed.content.decode()

    def test_the_list_filters_by_kind_and_state_and_names_each_kind(
        self, client, supervisor, survivor, django_assert_max_num_queries
    ):
        OutgoingEmail.objects.create(
            kind=EmailKind.STAFF_WEEKLY, to_address="staff@example.test", status="sent"
        )
        OutgoingEmail.objects.create(
            kind=EmailKind.STAFF_WEEKLY, to_address="waiting@example.test", status="pending"
        )
        OutgoingEmail.objects.create(
            kind=EmailKind.ACCOUNT, to_address="account@example.test", status="sent"
        )
        client.force_login(supervisor)
        with django_assert_max_num_queries(7):
            response = client.get(
                reverse("outbox:outbox"), {"kind": EmailKind.STAFF_WEEKLY, "state": "sent"}
            )
        assert response.status_code == 200
        listed = _email_list(response.content.decode())
        assert "1 email: weekly status (staff), sent" in listed
        assert '<td data-label="Kind">Weekly status (staff)</td>' in listed
        assert '<td data-label="State">Sent</td>' in listed
        assert "staff@example.test" in listed
        assert "waiting@example.test" not in listed and "account@example.test" not in listed

        every = _email_list(
            client.get(reverse("outbox:outbox"), {"kind": "", "state": ""}).content.decode()
        )
        assert all(a in every for a in ("staff@", "waiting@", "account@"))
        assert "Send again" not in every  # nothing failed

    def test_by_default_it_lists_what_needs_a_look(self, client, supervisor):
        OutgoingEmail.objects.create(kind=EmailKind.ACCOUNT, to_address="ok@example.test")
        client.force_login(supervisor)
        listed = _email_list(client.get(reverse("outbox:outbox")).content.decode())
        assert "None need a look: every email went out." in listed
        assert "ok@example.test" not in listed

    @pytest.mark.parametrize(
        "params", [{"kind": "no_such_kind"}, {"state": "lost"}, {"kind": "x", "state": "y"}]
    )
    def test_an_unknown_filter_is_refused_in_words(self, client, supervisor, params):
        OutgoingEmail.objects.create(kind=EmailKind.ACCOUNT, to_address="ok@example.test")
        client.force_login(supervisor)
        response = client.get(reverse("outbox:outbox"), params)
        assert response.status_code == 400
        page = response.content.decode()
        assert "Those filters were not understood; no emails are listed" in page
        assert "is not one of the available choices" in page
        assert "ok@example.test" not in _email_list(page)

    def test_the_list_pages_past_fifty(self, client, supervisor):
        OutgoingEmail.objects.bulk_create(
            OutgoingEmail(kind=EmailKind.ACCOUNT, to_address=f"p{i}@example.test", status="sent")
            for i in range(53)
        )
        client.force_login(supervisor)
        first = client.get(reverse("outbox:outbox"), {"state": "sent"}).content.decode()
        assert first.count('<td data-label="Kind">') == 50 and "Page 1 of 2" in first
        assert "?state=sent&amp;page=2" in first
        second = client.get(reverse("outbox:outbox"), {"state": "sent", "page": 2})
        assert second.content.decode().count('<td data-label="Kind">') == 3

"""The one delivery: every kind of email is a row, claimed, leased, retried and sent the
same way (weekly status emails set up through digests' claims, as the beat makes them)."""

import datetime as dt

import pytest
import time_machine

from digests.services import digests_claim_due, weekly_status_run
from outbox.models import EmailStatus, OutgoingEmail
from outbox.services import (
    SENDING_LEASE,
    outgoing_deliver,
    outgoing_mark_interrupted,
    outgoing_send_again,
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

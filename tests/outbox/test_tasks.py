import datetime as dt

import pytest
from django.utils import timezone

from outbox.models import EmailKind, EmailStatus, OutgoingEmail
from outbox.tasks import deliver_outgoing

pytestmark = pytest.mark.django_db(transaction=True)  # its senders have connections of their own


def test_the_periodic_run_sends_every_due_email_whatever_its_kind(mailoutbox):
    due = timezone.now() - dt.timedelta(seconds=1)
    for kind in (EmailKind.ACCOUNT, EmailKind.OVERDUE_COUNT, EmailKind.INVITATION):
        OutgoingEmail.objects.create(
            kind=kind,
            to_address=f"{kind}@example.test",
            subject="S",
            body_text="B",
            next_attempt_at=due,
        )
    later = OutgoingEmail.objects.create(
        kind=EmailKind.ACCOUNT,
        to_address="later@example.test",
        subject="S",
        body_text="B",
        next_attempt_at=timezone.now() + dt.timedelta(minutes=1),
    )
    assert deliver_outgoing() == 3
    assert sorted(m.to[0] for m in mailoutbox) == [
        "account@example.test",
        "invitation@example.test",
        "overdue_count@example.test",
    ]
    later.refresh_from_db()
    assert later.status == EmailStatus.PENDING

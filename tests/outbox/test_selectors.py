import datetime as dt

import pytest

from outbox.models import EmailKind, EmailStatus, OutgoingEmail
from outbox.selectors import outbox_counts, outbox_problems, outbox_summary
from tests.digests.conftest import NOW

pytestmark = pytest.mark.django_db


def test_the_summary_and_the_problems_count_every_kind(survivor):
    def row(kind, status, **fields):
        return OutgoingEmail.objects.create(
            kind=kind, to_address="a@example.test", status=status, **fields
        )

    row(EmailKind.ACCOUNT, EmailStatus.PENDING)
    row(EmailKind.NOTICE, EmailStatus.SENT, sent_at=NOW - dt.timedelta(days=1))
    row(EmailKind.REMINDER, EmailStatus.SENT, sent_at=NOW - dt.timedelta(days=8))  # older
    failed = row(EmailKind.INVITATION, EmailStatus.FAILED)
    interrupted = row(EmailKind.OVERDUE_COUNT, EmailStatus.UNCONFIRMED)
    weekly = OutgoingEmail.objects.create(
        user=survivor,
        kind=EmailKind.SURVIVOR_WEEKLY,
        scheduled_for=NOW,
        status=EmailStatus.FAILED,
    )
    summary = outbox_summary(now=NOW)
    assert (summary.pending, summary.sent_this_week, summary.problems) == (1, 1, 3)
    # The page passes its counts by kind and state: the same summary, from them.
    assert outbox_summary(now=NOW, counts=outbox_counts()) == summary
    assert set(outbox_problems()) == {failed, interrupted, weekly}

"""Data migrations of takedowns, run against PostgreSQL with rows in the tables."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from outbox.models import EmailKind, EmailStatus, OutgoingEmail
from outbox.services import outgoing_deliver, outgoing_send_again

BEFORE_THE_OUTBOX = [("takedowns", "0012_correspondence_email")]
DAY = dt.date(2026, 11, 30)
WRITTEN = dt.datetime(2026, 11, 30, 7, 0, 3, tzinfo=dt.UTC)


def _migrate(targets=None):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


def _staff_digest(user, status, error="", day=DAY, count=3):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO takedowns_staffdigest (user_id, day, overdue_count, status, error, "
            "created_at) VALUES (%s, %s, %s, %s, %s, %s)",
            [user.pk, day, count, status, error, WRITTEN],
        )


@pytest.mark.django_db(transaction=True)  # the migrations' DDL must see the rows committed
def test_daily_overdue_counts_move_into_the_outbox(
    caseworker, other_caseworker, supervisor, mailoutbox
):
    try:
        _migrate(BEFORE_THE_OUTBOX)
        _staff_digest(caseworker, "sent")
        _staff_digest(other_caseworker, "failed", "SMTPDataError: (451, b'later')", count=2)
        _staff_digest(supervisor, "pending")  # its sender stopped: it may have gone

        _migrate()

        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('takedowns_staffdigest')")
            assert cursor.fetchone() == (None,)
        emails = {e.user_id: e for e in OutgoingEmail.objects.filter(kind=EmailKind.OVERDUE_COUNT)}
        assert set(emails) == {caseworker.pk, other_caseworker.pk, supervisor.pk}
        midnight = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
        for email in emails.values():
            assert (email.scheduled_for, email.created_at, email.attempts) == (
                midnight,
                WRITTEN,
                1,
            )
        sent, failed, interrupted = (
            emails[u.pk] for u in (caseworker, other_caseworker, supervisor)
        )
        assert (sent.status, sent.sent_at, sent.counts) == (
            EmailStatus.SENT,
            WRITTEN,
            {"overdue": 3},
        )
        assert (failed.status, failed.last_error) == (
            EmailStatus.FAILED,
            "SMTPDataError: (451, b'later')",
        )
        assert (interrupted.status, interrupted.sent_at) == (EmailStatus.UNCONFIRMED, None)
        assert "may have been delivered" in interrupted.last_error

        # The failed one kept its message: staff send it again from the outbox page.
        assert outgoing_send_again(email=failed, acting_user=supervisor)
        assert outgoing_deliver().sent == 1
        (message,) = mailoutbox
        assert message.to == [other_caseworker.email]
        assert message.subject == "2 requests past due"
        assert "/caseload/?tab=overdue" in message.alternatives[0][0]

        # Still one a person a day: the day's run after the move sends her nothing more.
        from cases.services import case_open_for_caller
        from takedowns.models import TakedownRequest
        from takedowns.services import overdue_digests_send

        case = case_open_for_caller(
            pseudonym="P", contact_email="c@example.test", acting_user=caseworker
        )
        TakedownRequest.objects.create(case=case, status="sent", due_at=WRITTEN)
        with time_machine.travel(WRITTEN + dt.timedelta(hours=1), tick=False):
            assert overdue_digests_send(base_url="https://leakcase.example") == 0
        assert OutgoingEmail.objects.filter(user=caseworker).count() == 1
    finally:
        _migrate()

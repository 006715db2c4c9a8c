import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Role, User
from cases.services import case_open
from digests.models import WeeklyStatus
from digests.tasks import send_weekly_status
from leakcase.celery import app
from outbox.models import EmailStatus, OutgoingEmail
from tests.conftest import confirm_email
from tests.helpers.workers import start_worker, stop, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_beat_task_on_a_real_worker_sends_what_is_due(smtp_server, monkeypatch):
    """Celery worker with the Redis broker, the test database and the test's SMTP server."""
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
    monkeypatch.setenv("EMAIL_HOST", "127.0.0.1")
    monkeypatch.setenv("EMAIL_PORT", str(smtp_server.port))
    people = []
    for i in range(3):
        person = confirm_email(
            User.objects.create_user(email=f"w{i}@example.test", role=Role.SURVIVOR)
        )
        case_open(survivor=person, pseudonym="P", acting_user=person)
        WeeklyStatus.objects.create(
            user=person, next_digest_at=timezone.now() - dt.timedelta(minutes=1)
        )
        people.append(person)
    app.control.purge()
    worker = start_worker()
    try:
        send_weekly_status.delay()
        send_weekly_status.delay()  # a second beat: still one email each
        assert wait_for(lambda: OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == 3)
    finally:
        stop(worker)  # a warm shutdown: the second task finishes before the worker exits
    assert sorted(smtp_server.recipients()) == sorted(p.email for p in people)

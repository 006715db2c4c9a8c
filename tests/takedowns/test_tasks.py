"""The takedown beat tasks when two beats, or a beat and a retry, run them at once."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from cases.services import case_assign, case_open
from evidence.services import sighting_log
from outbox.models import EmailKind, OutgoingEmail
from takedowns.models import TakedownRequest
from takedowns.tasks import send_overdue_digests
from tests.helpers.takedowns import sent_request

pytestmark = pytest.mark.django_db(transaction=True)


def _overdue_case(survivor, caseworker):
    case = case_open(survivor=survivor, pseudonym="R", acting_user=survivor)
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    sighting = sighting_log(
        case=case, url="https://www.dropbox.com/s/a/1.jpg", acting_user=survivor
    )
    request = sent_request(case, sighting, caseworker)
    TakedownRequest.objects.filter(pk=request.pk).update(
        due_at=timezone.now() - dt.timedelta(days=1)
    )


def test_two_overdue_digest_runs_at_once_send_each_caseworker_one_email(
    survivor, other_survivor, caseworker, other_caseworker, smtp_server
):
    """07:00 on two beats (or one beat and a retried task): each run writes the day's email
    per caseworker, and the unique (person, kind, day) row lets only one of them stand; the
    other run skips that person. Whichever way the two interleave, one email each."""
    _overdue_case(survivor, caseworker)
    _overdue_case(other_survivor, other_caseworker)
    start = threading.Barrier(2)
    sent = []

    def beat():
        try:
            start.wait()
            sent.append(send_overdue_digests())
        finally:
            connection.close()  # this thread's own connection

    runs = [threading.Thread(target=beat) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert sum(sent) == 2
    assert sorted(smtp_server.recipients()) == sorted([caseworker.email, other_caseworker.email])
    assert OutgoingEmail.objects.filter(kind=EmailKind.OVERDUE_COUNT).count() == 2
    # And a run later the same day sends nothing more.
    assert send_overdue_digests() == 0
    assert len(smtp_server.messages) == 2


def test_two_beats_climbing_ladders_at_once_prepare_each_rung_once(
    platform_directory, survivor, caseworker
):
    from takedowns.tasks import climb_ladders
    from tests.helpers.ladder import hosted

    hosted("leaks.example")
    overdue = []
    for n in range(4):
        case = case_open(survivor=survivor, pseudonym=f"R{n}", acting_user=survivor)
        sighting = sighting_log(
            case=case, url=f"https://leaks.example/{n}.jpg", acting_user=survivor
        )
        request = sent_request(case, sighting, caseworker)
        overdue.append(request.pk)
    TakedownRequest.objects.filter(pk__in=overdue).update(
        due_at=timezone.now() - dt.timedelta(hours=1)
    )
    barrier = threading.Barrier(2)
    results, errors = [], []

    def beat():
        try:
            barrier.wait()
            results.append(climb_ladders())
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(results) == 4
    hosts = TakedownRequest.objects.filter(rung="host")
    assert sorted(hosts.values_list("escalated_from_id", flat=True)) == sorted(overdue)
    assert climb_ladders() == 0  # and again: nothing


def test_the_beat_refreshes_the_figures_of_the_days_that_changed(case):
    from platforms.models import Platform
    from takedowns.models import PlatformFigureDay, PlatformFigureStale
    from takedowns.tasks import refresh_platform_figures

    sent_at = dt.datetime(2026, 10, 1, 9, tzinfo=dt.UTC)
    TakedownRequest.objects.create(
        case=case,
        platform=Platform.objects.create(name="Bench", slug="bench-platform"),
        status="sent",
        sent_at=sent_at,
    )
    assert list(PlatformFigureStale.objects.values_list("day", flat=True)) == [sent_at.date()]
    assert refresh_platform_figures() == 1
    assert PlatformFigureDay.objects.get().sent == 1
    assert not PlatformFigureStale.objects.exists()
    assert refresh_platform_figures() == 0

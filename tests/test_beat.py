"""More than one machine (leakcase/beat.py): one beat schedules however many are started,
the others stand by and take over when it dies; and with two workers and two beats on one
database and broker, each due item is handled once."""

import datetime as dt
import logging
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Role, User
from cases.services import case_open
from digests.models import WeeklyStatus
from evidence.models import Sighting
from evidence.services import sighting_log
from leakcase.beat import OneBeatScheduler
from leakcase.celery import app
from leakcase.emails import make_message
from outbox.models import EmailKind, EmailStatus, OutgoingEmail
from outbox.services import outgoing_write
from tests.conftest import confirm_email, free_port
from tests.helpers.workers import start_beat, start_worker, stop, wait_for

SCHEDULES = "this beat holds the scheduling lock and schedules"
STANDS_BY = "another beat is scheduling; standing by"
DISPATCH = "Sending due task dispatch-rechecks"
KEEPALIVE_SETTINGS = {
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
    "idle_session_timeout": "0",
}


def _scheduler(tmp_path, name) -> OneBeatScheduler:
    # lazy: no schedule file opened; these tests look at the lock only.
    return OneBeatScheduler(
        app=app, schedule_filename=str(tmp_path / name), max_interval=1, lazy=True
    )


@pytest.mark.django_db
def test_one_scheduler_holds_the_lock_the_other_stands_by_until_it_closes(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="leakcase.beat")
    first, second = _scheduler(tmp_path, "a"), _scheduler(tmp_path, "b")
    try:
        assert first.holds_lock()
        assert not second.holds_lock()
        assert second.tick() == 1  # stands by: asks again in a second, sends nothing
        assert first.holds_lock() and not second.holds_lock()  # and stays so
        standing_by = [r.getMessage() for r in caplog.records if STANDS_BY in r.getMessage()]
        assert len(standing_by) == 1  # said once, not on every tick
        # It names who schedules: the holder's session, as pg_stat_activity shows it.
        assert re.search(r"\(leakcase beat \S+ pid \d+\)$", standing_by[0])
        # The server drops the holder's session, and the lock, within half a minute of its
        # host going silent, and never for idling between ticks.
        shown = {
            name: first._lock_connection.execute(f"SHOW {name}").fetchone()[0]
            for name in KEEPALIVE_SETTINGS
        }
        assert shown == KEEPALIVE_SETTINGS
        first.close()  # a beat shutting down ends its session, and the lock with it
        assert second.holds_lock()
    finally:
        first.close()
        second.close()


@pytest.mark.django_db
def test_a_beat_whose_session_is_gone_stops_and_the_other_takes_over(tmp_path, caplog):
    """The database restarted, or a network split made the server drop the session: the lock
    went with it. The old holder notices before it sends anything more."""
    caplog.set_level(logging.INFO, logger="leakcase.beat")
    first, second = _scheduler(tmp_path, "a"), _scheduler(tmp_path, "b")
    try:
        assert first.holds_lock() and not second.holds_lock()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(%s)", [first._lock_connection.info.backend_pid]
            )
        assert not first.holds_lock()  # its check before sending failed: it sends nothing
        assert "lost the scheduling lock" in caplog.text
        assert wait_for(second.holds_lock), "the standing-by beat did not take over"
        assert first.tick() == 1  # connected again, and now it stands by
        assert not first.holds_lock() and second.holds_lock()
    finally:
        first.close()
        second.close()


@pytest.mark.django_db
def test_a_beat_that_cannot_reach_the_database_sends_nothing_and_says_why(
    tmp_path, caplog, monkeypatch
):
    caplog.set_level(logging.INFO, logger="leakcase.beat")
    monkeypatch.setitem(connection.settings_dict, "PORT", str(free_port()))  # nobody there
    scheduler = _scheduler(tmp_path, "a")
    try:
        assert not scheduler.holds_lock()
        assert scheduler.tick() == 1
    finally:
        scheduler.close()
    (record,) = [r for r in caplog.records if r.name == "leakcase.beat"]
    assert record.levelname == "WARNING"
    assert record.getMessage().startswith(
        "cannot reach the database for the scheduling lock (OperationalError: "
    )


# --- two workers and two beats, as on two hosts ----------------------------------------------


class Site(ThreadingHTTPServer):
    """The sites where the sightings live: every path answers 410 Gone, and every request is
    counted by path."""

    def __init__(self):
        self.requests: Counter = Counter()
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Counted)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Counted(BaseHTTPRequestHandler):
    def do_GET(self):
        with self.server.lock:
            self.server.requests[self.path] += 1
        self.send_response(410)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", "4")
        self.end_headers()
        self.wfile.write(b"gone")

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    server = Site()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def _person(email: str, *, digest_due: bool = False) -> User:
    person = confirm_email(User.objects.create_user(email=email, role=Role.SURVIVOR))
    WeeklyStatus.objects.create(
        user=person,
        enabled=digest_due,
        next_digest_at=timezone.now() - dt.timedelta(minutes=1) if digest_due else None,
    )
    return person


def _owed_email(to: User) -> OutgoingEmail:
    """An email whose writer stopped before sending it: due for the outbox's periodic run."""
    return outgoing_write(
        kind=EmailKind.UPDATE_NOTICE,
        user=to,
        message=make_message("update-notice", {"link": "https://leakcase.example/"}, to=to.email),
        now=timezone.now() - dt.timedelta(minutes=5),
    )


def _log(tmp_path, name) -> str:
    return (tmp_path / f"{name}.log").read_text()


@pytest.mark.django_db(transaction=True)
def test_two_workers_and_two_beats_handle_each_due_item_once(
    tmp_path, site, smtp_server, monkeypatch, settings
):
    import ipaddress

    # The test's own SMTP server for the workers (subprocesses read the environment).
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
    monkeypatch.setenv("EMAIL_HOST", "127.0.0.1")
    monkeypatch.setenv("EMAIL_PORT", str(smtp_server.port))
    # Logging a link on 127.0.0.1 needs the test-only allowance here too.
    settings.FETCH_ALLOW_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]

    app.control.purge()
    workers, beats = [], {}
    try:
        workers = [start_worker("one"), start_worker("two")]
        beats["first"] = start_beat(tmp_path, "first")
        assert wait_for(lambda: SCHEDULES in _log(tmp_path, "first")), _log(tmp_path, "first")
        beats["second"] = start_beat(tmp_path, "second")
        assert wait_for(lambda: STANDS_BY in _log(tmp_path, "second")), _log(tmp_path, "second")

        # Work comes due while both beats run.
        owner = _person("owner@example.test")
        case = case_open(survivor=owner, pseudonym="Rose", acting_user=owner)
        sightings = [
            sighting_log(case=case, url=f"{site.url}/post/{n}", acting_user=owner)
            for n in range(6)
        ]
        digested = [_person(f"weekly{n}@example.test", digest_due=True) for n in range(3)]
        for person in digested:
            case_open(survivor=person, pseudonym="P", acting_user=person)
        owed = [_owed_email(_person(f"owed{n}@example.test")) for n in range(3)]
        sent_so_far = _log(tmp_path, "first").count(DISPATCH)

        def all_handled():
            return (
                not Sighting.objects.filter(last_checked_at__isnull=True).exists()
                and not OutgoingEmail.objects.exclude(status=EmailStatus.SENT).exists()
                and OutgoingEmail.objects.count() == len(owed) + len(digested)
            )

        assert wait_for(all_handled, seconds=60), "not everything due was handled"
        # And the first beat has sent the dispatch three times more meanwhile: the second,
        # whose own schedule came due every second, had every chance to send it too.
        assert wait_for(lambda: _log(tmp_path, "first").count(DISPATCH) >= sent_so_far + 3)

        # The scheduling beat dies without a word (SIGKILL): the other takes over.
        beats.pop("first").kill()
        app.control.purge()  # what it sent and no worker took yet: not the new beat's doing
        assert wait_for(lambda: SCHEDULES in _log(tmp_path, "second")), _log(tmp_path, "second")
        # Work that comes due after the takeover is done by it, once.
        late = sighting_log(case=case, url=f"{site.url}/post/late", acting_user=owner)
        late_email = _owed_email(_person("late@example.test"))
        assert wait_for(
            lambda: (
                Sighting.objects.filter(pk=late.pk, last_checked_at__isnull=False).exists()
                and OutgoingEmail.objects.filter(
                    pk=late_email.pk, status=EmailStatus.SENT
                ).exists()
            )
        ), "the beat that took over did not schedule"
    finally:
        for process in [*beats.values(), *workers]:
            stop(process)
        app.control.purge()

    # Each link fetched once, each email received once.
    paths = [f"/post/{n}" for n in range(6)] + ["/post/late"]
    assert site.requests == Counter(dict.fromkeys(paths, 1))
    assert all(s.checks.count() == 1 for s in [*sightings, late])
    expected = [p.email for p in digested] + [e.user.email for e in [*owed, late_email]]
    assert sorted(smtp_server.recipients()) == sorted(expected)
    assert set(OutgoingEmail.objects.values_list("attempts", flat=True)) == {1}

    # One beat scheduled at a time: the second sent nothing until it held the lock.
    first, second = _log(tmp_path, "first"), _log(tmp_path, "second")
    assert "Sending due task" in first and STANDS_BY not in first
    standing_by, took_over = second.index(STANDS_BY), second.index(SCHEDULES)
    assert standing_by < took_over
    assert "Sending due task" not in second[:took_over]
    assert "Sending due task" in second[took_over:]


def test_the_beat_runs_the_scheduler_that_stands_by():
    assert app.conf.beat_scheduler == "leakcase.beat:OneBeatScheduler"

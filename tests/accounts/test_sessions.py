"""Sessions: idle and absolute limits, a new key at login, server-side logout, her list of
sessions with the others endable, and deactivation ending them all."""

from datetime import UTC, datetime, timedelta
from importlib import import_module

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import selectors, services
from accounts.browsers import describe_browser
from accounts.models import UserSession
from tests.conftest import PASSWORD, give_totp

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


def _key(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _in(client) -> bool:
    return client.get(reverse("cases:list")).status_code == 200


def _log_in(client, user, **headers):
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}, **headers
    )
    assert response.status_code == 302
    return response


# --- limits -------------------------------------------------------------------------------


def test_31_idle_minutes_end_the_session(client, survivor):
    with time_machine.travel(START, tick=False) as traveller:
        _log_in(client, survivor)
        key = _key(client)
        traveller.shift(timedelta(minutes=29))
        assert _in(client)  # 29 quiet minutes are fine, and count as activity
        traveller.shift(timedelta(minutes=29))
        assert _in(client)
        traveller.shift(timedelta(minutes=31))
        response = client.get(reverse("cases:list"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        assert not Session.objects.filter(session_key=key).exists()
        assert not UserSession.objects.filter(user=survivor).exists()
        # She is told why, in plain words.
        page = client.get(response["Location"]).content.decode()
        assert "logged out after a while without activity" in page


def test_12_hours_of_steady_activity_end_the_session(client, survivor):
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(survivor)
        key = _key(client)
        for _ in range(71):  # a request every ten minutes for 11 h 50 min
            traveller.shift(timedelta(minutes=10))
            assert _in(client)
        traveller.shift(timedelta(minutes=10, seconds=1))
        assert not _in(client)
        assert not Session.objects.filter(session_key=key).exists()


def test_limits_are_settings(client, survivor, settings):
    settings.SESSION_IDLE_TIMEOUT = 5 * 60
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(survivor)
        traveller.shift(timedelta(minutes=6))
        assert not _in(client)


def test_last_seen_is_written_at_most_once_a_minute(client, survivor):
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(survivor)
        record = UserSession.objects.get(user=survivor)
        traveller.shift(timedelta(seconds=30))
        assert _in(client)
        record.refresh_from_db()
        assert record.last_seen_at == START
        traveller.shift(timedelta(seconds=31))
        assert _in(client)
        record.refresh_from_db()
        assert record.last_seen_at == START + timedelta(seconds=61)


# --- login and logout ---------------------------------------------------------------------


def test_a_new_session_key_at_login(client, survivor):
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["planted"] = "by someone else"
    store.create()
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    _log_in(client, survivor)
    assert _key(client) != store.session_key
    assert not Session.objects.filter(session_key=store.session_key).exists()
    assert _in(client)


def test_logout_deletes_the_session_row(client, survivor):
    _log_in(client, survivor)
    key = _key(client)
    assert Session.objects.filter(session_key=key).exists()
    client.post(reverse("account_logout"))
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(session_key=key).exists()
    # The old cookie, replayed, opens nothing.
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert not _in(replay)


# --- her sessions -------------------------------------------------------------------------


def test_she_sees_her_sessions_and_ends_one(survivor, other_survivor):
    laptop, phone = Client(HTTP_USER_AGENT=FIREFOX), Client(HTTP_USER_AGENT=IPHONE)
    _log_in(laptop, survivor)
    _log_in(phone, survivor)
    Client().force_login(other_survivor)
    page = laptop.get(reverse("accounts:security")).content.decode()
    assert "Firefox on Windows" in page and "Safari on iPhone" in page
    assert "This browser" in page
    assert _key(phone) not in page and _key(laptop) not in page  # keys are never shown
    phone_session = UserSession.objects.get(session_key=_key(phone))
    response = laptop.post(reverse("accounts:session_end"), {"session": phone_session.pk})
    assert response.status_code == 302
    assert not _in(phone)
    assert _in(laptop)


def test_she_ends_all_her_other_sessions(survivor, other_survivor):
    here, *elsewhere = [Client() for _ in range(3)]
    for client in (here, *elsewhere):
        _log_in(client, survivor)
    theirs = Client()
    _log_in(theirs, other_survivor)
    here.post(reverse("accounts:session_end"), {"others": "1"})
    assert _in(here)
    assert not any(_in(client) for client in elsewhere)
    assert _in(theirs)
    assert UserSession.objects.filter(user=survivor).count() == 1


def test_she_cannot_end_someone_elses_session_or_her_current_one(client, survivor, caseworker):
    other = Client()
    other.force_login(caseworker)
    _log_in(client, survivor)
    theirs = UserSession.objects.get(user=caseworker)
    mine = UserSession.objects.get(user=survivor)
    for value in (theirs.pk, mine.pk, "not-a-uuid", ""):
        response = client.post(reverse("accounts:session_end"), {"session": value})
        assert response.status_code == 404
    assert other.get(reverse("cases:caseload")).status_code == 200


def test_ending_sessions_needs_a_post_with_a_csrf_token(survivor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(survivor)
    # A GET (a phone restoring a tab) ends nothing: back to the page the button is on.
    sessions = UserSession.objects.filter(user=survivor).count()
    response = client.get(reverse("accounts:session_end"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:security")
    assert UserSession.objects.filter(user=survivor).count() == sessions
    assert client.post(reverse("accounts:session_end"), {"others": "1"}).status_code == 403


def test_the_session_row_follows_a_password_change(client, survivor):
    client.force_login(survivor)
    record = UserSession.objects.get(user=survivor)
    new_password = "another-long-passphrase-3"
    client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )
    assert _in(client)
    record.refresh_from_db()
    assert record.session_key == _key(client)


# --- deactivation -------------------------------------------------------------------------


def test_deactivating_a_user_ends_all_her_sessions(caseworker, supervisor):
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(caseworker)
    keys = [_key(client) for client in clients]
    assert services.user_deactivate(user=caseworker, acting_user=supervisor) == 2
    caseworker.refresh_from_db()
    assert not caseworker.is_active
    assert not Session.objects.filter(session_key__in=keys).exists()
    for client in clients:
        assert client.get(reverse("cases:caseload")).status_code == 302


@pytest.fixture
def admin_client(db):
    from accounts.models import User

    admin = User.objects.create_superuser(email="root@example.test", password=PASSWORD)
    give_totp(admin)
    client = Client()
    client.force_login(admin)
    return client


def test_the_admin_action_deactivates_through_the_service(admin_client, caseworker):
    theirs = Client()
    theirs.force_login(caseworker)
    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate", "_selected_action": [caseworker.pk]},
    )
    assert response.status_code == 302
    caseworker.refresh_from_db()
    assert not caseworker.is_active
    assert not UserSession.objects.filter(user=caseworker).exists()
    assert theirs.get(reverse("cases:caseload")).status_code == 302


def test_unticking_active_in_the_admin_form_ends_her_sessions(admin_client, survivor):
    theirs = Client()
    theirs.force_login(survivor)
    url = reverse("admin:accounts_user_change", args=[survivor.pk])
    response = admin_client.post(
        url,
        {
            "email": survivor.email,
            "display_name": "",
            "role": survivor.role,
            "is_staff": "",
            "is_superuser": "",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-11-01",
            "date_joined_1": "09:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    survivor.refresh_from_db()
    assert not survivor.is_active
    assert not _in(theirs)


# --- browser names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (FIREFOX, "Firefox on Windows"),
        (IPHONE, "Safari on iPhone"),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on macOS",
        ),
        ("curl/8.5.0", "An unknown browser"),
        ("", "An unknown browser"),
    ],
)
def test_browsers_get_a_coarse_name(agent, expected):
    assert describe_browser(agent) == expected


def test_her_list_leaves_out_sessions_past_their_limits_and_rows_of_gone_ones(survivor):
    with time_machine.travel(START, tick=False) as traveller:
        old = Client()
        old.force_login(survivor)
        traveller.shift(timedelta(minutes=40))  # the old one is now idle past the limit
        here = Client()
        here.force_login(survivor)
        assert [s.session_key for s in selectors.sessions_for(survivor)] == [_key(here)]
        Session.objects.filter(session_key=_key(old)).delete()  # as clearsessions would
        Client().force_login(survivor)
        assert not UserSession.objects.filter(session_key=_key(old)).exists()


def test_a_request_within_the_minute_writes_nothing_and_then_two_small_updates(client, caseworker):
    def writes(queries):
        return [q["sql"].split('"')[1] for q in queries if q["sql"].startswith("UPDATE")]

    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(caseworker)
        traveller.shift(timedelta(seconds=10))
        with CaptureQueriesContext(connection) as quiet:
            assert client.get(reverse("cases:caseload")).status_code == 200
        traveller.shift(timedelta(seconds=61))
        with CaptureQueriesContext(connection) as touch:
            assert client.get(reverse("cases:caseload")).status_code == 200
    assert writes(quiet) == []
    assert sorted(writes(touch)) == ["accounts_usersession", "django_session"]
    assert not any(q["sql"].startswith("INSERT") for q in (*quiet, *touch))

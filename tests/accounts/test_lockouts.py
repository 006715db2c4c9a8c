"""Failed logins lock an (account, address) pair for a while (django-axes), on allauth's form
and the admin's alike; the address is REMOTE_ADDR unless trusted proxies are configured."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.network import client_ip
from tests.conftest import PASSWORD, give_totp, totp_code

WRONG = "not-the-password-at-all"
HOME = "203.0.113.10"
ATTACKER = "198.51.100.66"


def _login(client, email, password, address, **headers):
    return client.post(
        reverse("account_login"),
        {"login": email, "password": password},
        REMOTE_ADDR=address,
        **headers,
    )


def _admin_login(client, email, password, address):
    return client.post(
        reverse("admin:login"),
        {"username": email, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=address,
    )


# allauth's own limit per address (settings.ACCOUNT_RATE_LIMITS "login_failed": 10 a minute)
# answers before django-axes once it is reached: the form with its error.
ADDRESS_LIMIT_PER_MINUTE = 10


def _fail(client, email, address, times, *, already=0, **headers):
    """Wrong passwords: the form again (200) until the lock's own attempt, which already meets
    the pause page (429); past allauth's limit per address, the form with its error (200).
    `already`: this account's earlier failures from this address."""
    for attempt in range(already + 1, already + times + 1):
        response = _login(client, email, WRONG, address, **headers)
        body = response.content.decode()
        if attempt > ADDRESS_LIMIT_PER_MINUTE:
            assert response.status_code == 200 and "Too many failed login attempts" in body
        elif attempt >= django_settings.AXES_FAILURE_LIMIT:
            assert _is_lockout(response), attempt
        else:
            assert response.status_code == 200 and "errorlist" in body, attempt


def _is_lockout(response) -> bool:
    return response.status_code == 429 and "Logging in is paused" in response.content.decode()


def test_five_failures_lock_that_account_from_that_address(client, survivor, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    _fail(client, survivor.email, ATTACKER, 4)
    assert _login(client, survivor.email, WRONG, ATTACKER).status_code == 429
    # Now even the right password from there is refused, with our page and no 500.
    response = _login(client, survivor.email, PASSWORD, ATTACKER)
    assert _is_lockout(response)
    body = response.content.decode()
    assert survivor.email not in body
    assert "15 minutes" in body
    assert client.get(reverse("cases:list")).status_code == 302


def test_a_flood_from_one_address_does_not_lock_her_out_from_another(client, survivor):
    _fail(client, survivor.email, ATTACKER, 30)
    response = _login(client, survivor.email, PASSWORD, HOME)
    assert response.status_code == 302
    assert client.get(reverse("cases:list")).status_code == 200


def test_the_same_account_in_capitals_counts_as_the_same(client, survivor):
    _fail(client, survivor.email.upper(), ATTACKER, 3)
    _fail(client, survivor.email, ATTACKER, 2, already=3)
    assert _is_lockout(_login(client, survivor.email, PASSWORD, ATTACKER))


def test_a_spoofed_forwarded_for_does_not_change_the_address(client, survivor, settings):
    assert settings.TRUSTED_PROXY_COUNT == 0
    for n in range(5):
        _login(client, survivor.email, WRONG, ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    response = _login(
        client, survivor.email, PASSWORD, ATTACKER, HTTP_X_FORWARDED_FOR="192.0.2.200"
    )
    assert _is_lockout(response)


def test_the_admin_login_is_ours_and_cannot_skip_the_second_factor(client, db):
    from accounts.models import User

    admin = User.objects.create_superuser(email="root@example.test", password=PASSWORD)
    give_totp(admin)
    response = _admin_login(client, admin.email, PASSWORD, HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert client.get(reverse("admin:index")).status_code == 302  # nobody logged in
    # Through our form the admin is asked for the code, and failures count as anywhere.
    assert _login(client, admin.email, PASSWORD, HOME)["Location"] == "/accounts/2fa/authenticate/"
    attacker = Client()
    _fail(attacker, admin.email, ATTACKER, 5)
    assert _is_lockout(_login(attacker, admin.email, PASSWORD, ATTACKER))


def test_passwords_tried_the_admin_way_count_too(db, rf):
    """Django's admin form authenticates with username=...; whatever form does that, the
    attempts land on the same (account, address) count."""
    from django.contrib.auth import authenticate

    from accounts.models import User

    admin = User.objects.create_superuser(email="root@example.test", password=PASSWORD)
    for _ in range(5):
        request = rf.post(reverse("admin:login"), REMOTE_ADDR=ATTACKER)
        assert authenticate(request, username=admin.email.upper(), password=WRONG) is None
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == (
        admin.email,
        ATTACKER,
        5,
    )
    request = rf.post(reverse("admin:login"), REMOTE_ADDR=ATTACKER)
    assert authenticate(request, username=admin.email, password=PASSWORD) is None
    assert request.axes_locked_out
    elsewhere = rf.post(reverse("admin:login"), REMOTE_ADDR=HOME)
    assert authenticate(elsewhere, username=admin.email, password=PASSWORD) == admin


def test_the_lock_lifts_after_the_cool_off(client, survivor):
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        _fail(client, survivor.email, ATTACKER, 5)
        assert _is_lockout(_login(client, survivor.email, PASSWORD, ATTACKER))
        traveller.shift(timedelta(minutes=16))
        assert _login(client, survivor.email, PASSWORD, ATTACKER).status_code == 302


def test_a_success_clears_the_count(client, survivor):
    _fail(client, survivor.email, HOME, 4)
    assert _login(client, survivor.email, PASSWORD, HOME).status_code == 302
    client.post(reverse("account_logout"))
    _fail(client, survivor.email, HOME, 4)
    assert _login(client, survivor.email, PASSWORD, HOME).status_code == 302


# --- the client address ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "", "10.0.0.9"),
        (0, "192.0.2.1", "10.0.0.9"),  # no proxy of ours: the header is the client's own
        (1, "", "10.0.0.9"),  # fewer hops than proxies: not through them, the peer it is
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "192.0.2.1, 203.0.113.7", "203.0.113.7"),  # a spoofed left part is ignored
        (2, "192.0.2.1, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (1, "192.0.2.1, not-an-address", "10.0.0.9"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", **headers)
    assert client_ip(request) == expected


def test_behind_one_proxy_the_lock_follows_the_real_client(client, survivor, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    _fail(client, survivor.email, proxy, 5, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert _is_lockout(
        _login(client, survivor.email, PASSWORD, proxy, HTTP_X_FORWARDED_FOR=ATTACKER)
    )
    # Through the same proxy, from her own address, she gets in.
    response = _login(client, survivor.email, PASSWORD, proxy, HTTP_X_FORWARDED_FOR=HOME)
    assert response.status_code == 302


def test_wrong_login_codes_lock_that_account_from_that_address(client, caseworker):
    attacker = Client()
    _login(attacker, caseworker.email, PASSWORD, ATTACKER)  # the password is known
    for attempt in range(1, 6):
        response = attacker.post(
            "/accounts/2fa/authenticate/", {"code": "000000"}, REMOTE_ADDR=ATTACKER
        )
        # The fifth wrong code is the one that locks.
        assert response.status_code == (429 if attempt == 5 else 200), attempt
    code = totp_code(caseworker.totp_secret)
    response = attacker.post("/accounts/2fa/authenticate/", {"code": code}, REMOTE_ADDR=ATTACKER)
    # allauth's stage stays at the code form; the lock shows on the next login below.
    assert response.status_code == 200
    assert attacker.get(reverse("cases:caseload")).status_code == 302
    assert _is_lockout(_login(Client(), caseworker.email, PASSWORD, ATTACKER))
    # Her own device is not affected.
    assert _login(client, caseworker.email, PASSWORD, HOME).status_code == 302
    response = client.post("/accounts/2fa/authenticate/", {"code": code}, REMOTE_ADDR=HOME)
    assert response.status_code == 302
    assert client.get(reverse("cases:caseload")).status_code == 200

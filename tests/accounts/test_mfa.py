"""The second factor: TOTP and recovery codes (allauth.mfa), mandatory for staff."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import redis
import time_machine
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User
from accounts.secretbox import unseal
from tests.conftest import PASSWORD, give_totp, totp_code
from tests.helpers.access_matrix import MATRIX, World

MFA_AUTHENTICATE = "/accounts/2fa/authenticate/"


def _password_step(client, user, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": user.email, "password": password})


def _log_in_with_code(client, user, code):
    response = _password_step(client, user)
    assert response.status_code == 302 and response["Location"] == MFA_AUTHENTICATE
    return client.post(MFA_AUTHENTICATE, {"code": code})


def _logged_in(client) -> bool:
    response = client.get(reverse("cases:list"))  # staff are sent on to their caseload
    return response.status_code == 200 or (
        response.status_code == 302
        and not response["Location"].startswith(reverse("account_login"))
    )


# --- the secret at rest ----------------------------------------------------------------


def test_the_totp_secret_is_stored_sealed_and_opens_again(caseworker):
    authenticator = Authenticator.objects.get(user=caseworker, type=Authenticator.Type.TOTP)
    stored = authenticator.data["secret"]
    assert caseworker.totp_secret not in json.dumps(authenticator.data)
    assert stored.startswith("v1$")
    assert unseal(stored) == caseworker.totp_secret
    assert get_adapter().decrypt(stored) == caseworker.totp_secret
    # A fresh nonce each time: the same secret never seals to the same text.
    assert get_adapter().encrypt("ABC") != get_adapter().encrypt("ABC")


def test_a_sealed_secret_needs_the_key_and_survives_a_rotation(caseworker, settings):
    stored = Authenticator.objects.get(user=caseworker, type=Authenticator.Type.TOTP).data[
        "secret"
    ]
    old_key = settings.MFA_ENCRYPTION_KEY
    settings.MFA_ENCRYPTION_KEY = "a-new-key"
    with pytest.raises(ValueError):
        unseal(stored)
    settings.MFA_ENCRYPTION_KEY_FALLBACKS = [old_key]
    assert unseal(stored) == caseworker.totp_secret
    with pytest.raises(ValueError):
        unseal(caseworker.totp_secret)  # a plaintext value is never taken as a secret


# --- logging in with a code ----------------------------------------------------------------


def test_staff_login_asks_for_the_code_after_the_password(client, caseworker):
    response = _password_step(client, caseworker)
    assert response["Location"] == MFA_AUTHENTICATE
    assert not _logged_in(client)
    wrong = client.post(MFA_AUTHENTICATE, {"code": "000000"})
    assert wrong.status_code == 200 and "Incorrect code" in wrong.content.decode()
    assert not _logged_in(client)
    response = client.post(MFA_AUTHENTICATE, {"code": totp_code(caseworker.totp_secret)})
    assert response.status_code == 302
    assert client.get(reverse("cases:caseload")).status_code == 200


def test_a_code_works_once_even_from_a_second_client(caseworker):
    first, second = Client(), Client()
    code = totp_code(caseworker.totp_secret)
    assert _password_step(second, caseworker)["Location"] == MFA_AUTHENTICATE
    _log_in_with_code(first, caseworker, code)
    assert first.get(reverse("cases:caseload")).status_code == 200

    replay = second.post(MFA_AUTHENTICATE, {"code": code})
    assert replay.status_code == 200
    assert "Incorrect code" in replay.content.decode()
    assert not _logged_in(second)
    # The used mark lives in the shared Redis, where every web process looks.
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    shared = redis.Redis.from_url(settings.REDIS_URL)
    assert any(b"allauth.mfa.totp.used" in key for key in shared.keys("leakcase-cache:*"))


def test_a_recovery_code_logs_in_once(client, caseworker):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    codes = RecoveryCodes.activate(caseworker).generate_codes()
    _log_in_with_code(client, caseworker, codes[0])
    assert _logged_in(client)
    client.post(reverse("account_logout"))
    response = _log_in_with_code(client, caseworker, codes[0])
    assert response.status_code == 200 and not _logged_in(client)


def test_password_reset_does_not_skip_the_second_factor(
    client, caseworker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": caseworker.email})
    (message,) = mail.outbox
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", message.body)[1]
    form_url = client.get(link)["Location"]
    new_password = "an-entirely-new-passphrase-7"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    assert not _logged_in(client)  # the reset logs nobody in
    response = _password_step(client, caseworker, new_password)
    assert response["Location"] == MFA_AUTHENTICATE
    assert not _logged_in(client)


# --- changes ask for the password again ----------------------------------------------------


def test_changing_email_or_second_factor_asks_for_the_password_again(client, survivor):
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        _password_step(client, survivor)
        # Even just after logging in (allauth asks for an explicit confirmation).
        response = client.get(reverse("mfa_activate_totp"))
        assert response["Location"].startswith(reverse("account_reauthenticate"))
        client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        # Confirmed: for the next five minutes she may go on.
        assert client.get(reverse("mfa_activate_totp")).status_code == 200
        traveller.shift(timedelta(minutes=6))
        for name in ("mfa_activate_totp", "account_email"):
            if name == "account_email":
                response = client.post(reverse(name), {"action_add": "", "email": "n@x.test"})
            else:
                response = client.get(reverse(name))
            assert response.status_code == 302, name
            assert response["Location"].startswith(reverse("account_reauthenticate")), name
        response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        assert response.status_code == 302
        assert client.get(reverse("mfa_activate_totp")).status_code == 200


def test_changing_the_password_asks_for_the_current_one(client, survivor):
    client.force_login(survivor)
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": "not-my-password",
            "password1": "x-new-pass-99",
            "password2": "x-new-pass-99",
        },
    )
    assert response.status_code == 200
    survivor.refresh_from_db()
    assert survivor.check_password(PASSWORD)


# --- mandatory for staff ------------------------------------------------------------------


@pytest.fixture
def unenrolled_world(db):
    world = World()
    Authenticator.objects.filter(user=world.users["assigned_caseworker"]).delete()
    return world


@pytest.mark.parametrize("name", list(MATRIX))
def test_every_url_sends_staff_without_a_second_factor_to_enrolment(
    client, unenrolled_world, name
):
    method, data, _ = MATRIX[name]
    client.force_login(unenrolled_world.users["assigned_caseworker"])
    url = unenrolled_world.url(name)
    payload = data(unenrolled_world) if callable(data) else data
    response = client.post(url, payload) if method == "POST" else client.get(url)
    assert response.status_code == (303 if method == "POST" else 302), name
    assert response["Location"] == reverse("mfa_activate_totp"), name
    # A POST is answered without running the view: the caseworker is still unassigned etc.
    if method == "GET":
        assert client.post(url, payload if not callable(data) else {}).status_code == 303


def test_the_admin_too_sends_an_admin_without_a_second_factor_to_enrolment(client, db):
    admin = User.objects.create_superuser(email="root@example.test", password=PASSWORD)
    client.force_login(admin)
    for url in (reverse("admin:index"), reverse("admin:accounts_user_changelist")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")
    response = client.post(reverse("admin:accounts_user_add"), {"email": "x@example.test"})
    assert response.status_code == 303
    assert not User.objects.filter(email="x@example.test").exists()
    give_totp(admin)
    assert client.get(reverse("admin:index")).status_code == 200


def test_enrolment_itself_and_logging_out_stay_open(client, db):
    staff = User.objects.create_user(
        email="new-staff@example.test", password=PASSWORD, role=Role.SUPERVISOR
    )
    assert _password_step(client, staff).status_code == 302  # no code yet: straight in
    assert client.get(reverse("cases:caseload"))["Location"] == reverse("mfa_activate_totp")
    # Adding a second factor asks for the password again: that page is open to her too.
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert client.get(response["Location"]).status_code == 200
    client.post(response["Location"], {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and "data:image" not in body  # the QR code passes the CSP
    secret = client.session["mfa.totp.secret"]
    assert secret in body
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert client.get(response["Location"]).status_code == 200
    assert client.get(reverse("cases:caseload")).status_code == 200
    stored = Authenticator.objects.get(user=staff, type=Authenticator.Type.TOTP)
    assert stored.data["secret"] != secret and unseal(stored.data["secret"]) == secret
    client.post(reverse("account_logout"))
    assert not _logged_in(client)


def test_logging_out_works_before_enrolment(client, db):
    staff = User.objects.create_user(
        email="new-staff@example.test", password=PASSWORD, role=Role.CASEWORKER
    )
    client.force_login(staff)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert response["Location"] != reverse("mfa_activate_totp")
    assert not _logged_in(client)


def test_staff_cannot_turn_their_second_factor_off_but_survivors_can(caseworker, survivor):
    give_totp(survivor)
    adapter = get_adapter()
    staff_totp = Authenticator.objects.get(user=caseworker, type=Authenticator.Type.TOTP)
    her_totp = Authenticator.objects.get(user=survivor, type=Authenticator.Type.TOTP)
    assert not adapter.can_delete_authenticator(staff_totp)
    assert adapter.can_delete_authenticator(her_totp)


def test_survivors_are_offered_it_not_forced(client, survivor):
    client.force_login(survivor)
    assert client.get(reverse("cases:list")).status_code == 200
    page = client.get(reverse("accounts:security")).content.decode()
    assert reverse("mfa_activate_totp") in page


def test_a_survivor_with_a_second_factor_is_asked_for_it(client, survivor):
    give_totp(survivor)
    assert _password_step(client, survivor)["Location"] == MFA_AUTHENTICATE
    assert not _logged_in(client)


def test_an_admin_resetting_a_staff_second_factor_ends_her_sessions(
    caseworker, django_capture_on_commit_callbacks
):
    theirs = Client()
    theirs.force_login(caseworker)
    assert theirs.get(reverse("cases:caseload")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        Authenticator.objects.filter(user=caseworker, type=Authenticator.Type.TOTP).delete()
    assert theirs.get(reverse("cases:caseload"))["Location"].startswith(reverse("account_login"))
    other = Client()
    other.force_login(caseworker)  # back in, she reaches only enrolment
    assert other.get(reverse("cases:caseload"))["Location"] == reverse("mfa_activate_totp")

import re

from django.urls import reverse

from accounts.models import Role, User
from accounts.selectors import email_is_verified
from tests.conftest import PASSWORD, confirm_email, give_totp

NEW_PASSWORD = "a-brand-new-passphrase-42"


def test_signing_up_makes_a_survivor_and_logs_her_in(client, db):
    response = client.post(
        reverse("account_signup"),
        {"email": "New.Person@Example.test", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "new.person@example.test"
    assert user.role == Role.SURVIVOR
    assert not user.is_staff
    assert client.get(reverse("cases:list")).status_code == 200


def test_signup_cannot_make_staff(client, db):
    client.post(
        reverse("account_signup"),
        {
            "email": "x@example.test",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "role": "supervisor",
        },
    )
    assert User.objects.get().role == Role.SURVIVOR


def test_an_email_in_capitals_is_the_same_account(client, survivor):
    client.post(
        reverse("account_signup"),
        {"email": survivor.email.upper(), "password1": PASSWORD, "password2": PASSWORD},
    )
    assert User.objects.count() == 1


def test_weak_passwords_are_refused_with_a_reason(client, db):
    response = client.post(
        reverse("account_signup"),
        {"email": "a@example.test", "password1": "12345", "password2": "12345"},
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert not User.objects.exists()


def test_log_in_with_email_and_log_out(client, survivor):
    response = client.post(
        reverse("account_login"), {"login": "SURVIVOR@example.test", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("cases:list")).status_code == 200
    client.post(reverse("account_logout"))
    assert client.get(reverse("cases:list")).status_code == 302


def test_a_wrong_password_says_so_and_logs_nobody_in(client, survivor):
    response = client.post(
        reverse("account_login"), {"login": survivor.email, "password": "nope-nope-nope"}
    )
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert client.get(reverse("cases:list")).status_code == 302


def test_change_password(client, survivor):
    client.force_login(survivor)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    survivor.refresh_from_db()
    assert survivor.check_password(NEW_PASSWORD)


def test_reset_password_by_email(client, survivor, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": survivor.email})
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [survivor.email]
    assert message.subject == "Your password reset link"
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", message.body).group(1)

    # allauth moves the key into the session and redirects to a key-less URL.
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    survivor.refresh_from_db()
    assert survivor.check_password(NEW_PASSWORD)


def test_reset_for_an_unknown_address_reveals_nothing(client, db, mailoutbox):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")


def test_our_templates_are_used(client, db):
    for name in ("account_login", "account_signup", "account_reset_password"):
        body = client.get(reverse(name)).content.decode()
        assert "Quick exit" in body
        assert 'class="site-header"' in body


# --- confirming her email address -------------------------------------------------------

BANNER = "Please confirm your email address"


def _confirm_link(message) -> str:
    return re.search(r"http://testserver(/accounts/confirm-email/\S+/)", message.body).group(1)


def test_signing_up_asks_her_to_confirm_her_email_and_lets_her_carry_on(
    client, db, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {"email": "new@example.test", "password1": PASSWORD, "password2": PASSWORD},
        )
    assert response.status_code == 302
    user = User.objects.get()
    (message,) = mailoutbox
    assert message.to == ["new@example.test"]
    assert message.subject == "Confirm your email address"
    # Neutral: the inbox may be shared or watched.
    for telling in ("leak", "intimate", "image", "case"):
        assert telling not in (message.subject + message.body).lower()
    # Not confirmed yet, and she is in: her dashboard asks her to confirm.
    assert not email_is_verified(user)
    dashboard = client.get(reverse("cases:list"))
    assert dashboard.status_code == 200
    assert BANNER in dashboard.content.decode()

    page = client.get(_confirm_link(message))
    assert "Confirm my address" in page.content.decode()
    client.post(_confirm_link(message))

    assert email_is_verified(user)
    assert BANNER not in client.get(reverse("cases:list")).content.decode()


def test_an_unconfirmed_address_still_logs_in(client, db):
    user = User.objects.create_user(email="unconfirmed@example.test", password=PASSWORD)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    dashboard = client.get(reverse("cases:list"))
    assert dashboard.status_code == 200
    assert BANNER in dashboard.content.decode()


def test_the_dashboard_button_sends_the_link_again_but_not_twice_in_a_row(
    client, db, mailoutbox, django_capture_on_commit_callbacks
):
    user = User.objects.create_user(email="unconfirmed@example.test", password=PASSWORD)
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:email_verification_send"), follow=True)
    assert response.status_code == 200
    assert [m.to for m in mailoutbox] == [[user.email]]
    assert f"We sent a link to {user.email}" in response.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(reverse("accounts:email_verification_send"), follow=True)
    assert len(mailoutbox) == 1  # the first link still works
    assert "A link was sent a few minutes ago" in again.content.decode()

    client.post(_confirm_link(mailoutbox[0]))
    assert email_is_verified(user)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("accounts:email_verification_send"), follow=True)
    assert "confirmed already" in done.content.decode()
    assert len(mailoutbox) == 1


def test_staff_are_asked_on_their_caseload_too(client, db, mailoutbox):
    caseworker = User.objects.create_user(
        email="new-staff@example.test", password=PASSWORD, role=Role.CASEWORKER
    )
    give_totp(caseworker)
    client.force_login(caseworker)
    assert BANNER in client.get(reverse("cases:caseload")).content.decode()
    confirm_email(caseworker)
    assert BANNER not in client.get(reverse("cases:caseload")).content.decode()

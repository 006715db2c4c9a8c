"""Her language: the first visit follows the browser, the picker on every page changes it
(kept in a cookie, and on her account when she is logged in), and her account's language
wins on any browser she logs in from (accounts.views.language_set,
accounts.middleware.account_language, accounts.services.user_language_*)."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD
from tests.helpers.catalogs import ARABIC, SPANISH, install_catalogs


@pytest.fixture(autouse=True)
def _catalogs(settings, tmp_path):
    install_catalogs(settings, tmp_path, {"es": SPANISH, "ar": ARABIC})


def _page(client, **headers) -> str:
    return client.get(reverse("account_login"), **headers).content.decode()


def _pick(client, language, next_url="/accounts/login/"):
    return client.post(reverse("accounts:language"), {"language": language, "next": next_url})


def test_the_first_visit_follows_the_browser(client, db):
    page = _page(client, HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9,en;q=0.5")
    assert '<html lang="es" dir="ltr">' in page
    assert "Salida rápida" in page  # base.html's Quick exit, from the Spanish catalog
    assert '<option value="es" lang="es" selected>' in page


def test_arabic_pages_are_right_to_left(client, db):
    response = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="ar")
    page = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert "خروج سريع" in page
    assert response["Content-Language"] == "ar"


def test_a_language_the_site_does_not_have_falls_back_to_english(client, db):
    assert '<html lang="en" dir="ltr">' in _page(client, HTTP_ACCEPT_LANGUAGE="ja")


def test_picking_a_language_without_an_account_is_kept_in_a_cookie(client, db):
    response = _pick(client, "es")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "es"
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    # The cookie beats the browser's own preference.
    assert '<html lang="es"' in _page(client, HTTP_ACCEPT_LANGUAGE="en")


def test_picking_a_language_logged_in_keeps_it_on_her_account(client, survivor):
    client.force_login(survivor)
    assert _pick(client, "ar").status_code == 302
    survivor.refresh_from_db()
    assert survivor.language == "ar"


def test_her_account_language_wins_over_cookie_and_browser_anywhere(client, survivor):
    User.objects.filter(pk=survivor.pk).update(language="es")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"  # another browser, another setting
    client.force_login(survivor)
    page = client.get(reverse("cases:list"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<html lang="es" dir="ltr">' in page
    assert '<option value="es" lang="es" selected>' in page


def test_logging_in_keeps_the_language_she_reads_in_on_an_account_without_one(client, survivor):
    assert survivor.language == ""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    response = client.post(
        reverse("account_login"), {"login": survivor.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    survivor.refresh_from_db()
    assert survivor.language == "es"


def test_logging_in_does_not_change_a_language_she_chose(client, survivor):
    User.objects.filter(pk=survivor.pk).update(language="ar")
    response = client.post(
        reverse("account_login"),
        {"login": survivor.email, "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert response.status_code == 302
    survivor.refresh_from_db()
    assert survivor.language == "ar"


def test_an_unknown_language_changes_nothing_and_says_so(client, survivor):
    client.force_login(survivor)
    response = _pick(client, "xx", next_url=reverse("cases:list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:list")
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    survivor.refresh_from_db()
    assert survivor.language == ""
    page = client.get(response["Location"]).content.decode()
    assert "Choose one of the languages in the list." in page


def test_it_never_sends_her_to_another_site(client, db):
    response = _pick(client, "es", next_url="https://evil.example/")
    assert response["Location"] == "/"


def test_a_get_goes_back_home_and_changes_nothing(client, db):
    response = client.get(reverse("accounts:language"), {"language": "es"})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_picker_works_without_script(client, db):
    """A form posting to our view with a submit button: no JavaScript needed."""
    page = _page(client)
    assert f'action="{reverse("accounts:language")}"' in page
    assert '<select id="language-picker" name="language">' in page
    assert '<label for="language-picker">' in page
    assert '<button type="submit" class="secondary">Change</button>' in page


def test_logging_in_reading_the_default_language_leaves_the_account_open(client, survivor):
    """English is what a blank account gets anyway; her next login from a Spanish browser
    can still make Spanish hers."""
    client.post(reverse("account_login"), {"login": survivor.email, "password": PASSWORD})
    survivor.refresh_from_db()
    assert survivor.language == ""
    client.logout()
    client.post(
        reverse("account_login"),
        {"login": survivor.email, "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    survivor.refresh_from_db()
    assert survivor.language == "es"

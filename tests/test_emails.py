"""leakcase/emails.py and its callers: each email is written in its reader's language (her
account's), whatever language the request or worker that builds it has active."""

import copy

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from cases.services import case_assign
from cases.thread_services import message_post
from digests.messages import digest_message
from leakcase.emails import language_of, make_message
from outbox.models import EmailKind, OutgoingEmail
from tests.digests.conftest import NOW
from tests.helpers.catalogs import ARABIC, SPANISH, install_catalogs


@pytest.fixture(autouse=True)
def _catalogs(settings, tmp_path):
    install_catalogs(settings, tmp_path, {"es": SPANISH, "ar": ARABIC})


def _set_language(user, language):
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language


def test_the_reader_language_not_the_active_one(db):
    with translation.override("ar"):
        spanish = make_message("update-notice", {"link": "x"}, to="a@b.test", language="es")
        default = make_message("update-notice", {"link": "x"}, to="a@b.test")
        assert translation.get_language() == "ar"  # left as it was
    assert '<html lang="es" dir="ltr">' in spanish.alternatives[0][0]
    assert '<html lang="en" dir="ltr">' in default.alternatives[0][0]


def test_language_of_a_user_an_unknown_code_and_nobody(survivor):
    assert language_of(survivor) == "en"
    _set_language(survivor, "pt-br")
    assert language_of(survivor) == "pt-br"
    survivor.language = "xx"  # a language the site no longer offers
    assert language_of(survivor) == "en"
    assert language_of(None) == "en"


def test_her_weekly_email_is_in_her_language(survivor):
    _set_language(survivor, "es")
    email = OutgoingEmail(user=survivor, kind=EmailKind.SURVIVOR_WEEKLY, scheduled_for=NOW)
    email.counts = {"quiet_week": True}
    with translation.override("ar"):  # whatever the worker has active
        message = digest_message(email, to=survivor.email)
    assert message.subject == "Tu resumen semanal"
    assert '<html lang="es" dir="ltr">' in message.alternatives[0][0]


def test_a_staff_weekly_email_is_in_the_staff_members_language(caseworker):
    _set_language(caseworker, "ar")
    email = OutgoingEmail(user=caseworker, kind=EmailKind.STAFF_WEEKLY, scheduled_for=NOW)
    email.counts = {"quiet_week": True}
    message = digest_message(email, to=caseworker.email)
    assert '<html lang="ar" dir="rtl">' in message.alternatives[0][0]


def test_a_subject_the_deployment_set_is_sent_as_written(survivor, settings):
    settings.WEEKLY_STATUS_SUBJECT = "Your weekly update"  # the default: translated
    _set_language(survivor, "es")
    email = OutgoingEmail(user=survivor, kind=EmailKind.SURVIVOR_WEEKLY, scheduled_for=NOW)
    email.counts = {"quiet_week": True}
    assert digest_message(email, to=survivor.email).subject == "Tu resumen semanal"
    settings.WEEKLY_STATUS_SUBJECT = "Notes"
    assert digest_message(email, to=survivor.email).subject == "Notes"


def test_her_update_notice_is_in_her_language(
    case, survivor, caseworker, mailoutbox, django_capture_on_commit_callbacks
):
    _set_language(survivor, "ar")
    assigned = case_assign(case=case, to=caseworker, acting_user=caseworker)
    with translation.override("es"), django_capture_on_commit_callbacks(execute=True):
        # The caseworker writes while reading the site in Spanish.
        message_post(case=assigned, body="Hello", acting_user=caseworker)
    (message,) = mailoutbox
    assert message.to == [survivor.email]
    assert '<html lang="ar" dir="rtl">' in message.alternatives[0][0]


def test_account_mail_is_in_her_account_language(
    client, survivor, settings, tmp_path, mailoutbox, django_capture_on_commit_callbacks
):
    """allauth's mail (here a password reset) goes through accounts.adapter.send_mail, which
    renders it in her account's language even when she asks from an English page. A
    stand-in subject template with a string the test catalog translates shows which."""
    subject = tmp_path / "templates" / "account" / "email" / "password_reset_key_subject.txt"
    subject.parent.mkdir(parents=True)
    subject.write_text('{% load i18n %}{% translate "Quick exit" %}')
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [tmp_path / "templates", *templates[0]["DIRS"]]
    settings.TEMPLATES = templates
    _set_language(survivor, "es")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_reset_password"),
            {"email": survivor.email},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 302
    (message,) = mailoutbox
    assert message.subject == "Salida rápida"

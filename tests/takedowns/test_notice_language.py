"""Notices stay in the platform's language (Platform.language, English by default), never in
the language of whoever drafts or sends them; she can read a translation on her request
page (takedowns.notices.render/subject/reminder_*, takedowns.views._in_her_language)."""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from cases.services import case_set_consent
from evidence.services import sightings_log_pasted
from takedowns import notices
from takedowns.selectors import notice_for
from takedowns.services import takedown_update_draft, takedowns_draft
from tests.helpers.catalogs import SPANISH, install_catalogs
from tests.helpers.takedowns import sent_request


@pytest.fixture(autouse=True)
def _catalogs(settings, tmp_path):
    install_catalogs(settings, tmp_path, {"es": SPANISH})


@pytest.fixture
def sighting(case, survivor):
    text = "https://www.dropbox.com/s/a/1.jpg"
    return sightings_log_pasted(case=case, text=text, acting_user=survivor).saved[0]


def test_a_notice_drafted_and_sent_while_she_reads_spanish_is_english(
    case, survivor, caseworker, sighting
):
    with translation.override("es"):
        assert translation.gettext("Quick exit") == "Salida rápida"  # the catalog works
        takedown = sent_request(case, sighting, caseworker)
        preview = notices.render(notice_for(takedown))
    assert takedown.platform.language == "en"
    assert takedown.notice_text.startswith("To: ")
    assert "Para:" not in takedown.notice_text and "Para:" not in preview
    assert preview.startswith("To: ")


def test_a_platform_that_reads_spanish_gets_spanish_whoever_writes(
    case, survivor, caseworker, sighting
):
    case_set_consent(case=case, given=True, acting_user=survivor)
    (takedown,) = takedowns_draft(case=case, sightings=[sighting], acting_user=caseworker)
    takedown.platform.language = "es"
    takedown.platform.save(update_fields=["language"])
    takedown_update_draft(
        takedown=takedown,
        acting_user=caseworker,
        legal_basis="platform_policy",
        signer_name="R",
        contact_email="r@example.test",
        confirms_no_consent=True,
    )
    notice = notice_for(takedown)
    with translation.override("ar"):
        assert notices.render(notice).startswith("Para: ")
        assert notices.subject(notice) == "Denuncia de imágenes íntimas sin consentimiento"
        assert notices.reminder_text(takedown, sequence=1, hours_overdue=5).startswith("Para: ")
    # A translation for her to read, asked for by name.
    assert notices.render(notice, language="en").startswith("To: ")


def test_a_request_with_no_platform_is_in_the_default_language(case, caseworker, sighting):
    (takedown,) = takedowns_draft(case=case, sightings=[sighting], acting_user=caseworker)
    takedown.platform = None
    assert notices.platform_language(takedown) == "en"


def test_her_request_page_offers_it_in_her_language(client, case, survivor, caseworker, sighting):
    takedown = sent_request(case, sighting, caseworker)
    User.objects.filter(pk=survivor.pk).update(language="es")
    client.force_login(survivor)
    page = client.get(reverse("takedowns:detail", args=[case.reference, takedown.pk]))
    page = page.content.decode()
    assert "To: Dropbox" in page  # exactly what was sent, in English
    assert "Léelo en " in page
    assert "Para: Dropbox" in page  # the same request in Spanish, to read


def test_no_translation_when_she_reads_the_platforms_language(
    client, case, survivor, caseworker, sighting
):
    takedown = sent_request(case, sighting, caseworker)
    client.force_login(survivor)
    page = client.get(reverse("takedowns:detail", args=[case.reference, takedown.pk]))
    assert 'id="her-language-heading"' not in page.content.decode()

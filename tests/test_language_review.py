"""leakcase/i18n.py: whether a native speaker has reviewed each catalog (its header line
X-Reviewed-By-Native-Speaker), and the picker's "(in review)" marks that follow from it."""

import re

from django.urls import reverse

from leakcase import i18n
from tests.helpers.catalogs import SPANISH, install_catalogs, write_catalog


def test_the_header_line_decides_and_a_catalog_without_it_is_not_reviewed(settings, tmp_path):
    base = tmp_path / "locale"
    write_catalog(base, "es", SPANISH, reviewed="yes")
    write_catalog(base, "fr", {}, reviewed="no")
    write_catalog(base, "de", {}, reviewed=None)
    settings.LOCALE_PATHS = [base]

    header = i18n.po_header(base / "es" / "LC_MESSAGES" / "django.po")
    assert header["X-Reviewed-By-Native-Speaker"] == "yes"
    assert header["Language"] == "es"
    assert i18n.is_reviewed("es")
    assert not i18n.is_reviewed("fr")
    assert not i18n.is_reviewed("de")  # no line: not reviewed
    assert not i18n.is_reviewed("pl")  # no catalog at all
    assert i18n.is_reviewed("en")  # the source language
    assert i18n.languages_in_review() == {"fr", "de", "pt-br", "it", "pl", "ar"}


def test_pt_br_is_read_from_its_locale_folder(settings, tmp_path):
    install_catalogs(settings, tmp_path, {"pt-br": {}}, reviewed={"pt-br": "yes"})
    assert (tmp_path / "locale" / "pt_BR" / "LC_MESSAGES" / "django.po").exists()
    assert "pt-br" not in i18n.languages_in_review()


def _options(html: str) -> dict[str, str]:
    return {
        code: label.strip()
        for code, label in re.findall(r'<option value="([a-z-]+)"[^>]*>([^<]*)</option>', html)
    }


def test_the_picker_names_each_language_in_itself_and_marks_those_in_review(
    client, settings, tmp_path
):
    install_catalogs(
        settings, tmp_path, {"es": SPANISH, "fr": {}}, reviewed={"es": "no", "fr": "yes"}
    )
    options = _options(client.get(reverse("account_login")).content.decode())
    assert options == {
        "en": "English",
        "es": "Español (en revisión)",  # "in review" in Spanish: its reader may know no other
        "fr": "Français",
        "de": "Deutsch (in review)",  # no German catalog: nothing to say it in German yet
        "pt-br": "Português (Brasil) (in review)",
        "it": "Italiano (in review)",
        "pl": "Polski (in review)",
        "ar": "العربية (in review)",
    }

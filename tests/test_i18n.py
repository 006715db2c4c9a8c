"""Every survivor page and email, in each language of settings.LANGUAGES, with nothing left in
English: the translators' catalogs (locale/<locale>/LC_MESSAGES/django.po, djangojs.po) are
complete for what a survivor sees, and no English sentence of ours shows on her pages.

This needs the translators' catalogs, compiled (`bin/messages compile`; bin/test does it). It
fails until they are there: it lands with them.

What it checks, for each language other than English:
- the catalog is there, compiled from its current .po, and says in its header whether a
  native speaker has reviewed it (X-Reviewed-By-Native-Speaker, leakcase/i18n.py);
- every message used by a template that a survivor page or email renders, and every message
  of the scripts (djangojs), has a translation that is neither empty nor fuzzy;
- rendered in the language (her account's, and the cookie's for pages without a login), no
  survivor page or email shows any of our English messages of three words or more verbatim
  (placeholders and tags taken out): a message the catalog has, shown untranslated;
- and none shows a piece of text (a paragraph, a heading, a button) of three words or more
  exactly as the English page shows it, unless it holds data (what a row in the database
  says, which no catalog translates): that catches text never marked for translation at all,
  in a template or in Python, which the catalog cannot know about.
"""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils.translation import to_locale

from cases.models import Programme
from leakcase.i18n import REVIEW_HEADER, po_header
from tests.helpers.access_matrix import World
from tests.helpers.po import read_po
from tests.helpers.survivor_pages import (
    render_survivor_emails,
    render_survivor_pages,
    text_pieces,
    visible_pieces,
)

LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]
LOCALE = Path(settings.BASE_DIR) / "locale"
# A message this long or longer, found verbatim, is English left on the page; shorter ones
# ("Email", "Log in") may well be the same word in another language or a name.
MIN_WORDS = 3
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{[^}]*\}\}|<[^>]+>")


def catalog(language: str, domain: str = "django") -> Path:
    return LOCALE / to_locale(language) / "LC_MESSAGES" / f"{domain}.po"


def _require_catalog(language: str) -> Path:
    po = catalog(language)
    if not po.exists():
        pytest.fail(
            f"No catalog for {language}: {po.relative_to(settings.BASE_DIR)} is the "
            "translators' (bin/messages update makes it; locale/README.md)."
        )
    return po


@pytest.fixture
def world(db):
    return World()


def english_phrases(msgid: str) -> list[str]:
    """The runs of literal English in a message: placeholders and tags cut it up; only runs
    of MIN_WORDS words or more count."""
    runs = [" ".join(run.split()) for run in _PLACEHOLDER.split(msgid)]
    return [run for run in runs if len(re.findall(r"[A-Za-z]+", run)) >= MIN_WORDS]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalog_is_there_compiled_and_says_whether_it_was_reviewed(language):
    po = _require_catalog(language)
    header = po_header(po)
    assert header.get(REVIEW_HEADER, "").lower() in ("yes", "no"), (
        f"{po.name} of {language}: its header needs '{REVIEW_HEADER}: yes' or '...: no'"
    )
    for domain in ("django", "djangojs"):
        source = catalog(language, domain)
        if not source.exists():
            continue
        compiled = source.with_suffix(".mo")
        assert compiled.exists() and compiled.stat().st_mtime >= source.stat().st_mtime, (
            f"{compiled.relative_to(settings.BASE_DIR)} is missing or older than its .po: "
            "run bin/messages compile"
        )


_survivor_templates: set[str] = set()


def survivor_sources(request) -> set[str]:
    """The templates survivor pages and emails render, as catalogs name them (rendered once
    for the module: which templates a page uses does not depend on the language)."""
    if not _survivor_templates:
        world = request.getfixturevalue("world")
        for rendered in render_survivor_pages(world) + render_survivor_emails(
            world, language="en"
        ):
            _survivor_templates.update(f"templates/{name}" for name in rendered.templates)
    assert "templates/base.html" in _survivor_templates
    return _survivor_templates


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_a_survivor_sees_is_translated(request, language):
    _require_catalog(language)  # before the world is built: a missing catalog fails fast
    sources = survivor_sources(request)
    missing = [
        f"{'fuzzy' if entry.fuzzy else 'empty'}: {entry.msgid[:90]!r} ({entry.references[0]})"
        for entry in read_po(catalog(language))
        if set(entry.references) & sources and (entry.fuzzy or not entry.translated)
    ]
    scripts = catalog(language, "djangojs")
    if scripts.exists():
        missing += [
            f"{'fuzzy' if entry.fuzzy else 'empty'} (script): {entry.msgid[:90]!r}"
            for entry in read_po(scripts)
            if entry.fuzzy or not entry.translated
        ]
    assert not missing, f"{language}: {len(missing)} messages to translate:\n" + "\n".join(missing)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_survivor_page_or_email_shows_english_in_another_language(request, language):
    entries = read_po(_require_catalog(language))
    world = request.getfixturevalue("world")
    phrases = {
        phrase
        for entry in entries
        # Kept as it is on purpose (a name, a brand): the translator's choice, not a miss.
        if not (entry.translated and entry.msgstr[0] == entry.msgid)
        for phrase in english_phrases(entry.msgid)
    }
    where: dict[str, list[str]] = {}  # English phrase -> the pages and emails showing it
    for page in render_survivor_pages(world, language=language):
        assert f'<html lang="{language}"' in page.html, page.name
        text = "\n".join(visible_pieces(page.html))
        for phrase in phrases:
            if phrase in text:
                where.setdefault(phrase, []).append(f"page {page.name}")
    for email in render_survivor_emails(world, language=language):
        text = "\n".join(text_pieces(email.text) + visible_pieces(email.html or "<p></p>"))
        for phrase in phrases:
            if phrase in text:
                where.setdefault(phrase, []).append(f"email {email.name}")
    assert not where, f"English left in {language} ({len(where)} phrases):\n" + "\n".join(
        f"{phrase!r} on {', '.join(places[:3])}{' and more' if len(places) > 3 else ''}"
        for phrase, places in sorted(where.items())
    )


def test_english_phrases_are_the_literal_runs_of_three_words_or_more():
    assert english_phrases("Sent %(when)s, through %(site)s's own report form.") == [
        "'s own report form."
    ]
    assert english_phrases("Press <kbd>Esc</kbd> two times to leave") == ["two times to leave"]
    assert english_phrases("Log in") == []


_english: dict[str, set[str]] = {}  # page or email -> its pieces of text in English


def _pieces(rendered) -> set[str]:
    if rendered.text:
        return set(text_pieces(rendered.text)) | set(visible_pieces(rendered.html or "<p></p>"))
    return set(visible_pieces(rendered.html))


def _data_strings() -> set[str]:
    """Every text value of two words or more in the database: names, notes, descriptions,
    addresses, the platform directory. Shown as they are, in any language."""
    values = set()
    for model in apps.get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField)
        ]
        if not fields or model._meta.proxy:
            continue
        for row in model.objects.values_list(*fields):
            values.update(" ".join(v.split()) for v in row if v and len(v.split()) >= 2)
    return values


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_is_left_as_the_english_page_has_it(request, language):
    _require_catalog(language)
    world = request.getfixturevalue("world")
    if not _english:
        for rendered in render_survivor_pages(world) + render_survivor_emails(
            world, language="en"
        ):
            _english[rendered.name] = _pieces(rendered)
    rendered_here = render_survivor_pages(world, language=language) + render_survivor_emails(
        world, language=language
    )
    # Names are shown as they are in every language: the rows' (above) and the hash
    # programmes' own names ("Take It Down (NCMEC)" is the programme, not a sentence).
    data = _data_strings() | {str(label) for label in Programme.labels}
    left: dict[str, list[str]] = {}
    for rendered in rendered_here:
        for piece in _pieces(rendered) & _english.get(rendered.name, set()):
            if len(re.findall(r"[A-Za-z]+", piece)) < MIN_WORDS:
                continue
            if any(value in piece for value in data):
                continue
            left.setdefault(piece, []).append(rendered.name)
    assert not left, f"Text left in English in {language} ({len(left)}):\n" + "\n".join(
        f"{piece[:120]!r} on {', '.join(names[:3])}{' and more' if len(names) > 3 else ''}"
        for piece, names in sorted(left.items())
    )

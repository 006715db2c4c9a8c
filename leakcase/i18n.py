"""Which languages a native speaker has reviewed, read from the catalogs' headers.

The convention: every catalog, locale/<code>/LC_MESSAGES/django.po, carries in its header

    "X-Reviewed-By-Native-Speaker: yes\\n"

once a native speaker has read the whole of it for meaning (not word for word), and "no"
until then (makemessages writes a new catalog without the line, which counts as "no").
The translator who reviews it sets it to "yes" in the same change as the review. English is
the source language and needs no review. A language without a catalog is not reviewed.

The headers are read once per process (the first page that shows the picker), not on every
request: catalogs change only with a deployment, which restarts the processes.
"""

import functools
import re
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, to_locale

REVIEW_HEADER = "X-Reviewed-By-Native-Speaker"
SOURCE_LANGUAGE = "en"
_HEADER_LINE = re.compile(r"^\s*([A-Za-z0-9-]+)\s*:\s*(.*?)\s*$")


def po_header(path: Path) -> dict[str, str]:
    """The header of a .po file (the msgstr of its first, empty msgid) as {name: value},
    names as written. Only the header is read."""
    lines = []
    in_header = False
    with path.open(encoding="utf-8") as po:
        for raw in po:
            line = raw.strip()
            if line.startswith("msgstr"):
                in_header = True
                line = line[len("msgstr") :].strip()
            elif not in_header:
                continue
            if not line.startswith('"'):
                break  # the first entry after the header
            lines.append(line[1:-1])
    text = "".join(lines).replace('\\"', '"').replace("\\n", "\n")
    header = {}
    for line in text.splitlines():
        match = _HEADER_LINE.match(line)
        if match:
            header[match.group(1)] = match.group(2)
    return header


def catalog_path(language: str) -> Path | None:
    """The first catalog of `language` in LOCALE_PATHS (Django's own order), if any."""
    for base in settings.LOCALE_PATHS:
        path = Path(base) / to_locale(language) / "LC_MESSAGES" / "django.po"
        if path.exists():
            return path
    return None


def is_reviewed(language: str) -> bool:
    if language == SOURCE_LANGUAGE:
        return True
    path = catalog_path(language)
    if path is None:
        return False
    return po_header(path).get(REVIEW_HEADER, "no").strip().lower() == "yes"


@functools.cache
def _in_review(locale_paths: tuple[str, ...], languages: tuple[str, ...]) -> frozenset[str]:
    return frozenset(code for code in languages if not is_reviewed(code))


def languages_in_review() -> frozenset[str]:
    """The codes of settings.LANGUAGES no native speaker has reviewed yet (cached: keyed by
    the settings, so a test that overrides LOCALE_PATHS reads its own catalogs)."""
    return _in_review(
        tuple(str(p) for p in settings.LOCALE_PATHS),
        tuple(code for code, _name in settings.LANGUAGES),
    )


@functools.cache
def _picker_choices(locale_paths: tuple[str, ...], in_review: frozenset[str]) -> tuple[dict, ...]:
    choices = []
    for code, name in settings.LANGUAGES:
        label = name
        if code in in_review:
            # In the language itself, like its name: the reader may know no other.
            with translation.override(code):
                # Translators: a language's name in the picker, its catalog not yet reviewed.
                label = gettext("%(name)s (in review)") % {"name": name}
        choices.append(
            {"code": code, "name": name, "label": label, "in_review": code in in_review}
        )
    return tuple(choices)


def picker_choices() -> tuple[dict, ...]:
    """The language picker's options: code, name in its own language, and the label shown
    ("Español (en revisión)" while the Spanish catalog is not reviewed)."""
    return _picker_choices(tuple(str(p) for p in settings.LOCALE_PATHS), languages_in_review())

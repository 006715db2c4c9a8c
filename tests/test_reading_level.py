"""Plain language: every survivor page and email, in English, reads at US grade 8 or below
(Flesch-Kincaid, measured with textstat): what a 13-year-old manages, and what someone reading
in her second language, in the worst week of her life, can follow.

Each page is measured on its own content (what is inside <main>); the header, picker and
footer every page shares are measured once, as a page of their own. Text is read the way a
person reads it: a heading, a list item, a button or a table cell is a piece of its own even
without a full stop, and the grade is that of the pieces of four words or more (the prose:
labels of a word or three would only pull it down); addresses, email addresses and case
references are left out (they are not words); the frozen letter to a platform (<pre>) is the
platform's legal English, not hers.
A failure lists every page's grade, worst first, with its longest sentences.
"""

import re
import statistics

import pytest
import textstat

from tests.helpers.access_matrix import World
from tests.helpers.survivor_pages import (
    render_survivor_emails,
    render_survivor_pages,
    text_pieces,
    visible_pieces,
)

MAX_GRADE = 8.0  # US grade 8: age 13-14
# Too few words for a grade to mean anything (a page that is a form and a heading).
MIN_WORDS = 12
PROSE_WORDS = 4


@pytest.fixture
def world(db):
    return World()


def _as_text(pieces: list[str]) -> str:
    """One text, each piece its own sentence (a full stop where it has none)."""
    return " ".join(p if re.search(r"[.!?:]$", p) else f"{p}." for p in pieces)


def prose(pieces: list[str]) -> list[str]:
    """The pieces read as sentences: four words or more. Labels, headings and buttons of a
    word or three are easy by themselves, and counted as sentences they would pull a page's
    grade down however hard its paragraphs are."""
    return [p for p in pieces if textstat.lexicon_count(p) >= PROSE_WORDS]


def grade(pieces: list[str]) -> float | None:
    text = _as_text(prose(pieces))
    if textstat.lexicon_count(text) < MIN_WORDS:
        return None
    return textstat.flesch_kincaid_grade(text)


def measure(world) -> dict[str, tuple[float | None, int, list[str]]]:
    """{page or email: (grade, words, pieces)} for every survivor page and email in English."""
    figures = {}
    pages = render_survivor_pages(world)
    chrome = []
    for page in pages:
        pieces = visible_pieces(page.html, parts=("main",))
        text = _as_text(pieces)
        figures[f"page {page.name}"] = (grade(pieces), textstat.lexicon_count(text), pieces)
        for piece in visible_pieces(page.html, parts=("chrome",)):
            if piece not in chrome:  # logged in and out: each once
                chrome.append(piece)
    figures["header, picker and footer"] = (
        grade(chrome),
        textstat.lexicon_count(_as_text(chrome)),
        chrome,
    )
    for email in render_survivor_emails(world, language="en"):
        pieces = text_pieces(email.text)
        text = _as_text(pieces)
        figures[f"email {email.name}"] = (grade(pieces), textstat.lexicon_count(text), pieces)
    return figures


def report(figures) -> str:
    def hardest(pieces):
        return sorted(pieces, key=lambda p: textstat.flesch_kincaid_grade(p), reverse=True)[:2]

    rows = sorted(figures.items(), key=lambda item: -(item[1][0] or -99))
    lines = [f"{'grade':>6} {'words':>6}  page"]
    for name, (g, words, pieces) in rows:
        shown = "  -  " if g is None else f"{g:5.1f}"
        flag = " <-- above grade 8" if g is not None and g > MAX_GRADE else ""
        lines.append(f"{shown:>6} {words:6d}  {name}{flag}")
        if flag:
            lines += [f"{'':15}hardest: {p[:140]}" for p in hardest(pieces)]
    graded = [g for g, _words, _pieces in figures.values() if g is not None]
    lines.append(f"median grade {statistics.median(graded):.1f} over {len(graded)} pages")
    return "\n".join(lines)


def test_every_survivor_page_and_email_reads_at_grade_8_or_below(world):
    figures = measure(world)
    assert len(figures) > 20  # every page was reached (the matrix's and allauth's)
    above = {name for name, (g, _w, _p) in figures.items() if g is not None and g > MAX_GRADE}
    assert not above, "\n" + report(figures)


def test_short_labels_do_not_dilute_hard_prose():
    hard = (
        "Notwithstanding the aforementioned jurisdictional considerations, substantiated "
        "documentation facilitates expeditious adjudication of infringement allegations."
    )
    labels = ["Save", "Case", "My data", "Log out"] * 20
    assert grade([hard, hard, *labels]) == grade([hard, hard])


def test_the_measure_tells_plain_words_from_hard_ones():
    plain = ["We look at your links every day.", "If one is gone, we tell you."]
    hard = [
        "Notwithstanding the aforementioned jurisdictional considerations, substantiated "
        "documentation facilitates expeditious adjudication of infringement allegations."
    ]
    assert grade(plain * 3) <= MAX_GRADE < grade(hard * 2)


def test_a_heading_or_button_without_a_full_stop_is_a_sentence_of_its_own():
    page = (
        "<html lang='en'><header><nav><a href='/'>My cases</a><a href='/d'>My data</a></nav>"
        "</header><main><h1>Your case</h1><p>See the <a href='/x'>links you sent</a> and what"
        " we did.</p><button>Save</button><pre>LEGAL TEXT</pre>"
        "<select><option lang='es'>Español</option></select></main></html>"
    )
    assert visible_pieces(page, parts=("main",)) == [
        "Your case",
        "See the links you sent and what we did.",
        "Save",
    ]
    assert visible_pieces(page, parts=("chrome",)) == ["My cases", "My data"]

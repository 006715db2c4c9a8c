"""Every page and email a survivor sees, rendered, and the text a person reads on them.

Shared by tests/test_i18n.py (no English left in another language) and
tests/test_reading_level.py (English a 13-year-old reads). The pages are those of the access
matrix (tests/helpers/access_matrix.py) that she (the case's owner) or anyone not logged in
gets with a GET, plus allauth's pages she uses (log in, sign up, password), and her sent
request's page; the emails are her weekly status (a busy week and a quiet one), the update
notice, the invitation, and allauth's password reset and address confirmation.
"""

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import Client, TestCase
from django.test.signals import template_rendered
from django.urls import reverse
from django.utils import timezone, translation

from digests.messages import digest_message
from digests.selectors import survivor_counts
from leakcase.emails import make_message
from outbox.models import EmailKind, OutgoingEmail
from tests.helpers.access_matrix import MATRIX, OK

# Not pages: health and metrics are for machines.
MACHINE_URLS = {"healthz", "metrics"}
# allauth's pages of hers (their views are allauth's, so they are not in the matrix), and
# whether she is logged in for them.
ALLAUTH_PAGES = {
    "account_login": False,
    "account_signup": False,
    "account_reset_password": False,
    "account_change_password": True,
}


@dataclass
class Rendered:
    name: str
    html: str  # a page, or an email's HTML part
    templates: set[str] = field(default_factory=set)
    text: str = ""  # an email's subject and plain-text part


def survivor_page_names() -> list[tuple[str, bool]]:
    """(URL name, logged in as her) of every GET page of hers in the access matrix."""
    pages = []
    for name, (method, _data, expected) in MATRIX.items():
        if method != "GET" or name in MACHINE_URLS:
            continue
        if expected["owner"] == OK:
            pages.append((name, True))
        elif expected["anonymous"] == OK:
            pages.append((name, False))
    return pages + list(ALLAUTH_PAGES.items())


def _url(world, name: str) -> str:
    if name in ALLAUTH_PAGES:
        return reverse(name)
    return world.url(name)


def render_survivor_pages(world, *, language: str | None = None) -> list[Rendered]:
    """Every survivor page (HTML only: downloads are left out) as she gets it, in `language`
    (her account's, and the cookie's for the pages without a login)."""
    owner = world.users["owner"]
    type(owner).objects.filter(pk=owner.pk).update(language=language or "")
    owner.language = language or ""
    # The test thread keeps the language of the last request it made (LocaleMiddleware does
    # not put it back): start from the one asked for, and leave things as they were.
    with translation.override(language or "en"):
        return _render_pages(world, owner, language)


def _render_pages(world, owner, language):
    pages = []
    signed_in, anonymous = Client(), Client()
    signed_in.force_login(owner)
    for client in (signed_in, anonymous):
        if language:
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    targets = [(name, _url(world, name), logged_in) for name, logged_in in survivor_page_names()]
    # Her request once sent, as well as the draft the matrix walks; a page that is not there.
    sent = reverse("takedowns:detail", args=[world.case.reference, world.sent.pk])
    targets.append(("takedowns:detail (sent)", sent, True))
    targets.append(("404", "/cases/LC-NOTHERE/", True))
    for name, url, logged_in in targets:
        response = (signed_in if logged_in else anonymous).get(url)
        assert response.status_code == (404 if name == "404" else 200), (name, response)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        templates = {t.name for t in response.templates if t.name}
        pages.append(Rendered(name, response.content.decode(), templates))
    return pages


def render_survivor_emails(world, *, language: str) -> list[Rendered]:
    """Every email a survivor gets, in `language` (her account's). Each one's `templates`
    are those rendered while it was built (the test environment's template_rendered)."""
    owner = world.users["owner"]
    type(owner).objects.filter(pk=owner.pk).update(language=language)
    owner.language = language
    emails = []
    rendered: set[str] = set()

    def seen(sender, template, context, **kwargs):
        if template.name:
            rendered.add(template.name)

    template_rendered.connect(seen)
    try:
        with translation.override("en"):  # whatever the last request left active
            _build_emails(world, owner, language, emails, rendered)
    finally:
        template_rendered.disconnect(seen)
    return emails


def _build_emails(world, owner, language, emails, rendered):
    def add(name, message):
        parts = [
            c for c, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"
        ]
        text = f"{message.subject}\n\n{message.body}"
        emails.append(Rendered(name, parts[0] if parts else "", set(rendered), text=text))
        rendered.clear()

    now = timezone.now()
    busy = OutgoingEmail(user=owner, kind=EmailKind.SURVIVOR_WEEKLY, scheduled_for=now)
    busy.counts = survivor_counts([owner], now=now)[owner.pk]
    add("weekly status", digest_message(busy, to=owner.email))
    quiet = OutgoingEmail(user=owner, kind=EmailKind.SURVIVOR_WEEKLY, scheduled_for=now)
    quiet.counts = {**busy.counts, "quiet_week": True}
    add("weekly status, a quiet week", digest_message(quiet, to=owner.email))
    link = settings.SITE_URL + "/accounts/login/"
    add(
        "update notice",
        make_message("update-notice", {"link": link}, owner.email, language=language),
    )
    add("invitation", make_message("invitation", {"link": link}, owner.email, language=language))

    # allauth's mail, through its own flows and our adapter (in her account's language).
    client = Client()
    for name, send in (
        (
            "password reset",
            lambda: client.post(reverse("account_reset_password"), {"email": owner.email}),
        ),
        ("address confirmation", lambda: _confirmation(client, owner)),
    ):
        cache.clear()  # allauth's rate limits: one language after another, same address
        sent_before = len(mail.outbox)
        # The page she asks from is in English: the mail must still be in hers. The outbox
        # sends once the request's transaction commits.
        with translation.override("en"), TestCase.captureOnCommitCallbacks(execute=True):
            send()
        assert len(mail.outbox) == sent_before + 1, name
        add(name, mail.outbox[-1])


def _confirmation(client, owner):
    client.force_login(owner)
    response = client.post(reverse("accounts:email_verification_send"))
    client.logout()
    return response


# --- the text a person reads ---------------------------------------------------------------

# Elements whose end ends a piece of text that is read on its own (a heading, a list item, a
# button, a table cell): a sentence for the reading level, even without a full stop.
_BLOCKS = {
    "p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "td", "th", "tr", "caption",
    "label", "button", "option", "summary", "legend", "figcaption", "blockquote", "div",
    "section", "header", "footer", "nav", "main", "form", "ul", "ol", "dl", "table", "br",
    "title", "fieldset", "details", "article", "aside",
}  # fmt: skip
# Links are read on their own where they stand alone (a nav, a row of actions), and as part
# of the sentence around them inside running text.
_FLOW = {
    "p", "li", "dd", "dt", "td", "th", "span", "strong", "em", "small", "label", "h1",
    "h2", "h3", "h4", "h5", "h6", "summary", "figcaption", "blockquote", "caption",
}  # fmt: skip
# Never read as text: code, the frozen letter to a platform (legal English on purpose), the
# language picker's names (each in its own language), form field contents.
_SKIP = {"script", "style", "template", "svg", "pre", "textarea", "select", "code", "head"}
_VOID = {"br", "img", "input", "meta", "link", "hr", "source", "wbr"}
_URL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+|/\S*")
_REFERENCE = re.compile(r"\bLC-[A-Z0-9]{4,}\b")


class _Text(HTMLParser):
    def __init__(self, parts: tuple[str, ...]):
        super().__init__(convert_charrefs=True)
        self.parts = parts  # "main", "chrome" or both: which parts of the page to keep
        self.language = ""  # the page's own (<html lang>): text in another is not read here
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.pieces: list[str] = []
        self.current: list[str] = []

    def _part(self) -> str:
        tags = [tag for tag, _ in self.stack]
        return "main" if "main" in tags else "chrome"

    def _skipped(self) -> bool:
        return any(skipped for _, skipped in self.stack)

    def _break(self):
        text = " ".join("".join(self.current).split())
        if text:
            self.pieces.append(text)
        self.current = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.language = attrs.get("lang") or ""
        foreign = tag != "html" and bool(attrs.get("lang")) and attrs["lang"] != self.language
        skipped = tag in _SKIP or foreign or "aria-hidden" in attrs
        if tag in _BLOCKS or (tag == "a" and self.stack and self.stack[-1][0] not in _FLOW):
            self._break()
        if tag not in _VOID:
            self.stack.append((tag, skipped))

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag == tag:
                break
        if tag in _BLOCKS or tag == "a":
            parent = self.stack[-1][0] if self.stack else ""
            if tag != "a" or parent not in _FLOW:
                self._break()

    def handle_data(self, data):
        if self._skipped() or self._part() not in self.parts:
            return
        self.current.append(data)

    def close(self):
        super().close()
        self._break()


def visible_pieces(page_html: str, *, parts=("main", "chrome")) -> list[str]:
    """The pieces of text a person reads on the page, each one block (a paragraph, a heading,
    a button): `main` is the page's own content, `chrome` the header, picker and footer that
    every page shares. Addresses, emails and case references are left out (they are read,
    but not as words); so is the language picker's list of names."""
    parser = _Text(tuple(parts))
    parser.feed(page_html)
    parser.close()
    pieces = []
    for piece in parser.pieces:
        piece = _REFERENCE.sub("", _URL.sub("", html.unescape(piece)))
        piece = " ".join(piece.split())
        if re.search(r"[A-Za-z]", piece):
            pieces.append(piece)
    return pieces


def text_pieces(text: str) -> list[str]:
    """A plain-text email (subject and body), line by line, as pieces of text."""
    pieces = []
    for line in text.splitlines():
        line = " ".join(_REFERENCE.sub("", _URL.sub("", line)).split())
        if re.search(r"[A-Za-z]", line):
            pieces.append(line)
    return pieces

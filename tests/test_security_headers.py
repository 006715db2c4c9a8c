"""A crawl of every URL of ours (and the account pages) as every role: each answer carries the
security headers, and no page makes the browser fetch from, post to or link to another host.

The one link out is the quick exit, to settings.QUICK_EXIT_URL; it is allowed only on the
element that is the quick exit, and only to that address.
"""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import reverse

from casework.pages import PROGRAMME_WORDS
from leakcase.middleware import CONTENT_SECURITY_POLICY
from tests.case_world import CaseWorld, our_urls

ROLES = ("anonymous", "survivor", "other_survivor", "caseworker", "supervisor")
ACCOUNT_PAGES = (
    "account_email",
    "mfa_index",
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_change_password",
    "account_logout",
    "home",
)
# Attributes through which a page makes the browser fetch, submit or navigate.
URL_ATTRIBUTES = {"src", "href", "action", "formaction", "srcset", "poster", "data", "background"}
# Words that tell an onlooker what the site is about; none may be in a page's <title>.
TELLING_WORDS = ("leak", "evidence", "intimate", "takedown", "sighting", "nude", "image")


class PageLinks(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, dict]] = []  # (tag, url, attributes)
        self.title_parts: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "title" and not self._in_svg_title(attributes):
            self._in_title = True
        for name, value in attrs:
            if name in URL_ATTRIBUTES and value is not None:
                for candidate in value.split(",") if name == "srcset" else [value]:
                    self.urls.append((tag, candidate.strip().split(" ")[0], attributes))
        if tag == "meta" and attributes.get("http-equiv", "").lower() == "refresh":
            self.urls.append((tag, attributes.get("content", "").split("=", 1)[-1], attributes))

    def _in_svg_title(self, attributes):
        return "id" in attributes  # the figures chart's <title id=...> inside its <svg>

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title_parts.append(data)

    @property
    def title(self):
        return " ".join("".join(self.title_parts).split())


# The test client's host, and the address emails use to link back (settings.SITE_URL).
OUR_HOSTS = {"testserver", urlsplit(settings.SITE_URL).hostname}
PROGRAMME_SITES = {site for _her, _staff, site in PROGRAMME_WORDS.values()}


def is_inert_document(response) -> bool:
    """An email rendered for staff to preview: it may carry the inline styles mail needs, but
    fetches nothing and runs nothing (default-src 'none', no script-src). It is the email's
    document, not one of the site's pages, so the site's own CSP and title do not apply."""
    policy = response.headers.get("Content-Security-Policy", "")
    return policy.startswith("default-src 'none'") and "script-src" not in policy


def leaves_the_site(url: str) -> bool:
    parts = urlsplit(url.strip())
    if parts.scheme:
        # javascript:, data:, mailto:, file: never belong in our pages; "https:evil.example"
        # (no slashes) leaves the site from an http page; only our own host may be named.
        return parts.scheme not in ("http", "https") or parts.hostname not in OUR_HOSTS
    return bool(parts.netloc) and parts.hostname not in OUR_HOSTS


HEAD_TITLE = re.compile(r"<head>.*?<title>(?P<title>.*?)</title>.*?</head>", re.DOTALL)
# A tab shows a <title> as text: markup in it (raw or escaped) is shown as it is written.
MARKUP_IN_TITLE = ("<", ">", "&lt;", "&gt;")
TEMPLATE_SYNTAX = ("{#", "#}", "{%", "%}", "{{", "}}")


def check_page(response, where, world=None):
    problems = []
    headers = response.headers
    inert = is_inert_document(response)
    expected = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY if not inert else None,
        "Referrer-Policy": settings.SECURE_REFERRER_POLICY,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    }
    if "no-store" not in headers.get("Cache-Control", ""):
        problems.append(f"{where}: Cache-Control is {headers.get('Cache-Control')!r}")
    for name, value in expected.items():
        if value is not None and headers.get(name) != value:
            problems.append(f"{where}: {name} is {headers.get(name)!r}")
    hsts = headers.get("Strict-Transport-Security", "")
    if "max-age=31536000" not in hsts or "includeSubDomains" not in hsts:
        problems.append(f"{where}: HSTS is {hsts!r}")
    if not headers.get("X-Request-ID"):
        problems.append(f"{where}: no X-Request-ID")
    for directive in (
        "default-src 'none'" if inert else "default-src 'self'",
        *([] if inert else ["object-src 'none'"]),
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        if directive not in headers.get("Content-Security-Policy", ""):
            problems.append(f"{where}: CSP lacks {directive}")
    if "unsafe-inline" in headers.get("Content-Security-Policy", "") and not inert:
        problems.append(f"{where}: CSP allows inline script or style")

    if headers.get("Content-Type", "").startswith("text/html") and not response.streaming:
        page = PageLinks()
        page.feed(response.content.decode())
        quick_exits = 0
        for tag, url, attributes in page.urls:
            if not leaves_the_site(url):
                continue
            if (
                tag == "a"
                and "data-quick-exit" in attributes
                and url == settings.QUICK_EXIT_URL
                and "noreferrer" in attributes.get("rel", "")
            ):
                quick_exits += 1
                continue
            # The hash programmes' own sites (her case page, "Programmes that can help"):
            # named on purpose, and opened without telling them where she came from.
            if tag == "a" and url in PROGRAMME_SITES and "noreferrer" in attributes.get("rel", ""):
                continue
            problems.append(f"{where}: <{tag}> points away: {url!r}")
        if quick_exits > 1:
            problems.append(f"{where}: {quick_exits} quick-exit links")
        if page.title and not inert:
            lowered = page.title.lower()
            telling = [w for w in TELLING_WORDS if w in lowered]
            if world is not None:
                telling += [
                    v for v in (world.case.reference, world.case.pseudonym) if v in page.title
                ]
            if telling:
                problems.append(f"{where}: title {page.title!r} tells {telling}")
            if not page.title.endswith(settings.SITE_TITLE):
                problems.append(f"{where}: title {page.title!r} lacks the site title")
        # Template syntax in a page is a template gone wrong (a {# comment #} over several
        # lines renders as text): it showed a developer's note on her case page.
        body = response.content.decode()
        leaked = [mark for mark in TEMPLATE_SYNTAX if mark in body]
        if leaked:
            problems.append(f"{where}: template syntax shows: {leaked}")
        head = HEAD_TITLE.search(body)
        raw_title = head["title"] if head else ""
        if not inert and any(mark in raw_title for mark in MARKUP_IN_TITLE):
            problems.append(f"{where}: title shows markup: {' '.join(raw_title.split())!r}")
    return problems


@pytest.fixture
def world(survivor, other_survivor, caseworker, supervisor):
    return CaseWorld(
        survivor=survivor,
        other_survivor=other_survivor,
        caseworker=caseworker,
        supervisor=supervisor,
    )


def _every_url(world):
    for name, params in sorted(set(our_urls())):
        yield name, world.url(name, params)
    for name in ACCOUNT_PAGES:
        yield name, reverse(name)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_as_every_role_has_the_headers_and_stays_on_the_site(client, world, role):
    if role != "anonymous":
        client.force_login(world.users[role])
    problems, seen = [], 0
    for name, url in _every_url(world):
        for method in ("get", "post"):
            if name == "account_logout" and method == "post":
                continue  # would end the crawl's own session
            response = getattr(client, method)(url, secure=True)
            where = f"{role} {method.upper()} {name} -> {response.status_code}"
            assert response.status_code < 500, where
            problems += check_page(response, where, world)
            seen += 1
    assert seen > 80
    assert not problems, "\n".join(problems)


def test_the_quick_exit_is_on_every_page_and_is_the_only_way_out(client, survivor):
    client.force_login(survivor)
    body = client.get(reverse("cases:list"), secure=True).content.decode()
    page = PageLinks()
    page.feed(body)
    outside = [url for _, url, _ in page.urls if leaves_the_site(url)]
    assert outside == [settings.QUICK_EXIT_URL]


def test_static_files_may_be_cached_and_still_carry_the_headers(client):
    response = client.get(f"{settings.STATIC_URL}leakcase/leakcase.js", secure=True)
    assert response.status_code == 200
    assert response.get("Cache-Control", "") != "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_a_claim_link_page_without_login_is_not_stored(client, world):
    response = client.get(reverse("cases:claim", args=[world.token]), secure=True)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def test_the_crawler_sees_what_it_must_refuse():
    page = PageLinks()
    page.feed(
        '<title>x</title><img src="https://cdn.example/a.png">'
        '<a href="//evil.example/">x</a><form action="https:evil.example"></form>'
        '<a href="javascript:alert(1)">x</a><img srcset="/a.png 1x, https://t.example/b 2x">'
        '<a href="/cases/">ours</a><a href="?tab=mine">ours</a>'
    )
    outside = [url for _, url, _ in page.urls if leaves_the_site(url)]
    assert outside == [
        "https://cdn.example/a.png",
        "//evil.example/",
        "https:evil.example",
        "javascript:alert(1)",
        "https://t.example/b",
    ]

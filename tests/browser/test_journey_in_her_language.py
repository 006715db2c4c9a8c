"""The issue's journey in Spanish and in Arabic, on a phone (390 x 844) in Chromium: the first
visit follows the browser's language; she signs up, opens a case, pastes links with a bad
line and reads what was wrong, every page in her language and direction, nothing wider than
the screen, axe clean; her account keeps the language for her emails.

Elements are found by their place and names, not by English words, so the journey runs the
same with the translators' catalogs (locale/) as without them; with them, its screenshots
show her pages translated: LEAKCASE_DOCS_SHOTS=1 writes them to docs/screenshots/ (committed
with the catalogs: the issue asks for them), LEAKCASE_SHOTS_DIR elsewhere for a look."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from cases.models import Case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SHOTS_DIR = os.environ.get("LEAKCASE_SHOTS_DIR")
PASTED = "https://x.com/a/status/1\njavascript:alert(1)\nhttps://www.reddit.com/r/x/1"


def _shot(page: Page, name: str, *, full_page: bool = True) -> None:
    for folder in (DOCS_SHOTS if os.environ.get("LEAKCASE_DOCS_SHOTS") else None, SHOTS_DIR):
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)


def _in_her_language(page: Page, language: str, direction: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("html")).to_have_attribute("dir", direction)
    expect(page.locator("#language-picker")).to_have_value(language)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize(("language", "direction"), [("es", "ltr"), ("ar", "rtl")])
def test_sign_up_open_a_case_and_paste_links_in_her_language(
    page: Page, live_server, accessibility, language, direction
):
    page.set_viewport_size(PHONE)
    page.set_extra_http_headers({"Accept-Language": f"{language},en;q=0.5"})

    page.goto(f"{live_server.url}/accounts/signup/")
    _in_her_language(page, language, direction)
    accessibility.check(page, f"sign up ({language})")
    _shot(page, f"{language}-1-sign-up")
    page.locator("input[name=email]").fill(f"{language}@example.test")
    page.locator("input[name=password1]").fill("violet-harbour-kettle-93")
    page.locator("input[name=password2]").fill("violet-harbour-kettle-93")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/cases/")
    _in_her_language(page, language, direction)
    # Signed up reading it: the account keeps it, for the emails workers write later.
    assert User.objects.get(email=f"{language}@example.test").language == language

    page.goto(f"{live_server.url}/cases/new/")
    _in_her_language(page, language, direction)
    page.locator("input[name=pseudonym]").fill("Juniper")
    page.locator("main form button[type=submit]").click()
    case = Case.objects.get(survivor__email=f"{language}@example.test")
    expect(page).to_have_url(f"{live_server.url}/cases/{case.reference}/")
    _in_her_language(page, language, direction)

    paste = page.locator("form", has=page.locator("textarea[name=urls]"))
    paste.locator("textarea[name=urls]").fill(PASTED)
    paste.locator("button[type=submit]").click()
    result = page.locator("#paste-result")
    expect(result).to_be_visible()
    expect(result.get_by_role("listitem")).to_have_count(1)  # the one bad line
    expect(result).to_contain_text("javascript:alert(1)")
    assert case.sightings.count() == 2
    _in_her_language(page, language, direction)
    accessibility.check(page, f"case after a paste with a bad line ({language})")
    # What she sees: the result at the top of her screen (leakcase.js brings it there).
    _shot(page, f"{language}-2-paste-with-a-bad-line", full_page=False)

    assert accessibility.failures == [], "\n".join(accessibility.reports)

"""A survivor's journey through LeakCase in a real Chromium, found by role and label.

Every request stays on the live server (see the `network` fixture): the quick exit
points at a real website and is never followed off this machine.
"""

import os
import re
import string
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from accounts.models import Role, User
from cases.models import REFERENCE_ALPHABET, Case
from cases.services import case_open
from evidence.demo_images import make_image, screenshot_of
from evidence.models import AccessAction, EvidenceAccess, EvidenceFile, Sighting
from evidence.services import evidence_add, sightings_log_pasted
from takedowns.services import takedowns_draft
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# REFERENCE_ALPHABET in cases/models.py: no 0, 1, I, L, O or U.
REFERENCE = re.compile(r"^LC-[2-9A-HJKMNP-TV-Z]{6}$")

PHONE = {"width": 390, "height": 844}
SHOTS_DIR = os.environ.get("LEAKCASE_SHOTS_DIR")  # e.g. /tmp/leakcase-shots, never committed

PASTED = "\n".join(
    [
        "https://x.com/a/status/1",
        "https://www.reddit.com/r/x/comments/abc/",
        "https://imgur.com/gallery/abc",
        "javascript:alert(1)",
        "HTTPS://X.COM/a/status/1?utm_source=share#top",
    ]
)


def label(text: str) -> re.Pattern:
    """A form label exactly, with or without the colon Django adds after it."""
    return re.compile(rf"^{re.escape(text)}:?$")


def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    """A PNG for a person to look at, only when LEAKCASE_SHOTS_DIR is set."""
    if SHOTS_DIR:
        Path(SHOTS_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS_DIR) / f"{name}.png"), full_page=full_page)


def screenshot_png(seed: int = 3) -> bytes:
    return screenshot_of(make_image(seed=seed))


@dataclass
class Journey:
    """A survivor with a case, three sightings and one screenshot, made through services."""

    survivor: User
    case: Case
    sighting: Sighting
    evidence: EvidenceFile

    def url(self, live_server, path: str = "") -> str:
        return f"{live_server.url}/cases/{self.case.reference}/{path}"


@pytest.fixture
def journey(transactional_db):
    survivor = User.objects.create_user(
        email="rose@example.test", password=PASSWORD, role=Role.SURVIVOR
    )
    case = case_open(survivor=survivor, pseudonym="Rose", acting_user=survivor)
    result = sightings_log_pasted(case=case, text=PASTED, acting_user=survivor)
    assert len(result.saved) == 3
    sighting = next(s for s in result.saved if s.host == "x.com")
    evidence = evidence_add(
        case=case,
        upload=SimpleUploadedFile("screenshot.png", screenshot_png(), content_type="image/png"),
        acting_user=survivor,
        sighting=sighting,
    )
    return Journey(survivor=survivor, case=case, sighting=sighting, evidence=evidence)


def test_new_survivor_signs_up_opens_case_logs_sightings_and_evidence(page: Page, live_server):
    email = "new.survivor@example.test"
    password = "violet-harbour-kettle-93"

    # Sign up from the front page.
    page.goto(live_server.url)
    page.get_by_role("link", name="Create a private account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a private account")
    page.get_by_label(label("Email")).fill(email)
    page.get_by_label(label("Password")).fill(password)
    page.get_by_label(label("Password (again)")).fill(password)
    page.get_by_role("button", name="Create account").click()

    # Straight to her (empty) list of cases.
    expect(page.get_by_role("heading", level=1)).to_have_text("My cases")
    expect(page).to_have_url(f"{live_server.url}/cases/")
    user = User.objects.get(email=email)
    assert user.role == Role.SURVIVOR
    # Asked to confirm her address (a link was emailed), and not stopped until she does.
    confirm = page.get_by_role("region", name="Please confirm your email address")
    expect(confirm.get_by_role("button", name="Send the link again")).to_be_visible()

    page.get_by_role("link", name="Open a new case").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open a case")
    page.get_by_label(label("A name for this case")).fill("Juniper")
    page.get_by_role("button", name="Open case").click()

    # The case page: her pseudonym as the heading, a reference that can be read out.
    expect(page.get_by_role("heading", level=1)).to_have_text("Juniper")
    case = Case.objects.get(survivor=user)
    assert REFERENCE.match(case.reference), case.reference
    # The pattern allows the model's alphabet, no more and no less.
    allowed = {c for c in string.digits + string.ascii_uppercase if REFERENCE.match(f"LC-{c * 6}")}
    assert allowed == set(REFERENCE_ALPHABET)
    case_url = f"{live_server.url}/cases/{case.reference}/"
    expect(page).to_have_url(case_url)
    expect(page.get_by_role("status")).to_contain_text(f"Case {case.reference} is open.")
    expect(page.get_by_text(f"Case {case.reference}", exact=True)).to_be_visible()

    # Paste five lines: three good, one not a web address, one a copy of line 1.
    page.get_by_label("Paste addresses, one per line").fill(PASTED)
    page.get_by_role("button", name="Log all").click()

    status = page.get_by_role("status", name="3 sightings saved, 2 lines not saved")
    expect(status).to_be_visible()
    problems = status.get_by_role("listitem")
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_contain_text("Line 4: javascript:alert(1)")
    expect(problems.nth(0)).to_contain_text("Only web addresses (http:// or https://)")
    expect(problems.nth(1)).to_contain_text("Line 5: HTTPS://X.COM/a/status/1")
    expect(problems.nth(1)).to_contain_text("Same address as line 1.")

    expect(page.get_by_role("heading", name="Sightings (3)")).to_be_visible()
    # One table per platform: a takedown goes to each platform.
    sightings = page.get_by_role("region", name="Sightings (3)")
    rows = sightings.get_by_role("table").locator("tbody").get_by_role("row")
    expect(rows).to_have_count(3)
    x_table = page.get_by_role("table", name="X (Twitter) (1)")
    expect(
        x_table.get_by_role("link", name="https://x.com/a/status/1", exact=True)
    ).to_be_visible()
    for platform, address in (
        ("Reddit (1)", "https://www.reddit.com/r/x/comments/abc/"),
        ("Imgur (1)", "https://imgur.com/gallery/abc"),
    ):
        table = page.get_by_role("table", name=platform)
        expect(table.get_by_role("link", name=address, exact=True)).to_be_visible()
    assert case.sightings.count() == 3
    shot(page, "case-desktop")

    # Upload a screenshot (an image drawn by code, never a photo).
    page.get_by_label(label("Screenshot")).set_input_files(
        {"name": "screenshot.png", "mimeType": "image/png", "buffer": screenshot_png()}
    )
    page.get_by_role("button", name="Upload screenshot").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Screenshot")
    evidence = EvidenceFile.objects.get(case=case)
    expect(page).to_have_url(f"{case_url}evidence/{evidence.pk}/")
    expect(page.get_by_role("status")).to_contain_text("It stays blurred until you reveal it.")

    image = page.get_by_role("img", name="Blurred preview of a screenshot")
    expect(image).to_have_attribute("data-state", "blurred")
    expect(image).to_have_attribute(
        "src", f"/cases/{case.reference}/evidence/{evidence.pk}/preview/"
    )
    # Showing the blurred preview is not an access to the image.
    assert not EvidenceAccess.objects.filter(evidence=evidence).exists()
    shot(page, "evidence-blurred")

    page.get_by_role("link", name="Reveal image").click()
    revealed = page.get_by_role("img", name="The screenshot, revealed")
    expect(revealed).to_have_attribute("data-state", "revealed")
    expect(revealed).to_have_attribute(
        "src", re.compile(rf"/cases/{case.reference}/evidence/{evidence.pk}/(image|thumbnail)/$")
    )
    expect(revealed).to_be_focused()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=revealed.element_handle()
    )
    assert revealed.evaluate("img => img.naturalWidth") == evidence.width
    # The reveal was done in JavaScript, without a page load.
    expect(page).to_have_url(f"{case_url}evidence/{evidence.pk}/")
    actions = set(
        EvidenceAccess.objects.filter(evidence=evidence, user=user).values_list(
            "action", flat=True
        )
    )
    assert actions == {AccessAction.REVEAL}
    shot(page, "evidence-revealed")

    # Log out: back at the login page, and the case is closed to her browser.
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.goto(case_url)
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/accounts/login/\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.get_by_role("heading", name="Juniper")).to_have_count(0)


def test_quick_exit_is_on_every_survivor_page(
    page: Page, live_server, journey, log_in, settings, network
):
    log_in(page, journey.survivor.email, PASSWORD)
    server = urlsplit(live_server.url).netloc
    pages = {
        "my cases": f"{live_server.url}/cases/",
        "open a case": f"{live_server.url}/cases/new/",
        "case": journey.url(live_server),
        "evidence": journey.url(live_server, f"evidence/{journey.evidence.pk}/"),
        "sighting": journey.url(live_server, f"sightings/{journey.sighting.pk}/"),
    }
    for name, url in pages.items():
        page.goto(url)
        expect(page).to_have_url(url)
        exit_link = page.get_by_role("link", name="Quick exit", exact=True)
        expect(exit_link).to_be_visible()
        href = exit_link.get_attribute("href")
        assert href == settings.QUICK_EXIT_URL, (name, href)
        parts = urlsplit(href)
        assert parts.scheme == "https", (name, href)
        assert parts.netloc and parts.netloc != server, (name, href)
        assert parts.hostname not in {"127.0.0.1", "localhost"}, (name, href)

    # Esc twice heads for the quick-exit site; the request is stopped before it leaves.
    real_exit = settings.QUICK_EXIT_URL
    page.goto(pages["case"])
    with (
        page.expect_event("requestfailed", lambda request: request.url == real_exit),
        page.expect_request(lambda request: request.url == real_exit) as attempt,
    ):
        page.keyboard.press("Escape")
        page.keyboard.press("Escape")
    assert attempt.value.is_navigation_request()
    assert network.blocked == [real_exit]
    # The case page is gone; Chromium shows its own error page for the stopped request.
    page.wait_for_url("chrome-error://chromewebdata/")

    # A single Esc (closing a date picker, say) does nothing.
    page.goto(pages["case"])
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    expect(page).to_have_url(pages["case"])

    # With the exit pointed at this server, follow it: it must replace the case page in
    # history, so Back does not bring the case back.
    settings.QUICK_EXIT_URL = f"{live_server.url}/static/leakcase/leakcase.css?left"
    page.goto(pages["my cases"])
    page.get_by_role("link", name=journey.case.reference).click()
    expect(page).to_have_url(pages["case"])
    expect(page.get_by_role("link", name="Quick exit")).to_have_attribute(
        "href", settings.QUICK_EXIT_URL
    )
    # The page came by a click: its script may not have run yet when the URL changes.
    page.wait_for_load_state("load")
    history_length = page.evaluate("history.length")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_url(settings.QUICK_EXIT_URL)
    assert page.evaluate("history.length") == history_length
    page.go_back()
    expect(page).to_have_url(pages["my cases"])

    # The button does the same (followed here only because it points at this server): from
    # my cases to the evidence, exit, and Back skips the evidence.
    page.goto(pages["evidence"])
    history_length = page.evaluate("history.length")
    page.get_by_role("link", name="Quick exit").click()
    page.wait_for_url(settings.QUICK_EXIT_URL)
    assert page.evaluate("history.length") == history_length
    page.go_back()
    expect(page).to_have_url(pages["my cases"])
    # Nothing but that one stopped request ever tried to leave.
    assert network.blocked == [real_exit]


def test_pages_have_no_accessibility_violations(
    accessibility, page: Page, live_server, journey, log_in
):
    def check(name: str) -> None:
        accessibility.check(page, name)

    page.goto(f"{live_server.url}/")
    check("home")
    page.goto(f"{live_server.url}/accounts/login/")
    check("login")
    page.goto(f"{live_server.url}/accounts/signup/")
    check("signup")

    log_in(page, journey.survivor.email, PASSWORD)
    page.goto(f"{live_server.url}/cases/")
    check("my cases")
    page.goto(f"{live_server.url}/cases/new/")
    check("open a case")
    page.goto(journey.url(live_server))
    expect(page.get_by_role("img", name="Blurred preview of a screenshot")).to_be_visible()
    check("case page")
    page.get_by_label("Paste addresses, one per line").fill(PASTED)
    page.get_by_role("button", name="Log all").click()
    # Nothing saved: every line is an error in the form's error summary.
    expect(page.get_by_role("alert", name="There is a problem")).to_be_visible()
    check("case page after a paste with problems")
    page.goto(journey.url(live_server, f"evidence/{journey.evidence.pk}/"))
    check("evidence page")
    page.get_by_role("link", name="Reveal image").click()
    expect(page.get_by_role("img", name="The screenshot, revealed")).to_be_visible()
    check("evidence page, revealed")
    page.goto(journey.url(live_server, f"sightings/{journey.sighting.pk}/"))
    check("sighting page")

    assert accessibility.failures == [], "\n\n".join(accessibility.reports)


def test_case_page_works_on_a_phone(page: Page, live_server, journey, log_in):
    page.set_viewport_size(PHONE)
    log_in(page, journey.survivor.email, PASSWORD)
    page.goto(journey.url(live_server))
    expect(page.get_by_role("heading", level=1)).to_have_text("Rose")
    expect(page.get_by_role("img", name="Blurred preview of a screenshot")).to_be_visible()
    assert page.evaluate("window.scrollY") == 0
    shot(page, "case-phone-top", full_page=False)

    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert inner_width == PHONE["width"]
    assert scroll_width <= inner_width + 1, f"the page scrolls sideways: {scroll_width}px wide"

    exit_link = page.get_by_role("link", name="Quick exit")
    expect(exit_link).to_be_in_viewport(ratio=1)
    box = exit_link.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
    # Big enough to hit with a thumb in a hurry.
    assert box["height"] >= 44

    # Still in reach after scrolling down to the evidence: the header is sticky.
    page.get_by_role("button", name="Upload screenshot").scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 0
    expect(exit_link).to_be_in_viewport(ratio=1)
    shot(page, "case-phone-scrolled", full_page=False)


def test_forms_post_under_the_sites_referrer_policy(page: Page, live_server, journey, network):
    # A "no-referrer" policy made Chromium send "Origin: null" with every form post, which
    # Django's CSRF check refuses: nobody could log in.
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label(label("Email")).fill(journey.survivor.email)
    page.get_by_label(label("Password")).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My cases", timeout=3000)


def test_revealed_image_is_not_covered_by_the_content_warning(
    page: Page, live_server, journey, log_in
):
    log_in(page, journey.survivor.email, PASSWORD)
    page.goto(journey.url(live_server))
    page.get_by_role("link", name="Reveal image").click()
    revealed = page.get_by_role("img", name="The screenshot, revealed")
    expect(revealed).to_have_attribute("data-state", "revealed")
    # Nothing drawn over the middle of the image once it is revealed.
    on_top = revealed.evaluate(
        """img => {
            const box = img.getBoundingClientRect();
            const x = box.x + box.width / 2, y = box.y + box.height / 2;
            return document.elementFromPoint(x, y) === img;
        }"""
    )
    assert on_top, "something covers the revealed image"
    expect(page.get_by_text("Content warning: this may show intimate images.")).to_be_hidden()
    expect(page.get_by_role("link", name="Reveal image")).to_be_hidden(timeout=2000)


def test_her_request_page_fits_a_phone(page: Page, live_server, journey, log_in):
    """A request's help text names its reply address, one long word
    (replies+<32 hex digits>@...): it widened her phone's page to 505 px."""
    (draft,) = takedowns_draft(
        case=journey.case, sightings=[journey.sighting], acting_user=journey.survivor
    )
    page.set_viewport_size(PHONE)
    log_in(page, journey.survivor.email, PASSWORD)
    page.goto(journey.url(live_server, f"takedowns/{draft.pk}/"))
    # Her request page: the draft's text (which gives the reply address) opened to read.
    page.get_by_text("Read the draft", exact=True).click()
    expect(page.get_by_text(f"replies+{draft.pk.hex}", exact=False).first).to_be_visible()
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert inner_width == PHONE["width"]
    assert scroll_width <= inner_width + 1, f"the page scrolls sideways: {scroll_width}px wide"

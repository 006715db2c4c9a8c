"""A link on a site that blocks robots, taken down end to end in a real Chromium; and her
correcting one link and removing another. Her pages on a phone (390 x 844), staff's on a
desktop. The site is a stand-in on 127.0.0.1 that answers 403 to everything (our check
included); the checks are the recheck service itself, as a worker would run it."""

import ipaddress
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.models import Role, User
from cases.services import case_assign, case_open, case_set_consent
from evidence.models import Sighting
from evidence.services import sighting_log
from monitoring.services import sighting_recheck
from takedowns.models import TakedownRequest
from takedowns.services import takedown_update_draft
from tests.conftest import PASSWORD, give_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SHOTS_DIR = os.environ.get("LEAKCASE_SHOTS_DIR")
REASON = "The post is gone: checked in a private window."


class RefusesRobots(BaseHTTPRequestHandler):
    """A site that turns automatic checks away: 403 and a short page."""

    def do_GET(self):
        body = b"<h1>Access denied</h1>"
        self.send_response(403)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def blocked_site(settings):
    # Only for these tests: production never sets this (monitoring/fetcher.py).
    settings.FETCH_ALLOW_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), RefusesRobots)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def label(text: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(text)}:?$")


def shot(page: Page, name: str) -> None:
    if SHOTS_DIR:
        Path(SHOTS_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS_DIR) / f"{name}.png"), full_page=True)


def new_page(browser: Browser, viewport) -> Page:
    """A context of its own (her phone, the caseworker's desktop), kept on 127.0.0.1."""
    context = browser.new_context(viewport=viewport)

    def handle(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            route.abort("blockedbyclient")

    context.route("**/*", handle)
    return context.new_page()


@pytest.fixture
def people(db):
    survivor = User.objects.create_user(
        email="rose@example.test", password=PASSWORD, role=Role.SURVIVOR
    )
    caseworker = User.objects.create_user(
        email="casey@example.test", password=PASSWORD, role=Role.CASEWORKER, display_name="Casey"
    )
    give_totp(caseworker)
    case = case_open(survivor=survivor, pseudonym="Rose", acting_user=survivor)
    case_set_consent(case=case, given=True, acting_user=survivor)
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    return survivor, caseworker, case


def check_now(url: str) -> Sighting:
    """What a worker does when the link is due: the real recheck against the stand-in."""
    sighting = Sighting.objects.select_related("case").get(url=url)
    sighting_recheck(sighting=sighting)
    sighting.refresh_from_db()
    return sighting


def test_a_link_on_a_site_that_blocks_robots_is_taken_down_end_to_end(
    browser: Browser, live_server, people, blocked_site, log_in, accessibility
):
    survivor, caseworker, case = people
    case_url = f"{live_server.url}/cases/{case.reference}/"
    address = f"{blocked_site}/post/1"

    # --- she logs the link on her phone ------------------------------------------------
    her = new_page(browser, PHONE)
    log_in(her, survivor.email, PASSWORD)
    her.goto(case_url)
    logging_form = her.get_by_role("form", name="Log one sighting")
    logging_form.get_by_label(label("Address (URL) where you saw it")).fill(address)
    logging_form.get_by_role("button", name="Log sighting").click()
    expect(her.get_by_role("status")).to_contain_text("The sighting is logged.")

    # --- our check is turned away: up, as far as we know -------------------------------
    checked = check_now(address)
    assert (checked.status, checked.last_check_outcome) == ("unknown", "login_walled")
    her.reload()
    links = her.get_by_role("region", name=re.compile(r"^Sightings"))
    expect(links).to_contain_text("Up, as far as we know")
    expect(links).to_contain_text(
        "We treat it as still up until you or your caseworker tell us otherwise"
    )
    shot(her, "blocked-link-case-phone")
    accessibility.check(her, "her case page, a blocked link")
    scroll_width = her.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE["width"] + 1, f"the page scrolls sideways: {scroll_width}px"

    # --- the caseworker drafts and sends a request for it ------------------------------
    staff = new_page(browser, DESKTOP)
    log_in(staff, caseworker.email, PASSWORD)
    staff.goto(case_url)
    staff.get_by_role("link", name="Draft takedown requests").click()
    offered = staff.get_by_role("group", name=label("Links to include"))
    offered.get_by_label(f"{address} (up, as far as we know)").check()
    staff.get_by_role("button", name="Create drafts").click()
    expect(staff.get_by_role("status")).to_contain_text("1 draft request, one per platform.")
    request = TakedownRequest.objects.get(case=case)
    # The notice's own fields are the takedown journey's to fill in through the page.
    takedown_update_draft(
        takedown=request,
        acting_user=caseworker,
        signer_name="Rose Example",
        contact_email="r@example.test",
        content_description="photos",
        confirms_no_consent=True,
        confirms_good_faith=True,
    )
    staff.goto(f"{case_url}takedowns/{request.pk}/")
    staff.get_by_label(label("Ticket or reference number")).fill("HOST-77")
    staff.get_by_role("button", name="Mark as submitted").click()
    request.refresh_from_db()
    assert request.status == "sent"

    # --- she says it is still up; the next check is turned away again -------------------
    her.goto(case_url)
    her.get_by_role("link", name=address).click()
    expect(her.get_by_role("heading", level=1)).to_have_text("Link")
    expect(her.get_by_role("definition").filter(has_text="In a request to")).to_contain_text(
        "In a request to"
    )
    accessibility.check(her, "her link page")
    shot(her, "blocked-link-page-phone")
    her.get_by_role("button", name="I checked: still up").click()
    expect(her.get_by_role("status")).to_contain_text("The link stays up on your case")
    assert check_now(address).status == "live"  # her word stands against the 403

    # --- the caseworker marks it removed, with a reason ---------------------------------
    staff.goto(case_url)
    staff.get_by_role("link", name=address).click()
    status_form = staff.get_by_role("region", name="Set this link's status")
    status_form.get_by_label("Removed: I checked, it is gone").check()
    # Without a reason the browser does not send it (the server refuses it too:
    # tests/casework/test_link_views.py).
    status_form.get_by_role("button", name="Save the status").click()
    why = status_form.get_by_label(label("Why (she sees this in her timeline)"))
    assert why.evaluate("field => field.validity.valueMissing") is True
    assert Sighting.objects.get(url=address).status == "live"
    accessibility.check(staff, "the link page, staff")
    why.fill(REASON)
    status_form.get_by_role("button", name="Save the status").click()
    expect(staff.get_by_role("status")).to_contain_text("The link is marked removed.")
    request.refresh_from_db()
    assert request.status == "removed"

    # --- she sees it removed, and why, in her timeline ----------------------------------
    her.goto(case_url)
    links = her.get_by_role("region", name=re.compile(r"^Sightings"))
    expect(links).to_contain_text("Removed")
    expect(links).to_contain_text("Your caseworker checked: it is gone.")
    timeline = her.get_by_role("region", name="Timeline")
    entry = timeline.get_by_role("listitem").filter(has_text="127.0.0.1/post/1: Up → Removed")
    expect(entry).to_contain_text(f"(“{REASON}”)")
    expect(entry).to_contain_text("by your caseworker")
    expect(entry).to_contain_text("Nothing to do. If you can still see it, tell us")
    shot(her, "blocked-link-removed-case-phone")
    accessibility.check(her, "her case page, the link removed")
    assert accessibility.failures == [], "\n".join(accessibility.reports)


def test_she_corrects_one_link_and_removes_another_on_her_phone(
    browser: Browser, live_server, people, log_in, accessibility
):
    survivor, _caseworker, case = people
    typo = sighting_log(case=case, url="https://x.com/someone/statu/1", acting_user=survivor)
    unwanted = sighting_log(case=case, url="https://imgur.com/gallery/abc", acting_user=survivor)
    case_url = f"{live_server.url}/cases/{case.reference}/"

    her = new_page(browser, PHONE)
    log_in(her, survivor.email, PASSWORD)
    her.goto(case_url)
    her.get_by_role("link", name=typo.url).click()
    correcting = her.get_by_role("region", name="Correct this link")
    address = correcting.get_by_label(label("Address (URL)"))
    expect(address).to_have_value(typo.url)
    # A duplicate of another of her links is refused, plainly.
    address.fill("imgur.com/gallery/abc")
    correcting.get_by_role("button", name="Save the correction").click()
    # In the error summary at the top, focused, and by the field.
    summary = her.get_by_role("alert", name="There is a problem")
    expect(summary).to_contain_text("Another of your links already has this address.")
    expect(summary).to_be_focused()
    expect(her.locator("#id_url_error")).to_contain_text("Another of your links already")
    accessibility.check(her, "the link page with an error, hers")
    correcting = her.get_by_role("region", name="Correct this link")
    correcting.get_by_label(label("Address (URL)")).fill("X.com/someone/status/1?utm_source=x")
    correcting.get_by_role("button", name="Save the correction").click()
    expect(her.get_by_role("status")).to_contain_text("The link is corrected.")
    expect(her.get_by_text("https://x.com/someone/status/1", exact=True)).to_be_visible()

    her.goto(case_url)
    her.get_by_role("link", name=unwanted.url).click()
    her.get_by_role("button", name="Remove from my list").click()
    expect(her.get_by_role("status")).to_contain_text("The link is removed from your list.")
    links = her.get_by_role("region", name=re.compile(r"^Sightings"))
    expect(links.get_by_role("link", name="https://x.com/someone/status/1")).to_be_visible()
    expect(links.get_by_role("link", name=unwanted.url)).to_have_count(0)
    timeline = her.get_by_role("region", name="Timeline")
    expect(timeline).to_contain_text("x.com/someone/statu/1 → x.com/someone/status/1")
    expect(
        timeline.get_by_role("listitem").filter(has_text="Link removed from the list")
    ).to_contain_text("imgur.com/gallery/abc")
    shot(her, "corrected-and-removed-case-phone")
    accessibility.check(her, "her case page after corrections")
    assert Sighting.objects.get(pk=unwanted.pk).withdrawn_at is not None  # kept, not deleted
    assert accessibility.failures == [], "\n".join(accessibility.reports)

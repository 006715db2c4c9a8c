"""A takedown request seen by each role in a real Chromium: staff (desktop) send it after a
confirmation that names the recipient, and she (a 390 x 844 phone) reads her own request
page: where it stands, what was asked, what happens next, exactly what was sent. With the
service's self-service setting on, she starts and sends one herself through the guided
form; with it off, she is told her caseworker writes them.

Set LEAKCASE_SHOTS_DIR to keep screenshots of her pages for a person to look at.
"""

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Role, User
from cases.models import Case
from cases.services import case_assign, case_open, case_set_consent
from evidence.services import sightings_log_pasted
from takedowns import services
from takedowns.models import TakedownRequest, TakedownStatus
from tests.conftest import PASSWORD, give_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SHOTS_DIR = os.environ.get("LEAKCASE_SHOTS_DIR", "")
TUMBLR_URL = "https://someone.tumblr.com/post/111/first"
X_URL = "https://x.com/someone/status/1"
TUMBLR_ADDRESS = "abuse@tumblr.com"
COMPLETE = {
    "signer_name": "Rose Example",
    "content_description": "Two photographs of me, taken in private.",
    "confirms_no_consent": True,
    "confirms_good_faith": True,
}


def label(text: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(text)}:?$")


def shot(page: Page, name: str) -> None:
    if SHOTS_DIR:
        Path(SHOTS_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS_DIR) / f"{name}.png"), full_page=True)


def when(value) -> str:
    local = timezone.localtime(value)
    return f"{local.day} {local:%b %Y}, {local:%H:%M}"


@dataclass
class Desk:
    survivor: User
    caseworker: User
    case: Case


@pytest.fixture
def desk(transactional_db):
    survivor = User.objects.create_user(
        email="rose@example.test", password=PASSWORD, role=Role.SURVIVOR
    )
    case = case_open(survivor=survivor, pseudonym="Rose", acting_user=survivor)
    case_set_consent(case=case, given=True, acting_user=survivor)
    saved = sightings_log_pasted(
        case=case, text=f"{TUMBLR_URL}\n{X_URL}", acting_user=survivor
    ).saved
    assert len(saved) == 2
    caseworker = User.objects.create_user(
        email="casey@example.test", password=PASSWORD, role=Role.CASEWORKER, display_name="Casey"
    )
    give_totp(caseworker)
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    return Desk(survivor=survivor, caseworker=caseworker, case=case)


def request_url(live_server, takedown) -> str:
    return f"{live_server.url}/cases/{takedown.case.reference}/takedowns/{takedown.pk}/"


def log_out(page: Page, live_server) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")


def test_staff_confirm_the_recipient_and_she_reads_her_request_on_her_phone(
    page: Page, live_server, desk, log_in, mailoutbox, accessibility, network
):
    drafts = services.takedowns_draft(
        case=desk.case, sightings=list(desk.case.sightings.all()), acting_user=desk.caseworker
    )
    by_platform = {d.platform.slug: d for d in drafts}
    tumblr, x = by_platform["tumblr"], by_platform["x-twitter"]
    for draft in (tumblr, x):
        services.takedown_update_draft(
            takedown=draft, acting_user=desk.caseworker, legal_basis="take_it_down", **COMPLETE
        )

    # --- staff, on a desktop ---------------------------------------------------------------
    page.set_viewport_size(DESKTOP)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, desk.caseworker.email, PASSWORD)
    page.goto(f"{live_server.url}/cases/{desk.case.reference}/takedowns/draft/")
    marked = page.get_by_role("region", name="Links that already have a request")
    expect(marked.get_by_role("listitem").filter(has_text=TUMBLR_URL)).to_contain_text(
        "request to Tumblr Draft"
    )
    accessibility.check(page, "draft page with already-requested links")

    # X has no email address: no email button; the text to paste and its web form instead.
    page.goto(request_url(live_server, x))
    expect(page.get_by_role("button", name=re.compile("^Send by email"))).to_have_count(0)
    expect(page.get_by_text("No email address is known for X (Twitter)")).to_be_visible()
    copy = page.get_by_role("region", name="Text for the platform's web form")
    box = copy.get_by_label("The notice, as plain text to paste")
    expect(box).to_have_attribute("readonly", "")
    expect(box).to_contain_text(X_URL)
    copy.get_by_role("button", name="Copy the text").click()
    expect(copy.locator("[data-copy-status]")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == box.input_value()
    accessibility.check(page, "draft with no email address (staff)")

    # Tumblr: the send asks first, naming the recipient; nothing goes before "Yes".
    page.goto(request_url(live_server, tumblr))
    page.get_by_role("button", name=f"Send by email to {TUMBLR_ADDRESS}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Send this notice to {TUMBLR_ADDRESS}?"
    )
    accessibility.check(page, "send confirmation (staff)")
    assert mailoutbox == []
    tumblr.refresh_from_db()
    assert tumblr.status == TakedownStatus.DRAFT
    page.get_by_role("button", name=f"Yes, send it to {TUMBLR_ADDRESS}").click()
    expect(page.locator(".page-head .badge")).to_have_text("Sent")
    assert [m.to for m in mailoutbox] == [[TUMBLR_ADDRESS]]
    accessibility.check(page, "sent request with copy-ready text (staff)")
    log_out(page, live_server)

    # --- she reads it on her phone -----------------------------------------------------------
    tumblr.refresh_from_db()
    sighting = tumblr.sightings.get()
    # Its next recheck, as the scheduler would set it after a first check.
    sighting.next_check_at = timezone.now() + dt.timedelta(hours=6)
    sighting.save(update_fields=["next_check_at"])
    page.set_viewport_size(PHONE)
    log_in(page, desk.survivor.email, PASSWORD)
    page.goto(f"{live_server.url}/cases/{desk.case.reference}/")
    requests = page.get_by_role("region", name=re.compile(r"^Takedown requests"))
    requests.get_by_role("link", name="Tumblr", exact=True).click()
    expect(page).to_have_url(request_url(live_server, tumblr))
    expect(page.get_by_role("heading", level=1)).to_have_text("My request to Tumblr")
    now = page.get_by_role("region", name="Where it stands")
    expect(now).to_contain_text("Sent. Tumblr has not answered yet.")
    expect(now).to_contain_text(f"Sent {when(tumblr.sent_at)}, by email to {TUMBLR_ADDRESS}.")
    next_steps = page.get_by_role("region", name="What happens next")
    expect(next_steps).to_contain_text(f"Tumblr's answer is due by {when(tumblr.due_at)}.")
    expect(next_steps).to_contain_text(
        f"We'll check the links again on {when(sighting.next_check_at)}."
    )
    asked = page.get_by_role("region", name="What was asked")
    expect(asked).to_contain_text(
        "A removal request under the US TAKE IT DOWN Act. It gives the platform 48 hours"
    )
    expect(asked).to_contain_text(TUMBLR_URL)
    expect(page.get_by_role("form", name="The notice")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Save draft|Record reply"))).to_have_count(0)
    accessibility.check(page, "her request page (phone)")
    shot(page, "survivor-request-phone")

    sent_text = page.get_by_role("region", name="Exactly what was sent")
    sent_text.get_by_text("Read the request as Tumblr received it").click()
    expect(sent_text.locator("pre")).to_contain_text(TUMBLR_URL)
    expect(sent_text.locator("pre")).to_contain_text("Rose Example")
    accessibility.check(page, "her request page, sent text open (phone)")
    shot(page, "survivor-request-phone-sent-text")

    # X is still a draft her caseworker is preparing: she reads it, she cannot change it.
    page.goto(request_url(live_server, x))
    expect(page.get_by_text("Your caseworker is preparing this request.")).to_be_visible()
    expect(page.get_by_role("textbox")).to_have_count(0)
    accessibility.check(page, "her request page, staff draft (phone)")
    shot(page, "survivor-request-phone-draft")

    assert network.blocked == []
    assert accessibility.failures == [], "\n\n".join(accessibility.reports)


def test_with_self_service_on_she_starts_and_sends_a_request_on_her_phone(
    page: Page, live_server, desk, log_in, mailoutbox, accessibility, settings
):
    settings.LEAKCASE_SURVIVOR_SELF_SERVICE = True
    page.set_viewport_size(PHONE)
    log_in(page, desk.survivor.email, PASSWORD)
    page.goto(f"{live_server.url}/cases/{desk.case.reference}/takedowns/draft/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask for my images to be taken down")
    accessibility.check(page, "her first step (phone)")
    links = page.get_by_role("group", name=label("Which of my links should be taken down"))
    links.get_by_label(TUMBLR_URL, exact=True).check()
    page.get_by_role("button", name="Start my requests").click()

    draft = TakedownRequest.objects.get(case=desk.case)
    expect(page).to_have_url(request_url(live_server, draft))
    form = page.get_by_role("form", name="Step 2 of 3: my request to Tumblr")
    expect(form).to_be_visible()
    accessibility.check(page, "her guided form (phone)")
    form.get_by_label("The US TAKE IT DOWN Act", exact=False).check()
    form.get_by_label("I am the person shown", exact=True).check()
    form.get_by_label(label("What the images show, briefly (no need for detail)")).fill(
        "Two photographs of me."
    )
    form.get_by_label(
        label("The images are intimate and were published without my consent")
    ).check()
    form.get_by_label(label("I state this in good faith")).check()
    form.get_by_label(label("My signature: my full name")).fill("Rose Example")
    form.get_by_role("button", name="Save my request").click()
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    shot(page, "survivor-guided-form-phone")

    page.get_by_role("button", name="Send it by email…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Send this notice to {TUMBLR_ADDRESS}?"
    )
    accessibility.check(page, "send confirmation (phone)")
    assert mailoutbox == []
    page.get_by_role("button", name=f"Yes, send it to {TUMBLR_ADDRESS}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My request to Tumblr")
    expect(page.get_by_role("region", name="Where it stands")).to_contain_text(
        "Sent. Tumblr has not answered yet."
    )
    assert [m.to for m in mailoutbox] == [[TUMBLR_ADDRESS]]

    # The service turns it off: the same step says who writes requests instead.
    settings.LEAKCASE_SURVIVOR_SELF_SERVICE = False
    page.goto(f"{live_server.url}/cases/{desk.case.reference}/takedowns/draft/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Your caseworker writes the requests"
    )
    accessibility.check(page, "self-service off (phone)")
    assert accessibility.failures == [], "\n\n".join(accessibility.reports)

"""Takedown requests in a real Chromium: drafted, linted, fixed, sent and tracked.

Cases, sightings and users are made through services; everything the caseworker does is done
in the browser, found by role and label. Every request stays on the live server (see the
`network` fixture): the platforms' report forms are never opened.
"""

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import Page, expect

from accounts.models import Role, User
from cases.models import Case
from cases.services import case_assign, case_open, case_set_consent
from evidence.services import sightings_log_pasted
from platforms.models import Platform
from takedowns import services
from takedowns.models import (
    Channel,
    Correspondence,
    CorrespondenceKind,
    Direction,
    LegalBasis,
    TakedownRequest,
    TakedownStatus,
)
from tests.conftest import PASSWORD, give_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Tumblr has an abuse address in the directory; X has only a web form.
EMAIL_PLATFORM = "tumblr"
EMAIL_PLATFORM_ADDRESS = "abuse@tumblr.com"
TUMBLR_URLS = (
    "https://someone.tumblr.com/post/111/first",
    "https://someone.tumblr.com/post/222/second",
)
X_URL = "https://x.com/someone/status/1"
REDDIT_URL = "https://www.reddit.com/r/example/comments/abc/"
PASTED = "\n".join([*TUMBLR_URLS, X_URL, REDDIT_URL])
X_HOURS = 72  # set on X in setup, so the platform's own clock differs from the Act's 48 h

SIGNATURE = "Signature (her full name, or the name of the person acting for her)"
NO_CONSENT = "A statement that the images are intimate and were shared without consent"
SIGNER = "Rose Example"
LINT_HEADING = "Before this can be sent, the notice needs:"
COMPLETE_HEADING = "The notice has everything its route asks for"


def label(text: str) -> re.Pattern:
    """A form label exactly, with or without the colon Django adds after it."""
    return re.compile(rf"^{re.escape(text)}:?$")


def case_url(live_server, case: Case) -> str:
    return f"{live_server.url}/cases/{case.reference}/"


def takedown_url(live_server, takedown: TakedownRequest) -> str:
    return f"{case_url(live_server, takedown.case)}takedowns/{takedown.pk}/"


def log_out(page: Page, live_server) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")


def plain_when(value: dt.datetime) -> str:
    """As takedown_words.plain_words writes a time."""
    return date_format(timezone.localtime(value), "j M, H:i")


def sent_on(takedown: TakedownRequest) -> str:
    """As her case page says when a request went: "3 Dec"."""
    return date_format(timezone.localtime(takedown.sent_at), "j M")


def lint_items(page: Page):
    return page.get_by_role("region", name=LINT_HEADING).get_by_role("listitem")


def notice_form(page: Page):
    return page.get_by_role("form", name="The notice")


@dataclass
class Desk:
    survivor: User
    case: Case
    caseworker: User
    tumblr: Platform
    x: Platform
    reddit: Platform


@pytest.fixture
def desk(transactional_db):
    survivor = User.objects.create_user(
        email="rose@example.test", password=PASSWORD, role=Role.SURVIVOR
    )
    case = case_open(survivor=survivor, pseudonym="Rose", acting_user=survivor)
    # She has agreed that LeakCase writes to platforms for her (her case page).
    case_set_consent(case=case, given=True, acting_user=survivor)
    result = sightings_log_pasted(case=case, text=PASTED, acting_user=survivor)
    assert len(result.saved) == 4, result.problems
    caseworker = User.objects.create_user(
        email="casey@example.test",
        password=PASSWORD,
        role=Role.CASEWORKER,
        display_name="Casey",
    )
    give_totp(caseworker)
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    Platform.objects.filter(slug="x-twitter").update(expected_response_hours=X_HOURS)
    tumblr = Platform.objects.get(slug=EMAIL_PLATFORM)
    assert tumblr.abuse_email == EMAIL_PLATFORM_ADDRESS
    x = Platform.objects.get(slug="x-twitter")
    assert x.abuse_email == "" and x.expected_response_hours == X_HOURS
    reddit = Platform.objects.get(slug="reddit")
    by_platform = {}
    for sighting in case.sightings.select_related("platform"):
        by_platform.setdefault(sighting.platform.slug, []).append(sighting)
    assert {slug: len(s) for slug, s in by_platform.items()} == {
        "tumblr": 2,
        "x-twitter": 1,
        "reddit": 1,
    }
    return Desk(
        survivor=survivor, case=case, caseworker=caseworker, tumblr=tumblr, x=x, reddit=reddit
    )


def drafts_for(desk: Desk) -> dict[str, TakedownRequest]:
    drafts = services.takedowns_draft(
        case=desk.case, sightings=list(desk.case.sightings.all()), acting_user=desk.caseworker
    )
    return {d.platform.slug: d for d in drafts}


def test_caseworker_drafts_fixes_and_sends_requests(
    page: Page, live_server, desk, log_in, mailoutbox, network
):
    case = desk.case
    log_in(page, desk.caseworker.email, PASSWORD)
    page.goto(case_url(live_server, case))
    requests = page.get_by_role("region", name=re.compile(r"^Takedown requests"))
    expect(requests).to_contain_text("No requests yet.")

    # --- three drafts, one per platform ----------------------------------------------
    requests.get_by_role("link", name="Draft takedown requests").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draft takedown requests")
    live = page.get_by_role("group", name=label("Links to include"))
    urls = list(case.sightings.values_list("url", flat=True))
    assert len(urls) == 4
    for url in urls:
        live.get_by_label(url, exact=True).check()
    page.get_by_role("button", name="Create drafts").click()

    expect(page).to_have_url(f"{case_url(live_server, case)}#takedowns")
    expect(page.get_by_role("status")).to_contain_text("3 draft requests, one per platform.")
    requests = page.get_by_role("region", name=re.compile(r"^Takedown requests"))
    items = requests.get_by_role("listitem")
    expect(items).to_have_count(3)
    for name in ("Tumblr", "X (Twitter)", "Reddit"):
        item = items.filter(has=page.get_by_role("link", name=name, exact=True))
        expect(item).to_have_count(1)
        expect(item).to_contain_text("Draft")
    expect(items.filter(has_text="Tumblr")).to_contain_text("2 links")
    assert TakedownRequest.objects.filter(case=case, status=TakedownStatus.DRAFT).count() == 3
    tumblr_request = TakedownRequest.objects.get(case=case, platform=desk.tumblr)
    x_request = TakedownRequest.objects.get(case=case, platform=desk.x)
    reddit_request = TakedownRequest.objects.get(case=case, platform=desk.reddit)
    assert tumblr_request.sightings.count() == 2

    # --- Tumblr: the linter names what is missing, including the signature ------------
    requests.get_by_role("link", name="Tumblr", exact=True).click()
    expect(page).to_have_url(takedown_url(live_server, tumblr_request))
    expect(page.get_by_role("heading", level=1)).to_have_text("Request to Tumblr")
    expect(page.locator(".page-head .badge")).to_have_text("Draft")
    expect(page.get_by_role("heading", name=LINT_HEADING)).to_be_visible()
    expect(lint_items(page).filter(has_text=SIGNATURE)).to_have_count(1)
    assert lint_items(page).count() > 1  # "among others"
    expect(page.get_by_text("the platform's answer is due 48 hours later")).to_be_visible()

    form = notice_form(page)
    route = form.get_by_label(label("Route"))
    expect(route.locator("option:checked")).to_have_text("TAKE IT DOWN Act (47 U.S.C. 223a)")
    form.get_by_label(label("Description of the images")).fill(
        "Two nude photographs of her, taken in private, posted with her first name."
    )
    form.get_by_label(
        label("The images are intimate and were published without her consent")
    ).check()
    form.get_by_label(label("This is stated in good faith")).check()
    # Her address is not put in: the notice gives the service's reply address (her case's
    # default), which the field's hint names.
    contact = form.get_by_label(label("Contact email"))
    expect(contact).to_have_value("")
    expect(form).to_contain_text(f"Leave empty to give replies+{tumblr_request.pk.hex}@")
    expect(form.get_by_label(label("Signature (full name)"))).to_have_value("")
    form.get_by_role("button", name="Save draft").click()

    expect(page).to_have_url(takedown_url(live_server, tumblr_request))
    expect(page.get_by_role("status")).to_contain_text("The draft is saved.")
    expect(lint_items(page)).to_have_count(1)
    expect(lint_items(page)).to_have_text(SIGNATURE)

    notice_form(page).get_by_label(label("Signature (full name)")).fill(SIGNER)
    notice_form(page).get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status")).to_contain_text("The draft is saved.")
    expect(page.get_by_role("heading", name=COMPLETE_HEADING)).to_be_visible()
    expect(page.get_by_role("heading", name=LINT_HEADING)).to_have_count(0)
    preview = page.get_by_role("region", name="Preview")
    for sighting in tumblr_request.sightings.all():
        expect(preview).to_contain_text(sighting.url)
    expect(preview).to_contain_text(f"Email: replies+{tumblr_request.pk.hex}@")
    expect(preview).not_to_contain_text(desk.survivor.email)

    # --- sent by email, once she has confirmed the recipient ---------------------------
    page.get_by_role("button", name=f"Send by email to {EMAIL_PLATFORM_ADDRESS}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Send this notice to {EMAIL_PLATFORM_ADDRESS}?"
    )
    assert mailoutbox == []
    tumblr_request.refresh_from_db()
    assert tumblr_request.status == TakedownStatus.DRAFT
    page.get_by_role("button", name=f"Yes, send it to {EMAIL_PLATFORM_ADDRESS}").click()
    expect(page).to_have_url(takedown_url(live_server, tumblr_request))
    tumblr_request.refresh_from_db()
    assert tumblr_request.status == TakedownStatus.SENT
    assert tumblr_request.channel == Channel.EMAIL
    assert tumblr_request.due_at - tumblr_request.sent_at == dt.timedelta(hours=48)
    expect(page.get_by_role("status")).to_contain_text(
        f"Sent to {EMAIL_PLATFORM_ADDRESS}. The answer is due by "
        f"{tumblr_request.due_at:%d %b %Y, %H:%M} UTC."
    )
    expect(page.locator(".page-head .badge")).to_have_text("Sent")
    expect(page.get_by_role("button", name=re.compile("^Send by email"))).to_have_count(0)
    expect(page.locator("dd time")).to_have_attribute(
        "datetime", timezone.localtime(tumblr_request.due_at).isoformat()
    )

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [EMAIL_PLATFORM_ADDRESS]
    tumblr_urls = sorted(tumblr_request.sightings.values_list("url", flat=True))
    assert len(tumblr_urls) == 2
    for url in tumblr_urls:
        assert url in email.body
    assert X_URL not in email.body and REDDIT_URL not in email.body
    assert SIGNER in email.body
    assert desk.survivor.email not in email.body
    sent = email.message()
    assert re.fullmatch(rf"replies\+{tumblr_request.pk.hex}@[^@\s]+", sent["Reply-To"]), sent[
        "Reply-To"
    ]
    assert re.fullmatch(r"replies\+[0-9a-f]{32}@[^@\s]+", email.reply_to[0])
    letter = Correspondence.objects.get(takedown=tumblr_request)
    assert letter.direction == Direction.OUT and letter.kind == CorrespondenceKind.NOTICE
    assert letter.message_id
    assert sent["Message-ID"] == letter.message_id
    assert letter.body == email.body == tumblr_request.notice_text
    assert letter.sent_at == tumblr_request.sent_at

    # --- X: the platform's own route, submitted through its web form -------------------
    page.get_by_role("link", name=f"Case {case.reference}").click()
    requests = page.get_by_role("region", name=re.compile(r"^Takedown requests"))
    requests.get_by_role("link", name="X (Twitter)", exact=True).click()
    expect(page).to_have_url(takedown_url(live_server, x_request))
    expect(page.get_by_text("the platform's answer is due 48 hours later")).to_be_visible()
    route = notice_form(page).get_by_label(label("Route"))
    route.select_option(label="Platform policy / search delisting")
    notice_form(page).get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status")).to_contain_text("The draft is saved.")
    expect(page.get_by_role("definition").first).to_have_text("Platform policy / search delisting")
    expect(page.get_by_text(f"the platform's answer is due {X_HOURS} hours later")).to_be_visible()
    expect(lint_items(page).filter(has_text=SIGNATURE)).to_have_count(1)
    expect(lint_items(page).filter(has_text=NO_CONSENT)).to_have_count(1)

    form = notice_form(page)
    form.get_by_label(label("Signature (full name)")).fill(SIGNER)
    form.get_by_label(
        label("The images are intimate and were published without her consent")
    ).check()
    form.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status")).to_contain_text("The draft is saved.")
    expect(page.get_by_role("heading", name=COMPLETE_HEADING)).to_be_visible()

    page.get_by_label(label("Ticket or reference number")).fill("X-12345")
    page.get_by_role("button", name="Mark as submitted").click()
    expect(page).to_have_url(takedown_url(live_server, x_request))
    x_request.refresh_from_db()
    assert x_request.status == TakedownStatus.SENT
    assert x_request.legal_basis == LegalBasis.PLATFORM_POLICY
    assert x_request.ticket_number == "X-12345"
    assert x_request.channel == Channel.WEB_FORM
    assert x_request.due_at - x_request.sent_at == dt.timedelta(hours=X_HOURS)
    expect(page.get_by_role("status")).to_contain_text(
        f"Recorded as submitted. The answer is due by {x_request.due_at:%d %b %Y, %H:%M} UTC."
    )
    expect(page.locator(".page-head .badge")).to_have_text("Sent")
    expect(page.locator(".facts")).to_contain_text("ticket X-12345")
    assert len(mailoutbox) == 1  # a web form sends no email
    assert Correspondence.objects.get(takedown=x_request).channel == Channel.WEB_FORM

    # --- Reddit stays a draft --------------------------------------------------------
    reddit_request.refresh_from_db()
    assert reddit_request.status == TakedownStatus.DRAFT
    assert reddit_request.sent_at is None and reddit_request.due_at is None
    page.get_by_role("link", name=f"Case {case.reference}").click()
    requests = page.get_by_role("region", name=re.compile(r"^Takedown requests"))
    expect(requests.get_by_role("listitem").filter(has_text="Reddit")).to_contain_text("Draft")
    expect(requests.get_by_role("listitem").filter(has_text="Tumblr")).to_contain_text("Sent")

    # --- the survivor sees where each link stands, in plain words ----------------------
    log_out(page, live_server)
    log_in(page, desk.survivor.email, PASSWORD)
    page.goto(case_url(live_server, case))
    expect(page.get_by_role("heading", level=1)).to_have_text("Rose")
    tumblr_table = page.get_by_role("table", name=re.compile(r"^Tumblr"))
    tumblr_words = (
        f"Request to Tumblr sent; the answer is due by {plain_when(tumblr_request.due_at)}."
    )
    for url in tumblr_urls:
        row = tumblr_table.get_by_role("row").filter(has_text=url)
        cell = row.locator('[data-label="Takedown request"]')
        expect(cell).to_contain_text(f"In a request to Tumblr, sent {sent_on(tumblr_request)}")
        expect(cell).to_contain_text(tumblr_words)
    x_row = page.get_by_role("table", name=re.compile(r"^X \(Twitter\)")).get_by_role("row")
    expect(
        x_row.filter(has_text=X_URL).locator('[data-label="Takedown request"]')
    ).to_contain_text(
        f"Request to X (Twitter) sent; the answer is due by {plain_when(x_request.due_at)}."
    )
    reddit_row = page.get_by_role("table", name=re.compile(r"^Reddit")).get_by_role("row")
    expect(
        reddit_row.filter(has_text=REDDIT_URL).locator('[data-label="Takedown request"]')
    ).to_have_text("A request to Reddit is being prepared.")

    assert network.blocked == []


def test_dmca_route_warns_and_names_its_elements(page: Page, live_server, desk, log_in):
    draft = drafts_for(desk)["tumblr"]
    assert draft.legal_basis == LegalBasis.TAKE_IT_DOWN
    log_in(page, desk.caseworker.email, PASSWORD)
    page.goto(takedown_url(live_server, draft))
    expect(page.get_by_role("heading", level=1)).to_have_text("Request to Tumblr")
    expect(page.get_by_role("note")).to_have_count(0)

    notice_form(page).get_by_label(label("Route")).select_option(label="DMCA, 17 U.S.C. 512(c)(3)")
    notice_form(page).get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status")).to_contain_text("The draft is saved.")
    draft.refresh_from_db()
    assert draft.legal_basis == LegalBasis.DMCA

    warning = page.get_by_role("note")
    expect(warning).to_contain_text("Before using the DMCA")
    expect(warning).to_contain_text("owns the copyright")
    expect(warning).to_contain_text("Lumen")
    items = lint_items(page)
    expect(items.filter(has_text="Identification of the copyrighted work")).to_have_count(1)
    expect(items.filter(has_text="under penalty of perjury")).to_have_count(1)
    expect(items.filter(has_text="Confirmation that she owns the copyright")).to_have_count(1)
    # The DMCA's own fields are on the form now.
    form = notice_form(page)
    expect(form.get_by_label(label("The copyrighted work"))).to_be_visible()
    expect(
        form.get_by_label(
            label(
                "Under penalty of perjury, the signer is the copyright owner or authorised "
                "to act for the owner"
            )
        )
    ).to_be_visible()
    expect(form.get_by_label(label("Description of the images"))).to_have_count(0)


def test_takedown_pages_have_no_accessibility_violations(
    accessibility, page: Page, live_server, desk, log_in
):
    drafts = drafts_for(desk)
    # Tumblr: sent by email and still waiting.
    tumblr = drafts["tumblr"]
    services.takedown_update_draft(
        takedown=tumblr,
        acting_user=desk.caseworker,
        signer_name=SIGNER,
        content_description="Two photographs.",
        confirms_no_consent=True,
        confirms_good_faith=True,
    )
    services.takedown_send_email(takedown=tumblr, acting_user=desk.caseworker)
    # X: submitted through its form, then removed, so the figures have a row with hours.
    x = drafts["x-twitter"]
    services.takedown_update_draft(
        takedown=x,
        acting_user=desk.caseworker,
        signer_name=SIGNER,
        content_description="One photograph.",
        confirms_no_consent=True,
        confirms_good_faith=True,
    )
    services.takedown_mark_submitted(takedown=x, ticket_number="X-1", acting_user=desk.caseworker)
    services.takedown_record_reply(
        takedown=x, body="We removed it.", decision="removed", acting_user=desk.caseworker
    )
    reddit = drafts["reddit"]  # a draft the lint has things to say about
    supervisor = User.objects.create_user(
        email="sam@example.test", password=PASSWORD, role=Role.SUPERVISOR, display_name="Sam"
    )
    give_totp(supervisor)

    def check(name: str) -> None:
        accessibility.check(page, name)

    log_in(page, desk.caseworker.email, PASSWORD)
    page.goto(f"{case_url(live_server, desk.case)}takedowns/draft/")
    expect(page.get_by_role("button", name="Create drafts")).to_be_visible()
    check("draft picker")

    page.goto(takedown_url(live_server, reddit))
    expect(page.get_by_role("heading", name=LINT_HEADING)).to_be_visible()
    check("draft request with lint errors")

    page.get_by_role("button", name="Send by email to contact@reddit.com").click()
    expect(page.get_by_role("status")).to_contain_text("Nothing was changed")
    check("draft request after a refused send")

    page.goto(takedown_url(live_server, tumblr))
    expect(page.locator(".page-head .badge")).to_have_text("Sent")
    check("sent request")

    page.goto(takedown_url(live_server, x))
    expect(page.locator(".page-head .badge")).to_have_text("Removed")
    check("removed request")

    page.goto(f"{live_server.url}/platforms/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Platform directory")
    check("platform directory (caseworker)")

    log_out(page, live_server)
    log_in(page, supervisor.email, PASSWORD)
    page.goto(f"{live_server.url}/platforms/")
    figures = page.get_by_role("main").get_by_role("link", name="Figures")
    expect(figures).to_be_visible()
    check("platform directory (supervisor)")
    figures.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "How fast each platform removes content"
    )
    expect(page.get_by_role("row").filter(has_text="X (Twitter)")).to_contain_text("100%")
    check("platform figures")

    assert accessibility.failures == [], "\n\n".join(accessibility.reports)


def test_nothing_goes_out_until_she_consents_on_her_case_page(
    page: Page, live_server, desk, log_in, mailoutbox
):
    case_set_consent(case=desk.case, given=False, acting_user=desk.survivor)
    tumblr = drafts_for(desk)["tumblr"]
    services.takedown_update_draft(
        takedown=tumblr,
        acting_user=desk.caseworker,
        signer_name=SIGNER,
        content_description="Two photographs.",
        confirms_no_consent=True,
        confirms_good_faith=True,
    )

    # The caseworker is told what is missing, and nothing goes.
    log_in(page, desk.caseworker.email, PASSWORD)
    page.goto(takedown_url(live_server, tumblr))
    expect(
        page.get_by_text("Her consent to LeakCase writing to platforms for her is missing")
    ).to_be_visible()
    page.get_by_role("button", name=f"Send by email to {EMAIL_PLATFORM_ADDRESS}").click()
    expect(page.get_by_role("alert").filter(has_text="her consent")).to_contain_text(
        "her consent to LeakCase writing to platforms for her is missing"
    )
    assert mailoutbox == []
    log_out(page, live_server)

    # She gives it on her case page; the timeline says so.
    log_in(page, desk.survivor.email, PASSWORD)
    page.goto(case_url(live_server, desk.case))
    consent = page.get_by_role("region", name="Writing to platforms for you")
    expect(consent).to_contain_text("Nothing is sent to a platform for you until you agree.")
    consent.get_by_role("button", name="I agree: write to platforms for me").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Thank you. LeakCase may now write to platforms for you."
    )
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline.get_by_role("listitem").first).to_contain_text(
        "Consent to write to platforms given"
    )
    log_out(page, live_server)

    # Now the caseworker's send goes.
    log_in(page, desk.caseworker.email, PASSWORD)
    page.goto(takedown_url(live_server, tumblr))
    page.get_by_role("button", name=f"Send by email to {EMAIL_PLATFORM_ADDRESS}").click()
    page.get_by_role("button", name=f"Yes, send it to {EMAIL_PLATFORM_ADDRESS}").click()
    expect(page.locator(".page-head .badge")).to_have_text("Sent")
    assert [m.to for m in mailoutbox] == [[EMAIL_PLATFORM_ADDRESS]]

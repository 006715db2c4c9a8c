"""A platform's answer by email, end to end in a real Chromium: a notice is emailed (the
takedown services, through the outbox), the platform's reply arrives (inbound_receive, as
the IMAP poller or a webhook would call it), staff on a desktop see it on the request page
with the decision its wording suggests and confirm it with one click, and she, on a
390 x 844 phone, sees the outcome on her request page, only after staff confirmed it.
Staff also file by hand a message no rule could file, from the Inbox.

Set LEAKCASE_SHOTS_DIR to keep screenshots for a person to look at.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role, User
from cases.services import case_assign, case_open, case_set_consent
from evidence.services import sighting_log
from inbound.services import inbound_receive
from takedowns import services
from tests.conftest import PASSWORD, give_totp
from tests.helpers import mail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
SHOTS_DIR = os.environ.get("LEAKCASE_SHOTS_DIR", "")
TUMBLR_URL = "https://someone.tumblr.com/post/111/first"


def shot(page: Page, name: str) -> None:
    if SHOTS_DIR:
        Path(SHOTS_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS_DIR) / f"{name}.png"), full_page=True)


def log_out(page: Page, live_server) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")


@pytest.fixture
def emailed(transactional_db, mailoutbox):
    survivor = User.objects.create_user(
        email="rose@example.test", password=PASSWORD, role=Role.SURVIVOR
    )
    case = case_open(survivor=survivor, pseudonym="Rose", acting_user=survivor)
    case_set_consent(case=case, given=True, acting_user=survivor)
    sighting = sighting_log(case=case, url=TUMBLR_URL, acting_user=survivor)
    caseworker = User.objects.create_user(
        email="casey@example.test", password=PASSWORD, role=Role.CASEWORKER, display_name="Casey"
    )
    give_totp(caseworker)
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    (draft,) = services.takedowns_draft(case=case, sightings=[sighting], acting_user=caseworker)
    services.takedown_update_draft(
        takedown=draft,
        acting_user=caseworker,
        legal_basis="take_it_down",
        signer_name="Rose Example",
        content_description="Two photographs of me, taken in private.",
        confirms_no_consent=True,
        confirms_good_faith=True,
    )
    services.takedown_send_email(takedown=draft, acting_user=caseworker)
    draft.refresh_from_db()
    (notice,) = mailoutbox
    return draft, notice, survivor, caseworker


def test_a_reply_arrives_staff_confirm_it_and_she_sees_the_outcome(
    page: Page, live_server, emailed, log_in, accessibility, network
):
    takedown, notice, survivor, caseworker = emailed
    request_url = f"{live_server.url}/cases/{takedown.case.reference}/takedowns/{takedown.pk}/"
    # Tumblr answers the notice from its desk, as a mail client does: to the notice's
    # Reply-To, In-Reply-To its Message-ID, the notice quoted below.
    answer = mail.reply(
        to=notice.reply_to[0],
        sender="Tumblr Trust & Safety <abuse@tumblr.com>",
        subject="Re: " + notice.subject,
        body=(
            "Hello,\n\nThank you for your report. We have removed the content you reported "
            "for violating our Community Guidelines.\n\nTumblr Trust & Safety\n\n"
            "On Sat, 5 Dec 2026, LeakCase wrote:\n> " + notice.body.splitlines()[0]
        ),
        headers={"In-Reply-To": notice.extra_headers["Message-ID"]},
    )
    message = inbound_receive(raw=answer.as_bytes(), source="imap:INBOX")
    assert (message.takedown, message.suggested_decision) == (takedown, "removed")
    # And two that wait for staff in the Inbox: one no rule can file, one set aside.
    stray = inbound_receive(
        raw=mail.reply(
            sender="support@tumblr.com",
            subject="Your report about a post",
            body="We have removed the post you reported.",
        ).as_bytes(),
        source="imap:INBOX",
    )
    bomb = mail.zip_of({"zeros.bin": b"\0" * (5 * 1024 * 1024)})
    inbound_receive(
        raw=mail.with_attachment(
            mail.reply(sender="someone@unknown.example", subject="Evidence files"),
            "evidence.zip",
            bomb,
            "application/zip",
        ).as_bytes(),
        source="webhook:mailgun",
    )

    # --- she, on her phone, before staff have confirmed: nothing yet ----------------------
    page.set_viewport_size(PHONE)
    log_in(page, survivor.email, PASSWORD)
    page.goto(request_url)
    answers = page.get_by_role("region", name="What Tumblr answered")
    expect(answers).to_contain_text("Nothing yet")
    expect(page.get_by_text("We have removed the content")).to_have_count(0)
    log_out(page, live_server)

    # --- staff, on a desktop: the suggestion, one click -------------------------------------
    page.set_viewport_size(DESKTOP)
    log_in(page, caseworker.email, PASSWORD)
    page.goto(request_url)
    replies = page.get_by_role("region", name=re.compile(r"^Replies by email"))
    expect(replies).to_contain_text("We have removed the content you reported")
    expect(replies).to_contain_text("Suggested: Removed")
    accessibility.check(page, "request page with a reply to confirm (staff)")
    shot(page, "staff-request-reply-suggested")
    replies.get_by_role("button", name="Confirm: removed").click()
    expect(page.get_by_text("Confirmed: removed.")).to_be_visible()
    expect(page.get_by_role("region", name=re.compile(r"^Replies by email"))).to_contain_text(
        "Confirmed as removed by Casey"
    )
    expect(page.locator(".page-head .badge")).to_have_text("Removed")
    shot(page, "staff-request-reply-confirmed")
    accessibility.check(page, "request page after confirming (staff)")

    # The Inbox: one to file, one set aside; the first is filed by its case reference.
    page.get_by_role("link", name="Inbox").click()
    expect(page.get_by_role("region", name=re.compile("^To file by hand"))).to_contain_text(
        "Your report about a post"
    )
    expect(page.get_by_role("region", name=re.compile("^Set aside as unsafe"))).to_contain_text(
        "zip bomb"
    )
    accessibility.check(page, "inbox (staff)")
    shot(page, "staff-inbox")
    page.get_by_role("link", name="Your report about a post").click()
    page.get_by_label("Case reference, ticket number or platform").fill(takedown.case.reference)
    page.get_by_role("button", name="Find").click()
    accessibility.check(page, "message to file by hand (staff)")
    shot(page, "staff-message-file-by-hand")
    page.get_by_role("button", name="File on this request").click()
    expect(page.get_by_text("Filed on the request to Tumblr.")).to_be_visible()
    stray.refresh_from_db()
    assert stray.takedown == takedown
    log_out(page, live_server)

    # --- she, on her phone: the outcome in plain words --------------------------------------
    page.set_viewport_size(PHONE)
    log_in(page, survivor.email, PASSWORD)
    page.goto(request_url)
    expect(page.get_by_role("region", name="Where it stands")).to_contain_text(
        "Tumblr removed it."
    )
    answers = page.get_by_role("region", name="What Tumblr answered")
    expect(answers).to_contain_text("We have removed the content you reported")
    # The message filed by hand but not confirmed is not hers to see yet.
    expect(answers.get_by_role("listitem")).to_have_count(1)
    accessibility.check(page, "her request page after the answer was confirmed (phone)")
    shot(page, "survivor-request-after-confirm-phone")
    assert not network.blocked
    assert not accessibility.failures, "\n".join(accessibility.reports)

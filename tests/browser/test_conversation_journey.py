"""A message each way with the email notice, in a real Chromium: she writes on her phone,
her caseworker (desktop, two-step login) sees it unread in the caseload and answers, the
"You have an update" email reaches her through a real SMTP server, and she reads the reply."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from cases.models import CaseNote, UpdateNotice
from cases.services import case_assign, case_open
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SHOTS_DIR = os.environ.get("LEAKCASE_SHOTS_DIR")  # e.g. /tmp/leakcase-shots, never committed
HER_MESSAGE = "A new copy went up on another site last night. What should I do?"
REPLY = "Thank you for telling me. I have added it and will send the request today."
URL = re.compile(r"https?://[^\s\"'<>]+")


def shot(page: Page, name: str) -> None:
    if SHOTS_DIR:
        Path(SHOTS_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS_DIR) / f"{name}.png"), full_page=False)


def mail_to(smtp_server, address):
    return [message for tos, message in smtp_server.messages if address in tos]


def test_a_message_each_way_with_the_email_notice(
    browser, live_server, log_in, accessibility, smtp_server, settings, survivor, caseworker
):
    settings.SITE_URL = live_server.url  # the notice's sign-in link leads here
    case = case_open(survivor=survivor, pseudonym="Fern", acting_user=survivor)
    case_assign(case=case, to=caseworker, acting_user=caseworker)

    # She writes on her phone.
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(phone, survivor.email, PASSWORD)
    phone.get_by_role("link", name=case.reference).click()
    expect(
        phone.get_by_role("heading", name=re.compile("Messages with your caseworker"))
    ).to_be_visible()
    phone.get_by_label("Your message").fill(HER_MESSAGE)
    phone.get_by_role("button", name="Send message").click()
    expect(phone.get_by_text("Your message is sent.")).to_be_visible()
    thread = phone.locator("#thread")
    expect(thread.get_by_text(HER_MESSAGE)).to_be_visible()
    expect(thread.locator(".note-meta").first).to_contain_text("You")
    accessibility.check(phone, "her case page with her message")
    assert CaseNote.objects.filter(case=case, from_survivor=True).count() == 1
    # Her caseworker is told, in the neutral words only.
    (notice,) = mail_to(smtp_server, caseworker.email)
    assert notice["Subject"] == "You have an update"
    assert HER_MESSAGE not in notice.as_string()

    # The caseworker, at her desk, sees it unread in the caseload, opens it and answers.
    desk = browser.new_context(viewport=DESKTOP).new_page()
    log_in(desk, caseworker.email, PASSWORD)
    desk.goto(f"{live_server.url}/caseload/")
    unread = desk.get_by_role("link", name="1 new message")
    expect(unread).to_be_visible()
    accessibility.check(desk, "caseload with an unread message")
    unread.click()
    staff_thread = desk.locator("#thread")
    expect(staff_thread.get_by_text(HER_MESSAGE)).to_be_visible()
    expect(staff_thread.locator(".message-new")).to_contain_text("Fern (survivor)")
    accessibility.check(desk, "case file with her message")
    desk.get_by_label("Reply to her").fill(REPLY)
    desk.get_by_role("button", name="Send message").click()
    expect(desk.get_by_text("Your message is sent.")).to_be_visible()
    expect(desk.locator("#thread .message-new")).to_have_count(0)  # read now
    desk.goto(f"{live_server.url}/caseload/")
    expect(desk.get_by_role("link", name="1 new message")).to_have_count(0)

    # The notice reaches her through the real mail server: a link to sign in, nothing else.
    (email,) = mail_to(smtp_server, survivor.email)
    assert email["Subject"] == "You have an update"
    text = email.get_body(preferencelist=("plain",)).get_content()
    html = email.get_body(preferencelist=("html",)).get_content()
    sign_in = f"{live_server.url}/accounts/login/"
    for body in (text, html):
        assert set(URL.findall(body)) == {sign_in}
        for never in (REPLY, case.reference, "Fern", str(caseworker)):
            assert never not in body

    # Later, she opens the link on her phone (its session long gone), signs in, and reads it.
    phone.context.close()
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    assert sign_in == f"{live_server.url}/accounts/login/"  # the page log_in opens
    log_in(phone, survivor.email, PASSWORD)
    new_message = phone.get_by_role("link", name="New message")
    expect(new_message).to_be_visible()
    accessibility.check(phone, "her dashboard with a new message")
    new_message.click()
    expect(
        phone.get_by_role("link", name="You have 1 new message from your caseworker")
    ).to_be_attached()
    reply = phone.locator("#thread .message-new")
    expect(reply).to_contain_text(REPLY)
    expect(reply).to_contain_text("Your caseworker")
    expect(reply).not_to_contain_text(str(caseworker))
    # The link led to the thread, its heading in view below the sticky header.
    expect(
        phone.get_by_role("heading", name=re.compile("Messages with your caseworker"))
    ).to_be_in_viewport()
    shot(phone, "conversation-phone")
    # Nothing on her phone runs wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    accessibility.check(phone, "her case page with the reply")

    # She can turn the notices off where her weekly email is set.
    phone.get_by_role("link", name="Emails").click()
    settings_region = phone.get_by_role("region", name="New message emails")
    settings_region.get_by_role("radio", name="Never").check()
    settings_region.get_by_role("button", name="Update message emails").click()
    expect(phone.get_by_role("status")).to_contain_text(
        "You will not get emails about new messages."
    )
    accessibility.check(phone, "her email settings")
    assert UpdateNotice.objects.get(user=survivor).enabled is False
    assert accessibility.failures == [], "\n".join(accessibility.reports)

"""Two-step login and sessions in a real browser, with axe on each page."""

import re

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import Page, expect

from accounts.models import Role, User
from tests.conftest import PASSWORD, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_caseworker_enrols_before_anything_else_and_then_logs_in_with_a_code(
    page: Page, live_server, log_in, accessibility
):
    staff = User.objects.create_user(
        email="newcomer@example.test", password=PASSWORD, role=Role.CASEWORKER
    )
    log_in(page, staff.email, PASSWORD)  # no second factor yet: the password alone
    page.goto(f"{live_server.url}/caseload/")
    # Enrolment first asks for the password again.
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
    accessibility.check(page, "reauthenticate")
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Turn on two-step login")
    accessibility.check(page, "turn on two-step login")
    page.goto(f"{live_server.url}/platforms/")  # any other page sends her back
    expect(page.get_by_role("heading", level=1)).to_have_text("Turn on two-step login")
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label(re.compile(r"code:?$", re.IGNORECASE)).fill(totp_code(secret))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery codes")
    accessibility.check(page, "recovery codes")
    assert Authenticator.objects.filter(user=staff, type="totp").exists()
    page.goto(f"{live_server.url}/caseload/")
    expect(page).to_have_url(re.compile(r"/caseload/"))

    page.get_by_role("button", name="Log out").click()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label(re.compile(r"^Email:?$")).fill(staff.email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your login code")
    accessibility.check(page, "login code")
    page.get_by_label(re.compile(r"^Code:?$")).fill("000000")
    page.get_by_role("button", name="Continue").click()
    # In the error summary at the top of the form, linked to the field.
    summary = page.get_by_role("alert", name="There is a problem")
    expect(summary.get_by_role("link", name="Incorrect code.")).to_be_visible()
    page.get_by_label(re.compile(r"^Code:?$")).fill(totp_code(secret))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.goto(f"{live_server.url}/caseload/")
    expect(page).to_have_url(re.compile(r"/caseload/"))
    assert not accessibility.failures, "\n".join(accessibility.reports)


def test_a_survivor_ends_a_session_she_does_not_recognise(
    page: Page, browser, live_server, log_in, accessibility
):
    survivor = User.objects.create_user(
        email="ivy@example.test", password=PASSWORD, role=Role.SURVIVOR
    )
    other = browser.new_context()
    other_page = other.new_page()
    log_in(other_page, survivor.email, PASSWORD)
    log_in(page, survivor.email, PASSWORD)

    page.get_by_role("link", name="Security").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Account security")
    sessions = page.get_by_role("table", name="Your sessions")
    expect(sessions.get_by_role("row")).to_have_count(3)  # a header and two sessions
    expect(page.get_by_role("link", name="Turn on two-step login")).to_be_visible()
    accessibility.check(page, "account security")
    sessions.get_by_role("button", name=re.compile(r"^End session")).click()
    expect(page.get_by_text("That session has ended.")).to_be_visible()
    expect(page.get_by_role("table", name="Your sessions").get_by_role("row")).to_have_count(2)

    other_page.goto(f"{live_server.url}/cases/")
    expect(other_page).to_have_url(re.compile(r"/accounts/login/"))
    other.close()
    assert not accessibility.failures, "\n".join(accessibility.reports)

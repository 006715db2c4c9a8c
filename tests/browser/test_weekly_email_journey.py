"""Weekly status email settings, unsubscribe and the staff preview, in a real browser."""

import re

import pytest
from playwright.sync_api import Page, expect

from cases.services import case_assign, case_open
from digests.messages import unsubscribe_token
from digests.models import WeeklyStatus
from evidence.services import sighting_log
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Her device is in New Zealand: the settings page offers that time zone.
    return {**browser_context_args, "timezone_id": "Pacific/Auckland"}


def test_she_sets_her_weekly_email_in_her_time_zone_and_can_stop_it(
    page: Page, live_server, log_in, accessibility, survivor
):
    case_open(survivor=survivor, pseudonym="Fern", acting_user=survivor)
    log_in(page, survivor.email, PASSWORD)
    page.get_by_role("link", name="Emails").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Weekly status email")
    accessibility.check(page, "email settings")

    page.get_by_role("button", name="Use this device's time zone (Pacific/Auckland)").click()
    expect(page.get_by_label("Time zone")).to_have_value("Pacific/Auckland")
    page.get_by_label("Day of the week").select_option(label="Wednesday")
    page.get_by_label("Time of day").select_option(label="19:00")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#next-digest")).to_contain_text(
        re.compile(r"Wednesday .* 19:00 \(Pacific/Auckland\)")
    )
    status = WeeklyStatus.objects.get(user=survivor)
    assert (status.weekday, status.hour, status.time_zone) == (2, 19, "Pacific/Auckland")

    # The link from the email: opening it only asks; the button stops the emails.
    page.goto(f"{live_server.url}/email/unsubscribe/{unsubscribe_token(survivor.pk)}/")
    accessibility.check(page, "unsubscribe")
    page.get_by_role("button", name="Stop weekly emails").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Weekly emails stopped")
    assert WeeklyStatus.objects.get(user=survivor).enabled is False
    assert accessibility.failures == [], "\n".join(accessibility.reports)


def test_a_caseworker_previews_what_the_survivor_will_get(
    page: Page, live_server, log_in, accessibility, survivor, caseworker
):
    case = case_open(survivor=survivor, pseudonym="Fern", acting_user=survivor)
    sighting_log(case=case, url="https://www.reddit.com/r/x/1", acting_user=survivor)
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    log_in(page, caseworker.email, PASSWORD)
    page.goto(f"{live_server.url}/email/preview/?case={case.reference}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Her weekly email, as it would go out now"
    )
    preview = page.locator("pre.email-preview")
    expect(preview).to_contain_text(re.compile(r"Links reported:\s+1"))
    expect(preview).not_to_contain_text("reddit")
    accessibility.check(page, "email preview")
    page.get_by_role("link", name="See the HTML version").click()
    button = page.get_by_role("link", name="Log in to see more")
    expect(button).to_be_visible()
    # The email's own inline styles apply (its preview page allows them, and nothing else).
    assert button.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(47, 93, 138)"
    assert accessibility.failures == [], "\n".join(accessibility.reports)

"""A supervisor's own pages on a desktop: the outbox, Activity and the platform figures, in a
real Chromium, found by role and label, with axe on each."""

import csv
import datetime as dt
import io
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Role, User
from audit.models import AuditEvent, AuditKind
from cases.services import case_open
from outbox.models import EmailKind, EmailStatus, OutgoingEmail
from platforms.models import Platform
from takedowns.models import TakedownRequest
from tests.conftest import PASSWORD, give_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
SHOTS_DIR = os.environ.get("LEAKCASE_SHOTS_DIR")  # e.g. /tmp/leakcase-shots, never committed


def label(text: str) -> re.Pattern:
    """A form label exactly, with or without the colon Django adds after it."""
    return re.compile(rf"^{re.escape(text)}:?$")


def shot(page: Page, name: str) -> None:
    """A PNG for a person to look at, only when LEAKCASE_SHOTS_DIR is set."""
    if SHOTS_DIR:
        Path(SHOTS_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS_DIR) / f"{name}.png"), full_page=True)


@pytest.fixture
def supervisor(transactional_db):
    user = User.objects.create_user(
        email="sam@example.test", password=PASSWORD, role=Role.SUPERVISOR, display_name="Sam"
    )
    give_totp(user)
    return user


@pytest.fixture
def her_cases(transactional_db):
    survivor = User.objects.create_user(
        email="rose@example.test", password=PASSWORD, role=Role.SURVIVOR
    )
    caseworker = User.objects.create_user(
        email="casey@example.test", password=PASSWORD, role=Role.CASEWORKER, display_name="Casey"
    )
    rose = case_open(survivor=survivor, pseudonym="Rose", acting_user=survivor)
    iris = case_open(survivor=survivor, pseudonym="Iris", acting_user=survivor)
    today = timezone.now()
    for case, when, rendition in (
        (rose, today, "image"),
        (rose, today - dt.timedelta(days=40), "download"),  # outside the dates chosen
        (iris, today, "thumbnail"),  # another case
    ):
        AuditEvent.objects.create(
            kind=AuditKind.EVIDENCE_VIEWED,
            actor_id=caseworker.pk,
            actor_role=caseworker.role,
            target=f"evidence:file case={case.pk} rendition={rendition}",
            created_at=when,
        )
    for kind, status in (
        (EmailKind.NOTICE, EmailStatus.SENT),
        (EmailKind.SURVIVOR_WEEKLY, EmailStatus.PENDING),
        (EmailKind.INVITATION, EmailStatus.FAILED),
    ):
        OutgoingEmail.objects.create(kind=kind, status=status, to_address="x@example.test")
    reddit = Platform.objects.get(slug="reddit")
    sent = today - dt.timedelta(days=3)
    TakedownRequest.objects.create(
        case=rose, platform=reddit, status="removed", sent_at=sent,
        removed_at=sent + dt.timedelta(hours=12),
    )  # fmt: skip
    return rose, iris


def test_a_supervisor_reads_the_outbox_filters_activity_and_downloads_it(
    page: Page, live_server, supervisor, her_cases, log_in, accessibility
):
    rose, iris = her_cases
    page.set_viewport_size(DESKTOP)
    log_in(page, supervisor.email, PASSWORD)

    page.goto(f"{live_server.url}/email/outbox/")
    counts = page.get_by_role("table", name="Every kind of email, by state")
    expect(counts.get_by_role("rowheader", name="Takedown notice")).to_be_visible()
    expect(counts.get_by_role("link", name="1 Takedown notice: Sent")).to_be_visible()
    page.get_by_label(label("Kind")).select_option(label="Invitation to claim a case")
    page.get_by_label(label("State")).select_option(label="Every state")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("table", name=re.compile(r"^1 email: invitation"))).to_be_visible()
    accessibility.check(page, "outbox")
    shot(page, "supervisor-outbox")

    page.goto(f"{live_server.url}/activity/")
    today = timezone.now().astimezone(dt.UTC).date()
    page.get_by_label(label("Case reference")).fill(rose.reference)
    page.get_by_label(label("From")).fill((today - dt.timedelta(days=7)).isoformat())
    page.get_by_label(label("To")).fill(today.isoformat())
    page.get_by_role("button", name="Show").click()
    events = page.get_by_role("table", name="Events, newest first")
    expect(events.get_by_role("row")).to_have_count(2)  # the header and one event
    expect(events.get_by_role("link", name=rose.reference)).to_have_attribute(
        "href", f"/cases/{rose.reference}/"
    )
    expect(events).to_contain_text("an evidence file, revealed")
    expect(page.get_by_text(iris.reference)).to_have_count(0)
    accessibility.check(page, "activity, filtered")
    shot(page, "supervisor-activity")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download these rows as CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    events_in_csv = [row for row in rows if row["record"] == "event"]
    assert [(r["what"], r["case"], r["about"]) for r in events_in_csv] == [
        ("Staff viewed evidence", rose.reference, "an evidence file, revealed")
    ]
    assert {row["case"] for row in rows} == {rose.reference}

    # A date the picker cannot make, as in an edited or shared address.
    page.goto(f"{live_server.url}/activity/?case={rose.reference}&date_from=2026-02-30")
    expect(page.get_by_role("alert").filter(has_text="Nothing is shown")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("From: Enter a date"))).to_be_visible()

    page.goto(f"{live_server.url}/platforms/figures/")
    expect(page.get_by_text("(the last 90 days; choose other dates above)")).to_be_visible()
    # Read from the summary, brought up to date as the page opened, and saying so.
    expect(page.locator("#figures-as-of")).to_contain_text(
        re.compile(r"Figures as of \d\d:\d\d UTC")
    )
    expect(page.get_by_role("rowheader", name="Reddit")).to_be_visible()
    expect(
        page.get_by_role("img", name=re.compile("Hours to removal per platform"))
    ).to_be_visible()
    accessibility.check(page, "platform figures")
    shot(page, "supervisor-figures")

    assert accessibility.failures == [], "\n\n".join(accessibility.reports)


def test_a_supervisor_raises_a_big_platforms_pace_of_link_checks(
    page: Page, live_server, supervisor, platform_directory, log_in, accessibility
):
    """Most links sit on a few big platforms: their pace (monitoring.services's dispatch)
    is the directory's to set."""
    # What migration platforms/0003 sets (tests/platforms/test_migrations.py); the fixture
    # puts the directory back without it after a transactional test emptied the tables.
    Platform.objects.filter(slug="reddit").update(checks_per_minute=300)
    page.set_viewport_size(DESKTOP)
    log_in(page, supervisor.email, PASSWORD)
    page.goto(f"{live_server.url}/platforms/")
    page.get_by_role("link", name="Reddit", exact=True).click()
    pace = page.get_by_label(label("Link checks a minute"))
    expect(pace).to_have_value("300")
    expect(page.get_by_text("How many of our link checks a minute this site gets")).to_be_visible()
    accessibility.check(page, "platform edit")
    shot(page, "supervisor-platform-pace")
    pace.fill("0")
    page.get_by_role("button", name="Save").click()
    expect(pace).to_have_attribute("aria-invalid", "true")
    accessibility.check(page, "platform edit refused")
    pace.fill("600")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/platforms/$"))
    assert Platform.objects.get(slug="reddit").checks_per_minute == 600
    assert accessibility.failures == [], "\n\n".join(accessibility.reports)

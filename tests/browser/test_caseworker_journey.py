"""A caseworker's and a supervisor's day in LeakCase, in a real Chromium, found by role and label.

Cases, sightings and users are made through services; everything staff do is done in the
browser. Every request stays on the live server (see the `network` fixture).
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role, User
from cases.models import Case, CaseNote, CaseStatus, NoteVisibility, Priority
from cases.services import case_open
from evidence.services import sightings_log_pasted
from tests.conftest import PASSWORD, give_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASTED = "https://x.com/a/status/1\nhttps://www.reddit.com/r/x/comments/abc/"
INTERNAL_NOTE = "INTERNAL: caller sounded scared"
SHARED_NOTE = "We have contacted the platforms for you."


def label(text: str) -> re.Pattern:
    """A form label exactly, with or without the colon Django adds after it."""
    return re.compile(rf"^{re.escape(text)}:?$")


def case_url(live_server, case: Case) -> str:
    return f"{live_server.url}/cases/{case.reference}/"


def make_staff(email: str, role: str, display_name: str) -> User:
    staff = User.objects.create_user(
        email=email, password=PASSWORD, role=role, display_name=display_name
    )
    give_totp(staff)
    return staff


def make_survivor_case(email: str, pseudonym: str) -> tuple[User, Case]:
    """A survivor's own case with two sightings, in the unassigned queue."""
    survivor = User.objects.create_user(email=email, password=PASSWORD, role=Role.SURVIVOR)
    case = case_open(survivor=survivor, pseudonym=pseudonym, acting_user=survivor)
    result = sightings_log_pasted(case=case, text=PASTED, acting_user=survivor)
    assert len(result.saved) == 2
    return survivor, case


def log_out(page: Page, live_server) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")


@dataclass
class Desk:
    """A survivor's unassigned case, and a caseworker and a supervisor to work it."""

    survivor: User
    case: Case
    caseworker: User
    supervisor: User


@pytest.fixture
def desk(transactional_db):
    survivor, case = make_survivor_case("rose@example.test", "Rose")
    assert case.assigned_to is None and case.status == CaseStatus.NEW
    caseworker = make_staff("casey@example.test", Role.CASEWORKER, "Casey")
    supervisor = make_staff("sam@example.test", Role.SUPERVISOR, "Sam")
    return Desk(survivor=survivor, case=case, caseworker=caseworker, supervisor=supervisor)


def test_caseworker_takes_a_case_triages_and_writes_notes(page: Page, live_server, desk, log_in):
    case = desk.case
    log_in(page, desk.caseworker.email, PASSWORD)

    # Staff land on the caseload; her own tab is empty, the case waits in the queue.
    expect(page).to_have_url(f"{live_server.url}/caseload/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Caseload")
    tabs = page.get_by_role("navigation", name="Caseload views")
    expect(tabs.get_by_role("link", name="Mine")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name=case.reference)).to_have_count(0)

    tabs.get_by_role("link", name="Unassigned").click()
    expect(tabs.get_by_role("link", name="Unassigned")).to_have_attribute("aria-current", "page")
    table = page.get_by_role("table")
    row = table.get_by_role("row").filter(has=page.get_by_role("link", name=case.reference))
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell", name="2 / 0")).to_be_visible()  # live / removed
    # A caseworker has no "All cases" tab.
    expect(tabs.get_by_role("link", name="All cases")).to_have_count(0)

    page.get_by_label(f"Select {case.reference}").check()
    page.get_by_role("button", name="Assign selected to me").click()
    expect(page.get_by_role("status")).to_contain_text("1 case(s) assigned to you.")
    # Gone from the queue...
    expect(page.get_by_role("link", name=case.reference)).to_have_count(0)
    # ...and in her own tab.
    tabs.get_by_role("link", name="Mine").click()
    expect(tabs.get_by_role("link", name="Mine")).to_have_attribute("aria-current", "page")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=case.reference))
    expect(row.get_by_role("cell", name="You", exact=True)).to_be_visible()
    case.refresh_from_db()
    assert case.assigned_to == desk.caseworker
    assert case.status == CaseStatus.ACTIVE  # someone is working on it now

    page.get_by_role("link", name=case.reference).click()
    expect(page).to_have_url(case_url(live_server, case))
    expect(page.get_by_role("heading", level=1)).to_have_text("Rose")
    handling = page.get_by_role("region", name="Case handling")
    expect(handling.get_by_role("definition").first).to_have_text("You")

    # Triage: High was asked for, threats make it urgent whatever was asked.
    triage = page.get_by_role("form", name="Priority")
    triage.get_by_label(label("Priority")).select_option(label="High")
    triage.get_by_label(label("There are threats or extortion")).check()
    triage.get_by_role("button", name="Save priority").click()
    expect(page.get_by_role("status")).to_contain_text("Priority is urgent.")
    expect(page.locator(".badges").get_by_text("Urgent", exact=True)).to_be_visible()
    expect(page.get_by_role("region", name="Case handling")).to_contain_text(
        "threats or extortion"
    )
    triage = page.get_by_role("form", name="Priority")
    expect(triage.get_by_label(label("Priority"))).to_have_value(Priority.URGENT)
    expect(triage.get_by_label(label("There are threats or extortion"))).to_be_checked()

    # Two notes: one for staff, one for her.
    notes_form = page.get_by_role("form", name="Add a note")
    notes_form.get_by_role("textbox", name=label("Note")).fill(INTERNAL_NOTE)
    visibility = notes_form.get_by_role("group", name=label("Who can read it"))
    # Internal is the default; chosen anyway, as a person would make sure.
    visibility.get_by_role("radio", name="Internal (staff only)").check()
    notes_form.get_by_role("button", name="Save note").click()
    expect(page.get_by_role("status")).to_contain_text("The note is saved.")
    expect(page).to_have_url(f"{case_url(live_server, case)}#notes")

    notes_form = page.get_by_role("form", name="Add a note")
    notes_form.get_by_role("textbox", name=label("Note")).fill(SHARED_NOTE)
    notes_form.get_by_role("radio", name="Shared with the survivor").check()
    notes_form.get_by_role("button", name="Save note").click()
    expect(page.get_by_role("status")).to_contain_text("The note is saved.")

    # The internal note stays among staff's notes; the shared one is a message to her, in
    # the conversation (cases.thread_services).
    notes = page.get_by_role("region", name=re.compile(r"^Internal notes"))
    expect(notes.get_by_role("listitem")).to_have_count(1)
    expect(notes).to_contain_text(INTERNAL_NOTE)
    conversation = page.get_by_role("region", name=re.compile(r"^Conversation with her"))
    expect(conversation.get_by_role("listitem")).to_have_count(1)
    expect(conversation).to_contain_text(SHARED_NOTE)
    expect(conversation).not_to_contain_text(INTERNAL_NOTE)
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline).to_contain_text("Priority changed")

    case.refresh_from_db()
    assert case.assigned_to == desk.caseworker
    assert case.priority == Priority.URGENT
    assert case.threats_or_extortion is True
    saved = dict(CaseNote.objects.filter(case=case).values_list("body", "visibility"))
    assert saved == {
        INTERNAL_NOTE: NoteVisibility.INTERNAL,
        SHARED_NOTE: NoteVisibility.SHARED,
    }

    # The survivor reads the shared note, and nothing staff keep to themselves.
    log_out(page, live_server)
    log_in(page, desk.survivor.email, PASSWORD)
    page.get_by_role("link", name=case.reference).click()
    expect(page).to_have_url(case_url(live_server, case))
    expect(page.get_by_role("heading", level=1)).to_have_text("Rose")
    messages = page.get_by_role("region", name=re.compile(r"^Messages with your caseworker"))
    expect(messages.get_by_role("listitem")).to_have_count(1)
    expect(messages).to_contain_text(SHARED_NOTE)
    expect(page.get_by_role("region", name="Case handling")).to_have_count(0)
    expect(page.get_by_role("form", name="Add a note")).to_have_count(0)
    expect(page.get_by_role("region", name="Timeline")).not_to_contain_text("Priority changed")

    content = page.content()
    assert INTERNAL_NOTE not in content
    assert "caller sounded scared" not in content
    assert "threats" not in content.lower()
    assert "Priority changed" not in content
    assert "Casey" not in content  # staff names stay with staff


def test_wrong_status_transition_is_refused_with_a_reason(page: Page, live_server, desk, log_in):
    case = desk.case
    log_in(page, desk.supervisor.email, PASSWORD)
    page.goto(case_url(live_server, case))
    expect(page.locator(".badges").get_by_text("New", exact=True)).to_be_visible()

    status = page.get_by_role("form", name="Status")
    status.get_by_label(label("Move the case to")).select_option(label="Resolved")
    status.get_by_role("button", name="Change status").click()

    status = page.get_by_role("form", name="Status")
    expect(status).to_contain_text("A new case can go to Active or Closed, not to Resolved.")
    # The reason is tied to the field, so a screen reader hears it with the field.
    select = status.get_by_label(label("Move the case to"))
    expect(select).to_have_attribute("aria-invalid", "true")
    expect(select).to_have_accessible_description(re.compile("Active or Closed"))
    case.refresh_from_db()
    assert case.status == CaseStatus.NEW
    expect(page.locator(".badges").get_by_text("New", exact=True)).to_be_visible()

    select.select_option(label="Active")
    status.get_by_role("button", name="Change status").click()
    expect(page).to_have_url(case_url(live_server, case))
    expect(page.get_by_role("status")).to_contain_text("The case is now active.")
    expect(page.locator(".badges").get_by_text("Active", exact=True)).to_be_visible()
    expect(page.get_by_role("region", name="Timeline")).to_contain_text("New → Active")
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE


def test_caseload_has_no_accessibility_violations(
    accessibility, page: Page, live_server, desk, log_in
):
    # A few more cases in the queue, so the table and its checkboxes have rows.
    for n, name in enumerate(("Iris", "Juniper"), start=2):
        make_survivor_case(f"survivor{n}@example.test", name)

    def check(name: str) -> None:
        accessibility.check(page, name)

    log_in(page, desk.caseworker.email, PASSWORD)
    page.goto(f"{live_server.url}/caseload/?tab=unassigned")
    expect(page.get_by_role("table").locator("tbody").get_by_role("row")).to_have_count(3)
    check("caseload, unassigned (caseworker)")
    page.goto(f"{live_server.url}/caseload/?tab=mine")
    check("caseload, mine, empty")
    page.goto(case_url(live_server, desk.case))
    expect(page.get_by_role("form", name="Priority")).to_be_visible()
    check("staff case page (caseworker)")
    page.goto(f"{live_server.url}/cases/new/for-caller/")
    check("open a case for a caller")

    log_out(page, live_server)
    log_in(page, desk.supervisor.email, PASSWORD)
    page.goto(f"{live_server.url}/caseload/?tab=unassigned")
    expect(page.get_by_role("button", name="Assign selected")).to_be_visible()
    check("caseload, unassigned (supervisor)")
    page.goto(case_url(live_server, desk.case))
    expect(page.get_by_role("form", name="Assignment")).to_be_visible()
    check("staff case page (supervisor)")
    status = page.get_by_role("form", name="Status")
    status.get_by_label(label("Move the case to")).select_option(label="Resolved")
    status.get_by_role("button", name="Change status").click()
    expect(status).to_contain_text("Active or Closed")
    check("staff case page with a refused status change")

    assert accessibility.failures == [], "\n\n".join(accessibility.reports)


def test_open_a_case_for_a_caller_and_the_survivor_claims_it(
    page: Page, live_server, log_in, mailoutbox
):
    caseworker = make_staff("casey@example.test", Role.CASEWORKER, "Casey")
    pseudonym = "Marigold"
    contact = "caller@example.test"

    log_in(page, caseworker.email, PASSWORD)
    page.get_by_role("link", name="Open a case for a caller").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open a case for a caller")
    page.get_by_label(label("A name for this case")).fill(pseudonym)
    page.get_by_label(label("Contact email")).fill(contact)
    page.get_by_role("button", name="Open case").click()

    case = Case.objects.get(pseudonym=pseudonym)
    expect(page).to_have_url(case_url(live_server, case))
    expect(page.get_by_role("heading", level=1)).to_have_text(pseudonym)
    assert case.survivor is None
    assert case.assigned_to == caseworker
    assert case.contact_email == contact
    status = page.get_by_role("status")
    expect(status).to_contain_text(f"An invitation was sent to {contact}.")
    claim = status.get_by_text(re.compile(r"^Claim link"))
    expect(claim).to_be_visible()
    found = re.search(r"https?://\S+", claim.inner_text())
    assert found, claim.inner_text()
    link = found.group(0)
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == live_server.url, link
    assert re.fullmatch(r"/invitations/[^/]+/", parts.path), link

    # The email goes to the contact address, with the link and without the case's name.
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [contact]
    assert link in email.body
    html = email.alternatives[0][0] if email.alternatives else ""
    for text in (email.subject, email.body, html):
        assert pseudonym not in text
        assert case.reference not in text

    # She opens the link without an account.
    log_out(page, live_server)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your case is waiting")
    expect(page.get_by_text(pseudonym)).to_have_count(0)  # the link alone shows nothing
    page.get_by_role("link", name="Create a private account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a private account")
    email_address = "marigold@example.test"
    password = "violet-harbour-kettle-93"
    page.get_by_label(label("Email")).fill(email_address)
    page.get_by_label(label("Password")).fill(password)
    page.get_by_label(label("Password (again)")).fill(password)
    page.get_by_role("button", name="Create account").click()

    # Back at the claim page, now logged in.
    expect(page).to_have_url(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Add the case to your account")
    user = User.objects.get(email=email_address)
    assert user.role == Role.SURVIVOR
    page.get_by_role("button", name="Add the case to my account").click()

    expect(page).to_have_url(case_url(live_server, case))
    expect(page.get_by_role("heading", level=1)).to_have_text(pseudonym)
    expect(page.get_by_role("status")).to_contain_text("The case is now in your account.")
    case.refresh_from_db()
    assert case.survivor == user
    assert case.invitation_nonce == ""

    # The link works once.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link cannot be used")
    expect(page.get_by_text("already been used")).to_be_visible()
    case.refresh_from_db()
    assert case.survivor == user

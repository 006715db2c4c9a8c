"""StopNCII.org and Take It Down on the case page, in a real Chromium: she reads which
programme fits her case on her phone, notes her programme case number (never the PIN) and
gives her consent to share the fingerprints; her caseworker, at a desk, sees it, records her
withdrawal from the programme and downloads the exchange file. Nothing leaves 127.0.0.1."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from cases.models import ProgrammeCase
from cases.services import case_assign, case_open
from evidence.demo_images import make_image
from evidence.services import reference_register
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SHOTS_DIR = os.environ.get("LEAKCASE_SHOTS_DIR")  # e.g. /tmp/leakcase-shots, never committed


def shot(page: Page, name: str, locator=None) -> None:
    if SHOTS_DIR:
        Path(SHOTS_DIR).mkdir(parents=True, exist_ok=True)
        target = locator if locator is not None else page
        target.screenshot(path=str(Path(SHOTS_DIR) / f"{name}.png"))


def test_she_notes_her_programme_case_and_her_caseworker_exports_the_hashes(
    browser, live_server, log_in, accessibility, network, survivor, caseworker
):
    case = case_open(survivor=survivor, pseudonym="Fern", acting_user=survivor)
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    reference = reference_register(case=case, data=make_image(seed=51), acting_user=survivor)

    # On her phone: which programme fits, what it does, and her case number.
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(phone, survivor.email, PASSWORD)
    phone.get_by_role("link", name=case.reference).click()
    phone.get_by_role("link", name="Programmes", exact=True).click()
    section = phone.locator("#programmes")
    expect(section.get_by_role("heading", name="Programmes that can help")).to_be_visible()
    expect(section.locator(".programme").first).to_contain_text("StopNCII.org For your case")
    expect(section.get_by_text("LeakCase never needs your PIN")).to_be_visible()
    expect(section.get_by_role("link", name=re.compile("Take It Down"))).to_have_attribute(
        "href", "https://takeitdown.ncmec.org/"
    )
    shot(phone, "programmes-her-phone", section)
    accessibility.check(phone, "her case page: programmes")

    form = section.get_by_role("form", name="Note your programme case number")
    form.get_by_label("StopNCII.org").check()
    form.get_by_label("Case number (not the PIN)").fill("SN-90412")
    form.get_by_label("Date you made the case").fill("2026-11-03")
    form.get_by_role("button", name="Save the case number").click()
    expect(phone.get_by_text("The StopNCII.org case is saved.")).to_be_visible()
    expect(phone.locator("#programmes .programme-cases")).to_contain_text(
        "StopNCII.org: case number SN-90412, made 3 Nov 2026; not withdrawn"
    )
    phone.get_by_role("button", name="I agree: share the fingerprints").click()
    expect(phone.get_by_text("Your caseworker may now share the fingerprints.")).to_be_visible()
    shot(phone, "programmes-her-phone-saved", phone.locator("#programmes"))
    accessibility.check(phone, "her case page: programme case saved, consent given")

    # At the desk: her caseworker records that she withdrew it, and downloads the hashes.
    desk = browser.new_context(viewport=DESKTOP, accept_downloads=True).new_page()
    log_in(desk, caseworker.email, PASSWORD)
    desk.goto(f"{live_server.url}/cases/{case.reference}/#programmes")
    staff = desk.locator("#programmes")
    expect(staff).to_contain_text("Fits this case: StopNCII.org")
    expect(staff.locator(".programme-cases")).to_contain_text("case number SN-90412")
    expect(staff).to_contain_text("would hold 1 PDQ hash and 1 MD5 hash")
    accessibility.check(desk, "case file: programmes")
    form = staff.get_by_role("form", name="Record her programme case number")
    form.get_by_label("StopNCII.org").check()
    form.get_by_label("Case number (not the PIN)").fill("SN-90412")
    form.get_by_label("Date the case was made").fill("2026-11-03")
    form.get_by_label("Date it was withdrawn (only if it was)").fill("2026-11-05")
    form.get_by_role("button", name="Save the case number").click()
    expect(desk.locator("#programmes .programme-cases")).to_contain_text("withdrawn 5 Nov 2026")
    assert ProgrammeCase.objects.get(case=case).withdrawn_on.isoformat() == "2026-11-05"
    shot(desk, "programmes-staff-desk", desk.locator("#programmes"))

    with desk.expect_download() as download_info:
        desk.get_by_role("button", name="Download the hashes (.txt)").click()
    download = download_info.value
    assert re.fullmatch(r"hashes-\d{4}-\d{2}-\d{2}\.txt", download.suggested_filename)
    assert Path(download.path()).read_text() == f"pdq {reference.pdq}\nmd5 {reference.md5}\n"
    assert network.blocked == []
    assert accessibility.failures == [], "\n".join(accessibility.reports)

"""The vault's pages in a real browser: images to find, possible copies, data rights."""

import os
import re
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from accounts.models import Role, User
from cases.services import case_assign, case_open
from evidence.demo_images import make_image, screenshot_of
from evidence.models import ReferenceHash
from evidence.services import evidence_add
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS_DIR = os.environ.get("LEAKCASE_SHOTS_DIR")  # e.g. /tmp/leakcase-shots, never committed


def test_a_survivor_hashes_an_image_finds_it_in_a_screenshot_and_sees_her_data_pages(
    page: Page, live_server, log_in, accessibility
):
    survivor = User.objects.create_user(
        email="vault@example.test", password=PASSWORD, role=Role.SURVIVOR
    )
    case = case_open(survivor=survivor, pseudonym="Fern", acting_user=survivor)
    original = make_image(seed=404, size=(640, 480))
    log_in(page, survivor.email, PASSWORD)

    page.goto(f"{live_server.url}/cases/{case.reference}/")
    page.get_by_role("link", name=re.compile(r"^Images to find")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Images to find")
    accessibility.check(page, "images to find, empty")
    page.get_by_label(re.compile(r"^Image you want found")).set_input_files(
        {"name": "me.jpg", "mimeType": "image/jpeg", "buffer": original}
    )
    page.get_by_label(re.compile(r"^A label for it")).fill("beach")
    page.get_by_role("button", name="Add its fingerprints").click()
    table = page.get_by_role("table", name="What is kept for each image")
    # Sent with a progress bar (no page load to wait for): the answer is the table.
    expect(table).to_contain_text("No, hashes only")
    reference = ReferenceHash.objects.get(case=case)
    expect(table).to_contain_text(reference.phash_hex)
    accessibility.check(page, "images to find, one")

    evidence = evidence_add(
        case=case,
        upload=SimpleUploadedFile("shot.png", screenshot_of(original, seed=404)),
        acting_user=survivor,
    )
    page.goto(f"{live_server.url}/cases/{case.reference}/evidence/{evidence.pk}/")
    copies = page.get_by_role("region", name="Possible copies of images to find")
    expect(copies).to_contain_text("beach")
    copies.get_by_role("button", name="Confirm it is a copy").click()
    expect(page.get_by_role("region", name="Possible copies of images to find")).to_contain_text(
        "confirmed"
    )
    accessibility.check(page, "evidence with a possible copy")

    page.goto(f"{live_server.url}/account/export/")
    accessibility.check(page, "export")
    page.get_by_label(re.compile(r"^Your password")).fill(PASSWORD)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download my data").click()
    archive = zipfile.ZipFile(download.value.path())
    assert f"cases/{case.reference}/case.json" in archive.namelist()

    page.goto(f"{live_server.url}/account/erase/")
    accessibility.check(page, "erase")
    page.get_by_label(re.compile(r"^Your password")).fill(PASSWORD)
    page.get_by_label(re.compile(r"^Type ERASE")).fill("erase")
    page.get_by_role("button", name="Erase my account for good").click()
    summary = page.get_by_role("alert", name="There is a problem")
    expect(summary).to_be_focused()
    expect(
        summary.get_by_role("link", name="Type ERASE, in capitals, to confirm.")
    ).to_be_visible()
    assert User.objects.filter(pk=survivor.pk).exists()
    page.get_by_label(re.compile(r"^Your password")).fill(PASSWORD)
    page.get_by_label(re.compile(r"^Type ERASE")).fill("ERASE")
    page.get_by_role("button", name="Erase my account for good").click()
    expect(page.get_by_text(re.compile(r"Your account is erased"))).to_be_visible()
    assert not User.objects.filter(pk=survivor.pk).exists()

    assert accessibility.failures == [], "\n".join(accessibility.reports)


PHONE = {"width": 390, "height": 844}


def test_a_revealed_image_can_be_blurred_again_on_a_phone(
    page: Page, live_server, log_in, accessibility
):
    """Someone comes into the room: one tap puts the image back behind its warning, and the
    revealed picture leaves the page (not only covered)."""
    survivor = User.objects.create_user(
        email="blur@example.test", password=PASSWORD, role=Role.SURVIVOR
    )
    case = case_open(survivor=survivor, pseudonym="Fern", acting_user=survivor)
    evidence = evidence_add(
        case=case,
        upload=SimpleUploadedFile("shot.png", screenshot_of(make_image(seed=7), seed=7)),
        acting_user=survivor,
    )
    preview = f"/cases/{case.reference}/evidence/{evidence.pk}/preview/"
    page.set_viewport_size(PHONE)
    log_in(page, survivor.email, PASSWORD)
    page.goto(f"{live_server.url}/cases/{case.reference}/evidence/{evidence.pk}/")
    blur_again = page.get_by_role("button", name="Blur it again")
    expect(blur_again).to_be_hidden()

    page.get_by_role("link", name="Reveal image").click()
    expect(page.get_by_role("img", name="The screenshot, revealed")).to_have_attribute(
        "data-state", "revealed"
    )
    blur_again.scroll_into_view_if_needed()
    expect(blur_again).to_be_in_viewport(ratio=1)
    box = blur_again.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert box["height"] >= 44  # big enough to hit with a thumb in a hurry
    accessibility.check(page, "evidence revealed, on a phone")

    blur_again.click()
    image = page.get_by_role("img", name="Blurred preview of a screenshot")
    expect(image).to_have_attribute("data-state", "blurred")
    expect(image).to_have_attribute("src", preview)
    expect(page.get_by_text("Content warning: this may show intimate images.")).to_be_visible()
    reveal = page.get_by_role("link", name="Reveal image")
    expect(reveal).to_be_focused()
    expect(blur_again).to_be_hidden()
    # Nothing of the revealed rendition is left in the page.
    assert page.locator("img[data-state=revealed]").count() == 0
    accessibility.check(page, "evidence blurred again, on a phone")

    # And it can be revealed again.
    reveal.click()
    expect(page.get_by_role("img", name="The screenshot, revealed")).to_be_visible()
    expect(blur_again).to_be_visible()

    assert accessibility.failures == [], "\n".join(accessibility.reports)


def test_a_file_missing_from_storage_says_so_to_her_and_to_her_caseworker(
    browser, live_server, log_in, accessibility, survivor, caseworker
):
    """The object behind a row is gone (a hand in the bucket, a lost disk): whoever asks for
    it gets a page that says what happened and what to do, never a server error."""
    case = case_open(survivor=survivor, pseudonym="Fern", acting_user=survivor)
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    evidence = evidence_add(
        case=case,
        upload=SimpleUploadedFile("shot.jpg", make_image(seed=9)),
        acting_user=survivor,
    )
    default_storage.delete(evidence.file.name)
    default_storage.delete(evidence.preview.name)
    detail = f"{live_server.url}/cases/{case.reference}/evidence/{evidence.pk}/"

    for who, viewport, name in (
        (survivor, PHONE, "her, on a phone"),
        (caseworker, {"width": 1280, "height": 900}, "her caseworker, at a desk"),
    ):
        page = browser.new_context(viewport=viewport).new_page()
        log_in(page, who.email, PASSWORD)
        # On the case page the card's picture says it is missing (an SVG drawn by the
        # browser: a width), not a broken image (no width).
        page.goto(f"{live_server.url}/cases/{case.reference}/")
        card = page.locator(f'img[src$="/evidence/{evidence.pk}/preview/"]')
        card.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete", arg=card.element_handle())
        assert card.evaluate("img => img.naturalWidth") == 320
        page.goto(detail)
        page.get_by_role("link", name="Download").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("This file is missing")
        expect(page.get_by_role("alert")).to_have_text(
            "This file is missing from storage. Please tell an administrator."
        )
        # She has no administrator to tell: the page says who to tell instead.
        expect(page.get_by_text("You can tell your caseworker in a message")).to_have_count(
            1 if who == survivor else 0
        )
        accessibility.check(page, f"a missing file, {name}")
        if SHOTS_DIR:
            page.screenshot(path=f"{SHOTS_DIR}/missing-file-{who.role}.png", full_page=True)
        page.get_by_role("link", name="Back to this file's page").click()
        expect(page).to_have_url(detail)
        page.context.close()

    assert accessibility.failures == [], "\n".join(accessibility.reports)

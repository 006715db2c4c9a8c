"""The vault's pages in a real browser: images to find, possible copies, data rights."""

import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from accounts.models import Role, User
from cases.services import case_open
from evidence.demo_images import make_image, screenshot_of
from evidence.models import ReferenceHash
from evidence.services import evidence_add
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
    page.get_by_role("button", name="Hash this image").click()
    reference = ReferenceHash.objects.get(case=case)
    table = page.get_by_role("table", name="What is kept for each image")
    expect(table).to_contain_text(reference.phash_hex)
    expect(table).to_contain_text("No, hashes only")
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
    expect(page.get_by_text("Type ERASE, in capitals, to confirm.")).to_be_visible()
    assert User.objects.filter(pk=survivor.pk).exists()
    page.get_by_label(re.compile(r"^Your password")).fill(PASSWORD)
    page.get_by_label(re.compile(r"^Type ERASE")).fill("ERASE")
    page.get_by_role("button", name="Erase my account for good").click()
    expect(page.get_by_text(re.compile(r"Your account is erased"))).to_be_visible()
    assert not User.objects.filter(pk=survivor.pk).exists()

    assert accessibility.failures == [], "\n".join(accessibility.reports)

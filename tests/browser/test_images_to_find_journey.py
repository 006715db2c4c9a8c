"""Issue 17: an image to find is fingerprinted on her device. With the network watched, the
page sends the fingerprints and never the picture's bytes; the reference saved has the
fingerprints the server computes from the same file. Without JavaScript the page says the
picture is sent once, and sending it works."""

import hashlib
import io
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from accounts.models import Role, User
from cases.services import case_assign, case_open
from evidence.demo_images import make_image
from evidence.matching.hashing import hashes_of_bytes
from evidence.models import ReferenceHash
from tests.conftest import PASSWORD, give_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SHOTS_DIR = os.environ.get("LEAKCASE_SHOTS_DIR")  # e.g. /tmp/leakcase-shots, never committed


def shot(page: Page, name: str) -> None:
    if SHOTS_DIR:
        Path(SHOTS_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS_DIR}/{name}.png", full_page=True)


def picture_png() -> bytes:
    """A PNG made by code: lossless, so browser and server see the very same pixels."""
    rng = np.random.default_rng(17)
    base = np.asarray(Image.open(io.BytesIO(make_image(seed=17, size=(640, 480)))))
    noisy = (base.astype(np.int16) + rng.integers(-12, 13, base.shape)).clip(0, 255)
    out = io.BytesIO()
    Image.fromarray(noisy.astype(np.uint8), "RGB").save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def people(transactional_db):
    survivor = User.objects.create_user(
        email="iris@example.test", password=PASSWORD, role=Role.SURVIVOR
    )
    caseworker = User.objects.create_user(
        email="casey@example.test", password=PASSWORD, role=Role.CASEWORKER, display_name="Casey"
    )
    give_totp(caseworker)
    case = case_open(survivor=survivor, pseudonym="Iris", acting_user=survivor)
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    return survivor, caseworker, case


def test_only_the_fingerprints_leave_her_phone(
    page: Page, context, live_server, log_in, people, accessibility
):
    survivor, caseworker, case = people
    picture = picture_png()
    # A run from the middle of the compressed pixels: no other file or form has it.
    middle = len(picture) // 2
    distinctive = picture[middle : middle + 64]
    page.set_viewport_size(PHONE)
    log_in(page, survivor.email, PASSWORD)
    page.goto(f"{live_server.url}/cases/{case.reference}/references/")

    what_leaves = page.get_by_role("region", name="What leaves your device")
    expect(what_leaves).to_contain_text(
        "We get only these codes, a number that says how detailed the picture is, and the "
        "label if you write one."
    )
    expect(what_leaves.get_by_text("The picture itself stays on your device.")).to_be_visible()
    expect(page.get_by_text("adding an image sends the picture to us once")).to_be_hidden()
    accessibility.check(page, "images to find, on her phone")
    shot(page, "images-to-find-phone")

    requests = []
    context.on("request", lambda request: requests.append(request))
    page.get_by_label(re.compile(r"^Image you want found")).set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": picture}
    )
    page.get_by_label(re.compile(r"^A label for it")).fill("by the lake")
    page.get_by_role("button", name="Add its fingerprints").click()

    expect(page.get_by_role("status")).to_contain_text(
        "The fingerprints are saved. The picture stayed on your device."
    )
    table = page.get_by_role("table", name="What is kept for each image")
    expect(table).to_contain_text("by the lake")
    expect(table).to_contain_text("No, hashes only")
    accessibility.check(page, "images to find, one added, on her phone")
    shot(page, "images-to-find-phone-added")

    # The network: one POST, to the fingerprints' address, with the fingerprints; no request
    # carries the picture's bytes.
    posts = [request for request in requests if request.method == "POST"]
    assert [urlsplit(post.url).path for post in posts] == [
        f"/cases/{case.reference}/references/fingerprints/"
    ]
    sent = parse_qs(posts[0].post_data)
    server = hashes_of_bytes(picture)
    expected = {
        "phash": server.phash_hex,
        "dhash": server.dhash_hex,
        "pdq": server.pdq_hex,
        "pdq_quality": str(server.pdq_quality),
        "md5": hashlib.md5(picture, usedforsecurity=False).hexdigest(),
        "sha256": hashlib.sha256(picture).hexdigest(),
        "label": "by the lake",
    }
    assert {name: sent[name] for name in expected} == {k: [v] for k, v in expected.items()}
    assert len(posts[0].post_data_buffer) < 2000
    assert [r.url for r in requests if distinctive in (r.post_data_buffer or b"")] == []
    # The reference saved has the server's fingerprints of the very same file.
    reference = ReferenceHash.objects.get(case=case)
    assert (reference.phash_hex, reference.dhash_hex) == (server.phash_hex, server.dhash_hex)
    assert (reference.md5, reference.sha256) == (expected["md5"], expected["sha256"])
    assert (reference.pdq, reference.pdq_quality) == (server.pdq_hex, server.pdq_quality)
    assert reference.kept_copy is None

    # Not a picture: said plainly, with the choice to send it instead; nothing saved.
    page.get_by_label(re.compile(r"^Image you want found")).set_input_files(
        {"name": "notes.png", "mimeType": "image/png", "buffer": b"these are not pixels"}
    )
    page.get_by_role("button", name="Add its fingerprints").click()
    problem = page.get_by_role("alert")
    expect(problem).to_contain_text("This browser cannot read this picture")
    expect(problem.get_by_role("button", name="Send the picture once instead")).to_be_visible()
    expect(problem).to_be_focused()
    accessibility.check(page, "images to find, not a picture, on her phone")
    shot(page, "images-to-find-phone-not-a-picture")
    assert ReferenceHash.objects.filter(case=case).count() == 1
    # Sending it instead is her choice; the server then reads it, and says what it found.
    problem.get_by_role("button", name="Send the picture once instead").click()
    summary = page.get_by_role("alert", name="There is a problem")
    expect(summary).to_contain_text("This file is not an image we can read.")
    assert ReferenceHash.objects.filter(case=case).count() == 1

    # Her caseworker, at a desk, sees the same page and what was kept.
    context.clear_cookies()
    page.set_viewport_size(DESKTOP)
    log_in(page, caseworker.email, PASSWORD)
    page.goto(f"{live_server.url}/cases/{case.reference}/references/")
    expect(page.get_by_role("table", name="What is kept for each image")).to_contain_text(
        reference.phash_hex
    )
    accessibility.check(page, "images to find, staff desktop")
    shot(page, "images-to-find-staff-desktop")

    assert accessibility.failures == [], "\n".join(accessibility.reports)


def test_without_javascript_the_page_says_the_picture_is_sent_once(browser, live_server, people):
    survivor, _caseworker, case = people
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    # As the suite's network guard does: nothing but the live server.
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if urlsplit(route.request.url).hostname == "127.0.0.1"
            else route.abort("blockedbyclient")
        ),
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label(re.compile(r"^Email:?$")).fill(survivor.email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/cases/{case.reference}/references/")

    expect(page.get_by_text("adding an image sends the picture to us once")).to_be_visible()
    expect(page.get_by_text("The picture itself stays on your device.")).to_be_hidden()
    # (No axe here: axe is a script, and this browser runs none.)
    shot(page, "images-to-find-phone-without-javascript")
    photo = make_image(seed=18, size=(640, 480))
    page.get_by_label(re.compile(r"^Image you want found")).set_input_files(
        {"name": "me.jpg", "mimeType": "image/jpeg", "buffer": photo}
    )
    page.get_by_role("button", name="Send and hash this image").click()

    expect(page.get_by_role("status")).to_contain_text("The image is hashed.")
    reference = ReferenceHash.objects.get(case=case)
    server = hashes_of_bytes(photo, pdq=False)
    assert (reference.phash_hex, reference.md5) == (
        server.phash_hex,
        hashlib.md5(photo, usedforsecurity=False).hexdigest(),
    )
    context.close()

"""Marking the photo inside a screenshot by dragging on the blurred picture: on a phone
(390 x 844, a finger) and, for her caseworker, on a desktop (a mouse). The screenshot is one
where no region is found by itself (the photo touches another picture, with no gap), so only
the mark finds it.
"""

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from playwright.sync_api import Page, expect

from cases.services import case_assign, case_open
from evidence.demo_images import make_image
from evidence.models import EvidenceMatch
from evidence.services import evidence_add, reference_register
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS_DIR = os.environ.get("LEAKCASE_SHOTS_DIR")  # e.g. /tmp/leakcase-shots, never committed
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
PHOTO_BOX = (450, 150, 850, 450)  # where the photo is in the screenshot below


def _screenshot(photo: bytes) -> bytes:
    """A page where the photo touches another picture: no gutter, no region of its own."""
    page = Image.new("RGB", (1000, 800), (250, 250, 250))
    page.paste(Image.open(io.BytesIO(make_image(seed=77, size=(400, 500)))), (50, 100))
    page.paste(Image.open(io.BytesIO(photo)).resize((400, 300)), PHOTO_BOX[:2])
    out = io.BytesIO()
    page.save(out, format="PNG")
    return out.getvalue()


def _drag(page: Page, *, touch: bool) -> None:
    frame = page.locator("[data-crop-frame]")
    frame.scroll_into_view_if_needed()
    rect = frame.bounding_box()
    sx, sy = rect["width"] / 1000, rect["height"] / 800
    start = (rect["x"] + PHOTO_BOX[0] * sx + 1, rect["y"] + PHOTO_BOX[1] * sy + 1)
    end = (rect["x"] + PHOTO_BOX[2] * sx - 1, rect["y"] + PHOTO_BOX[3] * sy - 1)
    if touch:  # Playwright's touchscreen only taps: a drag goes through the DevTools protocol
        cdp = page.context.new_cdp_session(page)
        cdp.send(
            "Input.dispatchTouchEvent",
            {"type": "touchStart", "touchPoints": [{"x": start[0], "y": start[1]}]},
        )
        for step in range(1, 6):
            x = start[0] + (end[0] - start[0]) * step / 5
            y = start[1] + (end[1] - start[1]) * step / 5
            cdp.send(
                "Input.dispatchTouchEvent",
                {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]},
            )
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    else:
        page.mouse.move(*start)
        page.mouse.down()
        page.mouse.move(*end, steps=5)
        page.mouse.up()


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_she_drags_over_the_photo_and_it_is_found(
    browser, live_server, log_in, accessibility, screen, survivor, caseworker
):
    """She on her phone, with a finger; her caseworker at a desk, with a mouse."""
    case = case_open(survivor=survivor, pseudonym="Fern", acting_user=survivor)
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    who = survivor if screen == "phone" else caseworker
    photo = make_image(seed=505, size=(640, 480))
    reference_register(case=case, data=photo, label="beach", acting_user=survivor)
    evidence = evidence_add(
        case=case, upload=SimpleUploadedFile("shot.png", _screenshot(photo)), acting_user=survivor
    )
    assert not EvidenceMatch.objects.filter(evidence=evidence).exists()  # not found by itself

    if screen == "phone":
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    else:
        context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    log_in(page, who.email, PASSWORD)
    page.goto(f"{live_server.url}/cases/{case.reference}/evidence/{evidence.pk}/")
    form = page.locator("form[data-crop-form]")
    expect(form.locator("[data-crop-frame]")).to_be_visible()
    expect(page.get_by_label("Left edge")).to_be_hidden()  # behind "Type the edges instead"
    accessibility.check(page, f"crop by dragging, {screen}")

    _drag(page, touch=screen == "phone")
    expect(form.locator("[data-crop-status]")).to_contain_text("Area marked")
    page.get_by_text("Type the edges instead").click()
    edges = [
        int(page.get_by_label(f"{name} edge").input_value())
        for name in ("Left", "Top", "Right", "Bottom")
    ]
    assert all(abs(a - b) <= 6 for a, b in zip(edges, PHOTO_BOX, strict=True)), edges
    if SHOTS_DIR:
        page.screenshot(path=f"{SHOTS_DIR}/crop-drag-{screen}.png", full_page=True)
    page.get_by_role("button", name="Look in this area").click()
    expect(page.get_by_text("Found in that area: 1 possible copy.")).to_be_visible()
    match = EvidenceMatch.objects.get(evidence=evidence)
    assert match.region == edges
    accessibility.check(page, f"after the crop, {screen}")
    assert accessibility.failures == []
    context.close()

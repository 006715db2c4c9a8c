"""Arabic pages mirror on a phone (390 x 844) in Chromium: dir="rtl", the quick exit and the
language picker at the start of the line's reading order (the left), the brand at the right,
nothing wider than the screen; English the other way round. A small Arabic catalog made by
the test stands in for the translators' (tests/helpers/catalogs.py).

Set LEAKCASE_SHOTS_DIR to keep the screenshots for a person to look at."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role, User
from cases.services import case_open
from tests.conftest import PASSWORD
from tests.helpers.catalogs import ARABIC, SPANISH, install_catalogs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS_DIR = os.environ.get("LEAKCASE_SHOTS_DIR")  # e.g. /tmp/leakcase-shots, never committed


@pytest.fixture(autouse=True)
def _catalogs(settings, tmp_path):
    install_catalogs(settings, tmp_path, {"ar": ARABIC, "es": SPANISH})


def _shot(page: Page, name: str) -> None:
    if SHOTS_DIR:
        Path(SHOTS_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS_DIR) / f"{name}.png"), full_page=True)


def _centre_x(page: Page, locator) -> float:
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, box
    return box["x"] + box["width"] / 2


def _check_layout(page: Page, *, rtl: bool) -> None:
    middle = PHONE["width"] / 2
    quick_exit = page.locator("#quick-exit")
    picker = page.locator("#language-picker")
    brand = page.locator(".site-header .brand")
    if rtl:
        assert _centre_x(page, quick_exit) < middle  # the end of an Arabic line is the left
        assert _centre_x(page, picker) < middle
        assert _centre_x(page, brand) > middle
    else:
        assert _centre_x(page, quick_exit) > middle
        assert _centre_x(page, picker) > middle
        assert _centre_x(page, brand) < middle
    # The picker is one short row: label, box and button side by side.
    button = page.locator(".language-picker button").bounding_box()
    box = picker.bounding_box()
    assert abs(button["y"] - box["y"]) < 8, (button, box)
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_arabic_pages_mirror_on_a_phone(page: Page, live_server, accessibility):
    survivor = User.objects.create_user(
        email="rose@example.test", password=PASSWORD, role=Role.SURVIVOR, language="ar"
    )
    case_open(survivor=survivor, pseudonym="Rose", acting_user=survivor)
    page.set_viewport_size(PHONE)
    page.set_extra_http_headers({"Accept-Language": "ar"})

    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.get_by_role("link", name="خروج سريع")).to_be_visible()
    _check_layout(page, rtl=True)
    accessibility.check(page, "login, Arabic")
    _shot(page, "rtl-login-ar")

    # allauth's own labels are in Arabic already (its catalog): fields by name.
    page.locator("input[name=login]").fill(survivor.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("button", name="خروج")).to_be_visible()  # Log out, in Arabic
    page.goto(f"{live_server.url}/cases/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    _check_layout(page, rtl=True)
    accessibility.check(page, "her cases, Arabic")
    _shot(page, "rtl-cases-ar")

    assert accessibility.failures == [], "\n".join(accessibility.reports)


def test_choosing_a_language_with_the_picker_turns_the_page(page: Page, live_server):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    _check_layout(page, rtl=False)
    _shot(page, "ltr-login-en")

    page.get_by_role("combobox", name="Language").select_option("ar")
    page.get_by_role("button", name="Change").click()
    page.wait_for_load_state("load")
    assert page.url == f"{live_server.url}/accounts/login/"  # back where she was
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("combobox", name="اللغة")).to_have_value("ar")
    _check_layout(page, rtl=True)

    page.get_by_role("combobox", name="اللغة").select_option("es")
    page.get_by_role("button", name="تغيير").click()
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("link", name="Salida rápida")).to_be_visible()

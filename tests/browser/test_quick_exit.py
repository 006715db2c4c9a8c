"""Quick exit by Shift three times, and why the Referrer-Policy is same-origin, in Chromium."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _case_page(page, live_server, log_in, survivor, case):
    log_in(page, survivor.email, PASSWORD)
    url = f"{live_server.url}/cases/{case.reference}/"
    page.goto(url)
    expect(page).to_have_url(url)
    return url


def test_shift_three_times_leaves_for_the_quick_exit_site(
    page, live_server, log_in, survivor, case, network
):
    _case_page(page, live_server, log_in, survivor, case)
    real_exit = settings.QUICK_EXIT_URL
    with (
        page.expect_event("requestfailed", lambda request: request.url == real_exit),
        page.expect_request(lambda request: request.url == real_exit) as attempt,
    ):
        for _ in range(3):
            page.keyboard.press("Shift")
    assert attempt.value.is_navigation_request()
    assert network.blocked == [real_exit]
    # No Referer goes with it: the quick-exit site never learns where she came from.
    assert "referer" not in attempt.value.all_headers()


def test_typing_capitals_or_two_shifts_do_not_leave(
    page, live_server, log_in, survivor, case, network
):
    url = _case_page(page, live_server, log_in, survivor, case)
    # Capitals: Shift is pressed, then a letter, every time; the letter breaks the run.
    for letter in "ABC":
        page.keyboard.press(f"Shift+{letter}")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.wait_for_timeout(300)  # long enough for a navigation to start; none may
    expect(page).to_have_url(url)
    assert network.blocked == []


def test_no_referrer_would_refuse_our_own_login_form_and_same_origin_does_not(
    page, live_server, survivor
):
    """Why settings.SECURE_REFERRER_POLICY is "same-origin" and not "no-referrer".

    Under no-referrer Chromium sends "Origin: null" with a form posted to its own site (the
    Fetch standard says so: the request's referrer policy governs the Origin header of
    non-GET requests), and Django's CSRF check refuses the post. Under same-origin the
    Origin is the real one, and other sites still receive no Referer at all (the quick-exit
    test above looks at the request that leaves).
    """
    login = f"{live_server.url}/accounts/login/"

    def serve_with_no_referrer(route):
        if route.request.method != "GET":
            route.continue_()  # the post itself goes out as Chromium made it
            return
        response = route.fetch()
        route.fulfill(
            response=response, headers={**response.headers, "referrer-policy": "no-referrer"}
        )

    outcomes = {}
    for policy in ("no-referrer", "same-origin"):
        page.context.clear_cookies()
        if policy == "no-referrer":
            page.route(re.compile(r".*/accounts/login/$"), serve_with_no_referrer)
        else:
            page.unroute(re.compile(r".*/accounts/login/$"))
        page.goto(login)
        page.get_by_label(re.compile(r"^Email:?$")).fill(survivor.email)
        page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name="Log in").click()
        headers = answer.value.request.all_headers()
        outcomes[policy] = (headers.get("origin"), answer.value.status)
    assert outcomes["no-referrer"] == ("null", 403)
    assert outcomes["same-origin"] == (live_server.url, 302)

"""Browser-only fixtures: keep Chromium on the live server, and log in as a screen reader would."""

import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

LOCAL_HOSTS = {"127.0.0.1"}  # the live server; nothing else, not even "localhost"


@pytest.fixture(scope="session")
def live_server():
    """pytest-django's live server, on 127.0.0.1 rather than "localhost"."""
    server = LiveServer("127.0.0.1")
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _platform_directory(platform_directory):
    """Every browser test commits for real: the directory is put back first."""


@dataclass
class NetworkGuard:
    blocked: list[str] = field(default_factory=list)


@pytest.fixture(autouse=True)
def network(context, live_server):
    """Abort every request that would leave the machine; tests may look at what was stopped.

    The quick exit points at a real website; nothing in these tests may reach it.
    """
    guard = NetworkGuard()

    def handle(route):
        request = route.request
        url = request.url
        if urlsplit(url).hostname not in LOCAL_HOSTS and not url.startswith(("data:", "blob:")):
            guard.blocked.append(url)
            route.abort("blockedbyclient")
            return
        route.continue_()

    context.route("**/*", handle)
    return guard


@pytest.fixture
def log_in(live_server):
    """Log in through the login form, as a person would; an account with a second factor
    (every staff account) types the code its authenticator app would show."""

    def log_in_(page: Page, email: str, password: str) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label(re.compile(r"^Email:?$")).fill(email)
        page.get_by_label(re.compile(r"^Password:?$")).fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state("load")
        if "/2fa/authenticate/" in page.url:
            page.get_by_label(re.compile(r"^Code:?$")).fill(_current_code(email))
            page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()

    return log_in_


def _current_code(email: str) -> str:
    """The code of her authenticator now. A test may log the same person in twice within one
    30-second period, which a person cannot; forget that code's used-mark so it works again."""
    from allauth.mfa import app_settings
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from allauth.mfa.utils import decrypt

    from tests.conftest import totp_code

    authenticator = Authenticator.objects.get(
        user__email=email.lower(), type=Authenticator.Type.TOTP
    )
    # On a loaded machine the form can reach the server after the code has rolled over (the
    # server allows no drift); near the end of a period, wait for the next code, as a person
    # looking at her app would.
    left = app_settings.TOTP_PERIOD - time.time() % app_settings.TOTP_PERIOD
    if left < 8:
        time.sleep(left + 0.1)
    code = totp_code(decrypt(authenticator.data["secret"]))
    cache.delete(TOTP(authenticator)._get_used_cache_key(code))
    return code


@pytest.fixture
def accessibility():
    """axe-core on the current page: collects serious and critical violations by page name."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    class Audit:
        failures: list[str] = []
        reports: list[str] = []

        def check(self, page: Page, name: str) -> None:
            page.wait_for_load_state("load")
            results = axe.run(page)
            violations = results.response["violations"]
            if violations:
                self.reports.append(f"--- {name} ---\n{results.generate_report()}")
            bad = [v for v in violations if v["impact"] in ("serious", "critical")]
            if bad:
                self.failures.append(f"{name}: " + ", ".join(v["id"] for v in bad))

    audit = Audit()
    audit.failures, audit.reports = [], []
    return audit

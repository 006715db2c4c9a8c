"""Who hosts it, in a real Chromium: a link on a site outside the directory, its host looked up
(against the tests' own RDAP and DNS servers on 127.0.0.1), the draft addressed to the host's
abuse contact for the caseworker to confirm, and the request page's panel with every fact's
source and date. Screenshots go to LEAKCASE_SHOTS_DIR when it is set."""

import ipaddress
import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role, User
from cases.services import case_assign, case_open, case_set_consent
from evidence.services import sighting_log
from hosting.models import Host
from hosting.services import host_ensure
from monitoring.host_lookup import host_lookup_run
from takedowns import services
from tests.conftest import PASSWORD, give_totp
from tests.helpers.dns import DnsServer
from tests.helpers.rdap import RdapServer, arin_network, verisign_domain

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS_DIR = os.environ.get("LEAKCASE_SHOTS_DIR")
HOST = "files.lockerbox.com"


def shot(page: Page, name: str) -> None:
    if SHOTS_DIR:
        Path(SHOTS_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS_DIR) / f"{name}.png"), full_page=True)


@pytest.fixture
def looked_up(settings):
    """files.lockerbox.com behind Cloudflare (which hides its host), its registrar with an
    abuse contact: the draft goes to the registrar, the rung after the host."""
    rdap, dns = RdapServer(), DnsServer()
    settings.RDAP_BASE_URL = rdap.base_url
    settings.DNS_NAMESERVERS = [dns.nameserver]
    settings.FETCH_ALLOW_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    dns.zone.records[HOST] = ["104.16.1.1", "2606:4700::6810:101"]
    rdap.answer("/domain/lockerbox.com", verisign_domain("lockerbox.com"))
    rdap.answer(
        "/ip/104.16.1.1",
        arin_network(
            "104.16.1.1",
            prefix="104.16.0.0",
            length=12,
            handle="NET-104-16-0-0-1",
            name="CLOUDFLARENET",
            org="Cloudflare, Inc.",
            org_handle="CLOUD14",
            abuse_email="abuse@cloudflare.com",
        ),
    )
    rdap.answer("/ip/2606:4700::6810:101", {"errorCode": 429}, status=429)
    host_lookup_run(host_id=host_ensure(host=HOST).pk)
    yield
    rdap.stop()
    dns.stop()


def test_the_request_page_says_who_hosts_the_site(
    page: Page, live_server, log_in, accessibility, looked_up
):
    survivor = User.objects.create_user(
        email="rose@example.test", password=PASSWORD, role=Role.SURVIVOR
    )
    case = case_open(survivor=survivor, pseudonym="Rose", acting_user=survivor)
    case_set_consent(case=case, given=True, acting_user=survivor)
    sighting = sighting_log(case=case, url=f"https://{HOST}/v/8812", acting_user=survivor)
    caseworker = User.objects.create_user(
        email="casey@example.test", password=PASSWORD, role=Role.CASEWORKER, display_name="Casey"
    )
    give_totp(caseworker)
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    (draft,) = services.takedowns_draft(case=case, sightings=[sighting], acting_user=caseworker)

    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, "casey@example.test", PASSWORD)
    page.goto(f"{live_server.url}/cases/{case.reference}/takedowns/{draft.pk}/")

    panel = page.get_by_role("region", name="Who hosts it")
    expect(panel).to_contain_text("Hidden behind Cloudflare")
    expect(panel).to_contain_text("104.16.1.1: Cloudflare, Inc., CLOUDFLARENET")
    expect(panel).to_contain_text("abuse: abuse@cloudflare.com")
    expect(panel).to_contain_text("Example Registrar, Inc. (for lockerbox.com)")
    expect(panel).to_contain_text("Source: cdn_ranges.json (Cloudflare, 2026-12-05)")
    expect(panel).to_contain_text("This draft is addressed to the registrar's abuse contact")
    # The address waits for the caseworker's approval, as any outside the directory does.
    expect(page.get_by_role("heading", name="A caseworker must approve this address first"))
    accessibility.check(page, "request page, who hosts it")
    shot(page, "who-hosts-desktop-staff")

    page.set_viewport_size({"width": 390, "height": 844})
    accessibility.check(page, "request page, who hosts it (phone)")
    shot(page, "who-hosts-phone-staff")

    page.set_viewport_size({"width": 1366, "height": 900})
    panel.get_by_text("What the lookup could not find").click()
    expect(panel).to_contain_text("asked us to wait (429)")
    panel.get_by_role("button", name="Look up again").click()
    expect(
        page.get_by_text("Asked: the host is looked up again within a few minutes")
    ).to_be_visible()
    expect(panel).to_contain_text("A new lookup is on its way")
    assert Host.objects.get(name=HOST).next_lookup_at is not None
    shot(page, "who-hosts-look-up-again")
    assert accessibility.failures == [], "\n".join(accessibility.reports)

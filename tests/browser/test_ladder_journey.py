"""The ladder in a real Chromium: a link on a site outside the directory, its host found by a
lookup (a local RDAP server and a real DNS server on 127.0.0.1, tests/helpers/rdap.py and
dns.py), the site's request sent to the host's abuse desk, the clock run out by time travel,
the ladder climbed to the registrar (its host rung passed over: that desk was asked already),
the registrar's notice approved and sent, and the registrar's answer: removed. Then she sees,
on her phone, where her request stands.

Screenshots (desktop staff, phone survivor) go to LEAKCASE_SHOTS_DIR when it is set.
"""

import datetime as dt
import ipaddress
import os
import re
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from playwright.sync_api import Page, expect

from accounts.models import Role, User
from cases.services import case_assign, case_open, case_set_consent
from evidence.services import sightings_log_pasted
from hosting.services import host_ensure
from monitoring.host_lookup import host_lookup_run
from takedowns.ladder_services import ladders_climb_due
from takedowns.models import Rung, TakedownRequest
from tests.conftest import PASSWORD, give_totp
from tests.helpers.dns import DnsServer
from tests.helpers.rdap import RdapServer, arin_network, verisign_domain

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS_DIR = os.environ.get("LEAKCASE_SHOTS_DIR")
HOST = "files.lockerbox.com"
URL = f"https://{HOST}/v/8812.jpg"
HOST_ABUSE = "abuse@bulletproof.example"
REGISTRAR_ABUSE = "abuse@registrar.example"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def label(text: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(text)}:?$")


def shot(page: Page, name: str) -> None:
    if SHOTS_DIR:
        Path(SHOTS_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS_DIR) / f"{name}.png"), full_page=True)


@pytest.fixture
def lookups(settings):
    """The registries and the resolver, on 127.0.0.1: files.lockerbox.com on one address of
    Bulletproof Hosting (ARIN-shaped answer), lockerbox.com with a registrar that publishes
    an abuse address (Verisign-shaped)."""
    rdap, dns = RdapServer(), DnsServer()
    settings.RDAP_BASE_URL = rdap.base_url
    settings.DNS_NAMESERVERS = [dns.nameserver]
    # Only for tests: production never sets this (monitoring/fetcher.py).
    settings.FETCH_ALLOW_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    dns.zone.records[HOST] = ["203.0.113.7"]
    rdap.answer("/domain/lockerbox.com", verisign_domain("lockerbox.com"))
    rdap.answer(
        "/ip/203.0.113.7",
        arin_network(
            "203.0.113.7",
            prefix="203.0.113.0",
            length=24,
            handle="NET-203-0-113-0-1",
            name="BULLETPROOF-1",
            org="Bulletproof Hosting Ltd",
            org_handle="BPH-1",
            abuse_email=HOST_ABUSE,
        ),
    )
    yield rdap
    rdap.stop()
    dns.stop()


def test_an_unknown_sites_request_climbs_to_the_registrar_and_the_images_come_down(
    page: Page, live_server, log_in, accessibility, lookups, network
):
    survivor = User.objects.create_user(
        email="rose@example.test", password=PASSWORD, role=Role.SURVIVOR
    )
    case = case_open(survivor=survivor, pseudonym="Rose", acting_user=survivor)
    case_set_consent(case=case, given=True, acting_user=survivor)
    (sighting,) = sightings_log_pasted(case=case, text=URL, acting_user=survivor).saved
    assert sighting.platform is None  # not in the directory
    caseworker = User.objects.create_user(
        email="casey@example.test", password=PASSWORD, role=Role.CASEWORKER, display_name="Casey"
    )
    give_totp(caseworker)
    case_assign(case=case, to=caseworker, acting_user=caseworker)

    # --- its host found: the lookup the weekly dispatcher runs, against the local servers
    lookup = host_lookup_run(host_id=host_ensure(host=HOST).pk)
    assert lookup.status == "complete", lookup.errors
    page.set_viewport_size(DESKTOP)
    log_in(page, caseworker.email, PASSWORD)
    page.goto(f"{live_server.url}/cases/{case.reference}/takedowns/draft/")
    page.get_by_role("group", name=label("Links to include")).get_by_label(URL, exact=True).check()
    page.get_by_role("button", name="Create drafts").click()
    site = TakedownRequest.objects.get(case=case)
    assert (site.recipient_name, site.recipient_email) == ("Bulletproof Hosting Ltd", HOST_ABUSE)
    page.goto(f"{live_server.url}/cases/{case.reference}/takedowns/{site.pk}/")
    form = page.get_by_role("form", name="The notice")
    form.get_by_label(label("Description of the images")).fill("Two private photographs of her.")
    form.get_by_label(
        label("The images are intimate and were published without her consent")
    ).check()
    form.get_by_label(label("This is stated in good faith")).check()
    form.get_by_label(label("Signature (full name)")).fill("Rose Example")
    form.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", name="The notice has everything its route asks for"))
    page.get_by_role("button", name=f"Approve {HOST_ABUSE}").click()
    page.get_by_role("button", name=f"Send by email to {HOST_ABUSE}").click()
    page.get_by_role("button", name=f"Yes, send it to {HOST_ABUSE}").click()
    expect(page.get_by_role("status")).to_contain_text(f"Sent to {HOST_ABUSE}.")
    ladder = page.get_by_role("region", name="The ladder")
    expect(ladder).to_contain_text("Where it stands: The site")
    expect(ladder).to_contain_text("Its wait lapses")
    site.refresh_from_db()
    assert site.due_at == site.sent_at + dt.timedelta(hours=48)  # the TAKE IT DOWN Act
    accessibility.check(page, "site request, sent")

    # --- 49 hours later, unanswered: the beat's dispatcher prepares the next rung -----------
    with time_machine.travel(site.due_at + dt.timedelta(hours=1), tick=True):
        assert ladders_climb_due() == 1
        registrar = TakedownRequest.objects.get(escalated_from=site)
        assert registrar.rung == Rung.REGISTRAR
        assert registrar.rungs_skipped == [Rung.HOST]  # that desk was asked at the site rung
        log_in(page, caseworker.email, PASSWORD)  # the session ended while time passed
        page.goto(f"{live_server.url}/cases/{case.reference}/takedowns/{site.pk}/")
        ladder = page.get_by_role("region", name="The ladder")
        steps = ladder.get_by_role("listitem")
        expect(steps).to_have_count(5)
        expect(steps.nth(1)).to_contain_text("passed over")
        expect(steps.nth(2)).to_contain_text("next: draft prepared")
        shot(page, "ladder-staff-desktop-site")
        ladder.get_by_role("link", name="Open the next rung's draft: Domain registrar").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Request to Example Registrar, Inc."
        )
        preview = page.get_by_role("region", name="Preview")
        expect(preview).to_contain_text("You are the registrar of the domain name")
        expect(preview).to_contain_text("to Bulletproof Hosting Ltd. No answer and no removal by")
        expect(preview).to_contain_text("No answer and no removal by")
        accessibility.check(page, "registrar draft")
        shot(page, "ladder-staff-desktop-registrar-draft")
        page.get_by_role("button", name=f"Approve {REGISTRAR_ABUSE}").click()
        mail.outbox.clear()
        page.get_by_role("button", name=f"Send by email to {REGISTRAR_ABUSE}").click()
        page.get_by_role("button", name=f"Yes, send it to {REGISTRAR_ABUSE}").click()
        expect(page.get_by_role("status")).to_contain_text(f"Sent to {REGISTRAR_ABUSE}.")
        assert [m.to for m in mail.outbox] == [[REGISTRAR_ABUSE]]
        assert "registrar of the domain name" in mail.outbox[0].body
        site.refresh_from_db()
        assert site.status == "escalated"

        # --- the registrar answers: removed ------------------------------------------------
        reply = page.get_by_role("form", name="Record a reply")
        reply.get_by_label(label("The platform's reply (paste it, or the forwarded email)")).fill(
            "We suspended the domain; the content is no longer available."
        )
        reply.get_by_label(label("What it decided")).select_option("removed")
        reply.get_by_role("button", name="Record reply").click()
        ladder = page.get_by_role("region", name="The ladder")
        expect(ladder).to_contain_text("Where it stands: Domain registrar")
        expect(ladder).to_contain_text("Removed")
        accessibility.check(page, "registrar request, removed")
        shot(page, "ladder-staff-desktop-removed")
        page.get_by_role("button", name="Log out").click()

        # --- she sees where it stands, on her phone ----------------------------------------
        page.set_viewport_size(PHONE)
        log_in(page, survivor.email, PASSWORD)
        page.goto(f"{live_server.url}/cases/{case.reference}/takedowns/{site.pk}/")
        expect(page.locator("#ladder-line")).to_have_text(
            "We have now asked the company the site's name is registered with."
        )
        accessibility.check(page, "her request, on the ladder")
        shot(page, "ladder-survivor-phone")
    assert accessibility.failures == [], "\n".join(accessibility.reports)
    assert network.blocked == []


def test_supervisors_see_the_ladders_waits_and_removals_by_rung(
    page: Page, live_server, log_in, accessibility
):
    supervisor = User.objects.create_user(
        email="sam@example.test", password=PASSWORD, role=Role.SUPERVISOR, display_name="Sam"
    )
    give_totp(supervisor)
    page.set_viewport_size(DESKTOP)
    log_in(page, supervisor.email, PASSWORD)
    page.goto(f"{live_server.url}/platforms/ladder/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "The ladder: waits and automatic sending"
    )
    registrar = page.get_by_role("form", name="2. Hosting provider")
    registrar.get_by_label("Wait (hours; empty for the default)").fill("48")
    registrar.get_by_label("Send its drafts by themselves").check()
    registrar.get_by_role("button", name="Save: Hosting provider").click()
    expect(page.get_by_role("status")).to_contain_text("The ladder's setting is saved.")
    expect(page.get_by_role("listitem").filter(has_text="2. Hosting provider")).to_contain_text(
        "48 hours (the service's choice) · sends by itself"
    )
    accessibility.check(page, "ladder settings")
    shot(page, "ladder-settings-desktop")
    page.goto(f"{live_server.url}/platforms/figures/")
    accessibility.check(page, "figures")
    assert accessibility.failures == [], "\n".join(accessibility.reports)

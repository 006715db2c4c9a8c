"""Who hosts it: the lookups, against a local RDAP server answering like real registries
(tests/helpers/rdap.py) and a real DNS server on 127.0.0.1 (tests/helpers/dns.py)."""

import datetime as dt
import ipaddress

import pytest
import time_machine

from cases.models import CaseEvent, EventKind
from casework.selectors import case_next_due
from evidence.services import sighting_log
from hosting.models import Host, HostLookup, LookupStatus
from hosting.selectors import Contact, contacts_for, first_abuse_contact, who_hosts
from hosting.services import host_ensure
from monitoring import host_lookup
from monitoring.host_lookup import host_facts_find, host_lookup_run
from tests.helpers.dns import DnsServer
from tests.helpers.rdap import RdapServer, arin_network, ripe_network, verisign_domain
from tests.helpers.takedowns import sent_request

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 12, 5, 11, 40, tzinfo=dt.UTC)
HOST = "files.lockerbox.com"
DOMAIN = "lockerbox.com"
SOURCE = "RDAP 127.0.0.1 2026-12-05T11:40Z"


@pytest.fixture(autouse=True)
def _at_a_known_time():
    # The lookups are given their time (now=AT); the requests are sent at this time too.
    with time_machine.travel(AT, tick=True):
        yield


@pytest.fixture
def rdap(settings):
    server = RdapServer()
    settings.RDAP_BASE_URL = server.base_url
    # Only for these tests: production never sets this (monitoring/fetcher.py).
    settings.FETCH_ALLOW_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    yield server
    server.stop()


@pytest.fixture
def dns(settings):
    server = DnsServer()
    settings.DNS_NAMESERVERS = [server.nameserver]
    yield server.zone
    server.stop()


def bulletproof(address="203.0.113.7", abuse_email="abuse@bulletproof.example"):
    return arin_network(
        address,
        prefix="203.0.113.0",
        length=24,
        handle="NET-203-0-113-0-1",
        name="BULLETPROOF-1",
        org="Bulletproof Hosting Ltd",
        org_handle="BPH-1",
        abuse_email=abuse_email,
    )


def newhost(address="185.220.100.5"):
    return ripe_network(
        address,
        prefix="185.220.100.0",
        length=23,
        name="NEWHOST-NET",
        org="New Host B.V.",
        abuse_email="abuse@newhost.example",
    )


@pytest.fixture
def lockerbox(rdap, dns):
    """files.lockerbox.com on one address of Bulletproof Hosting (ARIN), its domain with a
    registrar that publishes an abuse contact (Verisign)."""
    dns.records[HOST] = ["203.0.113.7"]
    rdap.answer(f"/domain/{DOMAIN}", verisign_domain(DOMAIN))
    rdap.answer("/ip/203.0.113.7", bulletproof())
    return rdap


def test_a_host_is_found_with_its_registrar_network_and_their_sources(lockerbox, dns):
    lookup = host_lookup_run(host_id=host_ensure(host=HOST).pk, now=AT)

    assert lookup.status == LookupStatus.COMPLETE
    assert contacts_for(HOST) == [
        Contact(
            role="host",
            name="Bulletproof Hosting Ltd",
            abuse_email="abuse@bulletproof.example",
            abuse_url="",
            source=SOURCE,
            looked_up_at=AT,
        ),
        Contact(
            role="registrar",
            name="Example Registrar, Inc.",
            abuse_email="abuse@registrar.example",
            abuse_url="",
            source=SOURCE,
            looked_up_at=AT,
        ),
    ]
    found = who_hosts(HOST)
    assert found.registrable_domain == DOMAIN
    assert found.domain_source.startswith("Public Suffix List (tldextract ")
    assert found.registrar_abuse_phone == "+1.5555550100"
    (network,) = found.networks
    assert (network.address, network.handle, network.cidr, network.name) == (
        "203.0.113.7",
        "NET-203-0-113-0-1",
        "203.0.113.0/24",
        "BULLETPROOF-1",
    )
    assert found.cdn is None and found.errors == []
    # Asked over the wire: our resolver at the test's nameserver, both address kinds.
    assert (HOST, "A") in dns.asked and (HOST, "AAAA") in dns.asked
    assert lockerbox.asked == [f"/domain/{DOMAIN}", "/ip/203.0.113.7"]
    # The weekly refresh: due again in a week.
    assert Host.objects.get(name=HOST).next_lookup_at == AT + dt.timedelta(days=7)


def test_a_cdn_in_front_is_named_from_its_published_ranges(rdap, dns):
    dns.records[HOST] = ["104.16.1.1", "104.16.2.2"]
    rdap.answer(f"/domain/{DOMAIN}", verisign_domain(DOMAIN))
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

    host_lookup_run(host_id=host_ensure(host=HOST).pk, now=AT)

    # The network owner is the CDN: the host hides behind it, so no host contact.
    assert [c.role for c in contacts_for(HOST)] == ["registrar", "cdn"]
    cdn = contacts_for(HOST)[1]
    assert (cdn.name, cdn.abuse_email, cdn.abuse_url, cdn.source) == (
        "Cloudflare",
        "abuse@cloudflare.com",
        "https://abuse.cloudflare.com/",
        f"cdn_ranges.json (Cloudflare, 2026-12-05); {SOURCE}",
    )
    # The second address is inside the network the first one's answer named: one query.
    assert rdap.asked == [f"/domain/{DOMAIN}", "/ip/104.16.1.1"]
    assert [n.cdn_name for n in who_hosts(HOST).networks] == ["Cloudflare", "Cloudflare"]


def test_a_ripe_abuse_contact_beside_the_organisation_is_found(rdap, dns):
    dns.records[HOST] = ["185.220.100.5"]
    rdap.answer(f"/domain/{DOMAIN}", verisign_domain(DOMAIN))
    rdap.answer("/ip/185.220.100.5", newhost())

    host_lookup_run(host_id=host_ensure(host=HOST).pk, now=AT)

    host = contacts_for(HOST)[0]
    assert (host.name, host.abuse_email) == ("New Host B.V.", "abuse@newhost.example")
    assert who_hosts(HOST).networks[0].cidr == "185.220.100.0/23"


def test_a_network_without_an_abuse_contact_says_so_and_the_registrar_comes_next(rdap, dns):
    dns.records[HOST] = ["203.0.113.7"]
    rdap.answer(f"/domain/{DOMAIN}", verisign_domain(DOMAIN))
    rdap.answer("/ip/203.0.113.7", bulletproof(abuse_email=None))

    host_lookup_run(host_id=host_ensure(host=HOST).pk, now=AT)

    assert contacts_for(HOST)[0].abuse_email == ""
    assert first_abuse_contact(HOST).role == "registrar"
    assert who_hosts(HOST).errors == [
        "RDAP 127.0.0.1: Bulletproof Hosting Ltd: no abuse contact published"
    ]


def test_a_registrar_without_an_abuse_contact_says_so(rdap, dns):
    dns.records[HOST] = ["203.0.113.7"]
    rdap.answer(f"/domain/{DOMAIN}", verisign_domain(DOMAIN, abuse_email=None))
    rdap.answer("/ip/203.0.113.7", bulletproof())

    host_lookup_run(host_id=host_ensure(host=HOST).pk, now=AT)

    registrar = contacts_for(HOST)[1]
    assert (registrar.name, registrar.abuse_email) == ("Example Registrar, Inc.", "")
    assert who_hosts(HOST).errors == [
        "RDAP 127.0.0.1: Example Registrar, Inc.: no abuse contact published"
    ]


def test_a_domain_the_registry_does_not_hold_is_a_404_and_the_network_is_still_found(rdap, dns):
    dns.records[HOST] = ["203.0.113.7"]
    rdap.answer("/ip/203.0.113.7", bulletproof())  # no answer for the domain: 404

    lookup = host_lookup_run(host_id=host_ensure(host=HOST).pk, now=AT)

    assert lookup.status == LookupStatus.PARTIAL
    assert lookup.errors == ["RDAP 127.0.0.1: not found (404)"]
    assert [c.role for c in contacts_for(HOST)] == ["host"]


def test_a_registry_that_asks_us_to_wait_is_asked_again_when_it_said(rdap, dns):
    dns.records[HOST] = ["203.0.113.7"]
    rdap.answer(f"/domain/{DOMAIN}", verisign_domain(DOMAIN))
    rdap.answer("/ip/203.0.113.7", {"errorCode": 429}, status=429, headers={"Retry-After": "900"})

    lookup = host_lookup_run(host_id=host_ensure(host=HOST).pk, now=AT)

    assert lookup.status == LookupStatus.PARTIAL
    assert lookup.errors == [
        "RDAP 127.0.0.1: asked us to wait (429); tried again after 2026-12-05 11:55 UTC"
    ]
    assert Host.objects.get(name=HOST).next_lookup_at == AT + dt.timedelta(seconds=900)


def test_nothing_answered_keeps_the_last_answer(lockerbox, dns):
    host_lookup_run(host_id=host_ensure(host=HOST).pk, now=AT)
    later = AT + dt.timedelta(days=7)
    dns.records.pop(HOST)  # gone from DNS
    wait = {"Retry-After": "Sat, 12 Dec 2026 13:40:00 GMT"}
    lockerbox.answer(f"/domain/{DOMAIN}", {"errorCode": 429}, status=429, headers=wait)

    lookup = host_lookup_run(host_id=Host.objects.get(name=HOST).pk, now=later)

    assert lookup.status == LookupStatus.FAILED
    assert Host.objects.get(name=HOST).next_lookup_at == later.replace(hour=13, minute=40)
    found = who_hosts(HOST)
    assert found.looked_up_at == AT  # the last answer stands
    assert found.registrar.name == "Example Registrar, Inc."
    assert f"DNS: the name {HOST} does not exist (NXDOMAIN)" in found.errors


@pytest.mark.parametrize(
    ("answer", "status", "error"),
    [
        ({"errorCode": 500}, 500, "RDAP 127.0.0.1: the server failed (500)"),
        (
            b"<html>Service Unavailable</html>",
            200,
            "RDAP 127.0.0.1: the answer is not readable JSON",
        ),
        (
            {"objectClassName": "domain"},
            200,
            "RDAP 127.0.0.1: the answer is not a readable domain",
        ),
    ],
)
def test_a_failing_registry_is_a_sentence_for_staff(rdap, dns, answer, status, error):
    dns.records[HOST] = ["203.0.113.7"]
    rdap.answer(f"/domain/{DOMAIN}", answer, status=status)
    rdap.answer("/ip/203.0.113.7", bulletproof())

    lookup = host_lookup_run(host_id=host_ensure(host=HOST).pk, now=AT)

    assert lookup.errors == [error]
    assert [c.role for c in contacts_for(HOST)] == ["host"]


def test_an_rdap_server_on_a_private_address_is_refused_by_the_guarded_rules(rdap, dns, settings):
    settings.FETCH_ALLOW_NETWORKS = []  # production's setting
    dns.records[HOST] = ["203.0.113.7"]

    facts = host_facts_find(HOST, now=AT)

    assert rdap.asked == []  # no connection was made
    assert facts.errors[0].startswith("RDAP 127.0.0.1: refused by our fetching rules")
    assert facts.networks[0].address == "203.0.113.7" and facts.networks[0].owner == ""


def test_the_bootstrap_data_names_each_registry():
    assert host_lookup.domain_server("files.lockerbox.com") == "https://rdap.verisign.com/com/v1/"
    assert host_lookup.domain_server("leak.co.uk") == "https://rdap.nominet.uk/couk/"
    assert host_lookup.domain_server("site.nosuchtld") is None
    assert host_lookup.ip_server("185.220.100.5") == "https://rdap.db.ripe.net/"
    assert host_lookup.ip_server("2606:4700::1") == "https://rdap.arin.net/registry/"
    assert host_lookup.bootstrap().copied_on == "2026-12-05"


@pytest.fixture
def sent_to_bulletproof(lockerbox, case, survivor, caseworker):
    """Her link on files.lockerbox.com, its request sent, its answer due in two days."""
    host_lookup_run(host_id=host_ensure(host=HOST).pk, now=AT)
    sighting = sighting_log(case=case, url=f"https://{HOST}/v/1", acting_user=survivor)
    return sent_request(case, sighting, caseworker)


def test_a_change_of_host_goes_on_the_timeline_and_puts_the_request_in_front_of_staff(
    sent_to_bulletproof, lockerbox, dns, case
):
    request = sent_to_bulletproof
    assert request.due_at > AT + dt.timedelta(days=1, hours=1)
    moved_at = AT + dt.timedelta(days=1)
    dns.records[HOST] = ["185.220.100.5"]
    lockerbox.answer("/ip/185.220.100.5", newhost())

    lookup = host_lookup_run(host_id=Host.objects.get(name=HOST).pk, now=moved_at)

    assert lookup.host_changed
    moved = CaseEvent.objects.get(
        case=case, kind=EventKind.HOST_CHANGED, target_type="hosting.host"
    )
    assert moved.old_value == {"owners": ["Bulletproof Hosting Ltd"]}
    assert moved.new_value["owners"] == ["New Host B.V."]
    assert moved.new_value["addresses"] == ["185.220.100.5"]
    request.refresh_from_db()
    assert request.due_at == moved_at  # due now: at the top of the caseload
    assert case_next_due(case) == moved_at
    put_back = CaseEvent.objects.get(
        case=case, kind=EventKind.HOST_CHANGED, target_type="takedowns.takedownrequest"
    )
    assert put_back.new_value["reason"] == "host_changed"
    assert who_hosts(HOST).previous_owners == ["Bulletproof Hosting Ltd"]

    # Safe twice: the same owners again are no change.
    host_lookup_run(host_id=Host.objects.get(name=HOST).pk, now=moved_at)
    assert CaseEvent.objects.filter(case=case, kind=EventKind.HOST_CHANGED).count() == 2
    assert HostLookup.objects.filter(host__name=HOST).count() == 3


def test_new_addresses_on_the_same_network_owner_are_no_move(
    sent_to_bulletproof, lockerbox, dns, case
):
    dns.records[HOST] = ["203.0.113.9"]
    lockerbox.answer("/ip/203.0.113.9", bulletproof("203.0.113.9"))

    lookup = host_lookup_run(host_id=Host.objects.get(name=HOST).pk, now=AT + dt.timedelta(days=7))

    assert not lookup.host_changed
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.HOST_CHANGED).exists()

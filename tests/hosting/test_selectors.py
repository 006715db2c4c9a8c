import datetime as dt

import pytest

from hosting.selectors import Contact, contacts_for, first_abuse_contact, who_hosts
from hosting.services import HostFacts, NetworkFound, host_facts_record

AT = dt.datetime(2026, 12, 5, 11, 40, tzinfo=dt.UTC)


def facts(**over):
    base = {
        "host": "files.locker.example",
        "looked_up_at": AT,
        "registrable_domain": "locker.example",
        "domain_source": "Public Suffix List (tldextract 5.1.3 snapshot)",
        "registrar_name": "Example Registrar, Inc.",
        "registrar_abuse_email": "abuse@registrar.example",
        "registrar_abuse_phone": "+1.5555550100",
        "registrar_source": "RDAP rdap.verisign.com 2026-12-05T11:40Z",
        "networks": [
            NetworkFound(
                address="203.0.113.7",
                handle="NET-203-0-113-0-1",
                name="BULLETPROOF-1",
                cidr="203.0.113.0/24",
                owner="Bulletproof Hosting Ltd",
                abuse_email="abuse@bulletproof.example",
                source="RDAP rdap.arin.net 2026-12-05T11:40Z",
            )
        ],
    }
    return HostFacts(**{**base, **over})


@pytest.mark.django_db
def test_a_host_never_looked_up_has_no_contacts():
    assert contacts_for("files.locker.example") == []
    assert who_hosts("files.locker.example") is None


@pytest.mark.django_db
def test_contacts_come_host_then_registrar_then_cdn_with_their_sources():
    networks = [
        NetworkFound(
            address="203.0.113.7",
            owner="Bulletproof Hosting Ltd",
            abuse_email="abuse@bulletproof.example",
            source="RDAP rdap.arin.net 2026-12-05T11:40Z",
        ),
        NetworkFound(
            address="104.16.1.1",
            owner="Cloudflare, Inc.",
            abuse_email="abuse@cloudflare.com",
            source="RDAP rdap.arin.net 2026-12-05T11:40Z",
            cdn_name="Cloudflare",
            cdn_abuse_url="https://abuse.cloudflare.com/",
            cdn_source="cdn_ranges.json (Cloudflare, 2026-12-01)",
        ),
    ]
    host_facts_record(facts=facts(networks=networks))

    assert contacts_for("Files.Locker.Example.") == [
        Contact(
            role="host",
            name="Bulletproof Hosting Ltd",
            abuse_email="abuse@bulletproof.example",
            abuse_url="",
            source="RDAP rdap.arin.net 2026-12-05T11:40Z",
            looked_up_at=AT,
        ),
        Contact(
            role="registrar",
            name="Example Registrar, Inc.",
            abuse_email="abuse@registrar.example",
            abuse_url="",
            source="RDAP rdap.verisign.com 2026-12-05T11:40Z",
            looked_up_at=AT,
        ),
        # A CDN's network is the CDN's contact, never the host's: the host hides behind it.
        Contact(
            role="cdn",
            name="Cloudflare",
            abuse_email="abuse@cloudflare.com",
            abuse_url="https://abuse.cloudflare.com/",
            source=(
                "cdn_ranges.json (Cloudflare, 2026-12-01); RDAP rdap.arin.net 2026-12-05T11:40Z"
            ),
            looked_up_at=AT,
        ),
    ]


@pytest.mark.django_db
def test_the_first_abuse_contact_skips_a_host_that_published_none():
    silent = NetworkFound(address="203.0.113.7", owner="Quiet Hosting", source="RDAP x")
    host_facts_record(facts=facts(networks=[silent]))

    assert contacts_for("files.locker.example")[0].abuse_email == ""
    assert first_abuse_contact("files.locker.example").role == "registrar"


@pytest.mark.django_db
def test_who_hosts_keeps_the_last_answer_when_a_later_lookup_failed():
    host_facts_record(facts=facts())
    later = AT + dt.timedelta(days=7)
    host_facts_record(
        facts=facts(
            looked_up_at=later,
            networks=[],
            registrar_name="",
            failed=True,
            errors=["RDAP rdap.verisign.com asked us to wait (429)"],
        )
    )

    found = who_hosts("files.locker.example")
    assert found.looked_up_at == AT
    assert found.registrar.name == "Example Registrar, Inc."
    assert found.addresses == ["203.0.113.7"]
    assert found.networks[0].owner == "Bulletproof Hosting Ltd"
    assert found.errors == ["RDAP rdap.verisign.com asked us to wait (429)"]

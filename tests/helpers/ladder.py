"""Who hosts a site, as the hosting lookup would have recorded it (hosting.services), for
the ladder's tests: the recipients of its host, registrar and CDN rungs."""

import datetime as dt

from django.utils import timezone


def hosted(
    host: str,
    *,
    owner: str = "Hostco Networks",
    owner_email: str = "abuse@hostco.test",
    registrar: str = "Registrar Example Inc.",
    registrar_email: str = "abuse@registrar.test",
    cdn: str = "",
    cdn_abuse_email: str = "",
    cdn_abuse_url: str = "",
    address: str = "203.0.113.7",
    at: dt.datetime | None = None,
):
    """One answered lookup of `host` through hosting's own service."""
    from hosting.services import HostFacts, NetworkFound, host_facts_record

    at = at or timezone.now()
    return host_facts_record(
        facts=HostFacts(
            host=host,
            looked_up_at=at,
            registrable_domain=host,
            domain_source="RDAP (test)",
            registrar_name=registrar,
            registrar_abuse_email=registrar_email,
            registrar_source="RDAP (test)",
            addresses_source="DNS (test)",
            networks=[
                NetworkFound(
                    address=address,
                    owner=owner,
                    name=owner,
                    abuse_email=owner_email,
                    source="RDAP (test)",
                    cdn_name=cdn,
                    cdn_abuse_email=cdn_abuse_email,
                    cdn_abuse_url=cdn_abuse_url,
                    cdn_source="cdn ranges (test)" if cdn else "",
                )
            ],
        )
    )

"""Reads of who hosts a site. The API other apps code against (takedowns' drafts and the
escalation ladder): `contacts_for(host)` and `who_hosts(host)`. Both read the latest lookup
with any answer; a host never looked up gives [] and None."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from hosting.models import Host, HostLookup, LookupStatus

NO_ABUSE_CONTACT = "no abuse contact published"


@dataclass(frozen=True)
class Contact:
    # "host" (network owner / hosting provider; never a CDN's network: a site behind a CDN
    # has no host contact until the CDN names it), "registrar", "cdn"
    role: str
    name: str
    abuse_email: str  # may be ""
    abuse_url: str  # web form, may be ""
    # e.g. "RDAP rdap.arin.net 2026-12-05T11:40Z" or "cdn_ranges.json (Cloudflare, 2026-12-01)"
    source: str
    looked_up_at: dt.datetime | None

    @property
    def reachable(self) -> bool:
        """Whether this contact published a way to report abuse (mail or web form)."""
        return bool(self.abuse_email or self.abuse_url)


@dataclass(frozen=True)
class NetworkFacts:
    """One address the host resolved to, and the network that holds it."""

    address: str
    handle: str
    name: str
    cidr: str
    owner: str
    abuse_email: str
    abuse_phone: str
    source: str
    cdn_name: str
    cdn_source: str


@dataclass(frozen=True)
class WhoHosts:
    host: str
    registrable_domain: str
    domain_source: str
    registrar: Contact | None
    registrar_abuse_phone: str
    networks: list[NetworkFacts]
    cdn: Contact | None
    looked_up_at: dt.datetime | None
    status: str  # hosting.models.LookupStatus
    errors: list[str] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    # The lookup before the latest that found a change of host, if any: "moved from".
    previous_owners: list[str] = field(default_factory=list)
    host_changed: bool = False

    @property
    def addresses(self) -> list[str]:
        return [n.address for n in self.networks]


def host_normalise(host: str) -> str:
    return (host or "").strip().lower().rstrip(".")


def _latest(host: str) -> HostLookup | None:
    return (
        HostLookup.objects.filter(host__name=host_normalise(host))
        .exclude(status=LookupStatus.FAILED)
        .prefetch_related("networks")
        .first()
    )


def _contacts(lookup: HostLookup) -> list[Contact]:
    at = lookup.looked_up_at
    contacts: list[Contact] = []
    seen_hosts: set[str] = set()
    for net in lookup.networks.all():
        key = net.owner_key()
        # An address in a CDN's published ranges belongs to the CDN, not to the host: the
        # host is hidden behind it, and the CDN (below) is the one that can name it.
        if net.cdn_name or not key or key in seen_hosts:
            continue
        seen_hosts.add(key)
        contacts.append(
            Contact(
                role="host",
                name=net.owner or net.name or net.handle,
                abuse_email=net.abuse_email,
                abuse_url="",
                source=net.source,
                looked_up_at=at,
            )
        )
    if lookup.registrar_name:
        contacts.append(
            Contact(
                role="registrar",
                name=lookup.registrar_name,
                abuse_email=lookup.registrar_abuse_email,
                abuse_url=lookup.registrar_abuse_url,
                source=lookup.registrar_source,
                looked_up_at=at,
            )
        )
    seen_cdns: set[str] = set()
    for net in lookup.networks.all():
        if net.cdn_name and net.cdn_name not in seen_cdns:
            seen_cdns.add(net.cdn_name)
            # The CDN's own abuse address from its list, else the one RDAP gives for the
            # network it answers from (e.g. Cloudflare's), each with where it came from.
            from_rdap = not net.cdn_abuse_email and net.abuse_email
            contacts.append(
                Contact(
                    role="cdn",
                    name=net.cdn_name,
                    abuse_email=net.cdn_abuse_email or net.abuse_email,
                    abuse_url=net.cdn_abuse_url,
                    source=f"{net.cdn_source}; {net.source}" if from_rdap else net.cdn_source,
                    looked_up_at=at,
                )
            )
    return contacts


def contacts_for(host: str) -> list[Contact]:
    """The latest known contacts for a host, ordered host, registrar, cdn; [] if it was
    never looked up. A contact without abuse_email or abuse_url published none: the caller
    says so and falls back to the next one."""
    lookup = _latest(host)
    return _contacts(lookup) if lookup else []


def first_abuse_contact(host: str) -> Contact | None:
    """The first contact, in ladder order, that publishes an abuse mail address."""
    return next((c for c in contacts_for(host) if c.abuse_email), None)


def who_hosts(host: str) -> WhoHosts | None:
    """Everything the request page shows about who hosts a site; None if never looked up."""
    name = host_normalise(host)
    lookups = list(HostLookup.objects.filter(host__name=name).prefetch_related("networks")[:20])
    if not lookups:
        return None
    answered = [lk for lk in lookups if lk.status != LookupStatus.FAILED]
    latest = answered[0] if answered else lookups[0]
    # Errors of a newer failed attempt (a registry that asked us to wait) are shown too.
    errors = list(lookups[0].errors) if lookups[0] is not latest else []
    errors += [e for e in latest.errors if e not in errors]
    contacts = _contacts(latest)
    registrar = next((c for c in contacts if c.role == "registrar"), None)
    cdn = next((c for c in contacts if c.role == "cdn"), None)
    previous_owners: list[str] = []
    if latest.host_changed:
        earlier = next((lk for lk in answered if lk.looked_up_at < latest.looked_up_at), None)
        if earlier:
            previous_owners = sorted(
                {n.owner or n.name or n.handle for n in earlier.networks.all()} - {""}
            )
    return WhoHosts(
        host=name,
        registrable_domain=latest.registrable_domain,
        domain_source=latest.domain_source,
        registrar=registrar,
        registrar_abuse_phone=latest.registrar_abuse_phone,
        networks=[
            NetworkFacts(
                address=n.address,
                handle=n.handle,
                name=n.name,
                cidr=n.cidr,
                owner=n.owner,
                abuse_email=n.abuse_email,
                abuse_phone=n.abuse_phone,
                source=n.source,
                cdn_name=n.cdn_name,
                cdn_source=n.cdn_source,
            )
            for n in latest.networks.all()
        ],
        cdn=cdn,
        looked_up_at=latest.looked_up_at,
        status=latest.status,
        errors=errors,
        contacts=contacts,
        previous_owners=previous_owners,
        host_changed=latest.host_changed,
    )


# A claimed host is not handed out again for this long (hosting.services.hosts_claim_due):
# a worker that died mid-lookup frees it by itself. Also how the page tells "on its way".
CLAIM_LEASE = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class WhoHostsPage:
    """What the request page's "Who hosts it" panel shows for a site outside the directory."""

    host: str
    found: WhoHosts | None
    # A lookup is due or running (new host, "Look up again", a move a recheck saw).
    lookup_pending: bool


def who_hosts_page(host: str) -> WhoHostsPage:
    name = host_normalise(host)
    next_at = Host.objects.filter(name=name).values_list("next_lookup_at", flat=True).first()
    pending = next_at is not None and next_at <= timezone.now() + CLAIM_LEASE
    return WhoHostsPage(host=name, found=who_hosts(name), lookup_pending=pending)

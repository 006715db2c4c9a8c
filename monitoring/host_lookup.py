"""Who hosts a site: the lookups. DNS for the addresses a host resolves to (dnspython, at the
nameservers settings.DNS_NAMESERVERS names), RDAP (RFC 9083) for the registrable domain's
registrar and each address's network, and the CDN ranges kept in hosting/cdn_ranges.json.
What is found is written by hosting.services.host_facts_record, each fact with its source
and time; a change of host puts the requests back in front of staff
(takedowns.services.takedowns_host_changed), in the same transaction.

Every RDAP request goes through the guarded fetcher (monitoring.fetcher.fetch): public
addresses only, checked at every redirect, capped in size and time. Which RDAP server to ask
comes from IANA's bootstrap files, kept as data (monitoring/data/rdap_bootstrap.json, with
the day they were copied); settings.RDAP_BASE_URL replaces them with one server (tests, a
mirror). The answers are read with whoisit's RDAP parser (its vCard and entity handling);
whoisit's own HTTP client is not used, because it would open connections outside the rules.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import ipaddress
import json
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import dns.exception
import dns.resolver
import tldextract
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from whoisit.bootstrap import _BootstrapWrapper
from whoisit.errors import WhoisItError
from whoisit.parser import parse as rdap_parse

from hosting.cdn import cdn_for
from hosting.models import Host, HostLookup
from hosting.selectors import host_normalise
from hosting.services import HostFacts, NetworkFound, host_facts_record
from monitoring import fetcher
from platforms.selectors import registrable_domain
from takedowns.services import takedowns_host_changed

log = logging.getLogger(__name__)

BOOTSTRAP_FILE = Path(__file__).parent / "data" / "rdap_bootstrap.json"
RDAP_ACCEPT = "application/rdap+json, application/json;q=0.9"
# An RDAP answer is a few kilobytes; a registry's with every remark is rarely 100 kB.
RDAP_MAX_BYTES = 1024 * 1024
RDAP_TIMEOUT = 15.0
DNS_TIMEOUT = 5.0
# A host behind many addresses (round-robin DNS) is represented by its first few: enough to
# name every network it uses in practice, bounded so one lookup cannot make dozens of queries.
MAX_ADDRESSES = 6
# When a registry asks us to wait without saying for how long.
DEFAULT_RETRY_AFTER = dt.timedelta(hours=1)
MAX_RETRY_AFTER = dt.timedelta(days=2)
NO_ABUSE_CONTACT = "no abuse contact published"


# --- RDAP over the guarded fetcher ---------------------------------------------------------


class RdapError(Exception):
    """An RDAP query that gave no usable answer; `plain` is for staff."""

    def __init__(self, plain: str, *, retry_at: dt.datetime | None = None):
        super().__init__(plain)
        self.plain = plain
        self.retry_at = retry_at


@dataclass(frozen=True)
class RdapAnswer:
    data: dict
    server: str  # the host that answered, after any referral
    at: dt.datetime

    @property
    def source(self) -> str:
        return f"RDAP {self.server} {self.at:%Y-%m-%dT%H:%MZ}"


def _retry_at(header: str, now: dt.datetime) -> dt.datetime:
    """Retry-After as seconds or as an HTTP date (RFC 9110 10.2.3), kept within bounds."""
    wait = DEFAULT_RETRY_AFTER
    header = (header or "").strip()
    if header.isdigit():
        wait = dt.timedelta(seconds=int(header))
    elif header:
        with contextlib.suppress(TypeError, ValueError):
            wait = email.utils.parsedate_to_datetime(header) - now
    return now + min(max(wait, dt.timedelta(seconds=60)), MAX_RETRY_AFTER)


def rdap_get(url: str, *, now: dt.datetime) -> RdapAnswer:
    """One RDAP query through the guarded fetcher. Raises RdapError with a plain sentence
    for a refusal, a failure, 404, 429 (with when to try again), 5xx or unreadable JSON."""
    server = urlsplit(url).hostname or url
    try:
        result = fetcher.fetch(
            url, accept=RDAP_ACCEPT, max_bytes=RDAP_MAX_BYTES, total_timeout=RDAP_TIMEOUT
        )
    except fetcher.BlockedAddress as error:
        raise RdapError(f"RDAP {server}: refused by our fetching rules ({error})") from error
    except fetcher.FetchError as error:
        raise RdapError(f"RDAP {server}: {error.plain}") from error
    server = urlsplit(result.final_url).hostname or server
    if result.status == 404:
        raise RdapError(f"RDAP {server}: not found (404)")
    if result.status == 429:
        retry_at = _retry_at(result.retry_after, now)
        raise RdapError(
            f"RDAP {server}: asked us to wait (429); tried again after "
            f"{retry_at:%Y-%m-%d %H:%M} UTC",
            retry_at=retry_at,
        )
    if result.status >= 500:
        raise RdapError(f"RDAP {server}: the server failed ({result.status})")
    if result.status != 200:
        raise RdapError(f"RDAP {server}: unexpected answer ({result.status})")
    try:
        data = json.loads(result.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise RdapError(f"RDAP {server}: the answer is not readable JSON") from error
    if not isinstance(data, dict):
        raise RdapError(f"RDAP {server}: the answer is not an RDAP object")
    return RdapAnswer(data=data, server=server, at=now)


# --- which server to ask (IANA bootstrap, RFC 9224) -----------------------------------------


@dataclass(frozen=True)
class Bootstrap:
    copied_on: str
    tlds: dict[str, str]
    networks: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]]


@lru_cache(maxsize=2)
def bootstrap(path: str = str(BOOTSTRAP_FILE)) -> Bootstrap:
    data = json.loads(Path(path).read_text())
    tlds = {}
    for suffixes, urls in data["dns"]["services"]:
        for suffix in suffixes:
            tlds[suffix.lower()] = _https_first(urls)
    networks = []
    for family in ("ipv4", "ipv6"):
        for blocks, urls in data[family]["services"]:
            for block in blocks:
                networks.append((ipaddress.ip_network(block), _https_first(urls)))
    # Longest prefix first, so the most specific block answers.
    networks.sort(key=lambda pair: pair[0].prefixlen, reverse=True)
    return Bootstrap(copied_on=data["copied_on"], tlds=tlds, networks=networks)


def _https_first(urls: list[str]) -> str:
    return next((u for u in urls if u.startswith("https://")), urls[0])


# ARIN answers for any address: for one outside its space it refers to the registry that
# holds it (RDAP redirect), which the guarded fetcher follows and checks.
FALLBACK_IP_SERVER = "https://rdap.arin.net/registry/"


def _base(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def domain_server(domain: str) -> str | None:
    if settings.RDAP_BASE_URL:
        return _base(settings.RDAP_BASE_URL)
    labels = domain.lower().split(".")
    table = bootstrap().tlds
    # The longest matching suffix: "co.uk" before "uk".
    for i in range(1, len(labels)):
        suffix = ".".join(labels[i:])
        if suffix in table:
            return _base(table[suffix])
    return None


def ip_server(address: str) -> str:
    if settings.RDAP_BASE_URL:
        return _base(settings.RDAP_BASE_URL)
    ip = ipaddress.ip_address(address)
    for network, url in bootstrap().networks:
        if ip.version == network.version and ip in network:
            return _base(url)
    return FALLBACK_IP_SERVER


# --- reading RDAP answers (whoisit's parser) -----------------------------------------------

_PARSER_BOOTSTRAP = _BootstrapWrapper()  # only names RIRs by URL; never fetches anything


def _parse(kind: str, query: str, answer: RdapAnswer) -> dict:
    try:
        return rdap_parse(_PARSER_BOOTSTRAP, kind, query, answer.data)
    except (WhoisItError, KeyError, TypeError, ValueError) as error:
        raise RdapError(f"RDAP {answer.server}: the answer is not a readable {kind}") from error


def _entity_abuse(entities: dict, parent_handle: str) -> dict:
    """The abuse contact: the one nested in `parent_handle`'s entity first (RFC 9083 puts
    the registrar's abuse contact inside the registrar), else any with role abuse."""
    abuse = entities.get("abuse", [])
    nested = [e for e in abuse if parent_handle and e.get("parent_handle") == parent_handle]
    return (nested or abuse or [{}])[0]


@dataclass
class Registrar:
    name: str = ""
    abuse_email: str = ""
    abuse_phone: str = ""
    abuse_url: str = ""


def registrar_of(parsed: dict) -> Registrar:
    entities = parsed.get("entities", {})
    registrar = (entities.get("registrar") or [{}])[0]
    abuse = _entity_abuse(entities, registrar.get("handle", ""))
    return Registrar(
        name=registrar.get("name", ""),
        abuse_email=abuse.get("email", ""),
        abuse_phone=abuse.get("tel", ""),
        abuse_url=next(iter(abuse.get("contact_uris", [])), ""),
    )


def network_of(address: str, parsed: dict, source: str) -> NetworkFound:
    entities = parsed.get("entities", {})
    owner_entity = (entities.get("registrant") or entities.get("administrative") or [{}])[0]
    abuse = _entity_abuse(entities, owner_entity.get("handle", ""))
    network = parsed.get("network")
    cidrs = parsed.get("cidrs") or []
    cidr = ", ".join(str(c) for c in cidrs) if cidrs else (str(network) if network else "")
    return NetworkFound(
        address=address,
        handle=parsed.get("handle", ""),
        name=parsed.get("name", ""),
        cidr=cidr[:200],
        owner=owner_entity.get("name", "") or parsed.get("name", ""),
        abuse_email=abuse.get("email", ""),
        abuse_phone=abuse.get("tel", ""),
        source=source,
    )


# --- DNS -------------------------------------------------------------------------------------


def resolver() -> dns.resolver.Resolver:
    """Our resolver: the nameservers settings.DNS_NAMESERVERS names, or the system's."""
    if not settings.DNS_NAMESERVERS:
        res = dns.resolver.Resolver()
    else:
        res = dns.resolver.Resolver(configure=False)
        servers = []
        for entry in settings.DNS_NAMESERVERS:
            address, _, port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
            servers.append((address or entry, int(port) if port else 53))
        res.nameservers = [address for address, _ in servers]
        res.nameserver_ports = {address: port for address, port in servers}
    res.lifetime = DNS_TIMEOUT
    res.timeout = DNS_TIMEOUT
    return res


def nameservers_label() -> str:
    return ", ".join(settings.DNS_NAMESERVERS) or "the system resolver"


def resolve(host: str) -> tuple[list[str], list[str]]:
    """The host's addresses (A and AAAA), and plain sentences for what failed."""
    res = resolver()
    addresses: list[str] = []
    errors: list[str] = []
    for kind in ("A", "AAAA"):
        try:
            answer = res.resolve(host, kind, search=False)
        except dns.resolver.NXDOMAIN:
            return [], [f"DNS: the name {host} does not exist (NXDOMAIN)"]
        except (dns.resolver.NoAnswer, dns.resolver.NoNameservers):
            continue
        except dns.exception.Timeout:
            errors.append(f"DNS: no answer in time for {host} ({kind})")
            continue
        except dns.exception.DNSException as error:
            errors.append(f"DNS: {host} ({kind}) could not be looked up: {error}")
            continue
        addresses += [r.address for r in answer]
    if not addresses and not errors:
        errors.append(f"DNS: {host} has no addresses")
    return sorted(set(addresses)), errors


# --- one lookup ------------------------------------------------------------------------------


def _psl_source() -> str:
    return f"Public Suffix List (tldextract {tldextract.__version__}, bundled snapshot)"


def _stamp(at: dt.datetime) -> str:
    return f"{at:%Y-%m-%dT%H:%MZ}"


@dataclass
class _Attempt:
    errors: list[str] = field(default_factory=list)
    retry_at: dt.datetime | None = None
    answered: int = 0  # RDAP and DNS answers that came back

    def failed(self, error: RdapError) -> None:
        self.errors.append(error.plain)
        if error.retry_at and (self.retry_at is None or error.retry_at > self.retry_at):
            self.retry_at = error.retry_at


def host_facts_find(host: str, *, now: dt.datetime | None = None) -> HostFacts:
    """Look a host up: DNS, RDAP for its domain and for each address's network, and the
    CDN ranges. Never raises for what the outside world does: each failure is a sentence in
    `errors`, and a registry that asked us to wait sets `retry_at`."""
    now = now or timezone.now()
    name = host_normalise(host)
    attempt = _Attempt()
    try:
        literal = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        literal = None

    domain = domain_source = ""
    registrar = Registrar()
    registrar_source = ""
    if literal is None:
        domain = registrable_domain(name)
        domain_source = _psl_source()
        server = domain_server(domain)
        if server is None:
            attempt.errors.append(
                f"RDAP: no registry server is known for .{domain.rsplit('.', 1)[-1]} "
                "(refresh the RDAP bootstrap data)"
            )
        else:
            try:
                answer = rdap_get(f"{server}domain/{domain}", now=now)
                registrar = registrar_of(_parse("domain", domain, answer))
                registrar_source = answer.source
                attempt.answered += 1
                if registrar.name and not (registrar.abuse_email or registrar.abuse_url):
                    attempt.errors.append(
                        f"RDAP {answer.server}: {registrar.name}: {NO_ABUSE_CONTACT}"
                    )
            except RdapError as error:
                attempt.failed(error)
        addresses, dns_errors = resolve(name)
        attempt.errors += dns_errors
        addresses_source = f"DNS {nameservers_label()} {_stamp(now)}"
    else:
        addresses, addresses_source = [str(literal)], "the address itself"
    if addresses:
        attempt.answered += 1

    networks: list[NetworkFound] = []
    for address in addresses[:MAX_ADDRESSES]:
        cdn = cdn_for(address)
        cdn_fields = (
            {
                "cdn_name": cdn.name,
                "cdn_abuse_email": cdn.abuse_email,
                "cdn_abuse_url": cdn.abuse_url,
                "cdn_source": cdn.source,
            }
            if cdn
            else {}
        )
        # An address inside a network already found this lookup shares its answer.
        known = next((n for n in networks if _within(address, n.cidr)), None)
        if known is not None:
            networks.append(_same_network(known, address, cdn_fields))
            continue
        try:
            answer = rdap_get(f"{ip_server(address)}ip/{address}", now=now)
            found = network_of(address, _parse("ip", address, answer), answer.source)
            attempt.answered += 1
            if not found.abuse_email:
                attempt.errors.append(
                    f"RDAP {answer.server}: {found.owner or address}: {NO_ABUSE_CONTACT}"
                )
            networks.append(_with(found, cdn_fields))
        except RdapError as error:
            attempt.failed(error)
            networks.append(NetworkFound(address=address, **cdn_fields))

    any_rdap = bool(registrar.name) or any(n.source for n in networks)
    return HostFacts(
        host=name,
        looked_up_at=now,
        registrable_domain=domain,
        domain_source=domain_source,
        registrar_name=registrar.name,
        registrar_abuse_email=registrar.abuse_email,
        registrar_abuse_phone=registrar.abuse_phone,
        registrar_abuse_url=registrar.abuse_url,
        registrar_source=registrar_source,
        addresses_source=addresses_source if addresses else "",
        networks=networks,
        errors=attempt.errors,
        # Nothing at all came back: kept as an attempt, never over the last answer.
        failed=not any_rdap and not addresses,
        retry_at=attempt.retry_at,
    )


def _within(address: str, cidrs: str) -> bool:
    ip = ipaddress.ip_address(address)
    for text in cidrs.split(","):
        try:
            net = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            continue
        if ip.version == net.version and ip in net:
            return True
    return False


def _with(found: NetworkFound, cdn_fields: dict) -> NetworkFound:
    return NetworkFound(**{**found.__dict__, **cdn_fields})


def _same_network(known: NetworkFound, address: str, cdn_fields: dict) -> NetworkFound:
    fields = {**known.__dict__, "address": address}
    for key in ("cdn_name", "cdn_abuse_email", "cdn_abuse_url", "cdn_source"):
        fields[key] = cdn_fields.get(key, "")
    return NetworkFound(**fields)


def host_lookup_run(*, host_id: int, now: dt.datetime | None = None) -> HostLookup | None:
    """Look one host up and keep what was found; a change of host goes on the timeline of
    each case with a link on it and puts its requests back in front of staff, in one
    transaction. Safe to run twice: the second lookup finds the same owners, so no change."""
    host = Host.objects.filter(pk=host_id).first()
    if host is None:
        return None
    now = now or timezone.now()
    facts = host_facts_find(host.name, now=now)
    with transaction.atomic():
        lookup = host_facts_record(facts=facts)
        if lookup.host_changed:
            takedowns_host_changed(host=host.name, now=now)
    # No URL or personal data in logs: the host id and what came of it.
    log.info(
        "host lookup host=%s status=%s changed=%s errors=%s",
        host_id,
        lookup.status,
        lookup.host_changed,
        len(facts.errors),
    )
    return lookup

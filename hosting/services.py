"""Writes of who hosts a site. What the lookups (monitoring.host_lookup) found is recorded by
host_facts_record, each fact with its source and time; the weekly refresh claims due hosts
with hosts_claim_due; a recheck that resolved hosts reports the addresses it saw with
hosts_addresses_seen, which asks for a lookup when they differ from the known set."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Least
from django.utils import timezone

from cases.models import Case, EventKind
from cases.services import event_build, events_record
from evidence.models import Sighting
from hosting.models import Host, HostLookup, HostNetwork, LookupStatus
from hosting.selectors import CLAIM_LEASE, host_normalise

# Who hosts a site changes seldom; a week keeps the record fresh enough to address a notice
# and finds a move within days, and costs each registry a handful of queries a week. A move
# seen by a recheck (new addresses) is looked up at once instead (host_addresses_seen).
LOOKUP_INTERVAL = dt.timedelta(days=7)
# A lookup that no registry answered (every RDAP server failed or asked us to wait) is tried
# again sooner, unless a registry said when (Retry-After).
RETRY_INTERVAL = dt.timedelta(hours=1)


@dataclass(frozen=True)
class NetworkFound:
    """One address and what RDAP and the CDN ranges said of it."""

    address: str
    handle: str = ""
    name: str = ""
    cidr: str = ""
    owner: str = ""
    abuse_email: str = ""
    abuse_phone: str = ""
    source: str = ""
    cdn_name: str = ""
    cdn_abuse_email: str = ""
    cdn_abuse_url: str = ""
    cdn_source: str = ""


@dataclass(frozen=True)
class HostFacts:
    """What one lookup of a host found. `errors` are plain sentences for staff."""

    host: str
    looked_up_at: dt.datetime
    registrable_domain: str = ""
    domain_source: str = ""
    registrar_name: str = ""
    registrar_abuse_email: str = ""
    registrar_abuse_phone: str = ""
    registrar_abuse_url: str = ""
    registrar_source: str = ""
    addresses_source: str = ""
    networks: list[NetworkFound] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Nothing answered (e.g. a registry asked us to wait): kept as an attempt, never over
    # the last answer, and tried again at retry_at.
    failed: bool = False
    retry_at: dt.datetime | None = None


def host_ensure(*, host: str) -> Host:
    name = host_normalise(host)
    obj, _ = Host.objects.get_or_create(name=name)
    return obj


def hosts_ensure_for_sightings() -> int:
    """A Host row for every host of a link still being worked on (in the workflow and up, as
    far as we know) that has none yet; new ones are due at once. One statement."""
    names = (
        Sighting.objects.in_workflow()
        .still_up()
        .exclude(host="")
        .exclude(host__in=Host.objects.values("name"))
        .order_by()  # no ordering column in the DISTINCT
        .values_list("host", flat=True)
        .distinct()
    )
    created = Host.objects.bulk_create(
        [Host(name=host_normalise(n)) for n in names], ignore_conflicts=True
    )
    return len(created)


def hosts_claim_due(*, now: dt.datetime | None = None, limit: int = 50) -> list[int]:
    """Hand out up to `limit` hosts due a lookup (weekly refresh, a new host, a move seen
    by a recheck, staff's "Look up again") and push their next_lookup_at past a lease, so
    a second dispatcher or a second run hands out others. Returns their ids."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Host.objects.select_for_update(skip_locked=True)
            .filter(next_lookup_at__lte=now)
            .order_by("next_lookup_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        Host.objects.filter(pk__in=ids).update(next_lookup_at=now + CLAIM_LEASE)
    return ids


def host_lookup_request(*, host: str, now: dt.datetime | None = None) -> Host:
    """Staff asked to look a host up again: it is due now (the dispatcher or the task that
    the view starts takes it)."""
    now = now or timezone.now()
    obj = host_ensure(host=host)
    Host.objects.filter(pk=obj.pk).update(next_lookup_at=now)
    obj.next_lookup_at = now
    return obj


def _networks_of(addresses) -> set[str]:
    """The /24 (IPv4) or /48 (IPv6) of each address: a CDN or a provider rotating addresses
    inside its blocks is not news; an address in another block is."""
    nets = set()
    for text in addresses:
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            continue
        prefix = 24 if ip.version == 4 else 48
        nets.add(str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False)))
    return nets


def hosts_addresses_seen(*, seen: dict[str, tuple[str, ...] | list[str]], now=None) -> int:
    """Rechecks resolved these hosts to these addresses. Cheap on purpose (the recheck path
    is hot): one read for the whole batch, and a write only for a host whose addresses sit
    in other networks than the ones last seen, which makes it due a lookup now. A host never
    seen before gets its row (due at once). Returns how many hosts were made due."""
    wanted = {host_normalise(h): sorted(set(a)) for h, a in seen.items() if h and a}
    if not wanted:
        return 0
    now = now or timezone.now()
    known = dict(Host.objects.filter(name__in=wanted).values_list("name", "addresses_seen"))
    made_due = 0
    new = [
        Host(name=name, addresses_seen=addresses, addresses_seen_at=now, next_lookup_at=now)
        for name, addresses in wanted.items()
        if name not in known
    ]
    if new:
        made_due += len(Host.objects.bulk_create(new, ignore_conflicts=True))
    for name, addresses in wanted.items():
        if name not in known or _networks_of(known[name]) == _networks_of(addresses):
            continue
        # Filtered on the set read: two batches seeing the move at once ask only once.
        made_due += Host.objects.filter(name=name, addresses_seen=known[name]).update(
            addresses_seen=addresses,
            addresses_seen_at=now,
            next_lookup_at=Least(F("next_lookup_at"), Value(now)),
        )
    return made_due


def _owners(networks) -> set[str]:
    return {
        (n.owner or n.name or n.handle).strip().lower()
        for n in networks
        if (n.owner or n.name or n.handle).strip()
    }


def _all_owned(networks) -> bool:
    return all((n.owner or n.name or n.handle).strip() for n in networks)


def _owner_names(networks) -> list[str]:
    return sorted({(n.owner or n.name or n.handle).strip() for n in networks} - {""})


@transaction.atomic
def host_facts_record(*, facts: HostFacts) -> HostLookup:
    """Keep what one lookup found, with its source and time, and schedule the next one.

    A change of host is a lookup whose network owners differ from the previous answered
    lookup's (both known): the CDN or provider rotating addresses inside its own networks is
    not a move, a different owner is. Each case with a link still up on the host gets a
    HOST_CHANGED event on its timeline, in this transaction. Putting the requests back in
    front of staff is takedowns' to write (takedowns.services.takedowns_host_changed);
    monitoring.host_lookup calls both in one transaction."""
    host = Host.objects.select_for_update().get(pk=host_ensure(host=facts.host).pk)
    previous = (
        host.lookups.exclude(status=LookupStatus.FAILED).prefetch_related("networks").first()
    )
    if facts.failed:
        status = LookupStatus.FAILED
    elif facts.errors:
        status = LookupStatus.PARTIAL
    else:
        status = LookupStatus.COMPLETE
    lookup = HostLookup.objects.create(
        host=host,
        looked_up_at=facts.looked_up_at,
        status=status,
        registrable_domain=facts.registrable_domain,
        domain_source=facts.domain_source,
        registrar_name=facts.registrar_name,
        registrar_abuse_email=facts.registrar_abuse_email,
        registrar_abuse_phone=facts.registrar_abuse_phone,
        registrar_abuse_url=facts.registrar_abuse_url,
        registrar_source=facts.registrar_source,
        addresses=sorted({n.address for n in facts.networks}),
        addresses_source=facts.addresses_source,
        errors=list(facts.errors),
    )
    HostNetwork.objects.bulk_create(
        [
            HostNetwork(
                lookup=lookup,
                address=n.address,
                handle=n.handle,
                name=n.name,
                cidr=n.cidr,
                owner=n.owner,
                abuse_email=n.abuse_email,
                abuse_phone=n.abuse_phone,
                source=n.source,
                cdn_name=n.cdn_name,
                cdn_abuse_email=n.cdn_abuse_email,
                cdn_abuse_url=n.cdn_abuse_url,
                cdn_source=n.cdn_source,
            )
            for n in facts.networks
        ]
    )
    update = {}
    if facts.retry_at:  # a registry said when to ask again (429)
        update["next_lookup_at"] = facts.retry_at
    elif facts.failed:
        update["next_lookup_at"] = facts.looked_up_at + RETRY_INTERVAL
    else:
        update["next_lookup_at"] = facts.looked_up_at + LOOKUP_INTERVAL
    if not facts.failed and lookup.addresses:
        update["addresses_seen"] = lookup.addresses
        update["addresses_seen_at"] = facts.looked_up_at
    Host.objects.filter(pk=host.pk).update(**update)

    if not facts.failed and previous is not None:
        before, now_owners = _owners(previous.networks.all()), _owners(facts.networks)
        # Compared only when every address's network owner is known both times: a registry
        # that failed for one address this time is not a move.
        known = _all_owned(previous.networks.all()) and _all_owned(facts.networks)
        if known and before and now_owners and before != now_owners:
            lookup.host_changed = True
            lookup.save(update_fields=["host_changed"])
            _host_change_record(
                host=host,
                lookup=lookup,
                before=_owner_names(previous.networks.all()),
                after=_owner_names(facts.networks),
            )
    return lookup


def _host_change_record(*, host: Host, lookup: HostLookup, before, after) -> None:
    sightings = (
        Sighting.objects.in_workflow()
        .still_up()
        .filter(host=host.name)
        .order_by("case_id", "created_at")
        .values_list("case_id", "pk")
    )
    by_case: dict = {}
    for case_id, sighting_id in sightings:
        by_case.setdefault(case_id, []).append(str(sighting_id))
    for case in Case.objects.filter(pk__in=by_case).order_by("pk"):
        events_record(
            case,
            [
                event_build(
                    case=case,
                    actor=None,
                    kind=EventKind.HOST_CHANGED,
                    target=host,
                    old_value={"owners": before},
                    new_value={
                        "host": host.name,
                        "owners": after,
                        "addresses": lookup.addresses,
                        "sightings": by_case[case.pk],
                        "looked_up_at": lookup.looked_up_at.isoformat(),
                    },
                )
            ],
        )

import datetime as dt

import pytest

from cases.models import CaseEvent, EventKind
from evidence.services import sighting_log
from hosting.models import Host, HostLookup
from hosting.selectors import CLAIM_LEASE
from hosting.services import (
    LOOKUP_INTERVAL,
    RETRY_INTERVAL,
    HostFacts,
    NetworkFound,
    host_ensure,
    host_facts_record,
    host_lookup_request,
    hosts_addresses_seen,
    hosts_claim_due,
    hosts_ensure_for_sightings,
)

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 12, 5, 11, 40, tzinfo=dt.UTC)
HOST = "files.locker.example"


def facts(*networks, at=AT, **over):
    return HostFacts(host=HOST, looked_up_at=at, networks=list(networks), **over)


def net(address, owner, **over):
    return NetworkFound(address=address, owner=owner, source="RDAP test", **over)


def test_new_hosts_of_links_still_up_get_a_row_due_at_once(case, survivor):
    sighting_log(case=case, url=f"https://{HOST}/a", acting_user=survivor)
    sighting_log(case=case, url=f"https://{HOST}/b", acting_user=survivor)
    gone = sighting_log(case=case, url="https://gone.example/x", acting_user=survivor)
    gone.status = "removed"
    gone.save()

    assert hosts_ensure_for_sightings() == 1
    assert hosts_ensure_for_sightings() == 0
    assert list(Host.objects.values_list("name", flat=True)) == [HOST]


def test_due_hosts_are_handed_out_once_until_their_lease_runs_out():
    due = [host_ensure(host=f"h{i}.example") for i in range(3)]
    Host.objects.filter(pk=due[2].pk).update(next_lookup_at=AT + dt.timedelta(days=1))
    Host.objects.filter(pk__in=[due[0].pk, due[1].pk]).update(next_lookup_at=AT)

    assert sorted(hosts_claim_due(now=AT)) == sorted([due[0].pk, due[1].pk])
    assert hosts_claim_due(now=AT) == []  # a second dispatcher finds nothing to take
    assert sorted(hosts_claim_due(now=AT + CLAIM_LEASE)) == sorted([due[0].pk, due[1].pk])


def test_look_up_again_makes_the_host_due_now():
    host_facts_record(facts=facts(net("203.0.113.7", "Bulletproof")))
    assert hosts_claim_due(now=AT) == []

    host_lookup_request(host=HOST, now=AT + dt.timedelta(hours=1))

    assert hosts_claim_due(now=AT + dt.timedelta(hours=1)) == [Host.objects.get(name=HOST).pk]


def test_a_lookup_is_due_again_in_a_week_or_sooner_when_nothing_answered():
    host_facts_record(facts=facts(net("203.0.113.7", "Bulletproof")))
    assert Host.objects.get(name=HOST).next_lookup_at == AT + LOOKUP_INTERVAL

    later = AT + LOOKUP_INTERVAL
    host_facts_record(facts=facts(at=later, failed=True, errors=["DNS: no answer"]))
    assert Host.objects.get(name=HOST).next_lookup_at == later + RETRY_INTERVAL


def test_the_addresses_a_recheck_saw_are_compared_with_one_read_and_written_only_on_a_move(
    django_assert_num_queries,
):
    host_facts_record(facts=facts(net("203.0.113.7", "Bulletproof")))
    week = AT + LOOKUP_INTERVAL

    # Another address in the same /24: a rotation, not news. One read, no write.
    with django_assert_num_queries(1):
        assert hosts_addresses_seen(seen={HOST: ("203.0.113.9",)}, now=AT) == 0
    assert Host.objects.get(name=HOST).next_lookup_at == week

    assert hosts_addresses_seen(seen={HOST: ("185.220.100.5",)}, now=AT) == 1
    host = Host.objects.get(name=HOST)
    assert (host.addresses_seen, host.next_lookup_at) == (["185.220.100.5"], AT)
    # A host never seen gets its row, due now.
    assert hosts_addresses_seen(seen={"new.example": ("198.51.100.1",)}, now=AT) == 1
    assert Host.objects.get(name="new.example").next_lookup_at == AT


def test_another_network_owner_is_a_change_of_host_on_each_case_with_a_link_there(
    case, other_survivor, survivor
):
    from cases.services import case_open

    other = case_open(survivor=other_survivor, pseudonym="Lily", acting_user=other_survivor)
    sighting_log(case=case, url=f"https://{HOST}/a", acting_user=survivor)
    sighting_log(case=other, url=f"https://{HOST}/b", acting_user=other_survivor)
    host_facts_record(facts=facts(net("203.0.113.7", "Bulletproof Hosting Ltd")))

    moved = host_facts_record(
        facts=facts(net("185.220.100.5", "New Host B.V."), at=AT + dt.timedelta(days=7))
    )

    assert moved.host_changed
    events = CaseEvent.objects.filter(kind=EventKind.HOST_CHANGED)
    assert sorted(e.case_id for e in events) == sorted([case.pk, other.pk])
    assert all(e.internal for e in events)
    assert events[0].old_value == {"owners": ["Bulletproof Hosting Ltd"]}


def test_an_owner_unknown_this_time_is_not_a_move(case, survivor):
    sighting_log(case=case, url=f"https://{HOST}/a", acting_user=survivor)
    host_facts_record(facts=facts(net("203.0.113.7", "Bulletproof"), net("203.0.113.8", "Other")))

    # The registry failed for one of the two addresses: its owner is unknown, not changed.
    lookup = host_facts_record(
        facts=facts(
            net("203.0.113.7", "Bulletproof"),
            NetworkFound(address="203.0.113.8"),
            at=AT + dt.timedelta(days=7),
            errors=["RDAP x: the server failed (500)"],
        )
    )

    assert not lookup.host_changed
    assert not CaseEvent.objects.filter(kind=EventKind.HOST_CHANGED).exists()
    assert HostLookup.objects.filter(host__name=HOST).count() == 2

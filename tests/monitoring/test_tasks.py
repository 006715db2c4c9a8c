"""A real Celery worker, in a subprocess, on the Redis broker: a recheck end to end."""

import ipaddress
from pathlib import Path

import pytest

from cases.services import case_assign
from evidence.models import Sighting
from evidence.services import reference_register, sighting_log
from leakcase.celery import app
from monitoring.models import UrlCheck
from monitoring.tasks import dispatch_rechecks, recheck_sightings
from tests.helpers.workers import start_worker, stop, wait_for
from tests.monitoring.conftest import HER_IMAGE

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker():
    app.control.purge()
    process = start_worker()
    yield process
    stop(process)


def test_a_worker_rechecks_and_closes_the_request(
    platform_directory, worker, server, case, survivor, caseworker, settings
):
    from tests.helpers.takedowns import sent_request

    settings.FETCH_ALLOW_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    reference_register(case=case, data=HER_IMAGE, acting_user=survivor)
    gone = sighting_log(case=case, url=server + "/gone", acting_user=survivor)
    live = sighting_log(case=case, url=server + "/image", acting_user=survivor)
    request = sent_request(case, gone, caseworker)

    assert dispatch_rechecks() == 2  # enqueued on commit, to the worker through Redis

    def checked():
        return Sighting.objects.filter(pk__in=[gone.pk, live.pk], last_checked_at__isnull=False)

    assert wait_for(lambda: checked().count() == 2), "the worker did not check both"
    gone.refresh_from_db()
    live.refresh_from_db()
    request.refresh_from_db()
    assert (gone.status, live.status) == ("removed", "live")
    assert request.status == "removed" and request.removed_at is not None
    assert live.checks.get().distance is not None


def test_a_worker_killed_mid_batch_loses_no_check(
    platform_directory, server, case, survivor, settings
):
    """SIGKILL in the middle of a batch: what it had not finished is found again from the
    database (the lease runs out, the dispatcher hands it out again) and a new worker
    checks it. Nothing depends on the broker remembering."""
    from django.utils import timezone

    from evidence.services import sightings_log_pasted

    # The local server's address is private: logging it needs the test-only allowance too.
    settings.FETCH_ALLOW_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    app.control.purge()
    text = "\n".join(f"{server}/slow-gone?n={n}" for n in range(12))
    sightings_log_pasted(case=case, text=text, acting_user=survivor)
    first = start_worker()
    try:
        assert dispatch_rechecks() == 12
        assert wait_for(
            lambda: Sighting.objects.filter(last_checked_at__isnull=False).count() >= 3
        )
    finally:
        first.kill()  # SIGKILL: no warm shutdown, the task in hand is lost
        first.wait()
    unchecked = Sighting.objects.filter(last_checked_at__isnull=True)
    assert unchecked.exists(), "the worker finished before it was killed; slow the server"
    # Time passes: the lease of what was handed out but never checked runs out.
    unchecked.update(next_check_at=timezone.now())
    app.control.purge()  # and the broker forgot everything, too
    second = start_worker()
    try:
        dispatch_rechecks()
        assert wait_for(lambda: not Sighting.objects.filter(last_checked_at__isnull=True).exists())
    finally:
        stop(second)
    assert set(Sighting.objects.values_list("status", flat=True)) == {"removed"}


def test_the_names_the_tasks_had_in_evidence_still_run_the_same_tasks():
    """Messages queued before the tasks moved from evidence.tasks carry the old names: for
    one release a worker still knows them, with the same options (monitoring/tasks.py)."""
    from monitoring import tasks

    app.loader.import_default_modules()
    for name, task in [
        ("evidence.tasks.recheck_sighting", tasks.recheck_sighting),
        ("evidence.tasks.recheck_sightings", tasks.recheck_sightings),
        ("evidence.tasks.dispatch_rechecks", tasks.dispatch_rechecks),
    ]:
        old = app.tasks[name]
        options = ("acks_late", "reject_on_worker_lost", "soft_time_limit", "time_limit")
        assert [getattr(old, o) for o in options] == [getattr(task, o) for o in options]


def test_a_batch_queued_under_its_old_name_is_checked(worker, server, case, survivor, settings):
    """A batch handed out by the dispatcher before a deploy, still in the queue after it."""
    settings.FETCH_ALLOW_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    gone = sighting_log(case=case, url=server + "/gone", acting_user=survivor)
    app.send_task("evidence.tasks.recheck_sightings", args=[[str(gone.pk)]])
    assert wait_for(lambda: Sighting.objects.filter(pk=gone.pk, status="removed").exists())


@pytest.mark.django_db  # no worker: the task is applied in this process
@pytest.mark.usefixtures("allow_local")
def test_the_task_takes_a_list_of_ids_and_can_run_twice(server, case, survivor):
    sighting = sighting_log(case=case, url=server + "/gone", acting_user=survivor)
    assert recheck_sightings.apply(args=[[str(sighting.pk)]]).get() == {"removed": 1}
    assert recheck_sightings.apply(args=[[str(sighting.pk)]]).get() == {"removed": 1}
    assert UrlCheck.objects.filter(sighting=sighting).count() == 2
    assert recheck_sightings.acks_late and recheck_sightings.reject_on_worker_lost


def test_the_dispatcher_hands_due_hosts_to_a_worker_that_looks_them_up(case, survivor):
    """The weekly refresh end to end: hosts of links still up get their rows, the
    dispatcher claims the due ones, a real worker looks them up against the tests' RDAP and
    DNS servers, and each is due again a week after its lookup."""
    import datetime as dt

    from hosting.models import Host, HostLookup
    from hosting.selectors import contacts_for
    from monitoring.tasks import dispatch_host_lookups, ensure_hosts
    from tests.helpers.dns import DnsServer
    from tests.helpers.rdap import RdapServer, arin_network, verisign_domain

    rdap, dns = RdapServer(), DnsServer()
    try:
        dns.zone.records["files.lockerbox.com"] = ["203.0.113.7"]
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
                abuse_email="abuse@bulletproof.example",
            ),
        )
        sighting_log(case=case, url="https://files.lockerbox.com/v/1", acting_user=survivor)
        app.control.purge()
        process = start_worker(
            LEAKCASE_RDAP_BASE_URL=rdap.base_url, LEAKCASE_DNS_NAMESERVERS=dns.nameserver
        )
        try:
            assert ensure_hosts() == 1
            assert dispatch_host_lookups() == 1
            assert dispatch_host_lookups() == 0  # claimed: not handed out twice
            assert wait_for(lambda: HostLookup.objects.exists()), "the worker did not look up"
        finally:
            stop(process)
        lookup = HostLookup.objects.get()
        assert [c.name for c in contacts_for("files.lockerbox.com")] == [
            "Bulletproof Hosting Ltd",
            "Example Registrar, Inc.",
        ]
        host = Host.objects.get()
        assert host.next_lookup_at == lookup.looked_up_at + dt.timedelta(days=7)
    finally:
        rdap.stop()
        dns.stop()

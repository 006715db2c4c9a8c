"""Rechecks against a local server standing in for the outside world (127.0.0.1 only)."""

import datetime as dt
import ipaddress
import json
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from evidence.models import Sighting
from evidence.services import reference_register, sighting_log
from monitoring import recheck
from monitoring.models import Outcome, UrlCheck
from monitoring.services import RECHECK_LEASE, sighting_recheck
from monitoring.tasks import dispatch_rechecks
from takedowns.models import TakedownRequest
from tests.helpers.takedowns import sent_request
from tests.monitoring.conftest import HER_IMAGE


@pytest.fixture(autouse=True)
def allow_local(settings):
    # Only for these tests: production never sets this (monitoring/fetcher.py).
    settings.FETCH_ALLOW_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]


@pytest.fixture
def her_references(case, survivor):
    reference_register(case=case, data=HER_IMAGE, acting_user=survivor)
    return list(case.references.all())


@pytest.mark.parametrize(
    ("path", "outcome"),
    [
        ("/image", Outcome.LIVE),
        ("/other", Outcome.SOFT_REMOVED),
        ("/missing", Outcome.REMOVED),
        ("/gone", Outcome.REMOVED),
        ("/forbidden", Outcome.LOGIN_WALLED),
        ("/unavailable-here", Outcome.GEO_BLOCKED),
        ("/login", Outcome.LOGIN_WALLED),
        ("/challenge", Outcome.LOGIN_WALLED),
        ("/placeholder", Outcome.SOFT_REMOVED),
        ("/page-with-her-image", Outcome.LIVE),
        ("/page-without", Outcome.REMOVED),
        ("/page-with-a-logo", Outcome.REMOVED),
        ("/error", Outcome.UNREACHABLE),
    ],
)
def test_each_answer_gets_its_outcome(server, her_references, path, outcome):
    verdict = recheck.check(server + path, her_references)
    assert verdict.outcome == outcome
    if outcome == Outcome.LIVE:
        assert verdict.distance is not None and verdict.distance <= 2


def test_refused_and_dead_addresses(her_references, settings):
    settings.FETCH_ALLOW_NETWORKS = []
    assert recheck.check("http://127.0.0.1:1/x", her_references).outcome == Outcome.BLOCKED
    settings.FETCH_ALLOW_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    dead = recheck.check("http://127.0.0.1:1/x", her_references)
    assert dead.outcome == Outcome.UNREACHABLE and dead.error


@pytest.mark.parametrize("path", ["/bomb", "/page-with-a-bomb"])
def test_an_image_bomb_is_a_plain_error_on_the_check_and_is_never_decoded(
    server, case, survivor, her_references, pillow_decodes, path
):
    """A 504 kB PNG declaring 13,300 x 13,300 pixels (issue 13), at the address or on the
    page: refused from its header by the opener uploads use (before: 6.7 s and 953 MB to
    hash). Not compared, so not taken for removed either."""
    sighting = sighting_log(case=case, url=server + path, acting_user=survivor)
    check = sighting_recheck(sighting=sighting)
    assert (check.outcome, check.http_status) == (Outcome.BLOCKED, 200)
    assert check.error == (
        "An image there was not opened, so it could not be compared: it declares "
        "13,300 by 13,300 pixels, more than the 50 million we open."
    )
    assert sighting.status == "unknown" and sighting.removed_verified_at is None
    assert (13_300, 13_300) not in pillow_decodes


def test_a_removal_closes_the_request_and_moves_the_case_to_monitoring(
    server, case, survivor, caseworker, her_references
):
    from cases.services import case_assign

    case_assign(case=case, to=caseworker, acting_user=caseworker)
    sighting = sighting_log(case=case, url=server + "/image", acting_user=survivor)
    request = sent_request(case, sighting, caseworker)
    live = sighting_recheck(sighting=sighting)
    assert live.outcome == "live" and sighting.status == "live"
    Sighting.objects.filter(pk=sighting.pk).update(url=server + "/gone")
    sighting.refresh_from_db()
    check = sighting_recheck(sighting=sighting)
    sighting.refresh_from_db()
    request.refresh_from_db()
    case.refresh_from_db()
    assert (check.outcome, check.http_status) == ("removed", 410)
    assert sighting.status == "removed" and sighting.removed_verified_at is not None
    assert request.status == "removed" and request.removed_at is not None
    assert case.status == "monitoring"
    assert UrlCheck.objects.filter(sighting=sighting).count() == 2
    # Backs off once removed.
    assert sighting.next_check_at - sighting.last_checked_at >= dt.timedelta(hours=21)


def test_unreachable_counts_as_removed_only_after_three_days(case, survivor, her_references):
    sighting = sighting_log(case=case, url="http://127.0.0.1:1/x", acting_user=survivor)
    start = timezone.now()
    for hours in (0, 24, 48):
        check = sighting_recheck(sighting=sighting, now=start + dt.timedelta(hours=hours))
        assert check.outcome == "unreachable"
    assert sighting.status == "unreachable"
    check = sighting_recheck(sighting=sighting, now=start + dt.timedelta(hours=73))
    assert check.outcome == "removed"


def test_a_removed_link_that_comes_back_is_reappeared(server, case, survivor, her_references):
    sighting = sighting_log(case=case, url=server + "/missing", acting_user=survivor)
    sighting_recheck(sighting=sighting)
    Sighting.objects.filter(pk=sighting.pk).update(url=server + "/image")
    sighting.refresh_from_db()
    check = sighting_recheck(sighting=sighting)
    assert check.outcome == "reappeared"
    assert sighting.status == "live" and sighting.removed_verified_at is None


def test_check_url_prints_what_a_worker_sees(server, case, her_references):
    out = StringIO()
    call_command("check_url", server + "/image", "--case", case.reference, "--json", stdout=out)
    found = json.loads(out.getvalue())
    assert set(found) == {
        "outcome", "http_status", "final_url", "content_type", "bytes", "elapsed_ms",
        "distance", "error",
    }  # fmt: skip
    assert (found["outcome"], found["http_status"], found["content_type"]) == (
        "live",
        200,
        "image/jpeg",
    )
    assert found["bytes"] == len(HER_IMAGE)
    plain = StringIO()
    call_command("check_url", server + "/gone", stdout=plain)
    assert "outcome       removed" in plain.getvalue()


def test_the_dispatcher_leases_due_sightings_once(
    case, survivor, django_capture_on_commit_callbacks
):
    for n in range(3):
        sighting_log(case=case, url=f"https://example.com/{n}", acting_user=survivor)
    Sighting.objects.filter(pk=Sighting.objects.first().pk).update(
        next_check_at=timezone.now() + dt.timedelta(hours=1)
    )
    from unittest import mock

    with mock.patch("monitoring.tasks.recheck_sightings.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            assert dispatch_rechecks() == 2
        ((ids,), _) = delay.call_args  # one task for both
        assert len(ids) == 2 and delay.call_count == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert dispatch_rechecks() == 0  # leased: not handed out twice
    # The two handed out are leased into the future, no further than the lease.
    now = timezone.now()
    leased = Sighting.objects.filter(next_check_at__gt=now, next_check_at__lte=now + RECHECK_LEASE)
    assert leased.count() == 2
    assert not TakedownRequest.objects.exists()


def test_a_live_match_is_kept_as_fetched_evidence_once(server, case, survivor, her_references):
    from evidence import vault
    from evidence.models import EvidenceFile

    sighting = sighting_log(case=case, url=server + "/page-with-her-image", acting_user=survivor)
    sighting_recheck(sighting=sighting)
    sighting_recheck(sighting=sighting)
    (copy,) = EvidenceFile.objects.filter(kind="fetched_copy")
    assert (copy.origin, copy.source_url, copy.sighting) == ("fetch", server + "/image", sighting)
    assert copy.uploaded_by is None
    assert vault.read(copy)  # sealed like every evidence file


def test_a_reappearance_reopens_the_request_and_the_case(
    server, case, survivor, caseworker, her_references
):
    from cases.services import case_assign

    case_assign(case=case, to=caseworker, acting_user=caseworker)
    sighting = sighting_log(case=case, url=server + "/gone", acting_user=survivor)
    request = sent_request(case, sighting, caseworker)
    sighting_recheck(sighting=sighting)
    request.refresh_from_db()
    case.refresh_from_db()
    assert (request.status, case.status) == ("removed", "monitoring")
    Sighting.objects.filter(pk=sighting.pk).update(url=server + "/image")
    sighting.refresh_from_db()
    assert sighting_recheck(sighting=sighting).outcome == "reappeared"
    request.refresh_from_db()
    case.refresh_from_db()
    assert (request.status, case.status) == ("sent", "active")
    assert request.due_at > timezone.now()


def test_the_dispatcher_limits_each_host(case, survivor, django_capture_on_commit_callbacks):
    from unittest import mock

    from evidence.services import sightings_log_pasted
    from monitoring.services import PER_HOST, PER_HOST_AT_ONCE

    text = "\n".join(f"https://one.example/{n}" for n in range(PER_HOST + 5))
    sightings_log_pasted(case=case, text=text + "\nhttps://two.example/1", acting_user=survivor)
    with (
        mock.patch("monitoring.tasks.recheck_sightings.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert dispatch_rechecks() == PER_HOST + 1
    # Each task holds no more than PER_HOST_AT_ONCE of a site: no bursts at one host.
    tasks = [call.args[0] for call in delay.call_args_list]
    assert sum(len(ids) for ids in tasks) == PER_HOST + 1
    hosts = dict(Sighting.objects.values_list("pk", "host"))
    for ids in tasks:
        per_task = [hosts[uuid.UUID(pk)] for pk in ids]
        assert per_task.count("one.example") <= PER_HOST_AT_ONCE


def test_a_batch_ends_before_its_sightings_lease_does():
    from monitoring.tasks import recheck_sightings

    assert recheck_sightings.soft_time_limit < recheck_sightings.time_limit
    assert recheck_sightings.time_limit < RECHECK_LEASE.total_seconds()

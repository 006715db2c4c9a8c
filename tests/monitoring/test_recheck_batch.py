"""The concurrent recheck path (monitoring.recheck_batch): the same outcomes and rows as one
sighting at a time, and the same refusals as the guarded fetcher (local servers on 127.0.0.1
only). The concurrent fetcher's own rules are in test_fetcher_async.py."""

import functools

import pytest

from cases.models import CaseEvent
from cases.services import case_open
from evidence.models import Sighting
from evidence.services import reference_register, sighting_log
from monitoring import fetcher_async
from monitoring.models import Outcome, UrlCheck
from monitoring.recheck_batch import recheck_many
from monitoring.services import sighting_recheck
from tests.monitoring.conftest import HER_IMAGE, OTHER_IMAGE

pytestmark = pytest.mark.usefixtures("allow_local")
PATHS = [
    "/image",
    "/other",
    "/missing",
    "/gone",
    "/forbidden",
    "/unavailable-here",
    "/login",
    "/challenge",
    "/placeholder",
    "/page-with-her-image",
    "/page-without",
    "/error",
    "/hop3",  # three redirects, each checked again
    "/hop7",  # more than fetcher's five: too many redirects
    "/endless",  # past the body cap
]


def _case_with_links(survivor, server, name):
    case = case_open(survivor=survivor, pseudonym=name, acting_user=survivor)
    reference_register(case=case, data=HER_IMAGE, acting_user=survivor)
    return case, {
        path: sighting_log(case=case, url=server + path, acting_user=survivor) for path in PATHS
    }


def _what_was_written(sighting):
    sighting.refresh_from_db()
    (check,) = UrlCheck.objects.filter(sighting=sighting)
    events = CaseEvent.objects.filter(target_id=str(sighting.pk)).values_list(
        "kind", "old_value", "new_value"
    )
    return {
        "check": (
            check.outcome,
            check.http_status,
            check.final_url.rsplit("/", 1)[-1],
            check.content_type,
            check.bytes_read,
            check.distance,
            check.error,
        ),
        "sighting": (sighting.status, sighting.removed_verified_at is not None),
        "next_check_in_hours": round(
            (sighting.next_check_at - sighting.last_checked_at).total_seconds() / 3600, 2
        ),
        "events": sorted(map(str, events)),
        "kept_copies": sighting.evidence_files.count(),
    }


def test_the_batch_path_writes_what_the_single_path_writes(server, survivor, monkeypatch):
    monkeypatch.setattr("monitoring.services.random.uniform", lambda low, high: 0.0)  # no jitter
    _, one_by_one = _case_with_links(survivor, server, "Single")
    _, batched = _case_with_links(survivor, server, "Batch")
    for sighting in one_by_one.values():
        sighting_recheck(sighting=Sighting.objects.select_related("case").get(pk=sighting.pk))
    outcomes = recheck_many([s.pk for s in batched.values()], concurrency=8, write_batch=4)
    assert sum(outcomes.values()) == len(PATHS)
    for path in PATHS:
        single = _what_was_written(one_by_one[path])
        assert _what_was_written(batched[path]) == single, path
    assert _what_was_written(batched["/image"])["check"][0] == Outcome.LIVE
    assert _what_was_written(batched["/hop7"])["check"][0] == Outcome.UNREACHABLE
    assert _what_was_written(batched["/endless"])["check"][0] == Outcome.UNREACHABLE


def test_a_batch_closes_the_request_and_moves_the_case_on(server, case, survivor, caseworker):
    from cases.services import case_assign
    from tests.helpers.takedowns import sent_request

    case_assign(case=case, to=caseworker, acting_user=caseworker)
    links = [
        sighting_log(case=case, url=f"{server}/gone?n={n}", acting_user=survivor) for n in (1, 2)
    ]
    request = sent_request(case, links[0], caseworker)
    request.sightings.add(links[1])
    assert recheck_many([s.pk for s in links]) == {Outcome.REMOVED: 2}
    request.refresh_from_db()
    case.refresh_from_db()
    assert request.status == "removed" and case.status == "monitoring"


@pytest.fixture
def forty_gone_links(server, case, survivor):
    return [
        sighting_log(case=case, url=f"{server}/missing?n={n}", acting_user=survivor)
        for n in range(40)
    ]


@pytest.fixture
def batches(monkeypatch):
    """How many checks each written batch held, in order."""
    from monitoring import recheck_batch

    sizes = []
    write = recheck_batch.sighting_checks_record

    def counted(*, checks):
        sizes.append(len(checks))
        return write(checks=checks)

    monkeypatch.setattr(recheck_batch, "sighting_checks_record", counted)
    return sizes


def test_a_batch_takes_a_bounded_number_of_queries(
    forty_gone_links, batches, django_assert_max_num_queries
):
    """Two reads, then a fixed handful of queries per written batch (one at a time it is
    about six a sighting). How many results a batch holds depends on when they arrive."""
    with django_assert_max_num_queries(2 + 10 * 40 + 1) as captured:
        outcomes = recheck_many([s.pk for s in forty_gone_links], write_batch=200)
    assert outcomes == {Outcome.REMOVED: 40}
    assert sum(batches) == 40
    # savepoint, cases and sightings read again under lock, UrlCheck rows, sighting updates,
    # events, case activity, waiting requests, release, and the hosts' addresses last seen
    # (hosting: one read): ten a batch however many it holds; plus, once, the new host's row
    assert len(captured.captured_queries) <= 2 + 10 * len(batches) + 1


def test_results_arriving_together_are_written_in_one_batch(forty_gone_links, batches):
    """The writer waits a moment (write_wait) for more results before it writes: fewer,
    fuller batches, each with the same fixed queries (bench/RESULTS.md: half the writing
    thread's CPU a check)."""
    ids = [s.pk for s in forty_gone_links]
    outcomes = recheck_many(ids, write_batch=200, write_wait=30.0)
    assert outcomes == {Outcome.REMOVED: 40}
    assert batches == [40]


# --- decoding fetched images -------------------------------------------------------------


def test_a_bomb_in_a_batch_is_a_plain_error_on_its_check_and_the_rest_go_on(
    server, case, survivor, pillow_decodes
):
    """One hostile image is one check with a plain error; it ends nobody else's."""
    reference_register(case=case, data=HER_IMAGE, acting_user=survivor)
    links = {
        path: sighting_log(case=case, url=server + path, acting_user=survivor)
        for path in ("/bomb", "/page-with-a-bomb", "/image", "/gone")
    }
    outcomes = recheck_many([s.pk for s in links.values()], concurrency=4)
    assert outcomes == {Outcome.BLOCKED: 2, Outcome.LIVE: 1, Outcome.REMOVED: 1}
    for path in ("/bomb", "/page-with-a-bomb"):
        check = links[path].checks.get()
        assert check.outcome == Outcome.BLOCKED
        assert "13,300 by 13,300 pixels" in check.error
    assert (13_300, 13_300) not in pillow_decodes


def test_a_slow_decode_holds_up_no_other_fetch(server, case, survivor, monkeypatch, tmp_path):
    """Two checks at a time; the first link is an image whose decoding does not finish
    until every other link has been fetched. Decoded on the event loop (as before issue
    19), it would hold up those fetches, and so itself, until the wait ran out; decoded in
    a decoding process (monitoring/decode_pool.py), the loop fetches the others meanwhile."""
    from monitoring import decode_pool, recheck_batch
    from tests.monitoring.slow_hashing import hash_when_released

    reference_register(case=case, data=HER_IMAGE, acting_user=survivor)
    slow = sighting_log(case=case, url=server + "/image", acting_user=survivor)
    others = [  # logged after it, so checked after it (sightings come oldest first)
        sighting_log(case=case, url=f"{server}/missing?n={n}", acting_user=survivor)
        for n in range(6)
    ]
    fetched, release, ran_in = [], tmp_path / "release", tmp_path / "ran-in"
    real_fetch = fetcher_async.fetch

    async def counting_fetch(session, url, **kwargs):
        result = await real_fetch(session, url, **kwargs)
        fetched.append(url)
        if len(fetched) == 1 + len(others):
            release.touch()
        return result

    monkeypatch.setattr(fetcher_async, "fetch", counting_fetch)
    monkeypatch.setattr(
        recheck_batch,
        "hash_in_pool",
        functools.partial(hash_when_released, str(release), str(ran_in)),
    )
    outcomes = recheck_many([slow.pk, *(s.pk for s in others)], concurrency=2)
    assert outcomes == {Outcome.LIVE: 1, Outcome.REMOVED: 6}
    assert int(ran_in.read_text()) in decode_pool.shared_pool().child_pids()


def test_bytes_hashed_once_are_not_decoded_again(server, case, survivor, pillow_decodes):
    """Her picture served at two links (one of them a page with it): it is decoded once (in
    a decoding process, so not here), its hashes then kept by the bytes' SHA-256; a check
    in this process finds them there too, with the same verdict."""
    from monitoring import recheck

    reference_register(case=case, data=HER_IMAGE, acting_user=survivor)
    image, page = (
        sighting_log(case=case, url=server + path, acting_user=survivor)
        for path in ("/image", "/page-with-her-image")
    )
    assert recheck_many([image.pk, page.pk], concurrency=2) == {Outcome.LIVE: 2}
    # Decoded: her picture and the page's other picture; her picture found kept once.
    assert (recheck.HASH_CACHE.decoded, recheck.HASH_CACHE.hits) == (2, 1)
    assert image.checks.get().distance == page.checks.get().distance == 0
    decoded_here = len(pillow_decodes)
    check = sighting_recheck(sighting=Sighting.objects.select_related("case").get(pk=image.pk))
    assert check.outcome == Outcome.LIVE and check.distance == 0
    assert len(pillow_decodes) == decoded_here and recheck.HASH_CACHE.hits == 2


def test_one_picture_at_links_of_two_cases_is_judged_against_each_cases_references(
    server, survivor
):
    """The same bytes for a case whose reference they match (the dHash is needed) and one
    whose reference they do not (the pHash alone decides): the hashes kept for one serve
    the other only where they suffice."""
    links = []
    for name, reference in (("Hers", HER_IMAGE), ("Another", OTHER_IMAGE)):
        case = case_open(survivor=survivor, pseudonym=name, acting_user=survivor)
        reference_register(case=case, data=reference, acting_user=survivor)
        links.append(sighting_log(case=case, url=server + "/image", acting_user=survivor))
    outcomes = recheck_many([s.pk for s in links], concurrency=2)
    assert outcomes == {Outcome.LIVE: 1, Outcome.SOFT_REMOVED: 1}
    assert links[0].checks.get().outcome == Outcome.LIVE


def test_a_batch_refuses_a_private_address(server, case, survivor, settings):
    sighting = sighting_log(case=case, url=server + "/image", acting_user=survivor)
    settings.FETCH_ALLOW_NETWORKS = []
    assert recheck_many([sighting.pk]) == {Outcome.BLOCKED: 1}
    assert sighting.checks.get().http_status is None

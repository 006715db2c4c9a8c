"""The concurrent recheck path: the same outcomes and rows as one sighting at a time, and
the same refusals as the guarded fetcher (local servers on 127.0.0.1 only)."""

import asyncio
import concurrent.futures
import ipaddress
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cases.models import CaseEvent
from cases.services import case_open
from evidence.models import Sighting
from evidence.services import reference_register, sighting_log
from monitoring import fetcher, fetcher_async
from monitoring.models import Outcome, UrlCheck
from monitoring.recheck_batch import recheck_many
from monitoring.services import sighting_recheck
from monitoring.tasks import recheck_sightings
from tests.monitoring.conftest import HER_IMAGE

LOCAL = [ipaddress.ip_network("127.0.0.1/32")]
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


@pytest.fixture(autouse=True)
def allow_local(settings):
    settings.FETCH_ALLOW_NETWORKS = LOCAL


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


def test_a_batch_takes_a_bounded_number_of_queries(
    server, case, survivor, monkeypatch, django_assert_max_num_queries
):
    """Two reads, then a fixed handful of queries per written batch (one at a time it is
    about six a sighting). How many results a batch holds depends on when they arrive."""
    from monitoring import recheck_batch

    links = [
        sighting_log(case=case, url=f"{server}/missing?n={n}", acting_user=survivor)
        for n in range(40)
    ]
    batches = []
    write = recheck_batch.sighting_checks_record

    def counted(*, checks):
        batches.append(len(checks))
        return write(checks=checks)

    monkeypatch.setattr(recheck_batch, "sighting_checks_record", counted)
    with django_assert_max_num_queries(2 + 9 * 40) as captured:
        outcomes = recheck_many([s.pk for s in links], write_batch=200)
    assert outcomes == {Outcome.REMOVED: 40}
    assert sum(batches) == 40
    # savepoint, cases and sightings read again under lock, UrlCheck rows, sighting updates,
    # events, case activity, waiting requests, release: nine a batch however many it holds
    assert len(captured.captured_queries) <= 2 + 9 * len(batches)


def test_the_task_takes_a_list_of_ids_and_can_run_twice(server, case, survivor):
    sighting = sighting_log(case=case, url=server + "/gone", acting_user=survivor)
    assert recheck_sightings.apply(args=[[str(sighting.pk)]]).get() == {"removed": 1}
    assert recheck_sightings.apply(args=[[str(sighting.pk)]]).get() == {"removed": 1}
    assert UrlCheck.objects.filter(sighting=sighting).count() == 2
    assert recheck_sightings.acks_late and recheck_sightings.reject_on_worker_lost


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


def test_a_slow_decode_holds_up_no_other_fetch(server, case, survivor, monkeypatch):
    """Two checks at a time; the first link is an image whose decoding does not finish
    until every other link has been fetched. Decoded on the event loop (as before), it
    would hold up those fetches, and so itself, until the wait ran out; decoded in the
    decoding threads, the loop fetches the others meanwhile."""
    from monitoring import recheck

    reference_register(case=case, data=HER_IMAGE, acting_user=survivor)
    slow = sighting_log(case=case, url=server + "/image", acting_user=survivor)
    others = [  # logged after it, so checked after it (sightings come oldest first)
        sighting_log(case=case, url=f"{server}/missing?n={n}", acting_user=survivor)
        for n in range(6)
    ]
    fetched, all_fetched, decoded_in = [], threading.Event(), []
    real_fetch, real_open = fetcher_async.fetch, recheck.open_for_hashing

    async def counting_fetch(session, url, **kwargs):
        result = await real_fetch(session, url, **kwargs)
        fetched.append(url)
        if len(fetched) == 1 + len(others):
            all_fetched.set()
        return result

    def slow_open(data):
        decoded_in.append(threading.current_thread().name)
        assert all_fetched.wait(timeout=10), "the other fetches waited for this decode"
        return real_open(data)

    monkeypatch.setattr(fetcher_async, "fetch", counting_fetch)
    monkeypatch.setattr(recheck, "open_for_hashing", slow_open)
    outcomes = recheck_many([slow.pk, *(s.pk for s in others)], concurrency=2)
    assert outcomes == {Outcome.LIVE: 1, Outcome.REMOVED: 6}
    assert len(decoded_in) == 1 and decoded_in[0].startswith("recheck-decode")


# --- the concurrent fetcher keeps every rule of the blocking one ---------------------------


class _Redirector(BaseHTTPRequestHandler):
    """Sends every request on to the address in its query, and counts requests."""

    hits = 0

    def do_GET(self):
        type(self).hits += 1
        self.send_response(302)
        self.send_header("Location", self.path.split("?to=", 1)[1])
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def redirector():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Redirector.hits = 0
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def run_async(coroutine):
    """asyncio.run in a thread of its own: Playwright's sync API (browser tests earlier in the
    session) leaves an event loop running in the main thread, where asyncio.run refuses."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _fetch(url, **kwargs):
    async def run():
        async with fetcher_async.new_session() as session:
            return await fetcher_async.fetch(session, url, **kwargs)

    return run_async(run())


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/",
        "http://127.0.0.1/",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://192.168.1.1:8080/",
        "http://user:pw@example.com/",
        "file:///etc/passwd",
        "ftp://example.com/",
    ],
)
def test_it_refuses_what_the_blocking_fetcher_refuses(url, settings):
    settings.FETCH_ALLOW_NETWORKS = []
    with pytest.raises((fetcher.BlockedAddress, fetcher.UnsupportedScheme)) as blocked:
        fetcher.fetch(url)
    with pytest.raises(type(blocked.value)):
        _fetch(url)


def test_the_local_server_is_refused_without_the_test_allowance(server, settings):
    settings.FETCH_ALLOW_NETWORKS = []
    with pytest.raises(fetcher.BlockedAddress):
        _fetch(server + "/image")


def test_a_batch_refuses_a_private_address(server, case, survivor, settings):
    sighting = sighting_log(case=case, url=server + "/image", acting_user=survivor)
    settings.FETCH_ALLOW_NETWORKS = []
    assert recheck_many([sighting.pk]) == {Outcome.BLOCKED: 1}
    assert sighting.checks.get().http_status is None


@pytest.mark.parametrize(
    "target",
    ["http://192.168.0.1/x", "http://169.254.169.254/", "http://[fe80::1]/", "gopher://x/"],
)
def test_every_redirect_hop_is_checked_again(redirector, target):
    with pytest.raises((fetcher.BlockedAddress, fetcher.UnsupportedScheme)):
        _fetch(f"{redirector}/?to={target}")
    assert _Redirector.hits == 1


def test_a_name_is_looked_up_once_and_connected_to_as_vetted(server, settings, monkeypatch):
    settings.FETCH_ALLOW_NETWORKS = [*LOCAL, ipaddress.ip_network("::1/128")]
    lookups = []
    real = socket.getaddrinfo

    def counting(host, *args, **kwargs):
        lookups.append(host)
        return [info for info in real(host, *args, **kwargs) if info[0] == socket.AF_INET]

    monkeypatch.setattr(socket, "getaddrinfo", counting)
    port = server.rsplit(":", 1)[1]
    result = _fetch(f"http://localhost:{port}/image")
    assert (result.status, result.body) == (200, HER_IMAGE)
    assert lookups == ["localhost"]  # ours; aiohttp never looked the name up itself


def test_the_pinned_resolver_knows_no_name_it_was_not_given():
    async def ask():
        async with fetcher_async.new_session() as session:
            return await session.resolver.resolve("example.com", 80)

    with pytest.raises(fetcher.BlockedAddress):
        run_async(ask())


def test_size_and_time_caps(server):
    with pytest.raises(fetcher.BodyTooLarge):
        _fetch(server + "/endless", max_bytes=1024 * 1024)
    with pytest.raises(fetcher.BodyTooLarge):
        _fetch(server + "/image", max_bytes=1000)  # declared Content-Length over the cap
    with pytest.raises(fetcher.FetchTimeout):
        _fetch(server + "/trickle", total_timeout=0.5)
    with pytest.raises(fetcher.FetchTimeout):
        _fetch(server + "/trickle", read_timeout=0.05)
    with pytest.raises(fetcher.TooManyRedirects):
        _fetch(server + "/hop3", max_redirects=2)
    with pytest.raises(fetcher.ConnectFailure):
        _fetch("http://127.0.0.1:1/")


def test_it_answers_like_the_blocking_fetcher(server):
    for path in ("/image", "/missing", "/hop3", "/page-with-her-image"):
        blocking, concurrent = fetcher.fetch(server + path), _fetch(server + path)
        assert (concurrent.status, concurrent.content_type, concurrent.body) == (
            blocking.status,
            blocking.content_type,
            blocking.body,
        )
        assert (concurrent.final_url, concurrent.redirects) == (
            blocking.final_url,
            blocking.redirects,
        )

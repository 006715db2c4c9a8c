"""The concurrent fetcher (monitoring.fetcher_async) keeps every rule of the blocking one
(local servers on 127.0.0.1 only)."""

import asyncio
import concurrent.futures
import ipaddress
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from monitoring import fetcher, fetcher_async
from tests.monitoring.conftest import HER_IMAGE

LOCAL = [ipaddress.ip_network("127.0.0.1/32")]
pytestmark = pytest.mark.usefixtures("allow_local")


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


def _serving(handler):
    """A server on 127.0.0.1 in a thread of its own, answering with `handler`."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@pytest.fixture
def redirector():
    _Redirector.hits = 0
    httpd = _serving(_Redirector)
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


def test_a_limit_it_does_not_know_is_refused():
    with pytest.raises(TypeError):
        _fetch("https://photos.example/image", max_byte=1000)


def test_the_result_says_which_addresses_the_site_had(server, settings):
    settings.FETCH_ALLOW_NETWORKS = LOCAL
    assert _fetch(f"{server}/image").addresses == ("127.0.0.1",)


# --- connections kept open (keep-alive) ----------------------------------------------------


class _KeepAlive(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive; counts the connections opened to it and the requests."""

    protocol_version = "HTTP/1.1"
    connections = 0
    requests = 0

    def setup(self):
        type(self).connections += 1
        super().setup()

    def do_GET(self):
        type(self).requests += 1
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(HER_IMAGE)))
        self.end_headers()
        self.wfile.write(HER_IMAGE)

    def log_message(self, *args):
        pass


@pytest.fixture
def keep_alive():
    _KeepAlive.connections = _KeepAlive.requests = 0
    httpd = _serving(_KeepAlive)
    yield httpd.server_address[1]
    httpd.shutdown()


def _fetch_in_turn(urls, between=None):
    """Each URL fetched after the one before, in one session; between() runs before the
    second. Returns each result or the FetchError it raised."""

    async def run():
        answers = []
        async with fetcher_async.new_session() as session:
            for n, url in enumerate(urls):
                if n == 1 and between:
                    between()
                try:
                    answers.append(await fetcher_async.fetch(session, url))
                except fetcher.FetchError as error:
                    answers.append(error)
        return answers

    return run_async(run())


def test_a_site_asked_again_answers_on_the_connection_already_open(keep_alive, settings):
    """A batch's rechecks of one site reuse its connection (no new connection, and no new TLS
    handshake on https, per link): the connection was opened to an address vetted for it."""
    settings.FETCH_ALLOW_NETWORKS = LOCAL
    urls = [f"http://localhost:{keep_alive}/s/{n}" for n in range(3)]
    answers = _fetch_in_turn(urls)
    assert [(a.status, a.body) for a in answers] == [(200, HER_IMAGE)] * 3
    assert (_KeepAlive.connections, _KeepAlive.requests) == (1, 3)


def test_an_open_connection_does_not_get_round_the_rules(keep_alive, settings):
    """Every fetch vets the site's addresses again before anything is sent: once they break
    the rules, the connection still open to it is not used."""
    settings.FETCH_ALLOW_NETWORKS = LOCAL
    urls = [f"http://localhost:{keep_alive}/s/1", f"http://localhost:{keep_alive}/s/2"]

    def rules_tightened():
        # Another network allowed, so the port passes and the address itself is refused.
        settings.FETCH_ALLOW_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]

    first, second = _fetch_in_turn(urls, between=rules_tightened)
    assert first.status == 200
    assert isinstance(second, fetcher.BlockedAddress)
    assert _KeepAlive.requests == 1

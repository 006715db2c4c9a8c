"""monitoring.fetcher: refusals with the default setting, then real fetches from a local server.

No database. The local server runs on 127.0.0.1, which only the tests that need it allow
(settings.FETCH_ALLOW_NETWORKS); the refusals run with the default, empty setting.
"""

import contextlib
import ipaddress
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from evidence.demo_images import make_image
from monitoring import fetcher
from monitoring.fetcher import (
    BadResponse,
    BlockedAddress,
    BodyTooLarge,
    ConnectFailure,
    FetchError,
    FetchTimeout,
    TlsFailure,
    TooManyRedirects,
    UnsupportedScheme,
    fetch,
)

IMAGE = make_image(seed=7, size=(64, 48))
PAGE = b"<!doctype html><title>Photos</title><p>Gallery</p>"
LOGIN = (
    b"<!doctype html><title>Sign in</title><form method=post>"
    b"<input name=user><input type=password name=pw></form>"
)
STOP = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, body=b"", content_type="text/html; charset=utf-8", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def _redirect(self, location, status=302):
        self._send(status, headers=[("Location", location)])

    def do_GET(self):
        self.server.seen.append((self.path, dict(self.headers)))
        path, _, query = self.path.partition("?")
        if path == "/image":
            self._send(200, IMAGE, "image/jpeg")
        elif path == "/page":
            self._send(200, PAGE)
        elif path == "/login":
            self._send(200, LOGIN)
        elif path in ("/missing", "/gone", "/forbidden"):
            self._send({"/missing": 404, "/gone": 410, "/forbidden": 403}[path], b"no")
        elif path == "/slow":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.end_headers()
            self.close_connection = True
            try:
                while not STOP.is_set():
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.5)
            except OSError:
                pass
        elif path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.close_connection = True
            chunk = b"%x\r\n%s\r\n" % (4096, b"y" * 4096)
            try:
                while not STOP.is_set():
                    self.wfile.write(chunk)
            except OSError:
                pass
        elif path == "/lying-length":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", "10")
            self.end_headers()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.wfile.write(b"z" * 1_000_000)
        elif path == "/too-big":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", "50000000")
            self.end_headers()
            self.close_connection = True
            self.server.too_big_started.set()
            try:
                for _ in range(10):  # a little, then give up: the client must not wait
                    self.wfile.write(b"w" * 65536)
            except OSError:
                pass
        elif path.startswith("/redirect-chain"):
            hops = int(query or "0")
            self._redirect(f"/redirect-chain?{hops + 1}" if hops < 3 else "/image", 301)
        elif path == "/redirect-loop":
            self._redirect("/redirect-loop", 307)
        elif path == "/redirect-to-forbidden":
            self._redirect(query)
        elif path == "/busy":  # an RDAP registry's rate limit
            self._send(429, b"{}", "application/rdap+json", headers=[("Retry-After", "120")])
        else:
            self._send(404, b"unknown")


@pytest.fixture
def server():
    STOP.clear()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.seen = []
    httpd.too_big_started = threading.Event()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield httpd
    STOP.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def local(settings, server):
    """The local server, with 127.0.0.1 allowed; returns its base URL."""
    settings.FETCH_ALLOW_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    return f"http://127.0.0.1:{server.server_address[1]}"


class _Canary:
    """A TCP listener on 127.0.0.1 that tells whether anything connected to it."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]

    def connected(self) -> bool:
        try:
            conn, _ = self.sock.accept()
        except BlockingIOError:
            return False
        conn.close()
        return True


@pytest.fixture
def canary():
    trap = _Canary()
    yield trap
    trap.sock.close()


@pytest.fixture
def connections(monkeypatch):
    """Every address fetcher opens a socket to, in order."""
    opened = []
    real = fetcher._open_socket

    def watching(family, sockaddr, timeout):
        opened.append(sockaddr)
        return real(family, sockaddr, timeout)

    monkeypatch.setattr(fetcher, "_open_socket", watching)
    return opened


# --- Refusals with the default (empty) setting ---------------------------------------------

HOSTILE = [
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://0x7f000001/",
    "http://0x7f.0.0.1/",
    "http://127.1/",
    "http://127.0.1/",
    "http://0.0.0.0/",
    "http://0/",
    "http://[::]/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::127.0.0.1]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:7f00:1::]/",
    "http://[2002:a00:1::]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[ff02::1]/",
    "http://[2001:db8::1]/",
    "http://100.64.0.1/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://192.0.2.1/",
    "http://198.18.0.1/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://localhost/",
    "HTTP://LOCALHOST./",
    "https://127.0.0.1/",
]

# Refused before any DNS lookup or connection.
REFUSED_EARLY = [
    ("http://user:pass@example.com/", BlockedAddress),
    ("http://example.com@127.0.0.1/", BlockedAddress),
    ("http://@example.com/", BlockedAddress),
    ("gopher://127.0.0.1/", UnsupportedScheme),
    ("file:///etc/passwd", UnsupportedScheme),
    ("ftp://example.com/", UnsupportedScheme),
    ("javascript:alert(1)", UnsupportedScheme),
    ("//example.com/", UnsupportedScheme),
    ("http://127.0.0.1:6379/", BlockedAddress),
    ("https://example.com:6379/", BlockedAddress),
    ("http://example.com:22/", BlockedAddress),
    ("http://example.com:99999/", BlockedAddress),
    ("http:///nohost", BlockedAddress),
    ("http://exa mple.com/", BlockedAddress),
    ("http://example.com\\@127.0.0.1/", BlockedAddress),
    ("http://[fe80::1%25eth0]/", BlockedAddress),
]


@pytest.fixture
def no_sockets(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"no connection may be opened: {args}")

    monkeypatch.setattr(fetcher, "_open_socket", refuse)


@pytest.fixture
def no_dns(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"no DNS lookup may happen: {args}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_default_setting_is_empty(settings):
    assert settings.FETCH_ALLOW_NETWORKS == []
    assert len(HOSTILE) + len(REFUSED_EARLY) >= 25


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_addresses_are_blocked_without_connecting(url, no_sockets):
    with pytest.raises(BlockedAddress) as info:
        fetch(url)
    assert info.value.plain
    assert "://" not in info.value.plain


@pytest.mark.parametrize(("url", "error"), REFUSED_EARLY)
def test_refused_before_lookup_or_connection(url, error, no_sockets, no_dns):
    with pytest.raises(error) as info:
        fetch(url)
    assert isinstance(info.value, FetchError)
    assert "://" not in info.value.plain


def test_numeric_forms_and_localhost_are_refused_even_if_resolver_answers(monkeypatch, no_sockets):
    # Whatever the resolver says, one bad address among several is enough to refuse.
    def resolver(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with pytest.raises(BlockedAddress):
        fetch("http://rebinding.example/")


def test_canary_sees_no_connection(canary):
    for url in (f"http://127.0.0.1:{canary.port}/", f"http://localhost:{canary.port}/"):
        with pytest.raises(BlockedAddress):
            fetch(url)
    time.sleep(0.05)
    assert not canary.connected()


def test_canary_sees_no_connection_with_standard_port_rules(settings, canary):
    # Even with another network allowed, 127.0.0.1 on a non-standard port stays refused.
    settings.FETCH_ALLOW_NETWORKS = [ipaddress.ip_network("10.9.9.0/24")]
    with pytest.raises(BlockedAddress):
        fetch(f"http://127.0.0.1:{canary.port}/")
    with pytest.raises(BlockedAddress):
        fetch(f"http://localhost:{canary.port}/")
    assert not canary.connected()


# --- Fetches from the local server (127.0.0.1 allowed) --------------------------------------


def test_image(local, server, connections):
    result = fetch(f"{local}/image")
    assert result.status == 200
    assert result.content_type == "image/jpeg"
    assert result.body == IMAGE
    assert result.url == result.final_url == f"{local}/image"
    assert result.redirects == []
    assert result.elapsed_ms > 0
    assert connections == [("127.0.0.1", server.server_address[1])]
    path, headers = server.seen[0]
    assert path == "/image"
    assert headers["Host"] == f"127.0.0.1:{server.server_address[1]}"
    assert headers["Accept"].startswith("image/*")


def test_page_and_login(local):
    page = fetch(f"{local}/page")
    assert (page.status, page.body) == (200, PAGE)
    assert page.content_type.startswith("text/html")
    login = fetch(f"{local}/login")
    assert login.status == 200
    assert b"type=password" in login.body


@pytest.mark.parametrize(
    ("path", "status"), [("/missing", 404), ("/gone", 410), ("/forbidden", 403)]
)
def test_error_statuses_are_results(local, path, status):
    result = fetch(local + path)
    assert result.status == status
    assert result.final_url == local + path


def test_slow_server_is_cut_at_total_deadline(local):
    started = time.monotonic()
    with pytest.raises(FetchTimeout) as info:
        fetch(f"{local}/slow", total_timeout=2.0, read_timeout=1.0)
    elapsed = time.monotonic() - started
    assert 1.9 <= elapsed < 3.0
    assert info.value.plain == "The site took too long to answer."


def test_endless_chunked_body_is_cut_at_cap(local):
    with pytest.raises(BodyTooLarge):
        fetch(f"{local}/endless", max_bytes=100_000, total_timeout=5.0)


def test_lying_content_length_reads_no_more_than_cap(local):
    result = fetch(f"{local}/lying-length", max_bytes=1000)
    assert result.status == 200
    assert len(result.body) <= 1000
    assert result.body == b"z" * 10


def test_declared_too_big_is_refused_before_reading(local, server, monkeypatch):
    reads = []
    real_read1 = fetcher.http.client.HTTPResponse.read1

    def counting(self, n=-1):
        reads.append(n)
        return real_read1(self, n)

    monkeypatch.setattr(fetcher.http.client.HTTPResponse, "read1", counting)
    started = time.monotonic()
    with pytest.raises(BodyTooLarge):
        fetch(f"{local}/too-big", max_bytes=1_000_000)
    assert reads == []
    assert time.monotonic() - started < 1.0


def test_redirect_chain(local):
    result = fetch(f"{local}/redirect-chain")
    assert result.status == 200
    assert result.body == IMAGE
    assert result.url == f"{local}/redirect-chain"
    assert result.final_url == f"{local}/image"
    assert result.redirects == [
        f"{local}/redirect-chain?1",
        f"{local}/redirect-chain?2",
        f"{local}/redirect-chain?3",
        f"{local}/image",
    ]


def test_redirect_loop(local, server):
    with pytest.raises(TooManyRedirects):
        fetch(f"{local}/redirect-loop", max_redirects=5)
    assert len(server.seen) == 6
    with pytest.raises(TooManyRedirects):
        fetch(f"{local}/redirect-chain", max_redirects=3)


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://0x0a000001/",
        "gopher://127.0.0.1:70/",
    ],
)
def test_redirect_to_forbidden_is_checked_again(local, server, connections, target):
    with pytest.raises((BlockedAddress, UnsupportedScheme)):
        fetch(f"{local}/redirect-to-forbidden?{target}")
    assert connections == [("127.0.0.1", server.server_address[1])]


def test_proxies_from_environment_are_ignored(local, server, canary, monkeypatch):
    proxy = f"http://127.0.0.1:{canary.port}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    result = fetch(f"{local}/image")
    assert result.body == IMAGE
    assert server.seen[0][0] == "/image"
    assert not canary.connected()


def test_https_to_a_plain_server_is_a_tls_failure(local, server):
    with pytest.raises(TlsFailure):
        fetch(f"https://127.0.0.1:{server.server_address[1]}/image", total_timeout=3.0)


def test_closed_port_is_a_connect_failure(settings):
    settings.FETCH_ALLOW_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(ConnectFailure):
        fetch(f"http://127.0.0.1:{port}/")


def test_garbage_reply_is_a_bad_response(settings):
    settings.FETCH_ALLOW_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def answer():
        conn, _ = listener.accept()
        conn.recv(4096)
        conn.sendall(b"SSH-2.0-OpenSSH\r\n\r\n")
        conn.close()

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        with pytest.raises(BadResponse):
            fetch(f"http://127.0.0.1:{listener.getsockname()[1]}/", total_timeout=3.0)
    finally:
        thread.join(2)
        listener.close()


def test_allowed_network_is_needed_for_every_address_on_other_ports(settings, monkeypatch):
    # With an allow list, a name on a non-standard port is looked up, and every address must
    # be inside the allowed networks.
    settings.FETCH_ALLOW_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]

    def resolver(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    monkeypatch.setattr(fetcher, "_open_socket", lambda *a: pytest.fail("connected"))
    with pytest.raises(BlockedAddress):
        fetch("http://mixed.example:8080/")


@pytest.fixture
def fake_dns(monkeypatch):
    """photos.example resolves to 127.0.0.1; counts the lookups."""
    lookups = []

    def resolver(host, port, *args, **kwargs):
        lookups.append(host)
        if host != "photos.example":
            raise socket.gaierror(socket.EAI_NONAME, "unknown")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    return lookups


def test_name_is_resolved_once_and_sent_as_host(local, server, fake_dns, connections):
    port = server.server_address[1]
    result = fetch(f"http://photos.example:{port}/redirect-chain")
    assert result.body == IMAGE
    assert result.final_url == f"http://photos.example:{port}/image"
    # One lookup per hop (each hop is checked from scratch), never a second one per hop.
    assert fake_dns == ["photos.example"] * 5
    assert connections == [("127.0.0.1", port)] * 5
    assert {headers["Host"] for _, headers in server.seen} == {f"photos.example:{port}"}


def test_unknown_name_is_a_dns_failure(fake_dns, no_sockets):
    with pytest.raises(fetcher.DnsFailure) as info:
        fetch("https://nowhere.example/")
    assert info.value.plain == "The site's name could not be found."


def test_tls_is_verified_against_the_host_name(local, server, fake_dns, monkeypatch):
    seen = []
    real_wrap = fetcher.ssl.SSLContext.wrap_socket

    def recording(self, sock, *args, server_hostname=None, **kwargs):
        seen.append((server_hostname, self.verify_mode, self.check_hostname))
        return real_wrap(self, sock, *args, server_hostname=server_hostname, **kwargs)

    monkeypatch.setattr(fetcher.ssl.SSLContext, "wrap_socket", recording)
    with pytest.raises(TlsFailure):
        fetch(f"https://photos.example:{server.server_address[1]}/image", total_timeout=3.0)
    assert seen == [("photos.example", fetcher.ssl.CERT_REQUIRED, True)]
    assert fake_dns == ["photos.example"]


def test_other_modules_use_only_the_fetchers_public_names():
    """What monitoring.fetcher_async and the recheck code need of the fetcher's rules is
    public and documented; a private name (_...) is the fetcher's own, free to change."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    private_use = re.compile(r"fetcher\._\w|from monitoring\.fetcher import[^\n]*\b_\w")
    ours = [
        folder
        for folder in root.iterdir()
        if folder.is_dir() and not folder.name.startswith(".") and folder.name != "tests"
    ]
    offenders = [
        str(path.relative_to(root))
        for folder in ours
        for path in folder.rglob("*.py")
        if path.name != "fetcher.py" and private_use.search(path.read_text())
    ]
    assert offenders == []


def test_a_limit_it_does_not_know_is_refused_before_anything_is_opened(no_sockets):
    # FetchLimits holds the limits of both fetchers: a misspelt one is an error, not ignored.
    with pytest.raises(TypeError):
        fetcher.fetch("https://photos.example/image", max_byte=1000)


def test_the_limits_both_fetchers_start_from():
    assert fetcher.FetchLimits() == fetcher.FetchLimits(
        max_bytes=10 * 1024 * 1024,
        connect_timeout=5.0,
        read_timeout=10.0,
        total_timeout=20.0,
        max_redirects=5,
        accept="image/*,text/html;q=0.9,*/*;q=0.5",
    )


def test_the_result_says_which_addresses_the_site_had_and_when_to_ask_again(local):
    page = fetch(f"{local}/page")
    assert page.addresses == ("127.0.0.1",)  # what a recheck tells hosting (a move)
    busy = fetch(f"{local}/busy")
    assert (busy.status, busy.retry_after) == (429, "120")

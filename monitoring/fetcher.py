"""Fetch a URL that a person reported, without letting it reach anything internal.

One guarded entry point, `fetch()`. The rules (docs: DESIGN.md, "Fetching URLs safely"):

* only http and https, no user:password@ in the address, ports 80 and 443 only;
* the host is resolved once and refused when any of its addresses is not a public unicast
  address (private, loopback, link-local, multicast, reserved, unspecified, CGNAT,
  documentation, and IPv6 forms that embed such an IPv4 address);
* the connection goes to the vetted address itself, never to the name again (no second DNS
  lookup); https is verified against the original host name;
* every redirect hop is checked again from scratch;
* the body is capped, and so is time: connect, each read, and the whole fetch.

Proxies from the environment (HTTP_PROXY, HTTPS_PROXY, ...) are ignored on purpose: this
module opens its own sockets and uses http.client, which never reads them. A proxy would
resolve the name itself and defeat the address check.

`settings.FETCH_ALLOW_NETWORKS` (empty in production) lets tests and local demos reach
127.0.0.1: an address inside one of those networks is allowed on any port.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import math
import re
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlsplit

from leakcase.public_addresses import IPAddress, allowed_networks, is_allowed_explicitly, is_public

__all__ = [
    "BadResponse",
    "BlockedAddress",
    "BodyTooLarge",
    "ConnectFailure",
    "DnsFailure",
    "FetchError",
    "FetchLimits",
    "FetchResult",
    "FetchTimeout",
    "Target",
    "TlsFailure",
    "TooManyRedirects",
    "UnsupportedScheme",
    "body_add_chunk",
    "body_chunk_size",
    "build_result",
    "check_declared_length",
    "fetch",
    "next_hop",
    "parse_target",
    "request_headers",
    "resolve_target",
]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
STANDARD_PORTS = frozenset({80, 443})
USER_AGENT = "LeakCase-checker/1.0"
CHUNK = 64 * 1024


# --- Errors ------------------------------------------------------------------------------


class FetchError(Exception):
    """A fetch that did not produce a response. `plain` is for a person; it has no URL."""

    plain = "The page could not be checked."

    def __init__(self, detail: str = "", *, plain: str | None = None):
        if plain is not None:
            self.plain = plain
        super().__init__(detail or self.plain)


class BlockedAddress(FetchError):
    """Refused by our rules before any connection was made."""

    plain = "This address points somewhere we do not check, so it was not opened."


class UnsupportedScheme(FetchError):
    plain = "Only web addresses (http or https) can be checked."


class DnsFailure(FetchError):
    plain = "The site's name could not be found."


class ConnectFailure(FetchError):
    plain = "The site could not be reached."


class FetchTimeout(FetchError):
    plain = "The site took too long to answer."


class TooManyRedirects(FetchError):
    plain = "The site sent us on through too many other addresses."


class BodyTooLarge(FetchError):
    plain = "The page is too large to check."


class TlsFailure(FetchError):
    plain = "The site's secure connection could not be verified."


class BadResponse(FetchError):
    plain = "The site sent an answer that could not be read."


# --- Limits and result -------------------------------------------------------------------


@dataclass(frozen=True)
class FetchLimits:
    """What one fetch may take, the same for the blocking and the concurrent fetcher: both
    take these as keyword arguments (an unknown one is a TypeError)."""

    max_bytes: int = 10 * 1024 * 1024
    connect_timeout: float = 5.0
    read_timeout: float = 10.0  # each read
    total_timeout: float = 20.0  # the whole fetch: lookups, redirects and reads
    max_redirects: int = 5
    accept: str = "image/*,text/html;q=0.9,*/*;q=0.5"


@dataclass
class FetchResult:
    url: str
    final_url: str
    status: int
    content_type: str
    body: bytes
    elapsed_ms: int
    redirects: list[str] = field(default_factory=list)
    # The vetted addresses the first hop (the address asked for) resolved to: a recheck
    # tells hosting which addresses a site had (monitoring.services), at no extra lookup.
    addresses: tuple[str, ...] = ()
    # The answer's Retry-After header, if any: RDAP registries say when to ask again (429).
    retry_after: str = ""


# --- Address rules -----------------------------------------------------------------------
# Which addresses are public is leakcase/public_addresses.py: sightings are checked by it too.


def _check_address(ip: IPAddress, port: int, allow) -> None:
    if is_allowed_explicitly(ip, allow):
        return
    if port not in STANDARD_PORTS:
        raise BlockedAddress(f"port {port} is not allowed")
    if not is_public(ip):
        raise BlockedAddress(f"address {ip} is not public")


# --- URL parsing -------------------------------------------------------------------------

_HOST_NAME = re.compile(r"^[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_.])?$")
_NUMERIC_HOST = re.compile(r"^[0-9a-fx.]+$")
# Keep already-escaped sequences; escape spaces, control and non-ASCII characters.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


@dataclass
class Target:
    """One hop's address as parse_target read it: what to connect to and what to ask for."""

    scheme: str
    host: str  # ASCII host name or IP text, no brackets
    port: int
    request_target: str  # path?query
    literal: IPAddress | None


def parse_target(url: str, allow) -> Target:
    """Read one address under the rules (scheme, no user:password@, ports, IP literals in
    every spelling, read as the C library reads them) and refuse it with BlockedAddress or
    UnsupportedScheme before anything is looked up. `allow` is
    leakcase.public_addresses.allowed_networks(). Used for every hop, by fetch() and by
    monitoring.fetcher_async."""
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url.strip()):
        raise BlockedAddress("control characters or spaces in the address")
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:
        raise BlockedAddress(f"unreadable address: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsupportedScheme(f"scheme {scheme!r} is not allowed")
    netloc = parts.netloc
    if "@" in netloc:
        raise BlockedAddress("addresses with a user name or password are not allowed")
    if "\\" in netloc or "%" in netloc:
        raise BlockedAddress("unusual characters in the host")
    try:
        port = parts.port
    except ValueError as exc:
        raise BlockedAddress("unreadable port") from exc
    if port is None:
        port = 443 if scheme == "https" else 80
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise BlockedAddress("no host in the address")

    literal: IPAddress | None = None
    if netloc.startswith("["):
        try:
            literal = ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise BlockedAddress("unreadable IPv6 address") from exc
    else:
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError as exc:
            raise BlockedAddress("unreadable host name") from exc
        if not _HOST_NAME.match(host):
            raise BlockedAddress("unusual characters in the host")
        if _NUMERIC_HOST.match(host) and host[0].isdigit():
            # 127.1, 0177.0.0.1, 0x7f000001, 2130706433: read the way the C library reads
            # them (inet_aton), so they are checked as the address they really are.
            try:
                literal = ipaddress.IPv4Address(socket.inet_aton(host))
            except OSError:
                literal = None

    # A non-standard port can only be allowed for an explicitly allowed network: refuse it
    # before any lookup when there is none.
    if port not in STANDARD_PORTS and not allow:
        raise BlockedAddress(f"port {port} is not allowed")
    if literal is not None:
        _check_address(literal, port, allow)

    path = quote(parts.path or "/", safe=_PATH_SAFE)
    if not path.startswith("/"):
        path = "/" + path
    if parts.query:
        path += "?" + quote(parts.query, safe=_QUERY_SAFE)
    return Target(scheme, str(literal) if literal else host, port, path, literal)


def resolve_target(target: Target, allow, deadline: float) -> list[tuple[int, tuple]]:
    """Resolve once, and refuse when any address breaks the rules. Returns (family, sockaddr)
    pairs: the only addresses a connection for this hop may go to (fetch() and
    evidence.fetcher_async connect to them, never to the name)."""
    if target.literal is not None:
        if target.literal.version == 4:
            return [(socket.AF_INET, (str(target.literal), target.port))]
        return [(socket.AF_INET6, (str(target.literal), target.port, 0, 0))]
    if time.monotonic() >= deadline:
        raise FetchTimeout("deadline passed before the name lookup")
    try:
        infos = socket.getaddrinfo(
            target.host, target.port, 0, socket.SOCK_STREAM, socket.IPPROTO_TCP
        )
    except (socket.gaierror, UnicodeError) as exc:
        raise DnsFailure(f"lookup failed: {exc}") from exc
    addresses: list[tuple[int, tuple]] = []
    for family, _type, _proto, _name, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            raise BlockedAddress("unexpected address family")
        try:
            ip = ipaddress.ip_address(sockaddr[0])
        except ValueError as exc:
            raise BlockedAddress("unreadable resolved address") from exc
        _check_address(ip, target.port, allow)
        if (family, sockaddr) not in addresses:
            addresses.append((family, sockaddr))
    if not addresses:
        raise DnsFailure("the name has no addresses")
    return addresses


# --- Connections -------------------------------------------------------------------------


def _open_socket(family: int, sockaddr: tuple, timeout: float) -> socket.socket:
    """Connect a TCP socket to one vetted address (tests watch this function)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


class _DeadlineReader(io.RawIOBase):
    """Raw reader whose every recv waits at most min(read timeout, time left)."""

    def __init__(self, wrapper: _DeadlineSocket):
        self._wrapper = wrapper

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self._wrapper._arm()
        return self._wrapper._sock.recv_into(buffer)


class _DeadlineSocket:
    """Enough of a socket for http.client, enforcing the per-read and total limits."""

    def __init__(self, sock: socket.socket, read_timeout: float, deadline: float):
        self._sock = sock
        self._read_timeout = read_timeout
        self._deadline = deadline

    def _arm(self) -> None:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("total deadline passed")
        self._sock.settimeout(min(self._read_timeout, remaining))

    def sendall(self, data) -> None:
        self._arm()
        self._sock.sendall(data)

    def makefile(self, mode="rb", *args, **kwargs):
        return io.BufferedReader(_DeadlineReader(self), CHUNK)

    def close(self) -> None:
        # http.client closes the connection while the response still reads from it (a real
        # socket defers this through makefile's reference count); _one_request closes for real.
        pass

    def really_close(self) -> None:
        self._sock.close()


def _connect(target: Target, addresses, connect_timeout, read_timeout, deadline):
    """Try the vetted addresses in order (all of them passed the rules)."""
    last_error: Exception | None = None
    for family, sockaddr in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchTimeout("deadline passed while connecting")
        try:
            sock = _open_socket(family, sockaddr, min(connect_timeout, remaining))
        except OSError as exc:  # includes TimeoutError
            last_error = exc
            continue
        break
    else:
        if isinstance(last_error, TimeoutError):
            raise FetchTimeout("connect timed out") from last_error
        raise ConnectFailure(f"connect failed: {last_error}") from last_error

    if target.scheme == "https":
        context = ssl.create_default_context()
        try:
            sock.settimeout(min(connect_timeout, max(0.001, deadline - time.monotonic())))
            # Verified against the name the person gave, not the address we connected to.
            sock = context.wrap_socket(sock, server_hostname=target.host)
        except TimeoutError as exc:
            sock.close()
            raise FetchTimeout("TLS handshake timed out") from exc
        except (ssl.SSLError, ssl.CertificateError) as exc:
            sock.close()
            raise TlsFailure(f"TLS failed: {exc}") from exc
        except OSError as exc:
            sock.close()
            raise ConnectFailure(f"TLS connect failed: {exc}") from exc
    return _DeadlineSocket(sock, read_timeout, deadline)


class _VettedConnection(http.client.HTTPConnection):
    """http.client connection whose socket is already open to a vetted address.

    self.host/self.port only build the Host header; connect() never resolves anything.
    """

    def __init__(self, target: Target, sock: _DeadlineSocket):
        super().__init__(target.host, target.port)
        self.default_port = 443 if target.scheme == "https" else 80
        self.sock = sock

    def connect(self):  # pragma: no cover - the socket is always given
        raise ConnectFailure("connection must be opened to a vetted address")


# --- The fetch ---------------------------------------------------------------------------


def request_headers(accept: str, *, keep_alive: bool = False) -> dict[str, str]:
    """The headers of every request, from either fetcher. This one makes one request per
    connection and says so; the concurrent one keeps a site's connection open for the
    batch's next link there (monitoring/fetcher_async.py)."""
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": accept,
        "Accept-Encoding": "identity",  # no decompression bombs
    }
    if not keep_alive:
        headers["Connection"] = "close"
    return headers


def check_declared_length(length: str | None, max_bytes: int) -> None:
    """Refuse an answer whose Content-Length says it is over max_bytes, before reading it
    (an unreadable length is let through: the body's cap still holds)."""
    if length is None:
        return
    try:
        declared = int(length.strip())
    except ValueError:
        return
    if declared > max_bytes:
        raise BodyTooLarge(f"declared length {declared} exceeds {max_bytes}")


def body_chunk_size(body: bytearray, max_bytes: int) -> int:
    """How much to read next: a chunk, or one byte past the cap, to see it broken."""
    return min(CHUNK, max_bytes + 1 - len(body))


def body_add_chunk(body: bytearray, chunk: bytes, max_bytes: int) -> None:
    body += chunk
    if len(body) > max_bytes:
        raise BodyTooLarge(f"body exceeds {max_bytes} bytes")


def _one_request(target, addresses, limits: FetchLimits, deadline: float):
    sock = _connect(target, addresses, limits.connect_timeout, limits.read_timeout, deadline)
    conn = _VettedConnection(target, sock)
    try:
        conn.putrequest("GET", target.request_target, skip_accept_encoding=True)
        for header, value in request_headers(limits.accept).items():
            conn.putheader(header, value)
        conn.endheaders()
        response = conn.getresponse()
        status = response.status
        location = response.getheader("Location")
        content_type = response.getheader("Content-Type", "") or ""
        retry_after = response.getheader("Retry-After", "") or ""
        if status in REDIRECT_STATUSES and location:
            return status, content_type, location, b"", retry_after
        check_declared_length(response.getheader("Content-Length"), limits.max_bytes)
        body = bytearray()
        # read1 does at most one recv, so the deadline is checked between small reads;
        # http.client stops at Content-Length and decodes chunked bodies.
        while chunk := response.read1(body_chunk_size(body, limits.max_bytes)):
            body_add_chunk(body, chunk, limits.max_bytes)
        return status, content_type, None, bytes(body), retry_after
    finally:
        conn.close()
        sock.really_close()


def build_result(
    url, current, status, content_type, body, start, redirects, *, addresses=(), retry_after=""
) -> FetchResult:
    """The FetchResult of a fetch that got its answer at `current`, timed from `start`
    (time.monotonic()). One shape for the blocking and the concurrent fetcher."""
    return FetchResult(
        url=url,
        final_url=current,
        status=status,
        content_type=content_type,
        body=body,
        elapsed_ms=max(1, math.ceil((time.monotonic() - start) * 1000)),
        redirects=redirects,
        addresses=tuple(addresses),
        retry_after=retry_after,
    )


def next_hop(current: str, location: str, redirects: list[str], max_redirects: int) -> str:
    """Where a redirect leads (recorded in `redirects`); the caller vets it like any URL.
    One rule for the blocking and the concurrent fetcher."""
    if len(redirects) >= max_redirects:
        raise TooManyRedirects(f"more than {max_redirects} redirects")
    following = urljoin(current, location.strip()).split("#", 1)[0]
    redirects.append(following)
    return following


def fetch(url: str, **limits) -> FetchResult:
    """GET `url` under the rules above, within FetchLimits (its fields as keyword arguments,
    e.g. max_bytes=...). Raises a FetchError subclass when it cannot."""
    limits = FetchLimits(**limits)
    start = time.monotonic()
    deadline = start + limits.total_timeout
    allow = allowed_networks()
    redirects: list[str] = []
    current = url
    first_addresses: tuple[str, ...] | None = None
    while True:
        target = parse_target(current, allow)
        addresses = resolve_target(target, allow, deadline)
        if first_addresses is None:
            first_addresses = tuple(sockaddr[0] for _family, sockaddr in addresses)
        try:
            status, content_type, location, body, retry_after = _one_request(
                target, addresses, limits, deadline
            )
        except FetchError:
            raise
        except TimeoutError as exc:
            raise FetchTimeout(f"timed out: {exc}") from exc
        except (ssl.SSLError, ssl.CertificateError) as exc:
            raise TlsFailure(f"TLS failed: {exc}") from exc
        except http.client.HTTPException as exc:
            raise BadResponse(f"unreadable response: {exc!r}") from exc
        except OSError as exc:
            raise ConnectFailure(f"connection failed: {exc}") from exc
        if location is None:
            return build_result(
                url,
                current,
                status,
                content_type,
                body,
                start,
                redirects,
                addresses=first_addresses,
                retry_after=retry_after,
            )
        current = next_hop(current, location, redirects, limits.max_redirects)

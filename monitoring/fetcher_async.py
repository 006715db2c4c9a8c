"""The guarded fetch of monitoring/fetcher.py for many addresses at once (asyncio + aiohttp).

Same rules, same errors, same FetchResult as `fetcher.fetch`; the address rules are not
copied but called: fetcher.parse_target (scheme, user:password@, ports, IP literals in every
spelling) and fetcher.resolve_target (one lookup, every address checked). Only the socket work is
aiohttp's, set up so it cannot get around them:

* each hop's host name is resolved once, by fetcher.resolve_target (in a thread: getaddrinfo
  blocks), and refused when any address breaks the rules. aiohttp then connects through
  `_PinnedResolver`, which hands back exactly those vetted addresses and never looks a name
  up itself; its DNS cache is off, so every connection is made to an address vetted for
  the hop that opens it. A connection is kept open (keep-alive) for the session's next
  request to the same host and port: it goes to an address vetted for that host, and each
  hop is still vetted before anything is sent on it, so an address that now breaks the
  rules is refused (issue 21: a new connection per request was about a quarter of this
  process's CPU a check, 0.35 of its 1.27 ms; a batch's links often share a site). IP
  literals, which aiohttp does not resolve, were checked by fetcher.parse_target, and the
  request goes to the canonical form fetcher.parse_target made of them (never to
  "2130706433" or "0177.1");
* https is verified against the host name (aiohttp's default context, with the name as
  server_hostname);
* aiohttp follows no redirect: every hop goes through the rules again, at most
  max_redirects of them;
* proxies are ignored (trust_env=False), no cookies are kept (DummyCookieJar), nothing is
  decompressed (auto_decompress=False and Accept-Encoding: identity);
* a declared Content-Length over max_bytes is refused before reading, and the body is read
  in chunks and refused once past max_bytes; connect and each read have their timeouts, and
  the whole fetch, lookups and redirects included, is cut at total_timeout.

Why aiohttp: issue 9 measured it at about 930 requests/s here (100 in flight, a server
answering after 100 ms) where httpx's async client managed about 70/s and a 32-thread pool
around httpx about 300/s; bench/RESULTS.md has this fetcher's own figure beside plain
aiohttp's.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time

import aiohttp
from aiohttp.abc import AbstractResolver
from yarl import URL

from leakcase.public_addresses import allowed_networks
from monitoring import fetcher
from monitoring.fetcher import (
    REDIRECT_STATUSES,
    BadResponse,
    BlockedAddress,
    ConnectFailure,
    FetchError,
    FetchLimits,
    FetchResult,
    FetchTimeout,
    TlsFailure,
)

__all__ = ["GuardedSession", "fetch", "new_session"]


class _PinnedResolver(AbstractResolver):
    """aiohttp's only way to a host name: the addresses fetcher.resolve_target vetted for it."""

    def __init__(self):
        self.vetted: dict[tuple[str, int], list[tuple[int, tuple]]] = {}

    async def resolve(self, host, port=0, family=socket.AF_UNSPEC):
        addresses = self.vetted.get((host, port))
        if not addresses:
            raise BlockedAddress("a connection to an address that was not vetted")
        return [
            {
                "hostname": host,
                "host": sockaddr[0],
                "port": sockaddr[1],
                "family": address_family,
                "proto": socket.IPPROTO_TCP,
                "flags": socket.AI_NUMERICHOST,
            }
            for address_family, sockaddr in addresses
        ]

    async def close(self):
        pass


class GuardedSession:
    """An aiohttp session that can only connect to vetted addresses; use `async with`."""

    def __init__(self, *, concurrency: int = 100):
        self.resolver = _PinnedResolver()
        self.client = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                resolver=self.resolver,
                use_dns_cache=False,
                limit=concurrency,  # at most this many connections open at once
            ),
            trust_env=False,
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def __aenter__(self) -> GuardedSession:
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.client.close()


def new_session(*, concurrency: int = 100) -> GuardedSession:
    return GuardedSession(concurrency=concurrency)


async def fetch(session: GuardedSession, url: str, **limits) -> FetchResult:
    """GET `url` under fetcher.fetch's rules and limits (fetcher.FetchLimits, as keyword
    arguments). Raises the same FetchError subclasses."""
    limits = FetchLimits(**limits)
    start = time.monotonic()
    deadline = start + limits.total_timeout
    try:
        async with asyncio.timeout(limits.total_timeout):
            return await _fetch_hops(session, url, limits, start=start, deadline=deadline)
    except TimeoutError as exc:
        raise FetchTimeout(f"timed out: {exc}") from exc


async def _fetch_hops(session, url, limits: FetchLimits, *, start, deadline):
    allow = allowed_networks()
    redirects: list[str] = []
    current = url
    first_addresses: tuple[str, ...] | None = None
    while True:
        target = fetcher.parse_target(current, allow)
        if target.literal is None:
            addresses = await asyncio.get_running_loop().run_in_executor(
                None, fetcher.resolve_target, target, allow, deadline
            )
            session.resolver.vetted[(target.host, target.port)] = addresses
            hop_addresses = tuple(sockaddr[0] for _family, sockaddr in addresses)
        else:
            hop_addresses = (str(target.literal),)
        if first_addresses is None:
            first_addresses = hop_addresses
        status, content_type, location, body = await _one_request(session, target, limits)
        if location is None:
            return fetcher.build_result(
                url,
                current,
                status,
                content_type,
                body,
                start,
                redirects,
                addresses=first_addresses,
            )
        current = fetcher.next_hop(current, location, redirects, limits.max_redirects)


def _request_url(target) -> URL:
    host = f"[{target.host}]" if ":" in target.host else target.host
    # request_target is already percent-encoded by fetcher.parse_target: sent as it is.
    return URL(f"{target.scheme}://{host}:{target.port}{target.request_target}", encoded=True)


async def _one_request(session, target, limits: FetchLimits):
    timeout = aiohttp.ClientTimeout(
        total=None, sock_connect=limits.connect_timeout, sock_read=limits.read_timeout
    )
    try:
        async with session.client.get(
            _request_url(target),
            headers=fetcher.request_headers(limits.accept, keep_alive=True),
            allow_redirects=False,
            timeout=timeout,
        ) as response:
            status = response.status
            location = response.headers.get("Location")
            content_type = response.headers.get("Content-Type", "") or ""
            if status in REDIRECT_STATUSES and location:
                return status, content_type, location, b""
            fetcher.check_declared_length(response.headers.get("Content-Length"), limits.max_bytes)
            body = bytearray()
            while chunk := await response.content.read(
                fetcher.body_chunk_size(body, limits.max_bytes)
            ):
                fetcher.body_add_chunk(body, chunk, limits.max_bytes)
            return status, content_type, None, bytes(body)
    except FetchError:
        raise
    except (aiohttp.ClientSSLError, ssl.SSLError, ssl.CertificateError) as exc:
        raise TlsFailure(f"TLS failed: {exc}") from exc
    except TimeoutError as exc:  # aiohttp's connect and read timeouts are TimeoutErrors
        raise FetchTimeout(f"timed out: {exc}") from exc
    except aiohttp.ClientConnectorError as exc:
        raise ConnectFailure(f"connect failed: {exc}") from exc
    except (
        aiohttp.ClientResponseError,
        aiohttp.ClientPayloadError,
        aiohttp.ServerDisconnectedError,
    ) as exc:
        raise BadResponse(f"unreadable response: {exc!r}") from exc
    except aiohttp.InvalidURL as exc:
        raise BlockedAddress(f"unreadable address: {exc}") from exc
    except (aiohttp.ClientError, OSError) as exc:
        raise ConnectFailure(f"connection failed: {exc}") from exc

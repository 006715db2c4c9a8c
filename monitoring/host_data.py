"""Refreshing the data the host lookups read: IANA's RDAP bootstrap files
(monitoring/data/rdap_bootstrap.json) and the CDNs' published address ranges
(hosting/cdn_ranges.json). Run by hand or from a deploy (manage.py rdap_bootstrap_refresh,
manage.py cdn_ranges_refresh), never by the tests against the internet: every download goes
through the guarded fetcher, and the tests serve the files from 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
from pathlib import Path

from hosting.cdn import CDN_RANGES_FILE
from monitoring import fetcher
from monitoring.host_lookup import BOOTSTRAP_FILE

IANA = {
    "dns": "https://data.iana.org/rdap/dns.json",
    "ipv4": "https://data.iana.org/rdap/ipv4.json",
    "ipv6": "https://data.iana.org/rdap/ipv6.json",
}
# Where each provider publishes its ranges, and how to read them. Akamai publishes none: its
# list stays as it is (hosting/cdn_ranges.json says where it came from).
CDN_SOURCES = {
    "Cloudflare": ["https://www.cloudflare.com/ips-v4", "https://www.cloudflare.com/ips-v6"],
    "Fastly": ["https://api.fastly.com/public-ip-list"],
    "Amazon CloudFront": ["https://ip-ranges.amazonaws.com/ip-ranges.json"],
    "Google": ["https://www.gstatic.com/ipranges/goog.json"],
}
MAX_BYTES = 8 * 1024 * 1024  # AWS's list is the largest, about 2 MB


class DataError(Exception):
    pass


def _get(url: str) -> bytes:
    try:
        result = fetcher.fetch(url, accept="application/json, text/plain", max_bytes=MAX_BYTES)
    except fetcher.FetchError as error:
        raise DataError(f"{url}: {error}") from error
    if result.status != 200:
        raise DataError(f"{url}: answered {result.status}")
    return result.body


def _json(url: str) -> dict:
    try:
        return json.loads(_get(url))
    except ValueError as error:
        raise DataError(f"{url}: not JSON") from error


def rdap_bootstrap_refresh(
    *, urls: dict[str, str] = IANA, path: Path = BOOTSTRAP_FILE, today: dt.date | None = None
) -> dict:
    """Replace the bootstrap data with IANA's current files; nothing is written unless all
    three read as bootstrap files."""
    files = {}
    for kind, url in urls.items():
        data = _json(url)
        if not isinstance(data.get("services"), list) or not data["services"]:
            raise DataError(f"{url}: no services in it")
        files[kind] = data
    out = {
        "about": (
            "The IANA RDAP bootstrap registry (RFC 9224): which RDAP server answers for a "
            "top-level domain or an address block. monitoring.host_lookup reads it; "
            "settings.RDAP_BASE_URL overrides it (tests, a local mirror). Replaced whole by "
            "`manage.py rdap_bootstrap_refresh`."
        ),
        "source": dict(urls),
        "copied_on": (today or dt.date.today()).isoformat(),
        "copied_from": "the sources themselves",
        **files,
    }
    path.write_text(json.dumps(out, indent=1) + "\n")
    return {kind: len(data["services"]) for kind, data in files.items()}


def _ranges(name: str, urls: list[str]) -> list[str]:
    found: list[str] = []
    for url in urls:
        if name == "Cloudflare":
            found += _get(url).decode().split()
        elif name == "Fastly":
            data = _json(url)
            found += data.get("addresses", []) + data.get("ipv6_addresses", [])
        elif name == "Amazon CloudFront":
            data = _json(url)
            found += [p["ip_prefix"] for p in data["prefixes"] if p["service"] == "CLOUDFRONT"]
            found += [
                p["ipv6_prefix"] for p in data["ipv6_prefixes"] if p["service"] == "CLOUDFRONT"
            ]
        elif name == "Google":
            data = _json(url)
            found += [p.get("ipv4Prefix") or p.get("ipv6Prefix") for p in data["prefixes"]]
    ranges = list(dict.fromkeys(r for r in found if r))
    try:
        for cidr in ranges:
            ipaddress.ip_network(cidr)
    except ValueError as error:
        raise DataError(f"{name}: {error}") from error
    if not ranges:
        raise DataError(f"{name}: no ranges in {', '.join(urls)}")
    return ranges


def cdn_ranges_refresh(
    *,
    sources: dict[str, list[str]] = CDN_SOURCES,
    path: Path = CDN_RANGES_FILE,
    today: dt.date | None = None,
) -> dict[str, int]:
    """Each provider's ranges read again from where it publishes them, with today's date;
    nothing is written unless every one reads."""
    data = json.loads(path.read_text())
    fresh = {name: _ranges(name, urls) for name, urls in sources.items()}
    day = (today or dt.date.today()).isoformat()
    for provider in data["providers"]:
        if provider["name"] in fresh:
            provider["ranges"] = fresh[provider["name"]]
            provider["copied_on"] = day
            provider["copied_from"] = "the source itself: " + ", ".join(sources[provider["name"]])
    path.write_text(json.dumps(data, indent=1) + "\n")
    return {name: len(ranges) for name, ranges in fresh.items()}

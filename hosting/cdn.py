"""Which CDN or reverse proxy fronts an address, from the providers' published ranges kept
in hosting/cdn_ranges.json (each list with its source and the day it was copied)."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CDN_RANGES_FILE = Path(__file__).with_name("cdn_ranges.json")


@dataclass(frozen=True)
class CdnMatch:
    name: str
    abuse_email: str
    abuse_url: str
    source: str  # "cdn_ranges.json (Cloudflare, 2026-12-05)"


@lru_cache(maxsize=4)
def _providers(path: str) -> list[tuple[CdnMatch, list]]:
    data = json.loads(Path(path).read_text())
    loaded = []
    for provider in data["providers"]:
        match = CdnMatch(
            name=provider["name"],
            abuse_email=provider.get("abuse_email", ""),
            abuse_url=provider.get("abuse_url", ""),
            source=f"cdn_ranges.json ({provider['name']}, {provider['copied_on']})",
        )
        networks = [ipaddress.ip_network(r, strict=False) for r in provider["ranges"]]
        loaded.append((match, networks))
    return loaded


def cdn_for(address: str, *, path: Path = CDN_RANGES_FILE) -> CdnMatch | None:
    """The provider whose published ranges hold `address`, or None."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    for match, networks in _providers(str(path)):
        if any(ip.version == net.version and ip in net for net in networks):
            return match
    return None

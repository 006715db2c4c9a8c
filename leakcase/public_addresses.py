"""Which IP addresses are public: the one rule for what LeakCase will fetch (monitoring's
fetchers, for every address of every hop) and what it lets a survivor log as a sighting
(evidence.sighting_urls refuses a private address up front, by the same rule).

Here, below both apps, so neither imports the other for it. `settings.FETCH_ALLOW_NETWORKS`
(empty in production) lets tests and local demos reach 127.0.0.1.
"""

import ipaddress

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4_FORBIDDEN = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network", includes 0.0.0.0
        "10.0.0.0/8",
        "100.64.0.0/10",  # CGNAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, includes 255.255.255.255
    )
]
_V6_FORBIDDEN = [
    ipaddress.ip_network(n)
    for n in (
        "::/96",  # unspecified, loopback, IPv4-compatible (deprecated)
        "::ffff:0:0/96",  # IPv4-mapped
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT)
        "64:ff9b::/96",  # NAT64 well-known prefix
        "64:ff9b:1::/48",  # NAT64 local use
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments, includes Teredo 2001::/32
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4
        "3fff::/20",  # documentation (RFC 9637)
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
]


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    raw = getattr(settings, "FETCH_ALLOW_NETWORKS", None) or []
    return [ipaddress.ip_network(n, strict=False) if isinstance(n, str) else n for n in raw]


def is_allowed_explicitly(ip: IPAddress, allow) -> bool:
    return any(ip.version == net.version and ip in net for net in allow)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses that an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo)."""
    found = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    packed = ip.packed
    if packed[:12] == bytes(12) or packed[:12] == b"\x00\x64\xff\x9b" + bytes(8):
        found.append(ipaddress.IPv4Address(packed[12:]))
    return found


def is_public(ip: IPAddress) -> bool:
    if ip.version == 4:
        if any(ip in net for net in _V4_FORBIDDEN):
            return False
    else:
        # Scoped addresses (fe80::1%eth0) are link-local anyway; drop the scope to compare.
        ip = ipaddress.IPv6Address(ip.packed)
        if any(ip in net for net in _V6_FORBIDDEN):
            return False
        if any(not is_public(v4) for v4 in _embedded_ipv4(ip)):
            return False
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )

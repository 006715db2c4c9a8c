"""Reads of the platform directory: which platform a site's host belongs to."""

from functools import lru_cache

import tldextract

from platforms.models import Platform, PlatformDomain


@lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    # The suffix list bundled with tldextract: never fetched at run time.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def registrable_domain(host: str) -> str:
    """`m.facebook.com` -> `facebook.com`; `foo.co.uk` stays; IP addresses stay as they are."""
    parts = _extractor()(host)
    return parts.top_domain_under_public_suffix or host


def platforms_for_hosts(hosts: set[str]) -> dict[str, Platform]:
    """Map each host to its platform in one query: an exact host entry wins over its domain."""
    candidates = {host: (host, registrable_domain(host)) for host in hosts}
    wanted = {name for pair in candidates.values() for name in pair}
    by_domain = {
        entry.domain: entry.platform
        for entry in PlatformDomain.objects.filter(domain__in=wanted).select_related("platform")
    }
    found = {}
    for host, (exact, registrable) in candidates.items():
        platform = by_domain.get(exact) or by_domain.get(registrable)
        if platform is not None:
            found[host] = platform
    return found

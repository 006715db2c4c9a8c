"""Turn what a survivor pasted into one canonical address per sighting.

Two copies of the same link must compare equal, so the host is lower-cased and punycoded,
default ports, fragments and click-tracking parameters go, and a missing scheme means https.
Anything that is not a web address is refused with a reason a person can act on.
"""

import ipaddress
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import idna
from django.utils.formats import number_format
from django.utils.translation import gettext

from leakcase.public_addresses import allowed_networks, is_allowed_explicitly, is_public

MAX_URL_LENGTH = 2048  # what browsers and most platforms' report forms accept
ALLOWED_SCHEMES = {"http", "https"}
DEFAULT_PORTS = {"http": 80, "https": 443}

# Parameters that only say where a click came from; the same post with or without them is
# one sighting. Kept narrow on purpose: dropping a real parameter could change the page.
TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
    "igshid", "igsh", "mc_cid", "mc_eid", "_ga", "_gl", "mkt_tok", "ref_src", "ref_url",
    "si", "share_id", "utm",
}  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "hsa_")

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Path and query characters that may stand as they are; everything else is percent-encoded.
_SAFE_PATH = "/%:@!$&'()*+,;=-._~"


class InvalidSightingUrl(ValueError):
    """The text is not an address we can log; str(error) says why, in plain words."""


def normalise_url(raw: str) -> str:
    text = (raw or "").strip()
    if not text:
        raise InvalidSightingUrl(gettext("The address is empty."))
    if len(text) > MAX_URL_LENGTH:
        raise InvalidSightingUrl(
            gettext("The address is %(length)s characters long; the limit is %(limit)s.")
            % {"length": _number(len(text)), "limit": _number(MAX_URL_LENGTH)}
        )
    if any(ch.isspace() for ch in text) or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InvalidSightingUrl(gettext("The address has spaces or hidden characters in it."))

    scheme_match = _SCHEME.match(text)
    if scheme_match and not _looks_like_host_and_port(text, scheme_match):
        scheme = scheme_match.group(1).lower()
        if scheme not in ALLOWED_SCHEMES:
            raise InvalidSightingUrl(
                gettext(
                    "Only web addresses (http:// or https://) can be logged, "
                    "not %(scheme)s: links."
                )
                % {"scheme": scheme}
            )
        if not text[scheme_match.end() :].startswith("//"):
            raise InvalidSightingUrl(
                gettext("The address is missing the // after http: or https:.")
            )
    elif text.startswith("//"):
        text = "https:" + text
    else:
        # People paste "x.com/someone/status/1"; browsers treat that as https.
        text = "https://" + text

    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidSightingUrl(
            gettext("The address is malformed (%(problem)s).") % {"problem": exc}
        ) from exc

    scheme = parts.scheme.lower()
    if parts.username is not None or parts.password is not None:
        raise InvalidSightingUrl(
            gettext("Addresses with a user name or password in them are not accepted.")
        )
    host = _normalise_host(parts.hostname or "")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"

    path = quote(parts.path or "/", safe=_SAFE_PATH)
    query_items = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(key)
    ]
    query = urlencode(query_items, quote_via=quote, safe="/:@!$'()*+,;-._~")
    url = urlunsplit((scheme, netloc, path, query, ""))
    if len(url) > MAX_URL_LENGTH:
        raise InvalidSightingUrl(
            gettext(
                "The address is %(length)s characters long once encoded; the limit is %(limit)s."
            )
            % {"length": _number(len(url)), "limit": _number(MAX_URL_LENGTH)}
        )
    return url


def _looks_like_host_and_port(text: str, match: re.Match) -> bool:
    # "example.com:8080/x" parses as scheme "example.com"; a scheme has no dot followed by a
    # port number, so treat it as a host.
    rest = text[match.end() :]
    return "." in match.group(1) and rest[:1].isdigit()


def _normalise_host(host: str) -> str:
    host = host.strip().rstrip(".").lower()
    if not host:
        raise InvalidSightingUrl(gettext("The address has no site name in it."))
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        _refuse_internal(ip)
        return str(ip)
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise InvalidSightingUrl(_not_a_domain(host)) from exc
    labels = ascii_host.split(".")
    if len(labels) < 2 or len(ascii_host) > 253 or not all(_HOST_LABEL.match(x) for x in labels):
        raise InvalidSightingUrl(_not_a_domain(host))
    if labels[-1].isdigit():
        raise InvalidSightingUrl(_not_a_domain(host))
    return ascii_host


def _refuse_internal(ip) -> None:
    """A private, loopback or otherwise non-public address cannot be where the images were
    published, and a recheck would refuse to fetch it anyway (monitoring/fetcher.py): refuse
    it here, with the same rules and the same test-only allowance (FETCH_ALLOW_NETWORKS)."""
    if not is_public(ip) and not is_allowed_explicitly(ip, allowed_networks()):
        raise InvalidSightingUrl(
            gettext(
                "That address is on a private or local network. Only public web addresses "
                "can be logged."
            )
        )


def _not_a_domain(host: str) -> str:
    return gettext("The site name %(host)s is not a valid domain.") % {"host": repr(host)}


def _number(n: int) -> str:
    """1,234 in English, 1.234 in German: grouped however her language groups digits."""
    return number_format(n, force_grouping=True)


def _is_tracking(key: str) -> bool:
    name = key.lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


# A link named in the timeline: enough of it to tell her links apart, not the whole address
# (the timeline goes into bundles and is read over shoulders).
LINK_LABEL_PATH_CHARS = 24


def link_label(url: str) -> str:
    """Host and a short path: "forum.example/t/12345…"."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    path = parts.path.rstrip("/")
    if len(path) > LINK_LABEL_PATH_CHARS:
        path = path[:LINK_LABEL_PATH_CHARS] + "…"
    return host + path

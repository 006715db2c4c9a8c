"""Is it still up, and is it still her image? One recheck of one sighting.

fetch (monitoring.fetcher) -> classify -> a UrlCheck row and the sighting's new status.
The classifier follows DESIGN.md's "Recheck outcomes": 404/410 removed; an image within
the hash threshold of a reference is live and confirmed; a page whose images no longer
match is removed from that page; 401/403/451, login and challenge pages are walled, never
removed; network failures are unreachable until they have lasted UNREACHABLE_GRACE.
"""

import datetime as dt
import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

from evidence.image_open import ImageRejected, ImageTooCostly
from evidence.matching import reference_hashes
from evidence.matching.hashing import (
    PHASH_THRESHOLD,
    ImageHashes,
    dhash_of,
    hamming,
    is_possible_copy,
    open_for_hashing,
    phash_of,
)
from monitoring import fetcher
from monitoring.models import Outcome

# How long a link may stay unreachable before we count it gone (DESIGN.md: "never counted
# as removed until it persists for days").
UNREACHABLE_GRACE = dt.timedelta(days=3)
# A page is judged by its og:image and at most this many <img>: enough for a post page,
# bounded so a gallery cannot make one check fetch hundreds of images.
MAX_PAGE_IMAGES = 10
IMAGE_MAX_BYTES = 10 * 1024 * 1024

LOGIN_HINTS = re.compile(
    r"type=[\"']?password|log ?in to (?:continue|see|view)|sign in to (?:continue|see|view)",
    re.IGNORECASE,
)
CHALLENGE_HINTS = re.compile(
    r"cf-challenge|captcha|are you a robot|verify you are human|checking your browser",
    re.IGNORECASE,
)
PLACEHOLDER_HINTS = re.compile(
    r"(?:content|post|video|image|page|file) (?:is no longer available|has been removed|"
    r"was removed|has been deleted|was deleted|isn't available|is unavailable)"
    r"|removed (?:for|due to) (?:a )?(?:violation|violating)|this account has been suspended",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Verdict:
    outcome: str
    http_status: int | None = None
    final_url: str = ""
    content_type: str = ""
    bytes_read: int = 0
    elapsed_ms: int = 0
    distance: int | None = None  # best pHash distance to a reference, when an image was hashed
    error: str = ""
    # The bytes of the image that matched, so a live copy is kept as evidence.
    matched_image: bytes | None = field(default=None, repr=False)
    matched_image_url: str = ""
    # The addresses the link's host resolved to for this check (hosting notices a move).
    addresses: tuple[str, ...] = ()


class _PageImages(HTMLParser):
    def __init__(self):
        super().__init__()
        self.og_image = None
        self.images = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "meta" and values.get("property") == "og:image" and values.get("content"):
            self.og_image = values["content"]
        elif tag == "img" and values.get("src") and len(self.images) < MAX_PAGE_IMAGES:
            self.images.append(values["src"])


@dataclass(frozen=True)
class FetchRequest:
    """An address the classifier needs fetched, with the fetcher's keyword arguments."""

    url: str
    kwargs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class MatchRequest:
    """Fetched images the classifier needs decoded and compared with the references; it is
    sent back `best_match(images, wanted)`. Decoding is the CPU-heavy step of a recheck, so
    the driver decides where it runs: inline in `check`, off the event loop in
    monitoring.recheck_batch, where it would otherwise hold up every other fetch."""

    images: list[tuple[str, bytes]]  # (address, body)
    wanted: list[ImageHashes]


@dataclass(frozen=True)
class Found:
    """What best_match found: the nearest possible copy (pHash distance, bytes, address),
    and why an image was refused unopened, when one was."""

    distance: int | None = None
    body: bytes | None = field(default=None, repr=False)
    url: str = ""
    refused: str = ""


def check(url: str, references: list, *, fetch=fetcher.fetch) -> Verdict:
    """Fetch and classify one address against a case's reference hashes."""
    return run_blocking(classify(url, [reference_hashes(r) for r in references]), fetch)


def run_blocking(steps, fetch) -> Verdict:
    """Drive `classify` with a blocking fetch: each FetchRequest it yields is fetched and the
    result sent back, or the FetchError thrown in where it asked; each MatchRequest is
    matched here and now."""
    request = next(steps)
    while not isinstance(request, Verdict):
        if isinstance(request, MatchRequest):
            answer = best_match(request.images, request.wanted)
        else:
            try:
                answer = fetch(request.url, **request.kwargs)
            except fetcher.FetchError as error:
                answer = error
        request = answer_request(steps, answer)
    return request


def answer_request(steps, answer):
    """Hand `classify` the answer to the request it yielded last: a FetchResult or Found is
    sent in, a FetchError thrown in where it asked. Returns its next request, or its Verdict
    once it has one. The one step both drivers (run_blocking, and run_concurrent in
    monitoring.recheck_batch) take."""
    try:
        if isinstance(answer, fetcher.FetchError):
            return steps.throw(answer)
        return steps.send(answer)
    except StopIteration as done:
        return done.value


def classify(url: str, wanted: list[ImageHashes]):
    """The classifier without its I/O: a generator that yields each FetchRequest it needs,
    is sent the FetchResult (or thrown the FetchError) and returns the Verdict. `check`
    drives it with the blocking fetcher, monitoring.recheck_batch with the concurrent one, so
    both judge every answer the same way."""
    try:
        result = yield FetchRequest(url)
    except (fetcher.BlockedAddress, fetcher.UnsupportedScheme) as error:
        return Verdict(Outcome.BLOCKED, error=error.plain)
    except fetcher.FetchError as error:
        return Verdict(Outcome.UNREACHABLE, error=error.plain)
    base = {
        "http_status": result.status,
        "final_url": result.final_url,
        "content_type": result.content_type,
        "bytes_read": len(result.body),
        "elapsed_ms": result.elapsed_ms,
        "addresses": result.addresses,
    }
    status = result.status
    if status in (404, 410):
        return Verdict(Outcome.REMOVED, **base)
    if status == 451:
        return Verdict(Outcome.GEO_BLOCKED, **base)
    if status in (401, 403):
        return Verdict(Outcome.LOGIN_WALLED, **base)
    if status >= 500 or status < 200 or status >= 300:
        return Verdict(Outcome.UNREACHABLE, error=f"The site answered {status}.", **base)

    kind = result.content_type.split(";")[0].strip().lower()
    if kind.startswith("image/"):
        if not wanted:
            return Verdict(Outcome.LIVE, **base)  # nothing to compare with: nothing decoded
        found = yield MatchRequest([(result.final_url, result.body)], wanted)
        if found.distance is None and found.refused:
            # Not opened, so not compared: it may still be her image.
            return Verdict(Outcome.BLOCKED, error=_refused_error(found), **base)
        if found.distance is None:
            # Something else is served at the address now: her image is gone from it.
            return Verdict(Outcome.SOFT_REMOVED, **base)
        return _live(found, base)

    text = result.body[:500_000].decode("utf-8", "replace")
    if CHALLENGE_HINTS.search(text) or LOGIN_HINTS.search(text):
        return Verdict(Outcome.LOGIN_WALLED, **base)
    if PLACEHOLDER_HINTS.search(text):
        return Verdict(Outcome.SOFT_REMOVED, **base)
    if not wanted:
        return Verdict(Outcome.LIVE, **base)
    bodies = []
    for address in _page_image_addresses(result.final_url, text):
        try:
            image = yield FetchRequest(address, {"max_bytes": IMAGE_MAX_BYTES})
        except fetcher.FetchError:
            continue
        bodies.append((address, image.body))
    found = yield MatchRequest(bodies, wanted)
    if found.distance is None and found.refused:
        # An image on the page was not opened: the page may still carry hers in it.
        return Verdict(Outcome.BLOCKED, error=_refused_error(found), **base)
    if found.distance is None:
        return Verdict(Outcome.REMOVED, **base)  # the page no longer carries her image
    return _live(found, base)


def _live(found: Found, base: dict) -> Verdict:
    return Verdict(
        Outcome.LIVE,
        distance=found.distance,
        matched_image=found.body,
        matched_image_url=found.url,
        **base,
    )


def _refused_error(found: Found) -> str:
    return f"An image there was not opened, so it could not be compared: {found.refused}."


def _page_image_addresses(page_url: str, html: str) -> list[str]:
    parser = _PageImages()
    parser.feed(html)
    sources = ([parser.og_image] if parser.og_image else []) + parser.images
    return [urljoin(page_url, source) for source in sources[: MAX_PAGE_IMAGES + 1]]


@dataclass(frozen=True)
class Hashed:
    """What decoding and hashing one fetched image gave: its pHash, its dHash when the pHash
    was near a reference (is_possible_copy needs it only then), or why it was refused
    unopened (`refused`); all empty for bytes that are no picture we read. Plain data, so
    it crosses from a decoding process (monitoring/decode_pool.py) and can be kept
    (HASH_CACHE)."""

    phash: int | None = None
    dhash: int | None = None
    refused: str = ""

    def serves(self, wanted: list[ImageHashes]) -> bool:
        """Whether this answers for `wanted` too: it has the dHash wherever one is needed."""
        return self.phash is None or self.dhash is not None or not _near(self.phash, wanted)


def _near(phash: int, wanted: list[ImageHashes]) -> list[ImageHashes]:
    return [r for r in wanted if hamming(phash, r.phash) <= PHASH_THRESHOLD]


def image_hashes(body: bytes, wanted: list[ImageHashes]) -> Hashed:
    """Decode one fetched image and hash it as far as `wanted` needs: the pHash, and the
    dHash only for an image whose pHash is near a reference (hashing is most of a recheck's
    CPU, about 10-17 ms for an 800x600 JPEG here). Any other error is raised."""
    try:
        image = open_for_hashing(body)
        phash = phash_of(image)
    except ImageTooCostly as error:
        return Hashed(refused=error.reason)
    except (ImageRejected, ValueError):
        return Hashed()
    return Hashed(phash, dhash_of(image) if _near(phash, wanted) else None)


class HashCache:
    """Hashes of fetched images by the SHA-256 of their bytes, the last `size` of them, in
    this process: a link rechecked every few hours mostly serves the same bytes again, and
    many links of one case serve one picture, so most images need no decoding at all. The
    key is the whole content's digest, so the answer is the one decoding would give."""

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict[bytes, Hashed] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.decoded = 0  # answered from here; decoded and put here

    @staticmethod
    def key(body: bytes) -> bytes:
        return hashlib.sha256(body).digest()

    def get(self, key: bytes, wanted: list[ImageHashes]) -> Hashed | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found.serves(wanted):
                self._entries.move_to_end(key)
                self.hits += 1
                return found
            return None

    def put(self, key: bytes, hashed: Hashed) -> None:
        with self._lock:
            self.decoded += 1
            self._entries[key] = hashed
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.decoded = 0


# 20,000 digests and hashes: about 3 MB, a few minutes of one process's rechecks.
HASH_CACHE = HashCache(20_000)


def cached_image_hashes(body: bytes, wanted: list[ImageHashes]) -> Hashed:
    key = HashCache.key(body)
    hashed = HASH_CACHE.get(key, wanted)
    if hashed is None:
        hashed = image_hashes(body, wanted)
        HASH_CACHE.put(key, hashed)
    return hashed


def best_match(
    images: list[tuple[str, bytes]],
    wanted: list[ImageHashes],
    hashed: list[Hashed] | None = None,
) -> Found:
    """Of (address, bytes) pairs, the one nearest to a reference among possible copies:
    its pHash distance, bytes and address; and why an image was refused unopened
    (evidence.image_open: too many pixels, a bomb, too many JPEG scans), when one was.
    Bytes that are no picture we read (an SVG logo, a tracking GIF) are passed over.

    `hashed`: each image's Hashed, when the caller had them worked out elsewhere
    (monitoring.recheck_batch, in decoding processes); otherwise they are worked out here,
    through this process's HASH_CACHE. Nothing is decoded when there is no reference."""
    best, best_body, best_url, refused = None, None, "", ""
    if not wanted:
        return Found()
    if hashed is None:
        hashed = [cached_image_hashes(body, wanted) for _, body in images]
    for (url, body), found in zip(images, hashed, strict=True):
        if found.refused:
            refused = refused or found.refused
            continue
        if found.phash is None:
            continue
        near = _near(found.phash, wanted)
        if not near:
            continue
        hashes = ImageHashes(found.phash, found.dhash)
        for reference in near:
            if is_possible_copy(hashes, reference):
                distance = hamming(hashes.phash, reference.phash)
                if best is None or distance < best:
                    best, best_body, best_url = distance, body, url
    return Found(best, best_body, best_url, refused)

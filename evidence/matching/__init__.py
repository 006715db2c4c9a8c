"""Finding reference images in a picture: the lookup every caller uses.

Multi-index hashing: a reference's pHash is stored with its four 16-bit chunks (p0..p3),
each leading a btree index. Two hashes within t bits differ by at most t // 4 bits in at least
one chunk (pigeonhole), so asking for rows whose chunk i is within t // 4 bits of the
query's chunk i, for any i, finds every reference within t without a full scan; the
candidates are then checked exactly (pHash and dHash, evidence.matching.hashing.is_possible_copy).

On PostgreSQL that exact check runs in the same query (`bit_count` of the XOR), so only
matches leave the database: real pHashes have far from uniform chunks, and a radius-2 chunk
lookup returns thousands of candidates, which as model instances cost more than a full scan
(bench/RESULTS.md: 189 ms as instances, 18 ms checked in SQL, over a million hashes).

Faster still, and the default (settings.EVIDENCE_HASH_INDEX): every pHash and dHash held in
this process and scanned with numpy (evidence/matching/hash_index.py, never stale: it checks a
generation counter kept by PostgreSQL triggers on every lookup); then only the rows of the
caller's queryset with the matching pHashes are fetched, so the caller's restrictions (one
case, the cases a user may see) still apply in SQL. The SQL path above is the fallback.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.db.models import F, Func, IntegerField, Q, QuerySet, Value

from evidence.matching import hash_index
from evidence.matching.hashing import (
    DHASH_THRESHOLD,
    PHASH_THRESHOLD,
    ImageHashes,
    chunk_neighbours,
    chunks16,
    hamming,
    hashes_of,
    is_possible_copy,
    neighbour_radius,
    open_for_hashing,
)
from evidence.matching.regions import candidate_regions
from evidence.models import ReferenceHash, to_signed64, to_unsigned64


@dataclass(frozen=True)
class Match:
    reference: ReferenceHash
    phash_distance: int
    dhash_distance: int
    region: tuple[int, int, int, int] | None  # None: the whole picture


def reference_hashes(reference: ReferenceHash) -> ImageHashes:
    return ImageHashes(to_unsigned64(reference.phash), to_unsigned64(reference.dhash))


def candidates_near(hashes: ImageHashes, references: QuerySet[ReferenceHash]):
    radius = neighbour_radius(PHASH_THRESHOLD)
    condition = Q()
    for index, chunk in enumerate(chunks16(hashes.phash)):
        condition |= Q(**{f"p{index}__in": chunk_neighbours(chunk, radius)})
    return references.filter(condition)


class BitCount(Func):
    """Bits set in a bigint (PostgreSQL 14+): bit_count(x::bit(64))."""

    template = "bit_count((%(expressions)s)::bit(64))"
    output_field = IntegerField()


def distance_to(column: str, value: int) -> BitCount:
    """Hamming distance between a hash column and an unsigned 64-bit hash, in SQL."""
    return BitCount(F(column).bitxor(Value(to_signed64(value))))


def matching_in_sql(hashes: ImageHashes, references: QuerySet[ReferenceHash]):
    """The chunk candidates with both distances checked in PostgreSQL: only matches."""
    return (
        candidates_near(hashes, references)
        .annotate(
            phash_distance=distance_to("phash", hashes.phash),
            dhash_distance=distance_to("dhash", hashes.dhash),
        )
        .filter(phash_distance__lte=PHASH_THRESHOLD, dhash_distance__lte=DHASH_THRESHOLD)
    )


def references_matching(hashes: ImageHashes, references: QuerySet[ReferenceHash]) -> list[Match]:
    """Every reference in `references` that is a possible copy of `hashes` (pHash and dHash
    within their thresholds), exactly as a full scan with is_possible_copy would find."""
    if getattr(settings, "EVIDENCE_HASH_INDEX", True):
        found = _matching_in_memory(hashes, references)
        if found is not None:
            return found
    if connections[references.db].vendor == "postgresql":
        return [
            Match(reference, reference.phash_distance, reference.dhash_distance, None)
            for reference in matching_in_sql(hashes, references)
        ]
    return _matching_in_python(hashes, references)


def _matching_in_memory(
    hashes: ImageHashes, references: QuerySet[ReferenceHash]
) -> list[Match] | None:
    """Through the in-process index; None where there is none (not migrated, SQLite).

    The usual case costs one round trip: scan the index as it stands, then either fetch the
    matching rows together with the counter (read in the same statement, so the same
    snapshot: if it equals the state scanned, the answer is exact), or, with nothing found,
    read the counter; only when it moved is the index brought up to date and scanned again."""
    using = references.db
    scanned = hash_index.known_snapshot(using)
    nothing = False  # the scan, or the fetch after it, found nothing
    if scanned is not None:
        phashes = scanned.matching_phashes(hashes.phash, hashes.dhash)
        nothing = not phashes
        if phashes:
            rows = _fetched(
                _rows_with(phashes, references).annotate(**hash_index.counter_columns())
            )
            if rows and hash_index.state_of(rows[0]) == scanned.state:
                return _checked(hashes, rows)
            nothing = not rows
    current = hash_index.current_snapshot(using)
    if current is None:
        return None
    if nothing and current.state == scanned.state:
        # Nothing changed since the scan (counter values never repeat): it stands.
        return []
    phashes = current.matching_phashes(hashes.phash, hashes.dhash)
    return _checked(hashes, _fetched(_rows_with(phashes, references))) if phashes else []


def _rows_with(phashes: set[int], references: QuerySet[ReferenceHash]):
    # Both columns of one index (p0, phash): only the rows with a matching pHash are read.
    return references.filter(
        p0__in=sorted({chunks16(p)[0] for p in phashes}),
        phash__in=sorted(to_signed64(p) for p in phashes),
    )


def _fetched(rows: QuerySet[ReferenceHash]) -> list[ReferenceHash]:
    """The rows, in the queryset's order. The model's default order (created_at) is applied
    here rather than by PostgreSQL: the ORDER BY doubled the time of this tiny query."""
    if rows.query.order_by or not rows.query.default_ordering:
        return list(rows)
    rows.query.clear_ordering(force=True)  # `rows` is this module's own clone: no copy made
    return sorted(rows, key=lambda r: r.created_at)


def _checked(hashes: ImageHashes, rows) -> list[Match]:
    found = []
    for reference in rows:
        theirs = reference_hashes(reference)
        if is_possible_copy(hashes, theirs):  # two rows may share a pHash, not the dHash
            found.append(
                Match(
                    reference,
                    hamming(hashes.phash, theirs.phash),
                    hamming(hashes.dhash, theirs.dhash),
                    None,
                )
            )
    return found


def _matching_in_python(hashes: ImageHashes, references: QuerySet[ReferenceHash]) -> list[Match]:
    # Databases without bit_count (SQLite for a quick local try): candidates checked here.
    return _checked(hashes, candidates_near(hashes, references))


def matches_in_image(data: bytes, *, references: QuerySet[ReferenceHash]) -> list[Match]:
    """Every reference found in the picture or in one of its candidate regions, best first;
    one match per reference."""
    return matches_in_picture(open_for_hashing(data), references=references)


def matches_in_picture(
    picture, *, references: QuerySet[ReferenceHash], hashes: ImageHashes | None = None
) -> list[Match]:
    """matches_in_image on a picture already decoded for hashing; `hashes` are the whole
    picture's when the caller has them (an upload is hashed once). A candidate region that is
    the whole picture is the same lookup again, so it is skipped: the first of equal matches
    is kept either way."""
    whole = (0, 0, picture.width, picture.height)
    best: dict = {}
    for box in [None, *candidate_regions(picture)]:
        if box == whole:
            continue
        if box is None:
            part = hashes or hashes_of(picture, pdq=False)
        else:
            part = hashes_of(picture.crop(box), pdq=False)  # matching never reads PDQ
        for match in references_matching(part, references):
            found = Match(match.reference, match.phash_distance, match.dhash_distance, box)
            current = best.get(match.reference.pk)
            if current is None or found.phash_distance < current.phash_distance:
                best[match.reference.pk] = found
    return sorted(best.values(), key=lambda m: m.phash_distance)

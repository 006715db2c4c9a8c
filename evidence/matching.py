"""Finding reference images in a picture: the lookup every caller uses.

Multi-index hashing: a reference's pHash is stored with its four 16-bit chunks (p0..p3),
each with a btree index. Two hashes within t bits differ by at most t // 4 bits in at least
one chunk (pigeonhole), so asking for rows whose chunk i is within t // 4 bits of the
query's chunk i, for any i, finds every reference within t without a full scan; the
candidates are then checked exactly (pHash and dHash, evidence.hashing.is_possible_copy).
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from evidence.hashing import (
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
from evidence.models import ReferenceHash, to_unsigned64
from evidence.regions import candidate_regions


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


def references_matching(hashes: ImageHashes, references: QuerySet[ReferenceHash]) -> list[Match]:
    found = []
    for reference in candidates_near(hashes, references):
        theirs = reference_hashes(reference)
        if is_possible_copy(hashes, theirs):
            found.append(
                Match(
                    reference,
                    hamming(hashes.phash, theirs.phash),
                    hamming(hashes.dhash, theirs.dhash),
                    None,
                )
            )
    return found


def matches_in_image(data: bytes, *, references: QuerySet[ReferenceHash]) -> list[Match]:
    """Every reference found in the picture or in one of its candidate regions, best first;
    one match per reference."""
    image = open_for_hashing(data)
    best: dict = {}
    boxes = [None, *candidate_regions(image)]
    for box in boxes:
        part = image if box is None else image.crop(box)
        for match in references_matching(hashes_of(part), references):
            found = Match(match.reference, match.phash_distance, match.dhash_distance, box)
            current = best.get(match.reference.pk)
            if current is None or found.phash_distance < current.phash_distance:
                best[match.reference.pk] = found
    return sorted(best.values(), key=lambda m: m.phash_distance)

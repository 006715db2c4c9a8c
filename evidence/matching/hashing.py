"""Perceptual hashes: the one way LeakCase computes them and decides "possible copy".

Two 64-bit hashes from imagehash: pHash (DCT of a 32x32 greyscale copy, split at the median of
64 coefficients, so it has exactly 32 bits set unless coefficients tie, as in a flat image,
and pHash distances are even) and dHash (brightness steps in a 9x8 copy).
Both survive re-encoding and resizing, and small crops; neither survives being shown inside a
screenshot, whose page chrome changes the whole picture (see evidence/matching/regions.py).

PDQ (Meta's 256-bit hash, also used by StopNCII's hash sharing and ThreatExchange) comes with
its quality score (0-100; Meta's guidance: below 50 too featureless to match on) from
evidence/matching/pdq.py, a numpy port of Meta's reference implementation, so it installs
everywhere (the pdqhash package is C++ source on PyPI and needs a compiler; it stays in the
dev extra only as the test's oracle). Every reference and evidence file gets one. It is
computed on the picture as decoded for hashing (a JPEG at reduced size, below), the same
pixels as pHash and dHash; see docs/hash-calibration.md for what it adds to matching.

Decoding. A phone photo is 12 MP or more, and decoding all of it only to shrink it to 32x32
wastes most of the time. For JPEG, `open_for_hashing` asks Pillow for a reduced-size DCT
decode (`Image.draft`: scale 1/2, 1/4 or 1/8, keeping both sides at least DRAFT_SIZE), so a
3000x2000 JPEG decodes at 1500x1000. Measured by bench/calibrate_hashes.py on 50 generated
3000x2000 JPEGs (quality 90), medians: the decode takes 10.7 ms instead of 24.3 (2.3x
faster) and decode + pHash + dHash 22.3 ms instead of 67.6 (3.0x), because the hashes then
shrink a quarter of the pixels (2.2x and 2.8x in another run). The pHash changes by 0.16
bits on average, at most 2 (unchanged in 46 of 50); the dHash by 0.06, at most 1. (Generated
images, not photos: a detailed photo decodes slower in full, so it likely saves more.)

Thresholds and the rule in `is_possible_copy` come from docs/hash-calibration.md.

Multi-index lookup. `chunks16` splits a 64-bit hash into four 16-bit chunks, high to low. If two
hashes differ in d bits, those bits fall into four chunks whose distances add up to d, so at
least one chunk differs in at most d // 4 bits (pigeonhole). Hence a query with threshold t
finds EVERY stored hash within t bits by asking, for the four chunk columns (each with a btree
index), `chunk_i IN chunk_neighbours(query_chunk_i, t // 4)` OR-ed together, then checking the
full distance of the rows returned. Exact-chunk lookup (radius 0) is complete only for t <= 3;
radius 1 (17 values a chunk) covers t <= 7, radius 2 (137 values) covers t <= 11. A possible
copy must be within PHASH_THRESHOLD = 10 in pHash, so looking up the pHash chunks with radius 2
(`neighbour_radius(PHASH_THRESHOLD)`) finds every possible copy; evidence/matching/__init__.py
does.
"""

import itertools
from dataclasses import dataclass

import imagehash
import numpy as np
from PIL import Image, ImageOps

from evidence.image_open import decode, open_image, reading
from evidence.matching.pdq import pdq_of_image

# Reduced-size JPEG decode: Pillow picks the largest scale (1/2, 1/4, 1/8) that keeps both
# sides at least this big. pHash looks at 32x32 and dHash at 9x8, so 512 is ample.
DRAFT_SIZE = (512, 512)

# Largest Hamming distances (of 64 bits) still counted as a possible copy; both must hold.
# docs/hash-calibration.md: at pHash <= 10 AND dHash <= 12, 100% of re-encoded, resized and
# 5%-centre-cropped copies pass and none of 500,000 unrelated pairs (the nearest unrelated
# pHash was 12 bits away). pHash distances are even, so 10 is the largest threshold that a
# pHash chunk lookup at radius 2 covers (evidence/matching/__init__.py indexes the pHash chunks);
# 12 would catch more crops (68% instead of 54% of 5% corner crops) but need radius 3.
PHASH_THRESHOLD = 10
# docs/hash-calibration.md: a second, independent check. On top of pHash <= 10 it costs 4 of
# 300 re-encoded, resized and 5%-cropped copies (all corner crops) and keeps a margin: no
# unrelated pair passes even at pHash <= 12 AND dHash <= 14.
DHASH_THRESHOLD = 12
# PDQ's usual match threshold (of 256 bits), ThreatExchange's and Meta's default. Not part of
# `is_possible_copy`: docs/hash-calibration.md measured PDQ as a third vote (2 of 3) and it
# found no copy that pHash and dHash together miss.
PDQ_THRESHOLD = 31

MASK64 = (1 << 64) - 1
MAX_NEIGHBOUR_RADIUS = 2


@dataclass(frozen=True)
class ImageHashes:
    phash: int  # 64-bit unsigned
    dhash: int  # 64-bit unsigned
    pdq: int | None = None  # 256-bit unsigned; None when not computed (hashes_of(pdq=False))
    pdq_quality: int | None = None  # 0..100, with pdq

    @property
    def phash_hex(self) -> str:
        return f"{self.phash:016x}"

    @property
    def dhash_hex(self) -> str:
        return f"{self.dhash:016x}"

    @property
    def pdq_hex(self) -> str | None:
        return None if self.pdq is None else f"{self.pdq:064x}"

    @classmethod
    def from_hex(
        cls,
        phash_hex: str,
        dhash_hex: str,
        pdq_hex: str | None = None,
        pdq_quality: int | None = None,
    ) -> "ImageHashes":
        return cls(
            phash=_parse_hex(phash_hex, 16),
            dhash=_parse_hex(dhash_hex, 16),
            pdq=None if pdq_hex is None else _parse_hex(pdq_hex, 64),
            pdq_quality=pdq_quality,
        )


def _parse_hex(value: str, digits: int) -> int:
    if len(value) != digits:
        raise ValueError(f"expected {digits} hex digits, got {value!r}")
    return int(value, 16)


def open_for_hashing(data: bytes) -> Image.Image:
    """Decode image bytes for hashing: JPEGs at reduced size, upright, in RGB.

    Opened by evidence.image_open, with the limits every image from outside gets (formats,
    pixels and JPEG scans checked before anything is decoded). Raises ImageRejected, a
    ValueError, when the bytes are not an image we open.
    """
    image = decode(open_image(data), draft=DRAFT_SIZE)
    with reading():
        # In place: otherwise an upright image (most) is copied whole for nothing, a quarter
        # of the cost of hashing a fetched 800x600 JPEG (bench/RESULTS.md). Same pixels.
        ImageOps.exif_transpose(image, in_place=True)
        return image if image.mode == "RGB" else as_rgb(image)


# Modes of 16 and 32-bit grey (a 16-bit grey PNG decodes as I;16).
WIDE_GREY_MODES = {"I", "I;16", "I;16B", "I;16L", "I;16N"}


def as_rgb(image: Image.Image) -> Image.Image:
    """The image in RGB, a wide grey one brought down to 8 bits: Pillow's convert() clips
    its values at 255 instead, so a 16-bit grey picture came out white and hashed as white."""
    if image.mode in WIDE_GREY_MODES:
        levels = np.asarray(image).astype(np.int64) >> 8  # the top 8 of 16 bits
        image = Image.fromarray(levels.clip(0, 255).astype(np.uint8), "L")
    return image.convert("RGB")


def hashes_of(image: Image.Image, *, pdq: bool = True) -> ImageHashes:
    """pdq=False leaves PDQ out (None) where only `is_possible_copy` will look at them."""
    pdq_value, quality = pdq_of_image(image) if pdq else (None, None)
    return ImageHashes(
        phash=phash_of(image),
        dhash=dhash_of(image),
        pdq=pdq_value,
        pdq_quality=quality,
    )


def phash_of(image: Image.Image) -> int:
    return _hash_to_int(imagehash.phash(image))


def dhash_of(image: Image.Image) -> int:
    return _hash_to_int(imagehash.dhash(image))


def hashes_of_bytes(data: bytes, *, pdq: bool = True) -> ImageHashes:
    return hashes_of(open_for_hashing(data), pdq=pdq)


def _hash_to_int(value: imagehash.ImageHash) -> int:
    return int(str(value), 16)


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def is_possible_copy(a: ImageHashes, b: ImageHashes) -> bool:
    """pHash AND dHash both within their thresholds (docs/hash-calibration.md).

    pHash decides (unrelated images came no closer than 12 bits); the dHash condition is a
    second, independent check that keeps a margin (docs/hash-calibration.md).
    """
    return (
        hamming(a.phash, b.phash) <= PHASH_THRESHOLD
        and hamming(a.dhash, b.dhash) <= DHASH_THRESHOLD
    )


def chunks16(value: int) -> tuple[int, int, int, int]:
    """The four 16-bit chunks of a 64-bit hash, high to low."""
    if not 0 <= value <= MASK64:
        raise ValueError("not a 64-bit unsigned hash")
    return (
        (value >> 48) & 0xFFFF,
        (value >> 32) & 0xFFFF,
        (value >> 16) & 0xFFFF,
        value & 0xFFFF,
    )


def neighbour_radius(threshold: int) -> int:
    """The chunk radius that makes a 4-chunk lookup complete for `threshold` (pigeonhole)."""
    return threshold // 4


def chunk_neighbours(chunk: int, radius: int) -> list[int]:
    """Every 16-bit value within `radius` bits of `chunk` (radius 0, 1 or 2), chunk first."""
    if not 0 <= chunk <= 0xFFFF:
        raise ValueError("not a 16-bit chunk")
    if not 0 <= radius <= MAX_NEIGHBOUR_RADIUS:
        raise ValueError(f"radius must be 0..{MAX_NEIGHBOUR_RADIUS}")
    values = [chunk]
    for flips in range(1, radius + 1):
        for bits in itertools.combinations(range(16), flips):
            mask = 0
            for bit in bits:
                mask |= 1 << bit
            values.append(chunk ^ mask)
    return values

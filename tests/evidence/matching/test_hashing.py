"""Perceptual hashes: their formats, the reduced-size decode, recall on copies, false matches
against unrelated images, and the multi-index lookup. Every image is generated; no database.

The thresholds and the numbers asserted here come from docs/hash-calibration.md
(bench/calibrate_hashes.py).
"""

import io
import random

import imagehash
import numpy as np
import pytest
from PIL import Image, ImageDraw

from evidence.demo_images import make_image
from evidence.matching import hashing
from evidence.matching.hashing import (
    ImageHashes,
    chunk_neighbours,
    chunks16,
    hamming,
    hashes_of,
    hashes_of_bytes,
    is_possible_copy,
    neighbour_radius,
    open_for_hashing,
)
from tests import images
from tests.images import truncated_jpeg

SIZES = [(640, 480), (1080, 1350), (1200, 900), (800, 1200), (1500, 1000), (720, 720)]


def jpeg(image: Image.Image, quality: int = 85) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def decoded(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


# --- Formats ----------------------------------------------------------------------------


def test_hex_round_trip():
    hashes = ImageHashes(phash=0x0123456789ABCDEF, dhash=0xF000000000000001)
    assert hashes.phash_hex == "0123456789abcdef"
    assert hashes.dhash_hex == "f000000000000001"
    assert ImageHashes.from_hex(hashes.phash_hex, hashes.dhash_hex) == hashes
    assert ImageHashes(phash=0, dhash=2**64 - 1).phash_hex == "0" * 16
    assert ImageHashes(phash=0, dhash=2**64 - 1).dhash_hex == "f" * 16


def test_hex_round_trip_of_real_hashes():
    hashes = hashes_of_bytes(make_image(seed=3))
    again = ImageHashes.from_hex(
        hashes.phash_hex, hashes.dhash_hex, hashes.pdq_hex, hashes.pdq_quality
    )
    assert again == hashes


def test_from_hex_refuses_the_wrong_length():
    with pytest.raises(ValueError):
        ImageHashes.from_hex("abc", "0" * 16)


def test_hamming():
    assert hamming(0, 0) == 0
    assert hamming(0b1011, 0b0110) == 3
    assert hamming(0, 2**64 - 1) == 64


def test_hashes_are_the_imagehash_hashes_as_64_bit_ints():
    image = decoded(make_image(seed=4))
    hashes = hashes_of(image)
    assert hashes.phash_hex == str(imagehash.phash(image))
    assert hashes.dhash_hex == str(imagehash.dhash(image))
    assert 0 <= hashes.phash < 2**64
    assert 0 <= hashes.dhash < 2**64


def test_pdq_is_256_bits_with_its_quality_and_survives_reencoding():
    image = decoded(make_image(seed=6, size=(1200, 900)))
    hashes, again = hashes_of(image), hashes_of_bytes(jpeg(image, quality=70))
    assert len(hashes.pdq_hex) == 64
    assert 50 <= hashes.pdq_quality <= 100  # a detailed picture: a PDQ worth matching on
    assert hamming(hashes.pdq, again.pdq) <= hashing.PDQ_THRESHOLD


def test_pdq_left_out_on_request():
    hashes = hashes_of(decoded(make_image(seed=6)), pdq=False)
    assert (hashes.pdq, hashes.pdq_quality, hashes.pdq_hex) == (None, None, None)


# --- Decoding ---------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"hello world", b"", truncated_jpeg()])
def test_unreadable_bytes_raise_value_error(data):
    with pytest.raises(ValueError):
        open_for_hashing(data)


REFUSED_FROM_THE_HEADER = {
    "png-declaring-13300x13300": lambda: images.png_declaring(13_300, 13_300),
    "jpeg-of-110-scans": lambda: images.jpeg_with_scans(100),
    "bmp": images.bmp,
}


@pytest.mark.parametrize("name", list(REFUSED_FROM_THE_HEADER))
def test_fetched_bytes_get_the_upload_rules_before_anything_is_decoded(name, pillow_decodes):
    """Rechecks and matching hash bytes from outside through open_for_hashing: the same
    opener as uploads (evidence.image_open), so a bomb is refused from its header. Before,
    hashing the 13,300 x 13,300 PNG took 6.7 s and 953 MB here."""
    data = REFUSED_FROM_THE_HEADER[name]()
    pillow_decodes.clear()  # making the JPEG decoded a picture
    with pytest.raises(ValueError):
        hashes_of_bytes(data)
    assert pillow_decodes == []


def test_png_and_webp_open_too():
    for fmt in ("PNG", "WEBP"):
        image = open_for_hashing(make_image(seed=8, size=(300, 200), fmt=fmt))
        assert image.size == (300, 200)
        assert image.mode == "RGB"


def test_gif_and_heic_open_too():
    picture = images.picture(seed=9, size=(300, 200))
    for data in (images.encoded(picture, "GIF"), images.heic(picture)):
        image = open_for_hashing(data)
        assert (image.size, image.mode) == ((300, 200), "RGB")


def test_a_16_bit_grey_picture_hashes_as_the_same_picture_in_8_bits():
    """Pillow's convert() clips 16-bit grey at 255: the picture hashed as plain white."""
    picture = images.picture(seed=12, size=(300, 200))
    grey_16 = images.encoded(images.grey_16(picture), "PNG")
    grey_8 = images.encoded(picture.convert("L"), "PNG")

    image = open_for_hashing(grey_16)

    assert np.array_equal(np.asarray(image), np.asarray(open_for_hashing(grey_8)))
    assert hashes_of_bytes(grey_16) == hashes_of_bytes(grey_8)


def test_big_jpegs_decode_at_reduced_size_with_hashes_within_2_bits():
    """The calibration measured 0.16 pHash bits changed on average, at most 2, over 50."""
    for seed in range(6):
        data = make_image(seed=100 + seed, size=(3000, 2000))
        reduced = open_for_hashing(data)
        assert reduced.size == (1500, 1000)
        fast, full = hashes_of(reduced), hashes_of(decoded(data))
        assert hamming(fast.phash, full.phash) <= 2
        assert hamming(fast.dhash, full.dhash) <= 2


def test_exif_orientation_is_applied():
    image = decoded(make_image(seed=9, size=(400, 300)))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: turn 90 degrees clockwise to show
    out = io.BytesIO()
    image.transpose(Image.Transpose.ROTATE_90).save(out, format="JPEG", quality=95, exif=exif)
    upright = open_for_hashing(out.getvalue())
    assert upright.size == (400, 300)
    assert is_possible_copy(hashes_of(upright), hashes_of(image))


# --- Recall on copies -------------------------------------------------------------------


@pytest.fixture(scope="module")
def bases() -> list[Image.Image]:
    return [decoded(make_image(seed=seed, size=SIZES[seed % len(SIZES)])) for seed in range(50)]


@pytest.fixture(scope="module")
def references(bases) -> list[ImageHashes]:
    return [hashes_of_bytes(jpeg(image, quality=90)) for image in bases]


def _crop(image: Image.Image, fraction: float, corner: bool) -> Image.Image:
    cut_x, cut_y = round(image.width * fraction), round(image.height * fraction)
    left, top = (cut_x, 0) if corner else (cut_x // 2, cut_y // 2)
    return image.crop((left, top, left + image.width - cut_x, top + image.height - cut_y))


def _resized(image: Image.Image, fraction: float) -> Image.Image:
    size = (round(image.width * fraction), round(image.height * fraction))
    return image.resize(size, Image.Resampling.LANCZOS)


# kind: (make the variant, how many of the 50 must be found). Measured here, on make_image
# bases: 50/50 for all but the corner crop, 16/50 for that. The calibration measured, on 50
# make_image + rich_image bases (docs/hash-calibration.md): 100% for all but the corner crop,
# 54% for that; re-encoded and resized copies are at most 2 pHash bits away and 5% centre
# crops at most 10, the threshold.
VARIANTS = {
    "JPEG q60": (lambda image: jpeg(image, quality=60), 50),
    "JPEG q85": (lambda image: jpeg(image, quality=85), 50),
    "resized 50%": (lambda image: jpeg(_resized(image, 0.5)), 50),
    "resized 25%": (lambda image: jpeg(_resized(image, 0.25)), 50),
    "crop 5% centre": (lambda image: jpeg(_crop(image, 0.05, corner=False)), 50),
    # 5% off the left and the bottom moves the whole picture, which pHash feels most:
    # 16/50 measured here; a little slack for other Pillow or SciPy versions.
    "crop 5% corner": (lambda image: jpeg(_crop(image, 0.05, corner=True)), 14),
}


@pytest.mark.parametrize("kind", list(VARIANTS))
def test_variants_are_possible_copies(kind, bases, references):
    make, expected = VARIANTS[kind]
    found = sum(
        is_possible_copy(hashes_of_bytes(make(image)), reference)
        for image, reference in zip(bases, references, strict=True)
    )
    assert found >= expected


def _small_image(rng: random.Random, size=(64, 48)) -> Image.Image:
    """Like demo_images.make_image (gradient and eight circles), small so 10,000 are quick."""
    width, height = size
    top = [rng.randrange(256) for _ in range(3)]
    bottom = [rng.randrange(256) for _ in range(3)]
    ramp = np.linspace(0, 1, height)[:, None, None]
    pixels = np.array(top) + (np.array(bottom) - np.array(top)) * ramp
    image = Image.fromarray(np.repeat(pixels, width, axis=1).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x, y = rng.randrange(width), rng.randrange(height)
        radius = rng.uniform(0.04, 0.33) * min(size)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colour)
    return image


def test_ten_thousand_unrelated_images_are_not_possible_copies(references):
    """The calibration found 0 of 500,000 unrelated x reference pairs passing the rule."""
    rng = random.Random(20_261_125)
    unrelated = [hashes_of(_small_image(rng)) for _ in range(10_000)]
    phash = np.bitwise_count(
        np.array([u.phash for u in unrelated], dtype=np.uint64)[:, None]
        ^ np.array([r.phash for r in references], dtype=np.uint64)[None, :]
    )
    dhash = np.bitwise_count(
        np.array([u.dhash for u in unrelated], dtype=np.uint64)[:, None]
        ^ np.array([r.dhash for r in references], dtype=np.uint64)[None, :]
    )
    assert phash.shape == (10_000, 50)
    passing = (phash <= hashing.PHASH_THRESHOLD) & (dhash <= hashing.DHASH_THRESHOLD)
    assert int(passing.sum()) == 0
    # The vectorised rule is the rule.
    i, j = np.unravel_index(np.argmin(phash.astype(int) * 64 + dhash), phash.shape)
    assert is_possible_copy(unrelated[i], references[j]) == bool(passing[i, j])


# --- Multi-index lookup -----------------------------------------------------------------


def test_chunks16_splits_high_to_low():
    assert chunks16(0x0123456789ABCDEF) == (0x0123, 0x4567, 0x89AB, 0xCDEF)
    with pytest.raises(ValueError):
        chunks16(2**64)


@pytest.mark.parametrize(("radius", "count"), [(0, 1), (1, 17), (2, 137)])
def test_chunk_neighbours_are_every_value_within_radius(radius, count):
    chunk = 0b1010_0000_1111_0001
    values = chunk_neighbours(chunk, radius)
    assert values[0] == chunk
    assert len(values) == len(set(values)) == count
    assert all(hamming(value, chunk) <= radius and 0 <= value <= 0xFFFF for value in values)
    # ... and every value within the radius is there (checked against all 65,536).
    assert sum(hamming(value, chunk) <= radius for value in range(1 << 16)) == count


def test_chunk_neighbours_refuses_radii_it_does_not_need():
    with pytest.raises(ValueError):
        chunk_neighbours(0, 3)


def _lookup_finds(stored: int, query: int, threshold: int) -> bool:
    """What `chunk_i IN (...)` over the four chunk columns finds."""
    radius = neighbour_radius(threshold)
    return any(
        stored_chunk in chunk_neighbours(query_chunk, radius)
        for stored_chunk, query_chunk in zip(chunks16(stored), chunks16(query), strict=True)
    )


def test_chunk_lookup_finds_every_hash_within_the_threshold():
    """Pigeonhole: d <= t bits spread over four chunks leave one chunk within t // 4."""
    rng = random.Random(64)
    for _ in range(3000):
        original = rng.getrandbits(64)
        threshold = rng.randrange(0, 12)
        flipped = original
        for bit in rng.sample(range(64), rng.randrange(0, threshold + 1)):
            flipped ^= 1 << bit
        assert _lookup_finds(flipped, original, threshold)
        assert _lookup_finds(original, flipped, threshold)


def test_chunk_lookup_is_exact_in_the_worst_case():
    # The flips spread as evenly as possible: 3 bits in every chunk (12 in all) still leave
    # nothing for radius 2 to find, and 2 in every chunk but one (11) is the most it finds.
    original = random.Random(7).getrandbits(64)
    spread_12 = original ^ 0x0007_0007_0007_0007
    spread_11 = original ^ 0x0003_0007_0007_0007
    assert hamming(original, spread_12) == 12
    assert not _lookup_finds(spread_12, original, 11)
    assert _lookup_finds(spread_11, original, 11)
    # The pHash threshold is one that radius 2 covers, so the pHash chunk lookup
    # (evidence/matching/__init__.py) finds every possible copy.
    assert neighbour_radius(hashing.PHASH_THRESHOLD) == 2

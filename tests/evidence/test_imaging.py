import hashlib
import io
import random
import struct

import imagehash
import numpy as np
import pytest
from PIL import ExifTags, Image, ImageFilter, ImageOps, ImageStat

from evidence.demo_images import make_image, screenshot_of
from evidence.imaging import ImageRejected, process_upload
from evidence.matching.hashing import hashes_of_bytes
from tests import images
from tests.images import encoded, gps_exif, picture

LIMIT = 20 * 1024 * 1024


def test_processed_image_has_hashes_of_the_uploaded_bytes_and_of_the_picture():
    data = make_image(seed=1, size=(640, 480))
    result = process_upload(data, max_bytes=LIMIT)
    assert result.original_sha256 == hashlib.sha256(data).hexdigest()
    assert result.original_size == len(data)
    assert (result.width, result.height) == (640, 480)
    assert result.content_type == "image/jpeg"
    reference = Image.open(io.BytesIO(data))
    assert result.phash == str(imagehash.phash(reference))
    assert result.dhash == str(imagehash.dhash(reference))


def test_stored_copy_carries_no_exif_or_gps():
    data = images.jpeg_with_gps()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # it had some

    result = process_upload(data, max_bytes=LIMIT)

    stored = Image.open(io.BytesIO(result.clean_bytes))
    assert dict(stored.getexif()) == {}
    assert b"Exif" not in result.clean_bytes
    assert b"TestPhone" not in result.clean_bytes
    for derived in (result.thumbnail_bytes, result.preview_bytes):
        assert b"Exif" not in derived


def test_png_stays_png_and_thumbnails_are_small_jpegs():
    data = screenshot_of(make_image(seed=2), seed=2)
    result = process_upload(data, max_bytes=LIMIT)
    assert result.content_type == "image/png"
    assert result.clean_extension == "png"
    thumb = Image.open(io.BytesIO(result.thumbnail_bytes))
    assert thumb.format == "JPEG"
    assert max(thumb.size) <= 480


def test_blurred_preview_hides_the_picture():
    data = screenshot_of(make_image(seed=3), seed=3)
    result = process_upload(data, max_bytes=LIMIT)
    preview = Image.open(io.BytesIO(result.preview_bytes)).convert("L")
    original = Image.open(io.BytesIO(data)).convert("L").resize(preview.size)
    # The picture has hard edges (255 between neighbours); the preview has none left, only
    # washes of colour, so no shape or outline can be made out.
    assert _sharpest_edge(original) > 200
    assert _sharpest_edge(preview) < 32


def _sharpest_edge(image):
    edges = image.filter(ImageFilter.FIND_EDGES).crop((2, 2, image.width - 2, image.height - 2))
    return ImageStat.Stat(edges).extrema[0][1]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (images.NOT_AN_IMAGE, "not an image"),
        (b"", "empty"),
        (images.decompression_bomb(), "million"),
        (images.truncated_jpeg(), "damaged or incomplete"),
        (images.bmp(), "BMP files are not accepted"),
        (encoded(picture(), "AVIF"), "AVIF files are not accepted"),
        (images.gif_claiming(9000, 9000), "9,000 by 9,000 pixels, more than the 50 million"),
        (images.heic_claiming(9000, 9000), "9,000 by 9,000 pixels, more than the 50 million"),
    ],
    ids=[
        "ten-byte-non-image",
        "empty",
        "decompression-bomb",
        "truncated-jpeg",
        "bmp",
        "avif",
        "gif-of-81-megapixels",
        "heic-of-81-megapixels",
    ],
)
def test_refuses_bad_files_with_a_message(data, message):
    with pytest.raises(ImageRejected, match=message):
        process_upload(data, max_bytes=LIMIT)


def test_refuses_a_file_over_the_size_limit():
    data = make_image(seed=4)
    with pytest.raises(ImageRejected, match="limit is"):
        process_upload(data, max_bytes=len(data) - 1)


# --- what is stored is her picture ---------------------------------------------------------

# Every form of image we accept, each with a phone's EXIF (GPS, model) where the format has
# a place for it, and turned by that EXIF (orientation 6: a quarter turn, 8 and 3, 5 with a
# mirror) where a phone would turn it.
PICTURE = picture(seed=31)
UPLOADS = {
    "png-palette": lambda: encoded(images.palette(PICTURE), "PNG", exif=gps_exif()),
    "png-palette-turned": lambda: encoded(images.palette(PICTURE), "PNG", exif=gps_exif(6)),
    "png-palette-transparent-turned": lambda: encoded(
        images.palette(PICTURE), "PNG", transparency=3, exif=gps_exif(8)
    ),
    "png-palette-alpha-turned": lambda: encoded(
        images.palette_with_alpha(PICTURE), "PNG", exif=gps_exif(6)
    ),
    "png-grey-alpha-turned": lambda: encoded(
        images.with_alpha(PICTURE).convert("LA"), "PNG", exif=gps_exif(5)
    ),
    "png-grey-16-bit": lambda: encoded(images.grey_16(PICTURE), "PNG", exif=gps_exif()),
    "png-grey-16-bit-turned": lambda: encoded(images.grey_16(PICTURE), "PNG", exif=gps_exif(3)),
    "png-rgb-16-bit": lambda: images.png_16_bit(PICTURE, exif=gps_exif()),
    "png-rgb-16-bit-turned": lambda: images.png_16_bit(PICTURE, exif=gps_exif(6)),
    "png-rgba-16-bit-turned": lambda: images.png_16_bit(
        images.with_alpha(PICTURE), exif=gps_exif(8)
    ),
    "png-rgba-turned": lambda: encoded(images.with_alpha(PICTURE), "PNG", exif=gps_exif(6)),
    "apng-palette": lambda: images.animated(images.palette(PICTURE), "PNG", exif=gps_exif()),
    "apng-palette-turned": lambda: images.animated(
        images.palette(PICTURE), "PNG", exif=gps_exif(6)
    ),
    "apng-rgba": lambda: images.animated(images.with_alpha(PICTURE), "PNG"),
    "webp-animated": lambda: images.animated(
        images.with_alpha(PICTURE), "WEBP", lossless=True, exact=True, exif=gps_exif()
    ),
    "webp-animated-turned": lambda: images.animated(
        images.with_alpha(PICTURE), "WEBP", lossless=True, exact=True, exif=gps_exif(6)
    ),
    "webp-lossy-turned": lambda: encoded(PICTURE, "WEBP", quality=80, exif=gps_exif(6)),
    "webp-alpha-turned": lambda: encoded(
        images.with_alpha(PICTURE), "WEBP", lossless=True, exact=True, exif=gps_exif(6)
    ),
    "gif": lambda: encoded(images.palette(PICTURE), "GIF", comment=images.PHONE_MODEL),
    "gif-transparent": lambda: encoded(
        images.palette(PICTURE), "GIF", transparency=3, comment=images.PHONE_MODEL
    ),
    "gif-animated": lambda: images.animated(
        images.palette(PICTURE), "GIF", comment=images.PHONE_MODEL
    ),
    "heic": lambda: images.heic(PICTURE),
    "heic-turned": lambda: images.heic(PICTURE, orientation=6),
    "heic-mirrored-and-turned": lambda: images.heic(PICTURE, orientation=5),
    "heic-alpha": lambda: images.heic(images.with_alpha(PICTURE)),
    "cmyk-jpeg": lambda: encoded(PICTURE.convert("CMYK"), "JPEG", exif=gps_exif()),
}
# Stored as a JPEG again, so within a few levels (REENCODE_JPEG_QUALITY), not exactly.
JPEG_UPLOADS = {
    "jpeg-turned": lambda: encoded(PICTURE, "JPEG", quality=90, exif=gps_exif(6)),
    "jpeg-grey-turned": lambda: encoded(PICTURE.convert("L"), "JPEG", exif=gps_exif(8)),
    "cmyk-jpeg-turned": lambda: encoded(PICTURE.convert("CMYK"), "JPEG", exif=gps_exif(6)),
}
# Largest difference allowed in any channel of any pixel, and on average, for a JPEG stored
# as a JPEG. Measured on these three at quality 100 and 4:4:4: at most 3 levels, 0.11 on
# average; at the former quality 95 and 4:2:0, up to 38 levels and 2.1 on average.
JPEG_MAX_DIFFERENCE = 4
JPEG_MEAN_DIFFERENCE = 0.5


def _upright_first_frame(data: bytes) -> Image.Image:
    """Her picture as every viewer shows it: the first frame, turned as its EXIF says."""
    upload = Image.open(io.BytesIO(data))
    upload.load()
    return ImageOps.exif_transpose(upload)


def _assert_nothing_but_pixels(result):
    assert images.PHONE_MODEL.encode() not in result.clean_bytes
    stored = Image.open(io.BytesIO(result.clean_bytes))
    assert dict(stored.getexif()) == {}
    assert not {"exif", "xmp", "icc_profile", "comment"} & set(stored.info)
    for derived in (result.thumbnail_bytes, result.preview_bytes):
        assert images.PHONE_MODEL.encode() not in derived


# Pillow's advice when a palette with alpha is turned into RGBA, as the comparison does.
@pytest.mark.filterwarnings("ignore:Palette images with Transparency expressed in bytes")
@pytest.mark.parametrize("make", UPLOADS.values(), ids=UPLOADS.keys())
def test_the_stored_copy_has_exactly_the_uploads_upright_pixels(make):
    data = make()
    expected = _upright_first_frame(data)
    # Not black: a palette image re-encoded without its palette was stored black.
    assert np.asarray(expected.convert("RGB")).max() > 150

    result = process_upload(data, max_bytes=LIMIT)

    stored = Image.open(io.BytesIO(result.clean_bytes))
    assert (
        stored.format
        == {"image/png": "PNG", "image/webp": "WEBP", "image/jpeg": "JPEG"}[result.content_type]
    )
    assert stored.size == expected.size == (result.width, result.height)
    # In her picture's own mode (16-bit grey stays 16-bit), then as RGBA (which resolves a
    # palette and its transparency).
    assert stored.mode == expected.mode
    assert np.array_equal(np.asarray(stored), np.asarray(expected))
    assert np.array_equal(np.asarray(stored.convert("RGBA")), np.asarray(expected.convert("RGBA")))
    _assert_nothing_but_pixels(result)
    hashes = hashes_of_bytes(data)  # what a reference image or a recheck of it computes
    assert (result.phash, result.dhash) == (hashes.phash_hex, hashes.dhash_hex)


@pytest.mark.parametrize("make", JPEG_UPLOADS.values(), ids=JPEG_UPLOADS.keys())
def test_a_jpeg_that_must_be_reencoded_keeps_its_mode_and_its_pixels_within_a_few_levels(make):
    data = make()
    expected = _upright_first_frame(data)

    result = process_upload(data, max_bytes=LIMIT)

    assert not result.lossless and result.content_type == "image/jpeg"
    stored = Image.open(io.BytesIO(result.clean_bytes))
    assert stored.size == expected.size == (result.width, result.height)
    assert stored.mode == expected.mode  # CMYK stays CMYK, grey stays grey
    difference = np.abs(np.asarray(stored, dtype=int) - np.asarray(expected, dtype=int))
    assert difference.max() <= JPEG_MAX_DIFFERENCE
    assert difference.mean() <= JPEG_MEAN_DIFFERENCE
    _assert_nothing_but_pixels(result)


def _png_chunk_types(data: bytes) -> list[bytes]:
    kinds, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kinds.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return kinds


@pytest.mark.parametrize(
    "data",
    [
        images.heic(PICTURE, orientation=6),
        encoded(images.palette(PICTURE), "GIF", comment=images.PHONE_MODEL),
    ],
    ids=["heic", "gif"],
)
def test_heic_and_gif_are_stored_as_png_with_nothing_but_pixels(data):
    assert images.PHONE_MODEL.encode() in data
    if data.startswith(b"GIF"):
        assert Image.open(io.BytesIO(data)).info["comment"] == images.PHONE_MODEL.encode()
    else:
        assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    result = process_upload(data, max_bytes=LIMIT)

    assert (result.content_type, result.clean_extension) == ("image/png", "png")
    # Pixels, palette, transparency and nothing else: no eXIf, iTXt (XMP), tEXt or iCCP.
    assert set(_png_chunk_types(result.clean_bytes)) <= {
        b"IHDR",
        b"PLTE",
        b"tRNS",
        b"IDAT",
        b"IEND",
    }
    _assert_nothing_but_pixels(result)
    hashes = hashes_of_bytes(data)  # what a reference image or a recheck of it computes
    assert (result.phash, result.dhash) == (hashes.phash_hex, hashes.dhash_hex)


def test_a_16_bit_grey_png_has_a_thumbnail_of_its_picture_not_a_white_square():
    data = encoded(images.grey_16(PICTURE), "PNG")
    result = process_upload(data, max_bytes=LIMIT)
    thumbnail = np.asarray(Image.open(io.BytesIO(result.thumbnail_bytes)).convert("L"), int)
    expected = np.asarray(PICTURE.convert("L"), dtype=int)  # the same size: under 480 px
    assert np.abs(thumbnail - expected).mean() < 2


# Pillow warns of the EXIF blocks the damage broke, and carries on.
@pytest.mark.filterwarnings("ignore::UserWarning:PIL.TiffImagePlugin")
@pytest.mark.parametrize(
    "data",
    [images.heic(PICTURE, orientation=6), images.animated(images.palette(PICTURE), "GIF")],
    ids=["heic", "gif"],
)
def test_damaged_heic_and_gif_are_refused_with_a_message_never_an_error(data):
    """100 copies of each with a few bytes changed or cut short."""
    rng = random.Random(5)
    refused = 0
    for _ in range(100):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        if rng.random() < 0.3:
            damaged = damaged[: rng.randrange(2, len(damaged))]
        try:
            result = process_upload(bytes(damaged), max_bytes=LIMIT)
        except ImageRejected:
            refused += 1
            continue
        assert images.PHONE_MODEL.encode() not in result.clean_bytes
    assert refused > 10  # the damage was real

"""Lossless metadata stripping (evidence/stripping.py) and how process_upload uses it: no
metadata or trailing bytes survive, the pixels are exactly the upload's, anything odd is
re-encoded or refused with the usual message, never an unexpected error."""

import hashlib
import io
import random
import struct
import zipfile
import zlib

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageOps

from evidence import vault
from evidence.demo_images import make_image, screenshot_of
from evidence.imaging import ImageRejected, process_upload
from evidence.matching import matches_in_image
from evidence.matching.hashing import hashes_of_bytes
from evidence.models import EvidenceMatch
from evidence.services import evidence_add, reference_register
from evidence.stripping import MAX_SCANS, TooManyScans, strip_jpeg, strip_png, strip_webp
from tests import images

LIMIT = 20 * 1024 * 1024
COMMENT = b"<script>alert('comment')</script>"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
    b'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="Leakville"/>'
    b"</rdf:RDF></x:xmpmeta>"
)
ICC = b"\x00\x00\x02\x0cICCPROFILE-MARKER" + bytes(range(256)) * 4


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", "<script>alert('zip')</script>")
    return out.getvalue()


def _gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = "TestPhone 12"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 12.5)
    return exif


def _jpeg(size=(320, 240), seed=7, **options) -> bytes:
    picture = Image.open(io.BytesIO(make_image(seed=seed, size=size)))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=options.pop("quality", 90), **options)
    return out.getvalue()


def _loaded_jpeg() -> bytes:
    """EXIF with GPS, a comment with a script, XMP, an ICC profile and a ZIP after EOI."""
    return (
        _jpeg(exif=_gps_exif(), comment=COMMENT, xmp=XMP, icc_profile=ICC)
        + b"after EOI: "
        + _zip()
    )


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


PAYLOADS = [b"Exif", b"TestPhone", COMMENT, b"<script", XMP, b"Leakville", ICC[4:20]]
PAYLOADS += [b"ICC_PROFILE", b"PK\x03\x04", b"after EOI"]


# --- JPEG ---------------------------------------------------------------------------------


def test_jpeg_loses_every_metadata_segment_and_what_follows_eoi():
    data = _loaded_jpeg()
    for payload in PAYLOADS:
        assert payload in data
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    stripped = strip_jpeg(data)

    assert stripped is not None
    for payload in PAYLOADS:
        assert payload not in stripped
    # EOI is the last thing, and there is only one (inside scan data 0xFF is always stuffed).
    assert stripped.endswith(b"\xff\xd9")
    assert stripped.count(b"\xff\xd9") == 1
    reopened = Image.open(io.BytesIO(stripped))
    assert not {"exif", "icc_profile", "comment", "xmp"} & set(reopened.info)
    assert dict(reopened.getexif()) == {}


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"progressive": True},
        {"subsampling": "4:4:4"},
        {"restart_marker_rows": 1},
        {"keep_rgb": True},  # RGB without colour transform: an Adobe APP14 says so
        {"optimize": True, "quality": 60},
    ],
    ids=["baseline", "progressive", "444", "restart-markers", "adobe-rgb", "optimized"],
)
def test_jpeg_pixels_are_exactly_the_uploads(options):
    data = _jpeg(exif=_gps_exif(), comment=COMMENT, **options)
    stripped = strip_jpeg(data)
    assert stripped is not None
    assert np.array_equal(_pixels(stripped), _pixels(data))
    assert b"TestPhone" not in stripped and COMMENT not in stripped


def test_grey_jpeg_is_stripped_too():
    picture = Image.open(io.BytesIO(make_image(seed=2))).convert("L")
    out = io.BytesIO()
    picture.save(out, "JPEG", comment=COMMENT)
    stripped = strip_jpeg(out.getvalue())
    assert stripped is not None and COMMENT not in stripped
    assert np.array_equal(_pixels(stripped), _pixels(out.getvalue()))


def test_noisy_12_megapixel_scan_data_is_kept_byte_for_byte():
    """Many stuffed 0xFF 0x00 pairs in the scan: the stripper must not stop at any."""
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 256, (1500, 2000, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(noise).save(out, "JPEG", quality=95)
    data = out.getvalue()
    assert data.count(b"\xff\x00") > 1000
    assert strip_jpeg(data) == data  # Pillow writes nothing but JFIF, tables and the scan


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_a_turned_photo_is_reencoded_upright(orientation):
    # Left half red, right half blue, stored sideways with a tag saying how to turn it.
    picture = Image.new("RGB", (400, 200), (220, 0, 0))
    picture.paste((0, 0, 220), (200, 0, 400, 200))
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=_gps_exif(orientation), quality=95)
    data = out.getvalue()
    assert strip_jpeg(data) is None

    result = process_upload(data, max_bytes=LIMIT)

    assert not result.lossless
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    stored = Image.open(io.BytesIO(result.clean_bytes)).convert("RGB")
    assert (result.width, result.height) == upright.size == stored.size
    difference = np.abs(np.asarray(stored, dtype=int) - np.asarray(upright, dtype=int))
    assert difference.mean() < 2
    assert b"TestPhone" not in result.clean_bytes and b"Exif" not in result.clean_bytes
    assert dict(Image.open(io.BytesIO(result.clean_bytes)).getexif()) == {}


def test_orientation_1_is_stripped_losslessly():
    data = _jpeg(exif=_gps_exif(1))
    result = process_upload(data, max_bytes=LIMIT)
    assert result.lossless
    assert b"TestPhone" not in result.clean_bytes


def _segments(data: bytes):
    """(offset, marker, length) of each segment before the first scan."""
    pos = 2
    while True:
        marker, length = data[pos + 1], struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        yield pos, marker, length
        if marker == 0xDA:
            return
        pos += 2 + length


def _replace_marker(data: bytes, old: int, new: int) -> bytes:
    for pos, marker, _length in _segments(data):
        if marker == old:
            return data[: pos + 1] + bytes((new,)) + data[pos + 2 :]
    raise AssertionError("no such marker")


def _insert_after_soi(data: bytes, segment: bytes) -> bytes:
    return data[:2] + segment + data[2:]


PLAIN = _jpeg()


@pytest.mark.parametrize(
    "data",
    [
        PLAIN[:-2],  # no EOI
        PLAIN[: len(PLAIN) // 2],  # truncated in the scan
        PLAIN[:300],  # truncated in the headers
        _replace_marker(PLAIN, 0xC0, 0xC9),  # arithmetic coding
        _replace_marker(PLAIN, 0xC0, 0xC3),  # lossless
        _replace_marker(PLAIN, 0xC0, 0xC5),  # hierarchical
        _insert_after_soi(PLAIN, b"\xff\xcc\x00\x04\x00\x00"),  # DAC (arithmetic)
        _insert_after_soi(PLAIN, b"\xff\xd0"),  # RST outside a scan
        _insert_after_soi(PLAIN, b"\xff\xd8"),  # a second SOI
        _insert_after_soi(PLAIN, b"\xff\xe1\xff\xff"),  # a length past the end
        _insert_after_soi(PLAIN, b"\xff\xfe\x00\x01"),  # a length below 2
        _insert_after_soi(PLAIN, b"junk"),  # bytes where a marker must be
        PLAIN[:-2] + b"\xff\xc0" + PLAIN[PLAIN.index(b"\xff\xc0") + 2 :],  # a second frame
        _insert_after_soi(PLAIN, b"\xff\xe1\x00\x10Exif\x00\x00MM\x00*\x00\x00\x00\xff"),
    ],
    ids=[
        "no-eoi",
        "truncated-scan",
        "truncated-headers",
        "arithmetic",
        "lossless",
        "hierarchical",
        "dac",
        "stray-rst",
        "second-soi",
        "length-past-end",
        "length-below-2",
        "junk-between-segments",
        "second-frame",
        "unreadable-exif",
    ],
)
def test_anything_unusual_is_not_stripped_and_the_upload_is_reencoded_or_refused(data):
    assert strip_jpeg(data) is None
    try:
        result = process_upload(data, max_bytes=LIMIT)
    except ImageRejected as refused:
        assert "damaged or incomplete" in str(refused) or "not an image" in str(refused)
    else:
        assert not result.lossless
        Image.open(io.BytesIO(result.clean_bytes)).load()


def test_a_jpeg_with_hundreds_of_scans_is_refused_before_any_decoding():
    """Thousands of scans make libjpeg redo its work for each: refused, not re-encoded."""
    data = _jpeg(progressive=True)
    first_scan = data.index(b"\xff\xda")
    scans = data[first_scan:-2]  # every scan (and the tables between them), up to EOI
    assert strip_jpeg(data[:first_scan] + scans * 5 + b"\xff\xd9") is not None
    bomb = data[:first_scan] + scans * (MAX_SCANS // scans.count(b"\xff\xda") + 1) + b"\xff\xd9"
    with pytest.raises(TooManyScans):
        strip_jpeg(bomb)
    with pytest.raises(ImageRejected, match="unusual way"):
        process_upload(bomb, max_bytes=LIMIT)


@pytest.mark.parametrize("adobe", [True, False], ids=["adobe-marker", "no-marker"])
def test_cmyk_jpeg_is_stripped_losslessly_and_stays_cmyk(adobe):
    """Her four channels as they were: once re-encoded as RGB (three, through Pillow's rough
    conversion), with or without the Adobe APP14 marker that says how they are coded."""
    picture = Image.open(io.BytesIO(make_image(seed=4))).convert("CMYK")
    data = _jpeg_from(picture, exif=_gps_exif(), comment=COMMENT, icc_profile=ICC)
    if not adobe:
        pos, length = next((pos, n) for pos, marker, n in _segments(data) if marker == 0xEE)
        data = data[:pos] + data[pos + 2 + length :]
    assert (b"Adobe" in data) == adobe

    stripped = strip_jpeg(data)

    assert stripped is not None
    assert (b"Adobe" in stripped) == adobe
    for payload in (b"TestPhone", COMMENT, ICC[4:20], b"Exif"):
        assert payload in data and payload not in stripped
    clean = Image.open(io.BytesIO(stripped))
    assert clean.mode == "CMYK"
    assert np.array_equal(np.asarray(clean), _pixels(data))
    result = process_upload(data, max_bytes=LIMIT)
    assert result.lossless and result.clean_bytes == stripped
    hashes = hashes_of_bytes(data)
    assert (result.phash, result.dhash) == (hashes.phash_hex, hashes.dhash_hex)


def _jpeg_from(picture: Image.Image, **options) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90, **options)
    return out.getvalue()


def test_damaged_bytes_never_raise_anything_but_a_refusal():
    """200 copies of a small JPEG with EXIF, each with a few bytes changed or cut short."""
    data = _jpeg(size=(96, 64), exif=_gps_exif(), comment=COMMENT)
    rng = random.Random(9)
    for _ in range(200):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        if rng.random() < 0.3:
            damaged = damaged[: rng.randrange(2, len(damaged))]
        try:
            result = process_upload(bytes(damaged), max_bytes=LIMIT)
        except ImageRejected:
            continue
        assert b"TestPhone" not in result.clean_bytes
        assert COMMENT not in result.clean_bytes


# --- PNG ----------------------------------------------------------------------------------


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(mode="RGB", **options) -> bytes:
    picture = Image.open(io.BytesIO(make_image(seed=5, size=(200, 150))))
    if mode == "P":
        picture = picture.convert("P", palette=Image.Palette.ADAPTIVE)
        options.setdefault("transparency", 0)
    out = io.BytesIO()
    picture.save(out, "PNG", **options)
    return out.getvalue()


def _with_chunks_before_iend(data: bytes, *chunks: bytes) -> bytes:
    iend = data.rindex(b"IEND") - 4
    return data[:iend] + b"".join(chunks) + data[iend:]


def _loaded_png(mode="RGB") -> bytes:
    data = _png(mode, exif=_gps_exif(), icc_profile=ICC, dpi=(144, 144))
    return (
        _with_chunks_before_iend(
            data,
            _chunk(b"tEXt", b"Comment\x00" + COMMENT),
            _chunk(b"zTXt", b"Secret\x00\x00" + zlib.compress(b"GPS 51.5N")),
            _chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + XMP),
            _chunk(b"tIME", struct.pack(">HBBBBB", 2026, 11, 1, 22, 14, 3)),
            _chunk(b"prVt", b"TestPhone private chunk"),
        )
        + b"after IEND: "
        + _zip()
    )


@pytest.mark.parametrize("mode", ["RGB", "P"])
def test_png_keeps_pixels_and_transparency_and_nothing_else(mode):
    data = _loaded_png(mode)
    stripped = strip_png(data)

    assert stripped is not None
    for kind in (b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME", b"iCCP", b"pHYs", b"prVt"):
        assert kind in data and kind not in stripped
    for payload in (COMMENT, XMP, b"TestPhone", b"PK\x03\x04", b"after IEND"):
        assert payload not in stripped
    assert stripped.endswith(_chunk(b"IEND", b""))
    original, clean = Image.open(io.BytesIO(data)), Image.open(io.BytesIO(stripped))
    assert clean.mode == original.mode
    assert np.array_equal(np.asarray(clean.convert("RGBA")), np.asarray(original.convert("RGBA")))


def test_png_turned_by_its_exif_is_reencoded_upright():
    picture = Image.new("RGB", (300, 100), (0, 160, 0))
    out = io.BytesIO()
    picture.save(out, "PNG", exif=_gps_exif(6))
    assert strip_png(out.getvalue()) is None
    result = process_upload(out.getvalue(), max_bytes=LIMIT)
    assert not result.lossless
    assert (result.width, result.height) == (100, 300)
    assert b"TestPhone" not in result.clean_bytes


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-12],  # no IEND
        lambda data: data[:40] + bytes([data[40] ^ 1]) + data[41:],  # a CRC that fails
        lambda data: data[:8] + _chunk(b"tEXt", b"a\x00b") + data[8:],  # IHDR not first
        lambda data: _with_chunks_before_iend(data, _chunk(b"acTL", b"\x00" * 8)),  # animated
    ],
    ids=["no-iend", "bad-crc", "ihdr-not-first", "animated"],
)
def test_png_oddities_are_not_stripped(damage):
    data = damage(_png())
    assert strip_png(data) is None
    try:
        result = process_upload(data, max_bytes=LIMIT)
    except ImageRejected as refused:
        assert "damaged or incomplete" in str(refused) or "not an image" in str(refused)
    else:
        assert not result.lossless


# --- what process_upload makes of it -------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        _loaded_jpeg(),
        _jpeg(size=(4000, 3000), quality=80),  # decoded at a quarter of the size
        _jpeg(progressive=True),
        _loaded_png(),
        _loaded_png("P"),
        images.jpeg_with_gps(),
    ],
    ids=["jpeg", "jpeg-12mp", "progressive", "png", "png-palette", "jpeg-with-gps"],
)
def test_upload_is_stored_losslessly_and_hashed_as_everywhere_else(data):
    result = process_upload(data, max_bytes=LIMIT)

    assert result.lossless
    assert np.array_equal(_pixels(result.clean_bytes), _pixels(data))
    hashes = hashes_of_bytes(data)  # what reference images and rechecks compute
    assert (result.phash, result.dhash) == (hashes.phash_hex, hashes.dhash_hex)
    assert (result.width, result.height) == Image.open(io.BytesIO(data)).size
    for rendition in (result.clean_bytes, result.thumbnail_bytes, result.preview_bytes):
        for payload in PAYLOADS:
            assert payload not in rendition
    thumbnail = Image.open(io.BytesIO(result.thumbnail_bytes))
    assert max(thumbnail.size) == 480 or thumbnail.size == Image.open(io.BytesIO(data)).size


# --- WebP ---------------------------------------------------------------------------------


def _webp(mode="RGB", **options) -> bytes:
    picture = Image.open(io.BytesIO(make_image(seed=6, size=(240, 160)))).convert(mode)
    out = io.BytesIO()
    picture.save(out, "WEBP", **options)
    return out.getvalue()


@pytest.mark.parametrize(
    "options",
    [
        {"quality": 80},
        {"lossless": True},
        {"quality": 80, "exif": _gps_exif(), "xmp": XMP, "icc_profile": ICC},
        {"lossless": True, "exif": _gps_exif(1), "xmp": XMP},
    ],
    ids=["lossy", "lossless", "lossy-with-metadata", "lossless-with-metadata"],
)
@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_webp_keeps_its_bitstream_and_nothing_else(options, mode):
    data = _webp(mode, **options) + b"after RIFF: " + _zip()
    stripped = strip_webp(data)

    assert stripped is not None
    for payload in (b"TestPhone", XMP, ICC[4:20], b"EXIF", b"XMP ", b"ICCP", b"PK\x03\x04"):
        assert payload not in stripped
    original, clean = Image.open(io.BytesIO(data)), Image.open(io.BytesIO(stripped))
    assert clean.mode == original.mode
    assert np.array_equal(np.asarray(clean), np.asarray(original))
    assert not {"exif", "icc_profile", "xmp"} & set(clean.info)
    result = process_upload(data, max_bytes=LIMIT)
    assert result.lossless and result.clean_extension == "webp"
    hashes = hashes_of_bytes(data)
    assert (result.phash, result.dhash) == (hashes.phash_hex, hashes.dhash_hex)


def test_webp_turned_by_its_exif_is_reencoded_upright():
    data = _webp(exif=_gps_exif(6))
    assert strip_webp(data) is None
    result = process_upload(data, max_bytes=LIMIT)
    assert not result.lossless
    assert (result.width, result.height) == (160, 240)
    assert b"TestPhone" not in result.clean_bytes


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-6],  # shorter than its RIFF size says
        lambda data: data[:4] + struct.pack("<I", 3) + data[8:],  # an odd RIFF size
        lambda data: data[:16] + struct.pack("<I", 10**6) + data[20:],  # a chunk past the end
        lambda data: data[:12] + b"VP8X" + struct.pack("<I", 10) + b"\x02" + bytes(9) + data[12:],
    ],
    ids=["truncated", "odd-size", "chunk-past-end", "animated"],
)
def test_webp_oddities_are_not_stripped(damage):
    data = damage(_webp())
    assert strip_webp(data) is None
    try:
        result = process_upload(data, max_bytes=LIMIT)
    except ImageRejected as refused:
        assert "damaged or incomplete" in str(refused) or "not an image" in str(refused)
    else:
        assert not result.lossless


# --- what evidence_add makes of it ---------------------------------------------------------


def _as_jpeg_with_gps(data: bytes) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").save(out, "JPEG", quality=92, exif=_gps_exif())
    return out.getvalue()


@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_evidence_add_finds_what_matches_in_image_finds_in_the_stored_file(case, survivor, kind):
    """evidence_add matches on the picture it decoded once; the result is the one
    matches_in_image gives on the stored (stripped) bytes, regions included."""
    original = make_image(seed=40, size=(640, 480))
    reference_register(case=case, data=original, acting_user=survivor)
    reference_register(case=case, data=make_image(seed=41), acting_user=survivor)
    shot = screenshot_of(original, seed=40)
    data = shot if kind == "png" else _as_jpeg_with_gps(shot)

    evidence = evidence_add(
        case=case, upload=SimpleUploadedFile(f"shot.{kind}", data), acting_user=survivor
    )

    stored = vault.read(evidence)
    assert b"TestPhone" not in stored
    expected = matches_in_image(stored, references=case.references.all())
    found = EvidenceMatch.objects.filter(evidence=evidence)
    assert expected and any(match.region for match in expected)
    assert sorted(
        (m.reference_id, m.phash_distance, m.dhash_distance, m.region) for m in found
    ) == sorted(
        (m.reference.pk, m.phash_distance, m.dhash_distance, list(m.region) if m.region else None)
        for m in expected
    )
    assert (evidence.sha256, evidence.stored_sha256) == (
        hashlib.sha256(data).hexdigest(),
        hashlib.sha256(stored).hexdigest(),
    )


def test_evidence_add_in_a_case_without_references_matches_nothing(case, survivor):
    evidence = evidence_add(
        case=case, upload=SimpleUploadedFile("a.jpg", _loaded_jpeg()), acting_user=survivor
    )
    assert not EvidenceMatch.objects.filter(evidence=evidence).exists()
    assert evidence.stored_sha256 == hashlib.sha256(vault.read(evidence)).hexdigest()

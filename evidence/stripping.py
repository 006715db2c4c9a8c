"""Metadata taken out of a JPEG or PNG without re-encoding it: the pixels stay exactly as
uploaded, and storing a 12-megapixel screenshot no longer costs a JPEG encode (258 ms of
the 410 ms evidence.imaging.process_upload took, bench/RESULTS.md).

JPEG. A JPEG is a list of marker segments (ITU-T T.81, B.1): SOI, then segments that each
say their own length, then for each scan an SOS header followed by entropy-coded data that
runs to the next marker (inside it a 0xFF data byte is written 0xFF 0x00, and restart markers
RST0-7 belong to the data), then EOI. We keep only what decoding needs, in their order:
  - the frame header, for baseline, extended sequential and progressive Huffman JPEGs
    (SOF0, SOF1, SOF2) with 1, 3 or 4 (CMYK, YCCK) components of 8 bits;
  - quantisation and Huffman tables (DQT, DHT) and the restart interval (DRI);
  - every scan: SOS header and its entropy-coded data;
  - and two flags that change how the colours are decoded, written afresh rather than
    copied: a JFIF APP0 (3 components are YCbCr) and an Adobe APP14's colour transform
    (3 components: RGB or YCbCr; 4: CMYK or YCCK).
Dropped: every APPn segment as uploaded (EXIF with GPS and the EXIF thumbnail, XMP, ICC
profiles, maker notes, Photoshop IRB, JFIF thumbnails), comments (COM), fill bytes, and every
byte after EOI (a ZIP or HTML page appended to make a polyglot).
Anything unusual gives None and the caller re-encodes from the pixels instead: arithmetic
coding, lossless and hierarchical JPEGs, more than one frame, 12-bit samples, a height
left to a DNL marker, segment lengths that run past the end, a marker where none may be, no
EOI (a truncated file).

The entropy-coded data is kept byte for byte, so a payload written into it (not a valid
picture there, but bytes without 0xFF) survives, as it would in any lossless copy; what
stops it being run is that the stored file is only ever served as an image, with nosniff.

PNG. Chunks (PNG spec, 5.3) carry their own type and CRC. We keep the critical chunks
(IHDR, PLTE, IDAT, IEND) and the few ancillary ones that change how the pixels look
(tRNS transparency; gAMA, cHRM and sRGB, which are small fixed-size numbers), each with its
CRC checked; everything else goes (tEXt, zTXt, iTXt, eXIf, tIME, pHYs, iCCP, unknown chunks)
and so does every byte after IEND. An animated PNG (acTL, fcTL, fdAT) gives None.

WebP. RIFF chunks (WebP container spec): we keep the bitstream (VP8 or VP8L), its alpha
(ALPH) and the extended header (VP8X) with its ICC, EXIF and XMP flags cleared; ICCP, EXIF,
XMP, unknown chunks and anything after the RIFF go. An animated WebP gives None.

Orientation. A photo taken sideways is stored sideways with an EXIF tag saying how to turn
it. Dropping the tag would show it on its side, so an orientation other than 1 gives None:
the caller turns the pixels and re-encodes, as before.
"""

import re
import struct
import warnings
import zlib

from PIL import ExifTags, Image

# --- JPEG -------------------------------------------------------------------------------

SOI, EOI, SOS = 0xD8, 0xD9, 0xDA
DQT, DHT, DRI = 0xDB, 0xC4, 0xDD
APP0, APP1, APP14, COM = 0xE0, 0xE1, 0xEE, 0xFE
# Baseline, extended sequential and progressive, all Huffman-coded (T.81, table B.1).
FRAME_MARKERS = {0xC0, 0xC1, 0xC2}
# Grey; YCbCr or RGB; CMYK or YCCK (T.81 allows up to 255, JFIF and Adobe use these).
JPEG_COMPONENTS = {1, 3, 4}
TABLE_MARKERS = {DQT, DHT, DRI}
METADATA_MARKERS = {*range(0xE0, 0xF0), COM}  # APP0-APP15, COM

# The end of entropy-coded data: 0xFF followed by anything but a stuffed 0x00 or RST0-7.
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7]")
# JFIF 1.01, no units, 1:1 pixels, no thumbnail.
_JFIF = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
ORIENTATION_UPRIGHT = 1
# A progressive JPEG from a camera, phone or browser has about 10 scans (mozjpeg up to ~20).
# Thousands of tiny scans make libjpeg redo its work for each one: a known way to burn
# minutes of CPU with a small file (libjpeg-turbo's djpeg has -maxscan for it; Pillow has no
# such limit). Such a file is refused, not re-encoded: decoding it is the attack.
MAX_SCANS = 100


class TooManyScans(ValueError):
    """A JPEG whose number of scans only an attack needs."""


def _segment(marker: int, body: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(body) + 2) + body


def strip_jpeg(data: bytes) -> bytes | None:
    """The JPEG with nothing but what decoding needs, or None when it is not one we strip
    (the caller re-encodes from the pixels then). Raises TooManyScans for a file that must
    not be decoded at all."""
    if not data.startswith(b"\xff\xd8"):
        return None
    kept: list[bytes] = []
    jfif = False
    adobe_transform: int | None = None
    frame_components = 0
    scans = 0
    pos, end = 2, len(data)
    while True:
        # A marker: 0xFF, any number of 0xFF fill bytes, the marker's code.
        if pos >= end or data[pos] != 0xFF:
            return None
        while pos < end and data[pos] == 0xFF:
            pos += 1
        if pos >= end:
            return None
        marker = data[pos]
        pos += 1
        if marker == EOI:
            if not frame_components or not scans:
                return None
            break  # everything after EOI is dropped
        if pos + 2 > end:
            return None
        length = (data[pos] << 8) | data[pos + 1]
        if length < 2 or pos + length > end:
            return None
        body = data[pos + 2 : pos + length]
        pos += length

        if marker in METADATA_MARKERS:
            if marker == APP0 and body.startswith(b"JFIF\x00"):
                jfif = True
            elif marker == APP14 and body.startswith(b"Adobe") and len(body) >= 12:
                adobe_transform = body[11]
            elif (
                marker == APP1
                and body.startswith(b"Exif\x00\x00")
                and _orientation(body) != ORIENTATION_UPRIGHT
            ):
                return None
            continue
        if marker in FRAME_MARKERS:
            frame_components = _frame_components(body, already=frame_components)
            if not frame_components:
                return None
            kept.append(_segment(marker, body))
        elif marker in TABLE_MARKERS:
            if not body:
                return None
            kept.append(_segment(marker, body))
        elif marker == SOS:
            if not frame_components or not _scan_header_ok(body, frame_components):
                return None
            found = _SCAN_END.search(data, pos)
            if found is None:
                return None
            kept.append(_segment(marker, body))
            kept.append(data[pos : found.start()])
            pos = found.start()
            scans += 1
            if scans > MAX_SCANS:
                raise TooManyScans(f"more than {MAX_SCANS} scans")
        else:
            # Arithmetic coding (SOF9-15, DAC), lossless and hierarchical (SOF3, SOF5-7,
            # DHP, EXP), DNL, JPG extensions, a second SOI, RSTn outside a scan, TEM.
            return None

    header = [b"\xff\xd8"]
    if jfif:
        header.append(_segment(APP0, _JFIF))
    if adobe_transform is not None:
        # "Adobe", version 100, no flags, the colour transform (0: none, 1: YCbCr).
        header.append(
            _segment(APP14, b"Adobe\x00\x64\x00\x00\x00\x00" + bytes((adobe_transform,)))
        )
    return b"".join([*header, *kept, b"\xff\xd9"])


def _frame_components(body: bytes, *, already: int) -> int:
    """Number of components of a frame we keep as it is; 0 when we do not."""
    if already or len(body) < 6:
        return 0  # a second frame, or a header too short
    precision, height, width, components = struct.unpack(">BHHB", body[:6])
    if precision != 8 or height == 0 or width == 0 or components not in JPEG_COMPONENTS:
        return 0  # 12-bit samples, a DNL height, 2 components: re-encoded instead
    if len(body) != 6 + 3 * components:
        return 0
    return components


def _scan_header_ok(body: bytes, frame_components: int) -> bool:
    if not body:
        return False
    count = body[0]
    return 1 <= count <= frame_components and len(body) == 4 + 2 * count


def _orientation(exif_body: bytes) -> int | None:
    """The EXIF orientation tag (1 when there is none), None when the block is unreadable."""
    exif = Image.Exif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # Pillow warns of corrupt EXIF and carries on
            exif.load(exif_body)
        return int(exif.get(ExifTags.Base.Orientation, ORIENTATION_UPRIGHT))
    except Exception:  # any damage to the block means "do not strip"
        return None


# --- PNG --------------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Chunks kept, with their fixed sizes where they have one: pixels, palette, transparency,
# and how the colours are meant to look. Anything else is dropped.
PNG_KEPT = {b"IHDR": 13, b"PLTE": None, b"tRNS": None, b"IDAT": None, b"IEND": 0}
PNG_KEPT_COLOUR = {b"gAMA": 4, b"cHRM": 32, b"sRGB": 1}
PNG_ANIMATION = {b"acTL", b"fcTL", b"fdAT"}


def strip_png(data: bytes) -> bytes | None:
    """The PNG with nothing but its pixels, palette, transparency and colour space, or
    None when it is not one we strip (the caller re-encodes from the pixels then)."""
    if not data.startswith(PNG_SIGNATURE):
        return None
    kept = [PNG_SIGNATURE]
    pos, end = len(PNG_SIGNATURE), len(data)
    first = True
    has_pixels = False
    while True:
        if pos + 12 > end:
            return None  # no IEND: truncated
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk_end = pos + 12 + length
        if length > 0x7FFFFFFF or chunk_end > end:
            return None
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[chunk_end - 4 : chunk_end])
        if zlib.crc32(kind + body) != crc:
            return None
        if first and kind != b"IHDR":
            return None
        first = False
        if kind in PNG_ANIMATION:
            return None
        if kind == b"eXIf" and _orientation(body) != ORIENTATION_UPRIGHT:
            return None
        if kind in PNG_KEPT:
            if PNG_KEPT[kind] is not None and length != PNG_KEPT[kind]:
                return None
            kept.append(data[pos:chunk_end])
            has_pixels = has_pixels or kind == b"IDAT"
        elif PNG_KEPT_COLOUR.get(kind) == length:
            kept.append(data[pos:chunk_end])
        pos = chunk_end
        if kind == b"IEND":
            break  # everything after IEND is dropped
    return b"".join(kept) if has_pixels else None


# --- WebP -------------------------------------------------------------------------------

# RIFF container (WebP container spec): "RIFF", size, "WEBP", then chunks of FourCC, size
# (little-endian) and payload padded to an even length. VP8X's first byte holds flags.
WEBP_KEPT = {b"VP8 ", b"VP8L", b"ALPH"}
VP8X_ICC, VP8X_EXIF, VP8X_XMP, VP8X_ANIMATION = 0x20, 0x08, 0x04, 0x02


def strip_webp(data: bytes) -> bytes | None:
    """The WebP with nothing but its bitstream (and alpha), or None when it is not one we
    strip: animated, damaged, or turned by its EXIF (the caller re-encodes then)."""
    if len(data) < 20 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    (riff_size,) = struct.unpack("<I", data[4:8])
    end = 8 + riff_size
    if riff_size % 2 or end > len(data):
        return None
    extended: bytearray | None = None
    kept: list[bytes] = []
    pos = 12
    while pos < end:
        if pos + 8 > end:
            return None
        kind, (size,) = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])
        chunk_end = pos + 8 + size + (size % 2)
        if chunk_end > end:
            return None
        body = data[pos + 8 : pos + 8 + size]
        if kind == b"VP8X":
            if pos != 12 or size != 10:
                return None
            extended = bytearray(body)
            if extended[0] & VP8X_ANIMATION:
                return None
            extended[0] &= ~(VP8X_ICC | VP8X_EXIF | VP8X_XMP) & 0xFF
        elif kind in (b"ANIM", b"ANMF") or (
            kind == b"EXIF" and _orientation(body) != ORIENTATION_UPRIGHT
        ):
            return None
        elif kind in WEBP_KEPT:
            kept.append(data[pos:chunk_end])
        pos = chunk_end  # ICCP, EXIF, XMP and unknown chunks are dropped
    bitstreams = [chunk for chunk in kept if chunk[:4] in (b"VP8 ", b"VP8L")]
    if len(bitstreams) != 1 or (extended is None and len(kept) != 1):
        return None
    if extended is not None:
        kept.insert(0, b"VP8X" + struct.pack("<I", 10) + bytes(extended))
    body = b"WEBP" + b"".join(kept)
    return b"RIFF" + struct.pack("<I", len(body)) + body  # anything after the RIFF goes

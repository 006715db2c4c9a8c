"""Read an uploaded image safely and make what we store from it.

Every upload is opened with limits first (bytes, pixels, formats). What we store carries no
metadata: EXIF holds GPS positions, phone models and times that must not sit in a case file.

JPEG, PNG and WebP are stripped losslessly (evidence.stripping): the metadata segments and
chunks, and anything after the end of the image, are cut out and the pixel data is kept byte
for byte, then the result is decoded to make sure it is a picture and to hash it. A JPEG is
decoded once, at reduced size (the same `draft()` decode the hashes use everywhere,
evidence.matching.hashing.open_for_hashing), and that decode also gives the thumbnail and
the blurred preview. Decoding runs through all of the compressed data even at reduced size,
so a damaged or truncated file still fails here.
Anything else (a photo whose EXIF says to turn it, arithmetic-coded JPEGs, animated PNGs and
WebPs, a file the stripper finds odd, every GIF and HEIC) is fully decoded, its first frame
turned upright and re-encoded from its pixels (_reencode_without_metadata). What is stored
is then exactly the upright first frame as Pillow decodes the upload, in its own mode
(palette and transparency, grey with alpha, 16-bit grey), except for a JPEG, which is
re-encoded as a JPEG at quality 100 without chroma subsampling: each channel within a few
levels of the decoded upload. A PNG would be exact but costs seconds: a turned 12 MP photo
(bench/reencode_stored_copy.py, this machine under load) took 85 ms and 10 MB this way,
4 levels off at most; 2.2 s and 18 MB as a PNG at its fastest, 7.4 s and 16 MB by default;
79 ms and 3.4 MB, but up to 21 levels off, at the former quality 95 and 4:2:0.
GIF and HEIC are stored as PNG: lossless, shown by every browser (no browser but Safari
shows HEIC), and nothing of the GIF's comment and application blocks or the HEIC's EXIF,
XMP, depth maps and thumbnails comes along (a GIF could be stripped instead, but its
blocks need a parser of their own, for a format that is rare as evidence). Pillow decodes
PNGs of 16 bits per colour channel at 8 bits, so one that must be re-encoded keeps those 8
(a 16-bit grey PNG keeps all 16); one that can be stripped keeps every bit.

CPU time of process_upload before and after (this machine, /tmp scripts, Nov 2026): a 12 MP,
3 MB JPEG 269 -> 51 ms (re-encoding it alone took 258 ms with optimize); a 1170x2532 PNG
screenshot 479 -> 81 ms; a 1170x2532 WebP 913 -> 353 ms (and stored at its own 22 kB, not
re-encoded losslessly at 149 kB).
"""

import hashlib
import io
from dataclasses import dataclass, field

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from PIL import Image, ImageFilter, ImageOps

# Opening with limits (formats, pixels, JPEG scans, Pillow's bomb errors) lives in
# evidence.image_open, the one opener for uploads and fetched images alike.
from evidence.image_open import ACCEPTED_NAMES as ACCEPTED_NAMES
from evidence.image_open import ALLOWED_FORMATS, DAMAGED, ImageRejected, open_image
from evidence.image_open import MAX_PIXELS as MAX_PIXELS
from evidence.image_open import decode as _load_checked
from evidence.image_open import open_image as _open_header_checked
from evidence.matching.hashing import DRAFT_SIZE, ImageHashes, as_rgb, hashes_of, hashes_of_bytes
from evidence.stripping import TooManyScans, strip_jpeg, strip_png, strip_webp

# What an upload of each type is stored as (see the docstring for GIF and HEIC).
STORED_AS = {
    "image/jpeg": "image/jpeg",
    "image/png": "image/png",
    "image/webp": "image/webp",
    "image/gif": "image/png",
    "image/heic": "image/png",
}
# Of the stored copy: every value of STORED_AS.
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
# The file pickers' accept= (extensions too: some systems do not map .heic to a media type,
# and iOS turns a HEIC photo into a JPEG unless HEIC is asked for).
ACCEPT_ATTRIBUTE = ",".join([*ALLOWED_FORMATS.values(), "image/heif", ".heic", ".heif"])
THUMBNAIL_SIZE = (480, 480)
# Pillow's thumbnail() shrinks by whole factors with a box filter while the image is more
# than this many times the size asked for, then resamples (see Image.thumbnail).
THUMBNAIL_REDUCING_GAP = 1.0
# The blurred preview keeps only colour: 10 px wide, then a blur, so nothing is recognisable.
PREVIEW_SOURCE_WIDTH = 10
PREVIEW_SIZE = (480, 480)
PREVIEW_BLUR_SIZE = (120, 120)
PREVIEW_BLUR_RADIUS = 6
# Only when a JPEG cannot be stripped losslessly. No `optimize`: it tripled the encode.
# Quality 100 and 4:4:4 (no chroma subsampling): within a few levels of the decoded upload
# (at 95 and Pillow's default 4:2:0, up to 21 levels; bench/reencode_stored_copy.py).
REENCODE_JPEG_QUALITY = 100
REENCODE_JPEG_SUBSAMPLING = 0  # Pillow's code for 4:4:4
# zlib's fastest level, for the photos a HEIC holds. A 12 MP photo as PNG
# (bench/reencode_stored_copy.py, this machine under load): 2.2 s and 18 MB, against 7.4 s
# and 16 MB at Pillow's default 6; a 1170x2532 screenshot: 192 ms and 385 kB against 290 ms
# and 286 kB.
REENCODE_PNG_COMPRESS_LEVEL = 1
# Modes each stored format holds as they are (Pillow's JPEG, PNG and WebP writers); any
# other is converted (RGB for JPEG, RGBA otherwise) before it is written.
JPEG_MODES = {"L", "RGB", "CMYK"}
PNG_MODES = {"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"}
WEBP_MODES = {"RGB", "RGBA"}


@dataclass(frozen=True)
class ProcessedImage:
    original_sha256: str
    original_size: int
    content_type: str
    width: int
    height: int
    phash: str
    dhash: str
    clean_bytes: bytes  # the image without metadata: what we store
    clean_extension: str  # content_type is clean_bytes' type (STORED_AS of the upload's)
    thumbnail_bytes: bytes  # JPEG
    preview_bytes: bytes  # JPEG, blurred beyond recognition
    # True when clean_bytes are the upload's own pixel data with the metadata cut out; False
    # when they were re-encoded from the pixels.
    lossless: bool = False
    # PDQ (64 hex digits) and its quality, of the same picture as phash and dhash.
    pdq: str = ""
    pdq_quality: int | None = None
    # The upright RGB picture the hashes were computed from (a JPEG at reduced size), for
    # looking for reference images in it without decoding again. None for a re-encoded JPEG.
    picture: Image.Image | None = field(default=None, repr=False, compare=False)
    hashes: ImageHashes | None = field(default=None, repr=False, compare=False)


def process_upload(data: bytes, *, max_bytes: int) -> ProcessedImage:
    if len(data) > max_bytes:
        raise ImageRejected(too_big_message(len(data), max_bytes))
    if len(data) == 0:
        raise ImageRejected(gettext("The file is empty."))

    header = _open_header_checked(data)
    uploaded_type = ALLOWED_FORMATS[header.format]
    content_type = STORED_AS[uploaded_type]
    width, height = header.size
    stripped = _strip_losslessly(data, uploaded_type)
    decoded = _decode_stripped(stripped, uploaded_type, header.size) if stripped else None
    if decoded is not None:
        clean_bytes, lossless, full = stripped, True, decoded
        # As evidence.matching.hashing.open_for_hashing decodes the upload (the stripped bytes have
        # the same pixel data and no EXIF to turn it by), so the hashes are the same.
        picture = decoded if decoded.mode == "RGB" else as_rgb(decoded)
        hashes = hashes_of(picture)
    else:
        full = _load_checked(header)  # the first frame of an animation
        # Turn phone photos the right way up before the orientation tag is dropped. (HEIC:
        # pillow-heif has applied the file's own rotation and set the tag to upright.)
        full = ImageOps.exif_transpose(full)
        width, height = full.size
        clean_bytes, lossless = _reencode_without_metadata(full, content_type), False
        if uploaded_type == "image/jpeg":
            # Hashed from the reduced-size decode every JPEG gets (open_for_hashing).
            picture = None
            try:
                hashes = hashes_of_bytes(data)
            except ValueError as exc:
                raise ImageRejected(DAMAGED) from exc
        else:
            # open_for_hashing would decode it in full again to this same upright picture:
            # 1.2 s more for a 12 MP HEIC (bench/reencode_stored_copy.py --heic).
            picture = as_rgb(full)
            hashes = hashes_of(picture)
    thumbnail = _thumbnail(full)
    return ProcessedImage(
        original_sha256=hashlib.sha256(data).hexdigest(),
        original_size=len(data),
        content_type=content_type,
        width=width,
        height=height,
        # The same hashing as reference images (a reduced-size decode), so they compare.
        phash=hashes.phash_hex,
        dhash=hashes.dhash_hex,
        pdq=hashes.pdq_hex or "",
        pdq_quality=hashes.pdq_quality,
        clean_bytes=clean_bytes,
        clean_extension=EXTENSIONS[content_type],
        thumbnail_bytes=_jpeg_bytes(thumbnail, quality=85),
        preview_bytes=_blurred_preview(thumbnail),
        lossless=lossless,
        picture=picture,
        hashes=hashes,
    )


def check_image(data: bytes, *, max_bytes: int) -> None:
    """The same limits as process_upload, for images that are only hashed, never stored."""
    if len(data) > max_bytes:
        raise ImageRejected(too_big_message(len(data), max_bytes))
    if len(data) == 0:
        raise ImageRejected(gettext("The file is empty."))
    _open_checked(data)


def too_big_message(size: int, max_bytes: int) -> str:
    return gettext(
        "The file is %(size)s; the limit is %(limit)s. "
        "A screenshot saved as JPEG or PNG is usually well under that."
    ) % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes)}


def _open_checked(data: bytes) -> Image.Image:
    """Opened within the limits and fully decoded: a truncated file fails here."""
    return _load_checked(_open_header_checked(data))


def _strip_losslessly(data: bytes, content_type: str) -> bytes | None:
    if content_type == "image/jpeg":
        try:
            return strip_jpeg(data)
        except TooManyScans as exc:
            raise ImageRejected(
                "This JPEG is built in an unusual way (hundreds of passes) that we cannot "
                "safely check. Please save it again as an ordinary JPEG or PNG."
            ) from exc
    if content_type == "image/png":
        return strip_png(data)
    if content_type == "image/webp":
        return strip_webp(data)
    return None  # GIF and HEIC: always re-encoded


def _decode_stripped(
    stripped: bytes, content_type: str, size: tuple[int, int]
) -> Image.Image | None:
    """The stripped bytes decoded (a JPEG at the hashes' reduced size), or None when they
    do not decode to the upload's picture: the caller then falls back to re-encoding, which
    decodes the upload itself and refuses it if that fails too."""
    try:
        image = open_image(stripped)  # the same rules as the upload itself
        if ALLOWED_FORMATS.get(image.format) != content_type:
            return None
        if image.size != size:
            return None
        # Runs through all the compressed data, even at reduced size.
        image = _load_checked(image, draft=DRAFT_SIZE)
    except Exception:  # whatever went wrong, the upload itself is decoded instead
        return None
    return image


def _reencode_without_metadata(image: Image.Image, content_type: str) -> bytes:
    """The picture's pixels, and only them, in the stored format: exactly the pixels given
    (a JPEG within a few levels of them)."""
    clean = _pixels_only(image)
    out = io.BytesIO()
    if content_type == "image/jpeg":
        if clean.mode not in JPEG_MODES:
            clean = clean.convert("RGB")
        clean.save(
            out,
            format="JPEG",
            quality=REENCODE_JPEG_QUALITY,
            subsampling=REENCODE_JPEG_SUBSAMPLING,
        )
    elif content_type == "image/webp":
        if clean.mode not in WEBP_MODES:
            clean = clean.convert("RGBA")
        # exact: keep the colour under fully transparent pixels (the encoder drops it).
        clean.save(out, format="WEBP", lossless=True, exact=True)
    else:
        if clean.mode not in PNG_MODES:
            clean = clean.convert("RGBA")
        clean.save(out, format="PNG", compress_level=REENCODE_PNG_COMPRESS_LEVEL)
    return out.getvalue()


def _pixels_only(image: Image.Image) -> Image.Image:
    """A copy with its pixels, palette and transparency, and no other info: Pillow's writers
    take EXIF, ICC profiles, XMP and comments from info. (The copy was once a blank image of
    the same mode with the pixels pasted in: that drops the palette, and every palette image
    that had to be re-encoded was stored black; it dropped the transparency too.)"""
    clean = image.copy()
    clean.info = {key: image.info[key] for key in ("transparency",) if key in image.info}
    return clean


def _as_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    rgb = as_rgb(image)
    # convert() copies the original's info, and Pillow writes info["comment"] back into
    # every JPEG it saves: a thumbnail would carry the upload's comment block.
    rgb.info = {}
    return rgb


def _thumbnail(image: Image.Image) -> Image.Image:
    thumb = _as_rgb(image)
    # Halved with a box filter first, then resampled: 5 ms instead of 8 from a 1000 px decode.
    thumb.thumbnail(THUMBNAIL_SIZE, reducing_gap=THUMBNAIL_REDUCING_GAP)
    return thumb


def _blurred_preview(thumbnail: Image.Image) -> bytes:
    small = thumbnail.copy()
    small.thumbnail((PREVIEW_SOURCE_WIDTH, PREVIEW_SOURCE_WIDTH))
    # Blurred at a quarter of the size, then enlarged: the same washes of colour as a blur of
    # radius 24 at full size, in under 1 ms instead of 8 (bench/benchmarks/ingest.py).
    blurred = small.resize(_fit(small.size, PREVIEW_BLUR_SIZE), Image.Resampling.BILINEAR).filter(
        ImageFilter.GaussianBlur(radius=PREVIEW_BLUR_RADIUS)
    )
    preview = blurred.resize(_fit(small.size, PREVIEW_SIZE), Image.Resampling.BILINEAR)
    return _jpeg_bytes(preview, quality=70)


def _jpeg_bytes(image: Image.Image, *, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def _fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    scale = min(box[0] / size[0], box[1] / size[1])
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))

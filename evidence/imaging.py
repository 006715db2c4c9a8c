"""Read an uploaded image safely and make what we store from it.

Every upload is opened with limits first (bytes, pixels, formats). What we store carries no
metadata: EXIF holds GPS positions, phone models and times that must not sit in a case file.

JPEG, PNG and WebP are stripped losslessly (evidence.stripping): the metadata segments and
chunks, and anything after the end of the image, are cut out and the pixel data is kept byte
for byte, then the result is decoded to make sure it is a picture and to hash it. A JPEG is
decoded once, at reduced size (the same `draft()` decode the hashes use everywhere,
evidence.hashing.open_for_hashing), and that decode also gives the thumbnail and the blurred
preview. Decoding runs through all of the compressed data even at reduced size, so a damaged
or truncated file still fails here.
Anything else (a photo whose EXIF says to turn it, CMYK or arithmetic-coded JPEGs, animated
PNGs and WebPs, a file the stripper finds odd) is fully decoded, turned upright and
re-encoded from its pixels, as every upload used to be.

CPU time of process_upload before and after (this machine, /tmp scripts, Nov 2026): a 12 MP,
3 MB JPEG 269 -> 51 ms (re-encoding it alone took 258 ms with optimize); a 1170x2532 PNG
screenshot 479 -> 81 ms; a 1170x2532 WebP 913 -> 353 ms (and stored at its own 22 kB, not
re-encoded losslessly at 149 kB).
"""

import hashlib
import io
import warnings
from dataclasses import dataclass, field

from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageFilter, ImageOps

from evidence.hashing import DRAFT_SIZE, ImageHashes, hashes_of, hashes_of_bytes

# Opening with limits (formats, pixels, JPEG scans, Pillow's bomb errors) moved to
# evidence.image_open, the one opener for uploads and fetched images alike.
from evidence.image_open import ALLOWED_FORMATS, DAMAGED, ImageRejected, open_image
from evidence.image_open import MAX_PIXELS as MAX_PIXELS
from evidence.image_open import decode as _load_checked
from evidence.image_open import open_image as _open_header_checked
from evidence.stripping import TooManyScans, strip_jpeg, strip_png, strip_webp

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
THUMBNAIL_SIZE = (480, 480)
# Pillow's thumbnail() shrinks by whole factors with a box filter while the image is more
# than this many times the size asked for, then resamples (see Image.thumbnail).
THUMBNAIL_REDUCING_GAP = 1.0
# The blurred preview keeps only colour: 10 px wide, then a blur, so nothing is recognisable.
PREVIEW_SOURCE_WIDTH = 10
PREVIEW_SIZE = (480, 480)
PREVIEW_BLUR_SIZE = (120, 120)
PREVIEW_BLUR_RADIUS = 6
# Only when an upload cannot be stripped losslessly. No `optimize`: it tripled the encode.
REENCODE_JPEG_QUALITY = 95


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
    clean_extension: str
    thumbnail_bytes: bytes  # JPEG
    preview_bytes: bytes  # JPEG, blurred beyond recognition
    # True when clean_bytes are the upload's own pixel data with the metadata cut out; False
    # when they were re-encoded from the pixels.
    lossless: bool = False
    # The upright RGB picture the hashes were computed from (a JPEG at reduced size), for
    # looking for reference images in it without decoding again.
    picture: Image.Image | None = field(default=None, repr=False, compare=False)
    hashes: ImageHashes | None = field(default=None, repr=False, compare=False)


def process_upload(data: bytes, *, max_bytes: int) -> ProcessedImage:
    if len(data) > max_bytes:
        raise ImageRejected(too_big_message(len(data), max_bytes))
    if len(data) == 0:
        raise ImageRejected("The file is empty.")

    header = _open_header_checked(data)
    content_type = ALLOWED_FORMATS[header.format]
    width, height = header.size
    stripped = _strip_losslessly(data, content_type)
    decoded = _decode_stripped(stripped, content_type, header.size) if stripped else None
    if decoded is not None:
        clean_bytes, lossless, full = stripped, True, decoded
        # As evidence.hashing.open_for_hashing decodes the upload (the stripped bytes have
        # the same pixel data and no EXIF to turn it by), so the hashes are the same.
        picture = decoded if decoded.mode == "RGB" else decoded.convert("RGB")
        # No PDQ: nothing stored or matched for evidence uses it (8 ms of 13 here).
        hashes = hashes_of(picture, pdq=False)
    else:
        full = _load_checked(header)
        # Turn phone photos the right way up before the orientation tag is dropped.
        full = ImageOps.exif_transpose(full)
        width, height = full.size
        clean_bytes, lossless = _reencode_without_metadata(full, content_type), False
        picture = None
        try:
            hashes = hashes_of_bytes(data, pdq=False)
        except ValueError as exc:
            raise ImageRejected(DAMAGED) from exc
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
        raise ImageRejected("The file is empty.")
    _open_checked(data)


def too_big_message(size: int, max_bytes: int) -> str:
    return (
        f"The file is {filesizeformat(size)}; the limit is {filesizeformat(max_bytes)}. "
        "A screenshot saved as JPEG or PNG is usually well under that."
    )


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
    return strip_webp(data)


def _decode_stripped(
    stripped: bytes, content_type: str, size: tuple[int, int]
) -> Image.Image | None:
    """The stripped bytes decoded (a JPEG at the hashes' reduced size), or None when they
    do not decode to the upload's picture: the caller then falls back to re-encoding, which
    decodes the upload itself and refuses it if that fails too."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = open_image(stripped)  # the same rules as the upload itself
            if ALLOWED_FORMATS.get(image.format) != content_type:
                return None
            if image.size != size:
                return None
            if image.format == "JPEG":
                image.draft("RGB", DRAFT_SIZE)
            image.load()  # runs through all the compressed data, even at reduced size
    except Exception:  # whatever went wrong, the upload itself is decoded instead
        return None
    return image


def _reencode_without_metadata(image: Image.Image, content_type: str) -> bytes:
    out = io.BytesIO()
    # A fresh image carries no EXIF, XMP, ICC profile, comment or GPS block from the original
    # (Pillow writes info["comment"] back into every JPEG it saves).
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    if content_type == "image/jpeg":
        if clean.mode not in ("RGB", "L"):
            clean = clean.convert("RGB")
        clean.save(out, format="JPEG", quality=REENCODE_JPEG_QUALITY)
    elif content_type == "image/webp":
        clean.save(out, format="WEBP", lossless=True)
    else:
        if clean.mode == "P":
            clean = clean.convert("RGBA")
        clean.save(out, format="PNG")
    return out.getvalue()


def _as_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    rgb = image.convert("RGB")
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

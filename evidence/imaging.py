"""Read an uploaded image safely and make what we store from it.

Every upload is opened with limits first (bytes, pixels, formats), fully decoded so that a
truncated file fails here rather than later, and re-encoded without its metadata: EXIF
holds GPS positions, phone models and times that must not sit in a case file.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageFilter, ImageOps

from evidence.hashing import hashes_of_bytes

# Formats a phone or desktop screenshot comes in. HEIC needs a plugin we do not ship.
ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# A full-page screenshot at 3x is about 1290 x 30000 = 39 MP; beyond 50 MP is a bomb, not a
# screenshot (Pillow's own warning starts at 89 MP, which is too generous for us).
MAX_PIXELS = 50_000_000
THUMBNAIL_SIZE = (480, 480)
# The blurred preview keeps only colour: 10 px wide, then a blur, so nothing is recognisable.
PREVIEW_SOURCE_WIDTH = 10
PREVIEW_SIZE = (480, 480)


class ImageRejected(ValueError):
    """The upload is not an image we accept; str(error) is the message for the person."""


@dataclass(frozen=True)
class ProcessedImage:
    original_sha256: str
    original_size: int
    content_type: str
    width: int
    height: int
    phash: str
    dhash: str
    clean_bytes: bytes  # the image re-encoded without metadata: what we store
    clean_extension: str
    thumbnail_bytes: bytes  # JPEG
    preview_bytes: bytes  # JPEG, blurred beyond recognition


def process_upload(data: bytes, *, max_bytes: int) -> ProcessedImage:
    if len(data) > max_bytes:
        raise ImageRejected(too_big_message(len(data), max_bytes))
    if len(data) == 0:
        raise ImageRejected("The file is empty.")

    image = _open_checked(data)
    content_type = ALLOWED_FORMATS[image.format]
    # Turn phone photos the right way up before the orientation tag is dropped.
    image = ImageOps.exif_transpose(image)
    hashes = hashes_of_bytes(data)
    clean_bytes, extension = _reencode_without_metadata(image, content_type)
    return ProcessedImage(
        original_sha256=hashlib.sha256(data).hexdigest(),
        original_size=len(data),
        content_type=content_type,
        width=image.width,
        height=image.height,
        # The same hashing as reference images (a reduced-size decode), so they compare.
        phash=hashes.phash_hex,
        dhash=hashes.dhash_hex,
        clean_bytes=clean_bytes,
        clean_extension=extension,
        thumbnail_bytes=_thumbnail(image),
        preview_bytes=_blurred_preview(image),
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
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ALLOWED_FORMATS:
                raise ImageRejected(
                    f"{image.format or 'This'} files are not accepted; please upload a JPEG, "
                    "PNG or WebP image."
                )
            if image.width * image.height > MAX_PIXELS:
                raise ImageRejected(
                    f"The image is {image.width:,} by {image.height:,} pixels, more than the "
                    f"{MAX_PIXELS // 1_000_000} million we accept. Please upload a smaller "
                    "screenshot."
                )
            image.load()  # decodes everything: a truncated file fails here
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(
            "The image claims to be far larger than any screenshot; it was refused."
        ) from exc
    except Image.UnidentifiedImageError as exc:
        raise ImageRejected(
            "This file is not an image we can read. Please upload a JPEG, PNG or WebP."
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected(
            "The image seems damaged or incomplete (it may not have finished uploading or "
            "saving). Please try saving it again."
        ) from exc
    return image


def _reencode_without_metadata(image: Image.Image, content_type: str) -> tuple[bytes, str]:
    out = io.BytesIO()
    if content_type == "image/jpeg":
        # A fresh image carries no EXIF, XMP, ICC comment or GPS block from the original.
        clean = Image.new(image.mode, image.size)
        clean.paste(image)
        if clean.mode not in ("RGB", "L"):
            clean = clean.convert("RGB")
        clean.save(out, format="JPEG", quality=95, optimize=True)
        return out.getvalue(), "jpg"
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    if content_type == "image/webp":
        clean.save(out, format="WEBP", lossless=True)
        return out.getvalue(), "webp"
    if clean.mode == "P":
        clean = clean.convert("RGBA")
    clean.save(out, format="PNG", optimize=True)
    return out.getvalue(), "png"


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


def _thumbnail(image: Image.Image) -> bytes:
    thumb = _as_rgb(image)
    thumb.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    thumb.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _blurred_preview(image: Image.Image) -> bytes:
    small = _as_rgb(image)
    small.thumbnail((PREVIEW_SOURCE_WIDTH, PREVIEW_SOURCE_WIDTH))
    preview = small.resize(_fit(small.size, PREVIEW_SIZE), Image.Resampling.BILINEAR).filter(
        ImageFilter.GaussianBlur(radius=24)
    )
    out = io.BytesIO()
    preview.save(out, format="JPEG", quality=70)
    return out.getvalue()


def _fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    scale = min(box[0] / size[0], box[1] / size[1])
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))

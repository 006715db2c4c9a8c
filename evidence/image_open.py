"""The one way bytes from outside become a picture: uploads and images fetched by rechecks.

Everything that decodes an image we did not make ourselves opens it here (evidence.imaging
for uploads, evidence.matching.hashing.open_for_hashing for reference images, rechecks and
matching), so one set of rules holds for all of it, and each rule is checked on what the
file declares BEFORE a pixel is decoded:

* formats: JPEG, PNG and WebP, what a screenshot comes in, GIF, and the HEIC photos
  phones take (ALLOWED_FORMATS);
* size: at most MAX_PIXELS. Pillow reads the width and height from the header without
  decoding, and a header can say anything: a 500 kB PNG declaring 13,300 x 13,300 pixels
  cost a recheck worker 6.7 s and 953 MB of memory to hash (issue 13, /tmp/h1/old_bomb.py);
* scans: a JPEG of more than evidence.stripping.MAX_SCANS scans is refused unopened
  (libjpeg redoes its work for every scan: minutes of CPU from a small file).

Pillow's own bomb check (Image.MAX_IMAGE_PIXELS: a DecompressionBombWarning past 89 MP,
DecompressionBombError past twice that) runs inside Image.open; its error, or its warning
where a caller's filter makes it one, is a refusal like ours. We do not turn the warning into
an error with warnings.catch_warnings() here: that swaps the process-wide filters and is not
safe in the threads rechecks decode in (monitoring.recheck_batch); the explicit pixel check is
the rule, and it is stricter than Pillow's.
"""

import contextlib
import io

from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_lazy
from PIL import Image

from evidence.stripping import MAX_SCANS

# Formats a phone or desktop screenshot or photo comes in, as Pillow names them, with their
# media types. HEIF is HEIC, the phones' photo format, opened by pillow-heif (evidence/apps.py).
ALLOWED_FORMATS = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "HEIF": "image/heic",
}
# For the messages.
ACCEPTED_NAMES = "JPEG, PNG, WebP, GIF or HEIC"
# A full-page screenshot at 3x is about 1290 x 30000 = 39 MP; beyond 50 MP is a bomb, not a
# screenshot (Pillow's own warning starts at 89 MP, which is too generous for us).
MAX_PIXELS = 50_000_000
# Every JPEG scan starts with an SOS marker, 0xFF 0xDA (after any number of 0xFF fill
# bytes), and inside entropy-coded data a 0xFF is always followed by 0x00 or a restart
# marker: so the count of these two bytes in the file is at least the number of scans.
SOS_MARKER = b"\xff\xda"

DAMAGED = gettext_lazy(
    "The image seems damaged or incomplete (it may not have finished uploading or "
    "saving). Please try saving it again."
)


class ImageRejected(ValueError):
    """Not an image we open. str(error) is the message for the person who uploaded it;
    `reason` says the same without advice to her, for a recheck's error text."""

    def __init__(self, message: str, *, reason: str = ""):
        super().__init__(message)
        self.reason = reason or message


class ImageTooCostly(ImageRejected):
    """Refused for what decoding it would cost (its declared size, Pillow's bomb check, its
    JPEG scans), not for what it is: it may well be a picture, so a recheck cannot say her
    image is not in it."""


def open_image(data: bytes) -> Image.Image:
    """The image's header read and checked against every rule; nothing decoded yet.
    Raises ImageRejected."""
    with reading():
        image = Image.open(io.BytesIO(data))
        if image.format not in ALLOWED_FORMATS:
            raise ImageRejected(
                (
                    gettext(
                        "%(format)s files are not accepted; please upload a %(formats)s image."
                    )
                    % {"format": image.format, "formats": ACCEPTED_NAMES}
                    if image.format
                    else gettext(
                        "This kind of file is not accepted; please upload a %(formats)s image."
                    )
                    % {"formats": ACCEPTED_NAMES}
                ),
                reason=f"it is a {image.format or 'kind of'} file, not a {ACCEPTED_NAMES}",
            )
        if image.width * image.height > MAX_PIXELS:
            raise ImageTooCostly(
                _too_many_pixels(image),
                reason=f"it declares {image.width:,} by {image.height:,} pixels, more than "
                f"the {MAX_PIXELS // 1_000_000} million we open",
            )
        if image.format == "JPEG" and data.count(SOS_MARKER) > MAX_SCANS:
            raise ImageTooCostly(
                gettext(
                    "This JPEG is built in an unusual way (hundreds of passes) that we cannot "
                    "safely check. Please save it again as an ordinary JPEG or PNG."
                ),
                reason="it is a JPEG of hundreds of passes, which we do not decode",
            )
    return image


def decode(image: Image.Image, *, draft: tuple[int, int] | None = None) -> Image.Image:
    """Decode an image from open_image: all of it, or a JPEG at reduced size when `draft`
    is given (Image.draft: scale 1/2, 1/4 or 1/8, both sides at least draft). Decoding runs
    through all of the compressed data either way, so a truncated file fails here.
    Raises ImageRejected."""
    with reading():
        if draft is not None and image.format == "JPEG":
            image.draft("RGB", draft)
        image.load()
    # A HEIC's decoder may give another size than its header declared (pillow-heif applies
    # its transforms while decoding): the limit holds for what was decoded too.
    if image.width * image.height > MAX_PIXELS:
        raise ImageTooCostly(
            _too_many_pixels(image),
            reason=f"it decodes to {image.width:,} by {image.height:,} pixels, more than the "
            f"{MAX_PIXELS // 1_000_000} million we open",
        )
    return image


def _too_many_pixels(image) -> str:
    return gettext(
        "The image is %(width)s by %(height)s pixels, more than the %(millions)s million we "
        "accept. Please upload a smaller screenshot."
    ) % {
        "width": number_format(image.width, force_grouping=True),
        "height": number_format(image.height, force_grouping=True),
        "millions": MAX_PIXELS // 1_000_000,
    }


@contextlib.contextmanager
def reading():
    """Pillow's errors while reading outside bytes, as refusals with a plain message."""
    try:
        yield
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooCostly(
            gettext("The image claims to be far larger than any screenshot; it was refused."),
            reason="it claims to be far larger than any screenshot",
        ) from exc
    except Image.UnidentifiedImageError as exc:
        raise ImageRejected(
            gettext("This file is not an image we can read. Please upload a %(formats)s.")
            % {"formats": ACCEPTED_NAMES},
            reason="it is not an image we can read",
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected(DAMAGED, reason="it seems damaged or incomplete") from exc

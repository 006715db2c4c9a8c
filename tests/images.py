"""Awkward files for upload tests, all made by code."""

import functools
import io
import struct
import zlib

import numpy as np
from PIL import ExifTags, Image

from evidence.demo_images import make_image

PHONE_MODEL = "TestPhone 12"  # in each file's EXIF: it must not be in anything stored


def jpeg_with_gps() -> bytes:
    return make_image(seed=11, exif=gps_exif())


def gps_exif(orientation: int | None = None) -> Image.Exif:
    """A phone's EXIF block: model, time taken, where (GPS) and, if given, how to turn it."""
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = PHONE_MODEL
    exif[ExifTags.Base.DateTimeOriginal] = "2026:11:01 22:14:03"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 39.0)
    return exif


def decompression_bomb() -> bytes:
    """81 megapixels in under 10 kB: one colour compresses to almost nothing."""
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, format="PNG")
    return out.getvalue()


def truncated_jpeg() -> bytes:
    data = make_image(seed=5, size=(800, 600))
    return data[: len(data) // 2]


def bmp() -> bytes:
    """A format Pillow reads and we do not accept."""
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(out, format="BMP")
    return out.getvalue()


NOT_AN_IMAGE = b"hello worl"  # ten bytes


def noisy_png(size=(1200, 1000), seed=0, exif=None) -> bytes:
    """Random pixels: PNG cannot compress them, so the file is as big as the picture
    (1200 x 1000: 3.6 MB, more than Django's 2.5 MB for keeping an upload in memory)."""
    import random

    pixels = random.Random(seed).randbytes(size[0] * size[1] * 3)
    out = io.BytesIO()
    extra = {"exif": exif} if exif is not None else {}
    Image.frombytes("RGB", size, pixels).save(out, format="PNG", compress_level=1, **extra)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.cache
def png_declaring(width: int, height: int) -> bytes:
    """A real PNG bomb: RGB, every pixel black, so the pixel data compresses about 1000:1
    (13,300 x 13,300 is 530 MB of pixels in a 504 kB file, issue 13). Written chunk by chunk;
    it takes about 2 s, hence the cache."""
    row = b"\x00" * (1 + width * 3)  # filter byte "none", then black pixels
    squeeze = zlib.compressobj(9)
    idat = b"".join(squeeze.compress(row) for _ in range(height)) + squeeze.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def jpeg_with_scans(more_than: int) -> bytes:
    """A progressive JPEG whose scans are repeated until it has more than `more_than`:
    Pillow opens it, libjpeg would grind through every scan."""
    out = io.BytesIO()
    Image.open(io.BytesIO(make_image(seed=12, size=(320, 240)))).save(
        out, "JPEG", progressive=True
    )
    data = out.getvalue()
    first_scan = data.index(b"\xff\xda")
    scans = data[first_scan:-2]  # every scan (and the tables between them), up to EOI
    copies = more_than // scans.count(b"\xff\xda") + 1
    return data[:first_scan] + scans * copies + b"\xff\xd9"


# --- every form of image we accept, with metadata to strip ---------------------------------


def picture(*, seed: int = 0, size: tuple[int, int] = (96, 64)) -> Image.Image:
    """Shapes and gradients, no two corners alike, so a picture turned the wrong way shows."""
    return Image.open(io.BytesIO(make_image(seed=seed, size=size, fmt="PNG"))).convert("RGB")


def with_alpha(image: Image.Image) -> Image.Image:
    """RGBA with every level of alpha across the picture, and a fully transparent top half
    of random colours (an encoder may drop colour it thinks no one sees, as WebP's does
    unless told to be exact)."""
    pixels = np.array(image.convert("RGBA"))
    height, width = pixels.shape[:2]
    pixels[..., 3] = np.linspace(0, 255, width).astype(np.uint8)
    noise = np.random.default_rng(3).integers(0, 256, (height // 2, width, 3), dtype=np.uint8)
    pixels[: height // 2, :, :3] = noise
    pixels[: height // 2, :, 3] = 0
    return Image.fromarray(pixels, "RGBA")


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def palette(image: Image.Image) -> Image.Image:
    return image.convert("P", palette=Image.Palette.ADAPTIVE, colors=64)


def palette_with_alpha(image: Image.Image) -> Image.Image:
    """Palette entries with their own alpha (a tRNS chunk of several values)."""
    return with_alpha(image).quantize(colors=64)


def grey_16(image: Image.Image) -> Image.Image:
    """16-bit grey (I;16) using all 16 bits: the low byte is not just a copy of the high."""
    levels = np.asarray(image.convert("L")).astype(np.uint16) * 256
    levels += np.arange(levels.size, dtype=np.uint16).reshape(levels.shape) % 256
    return Image.fromarray(levels)


def png_16_bit(image: Image.Image, *, exif: Image.Exif | None = None) -> bytes:
    """An RGB or RGBA PNG of 16 bits a channel (Pillow cannot write one), the low byte of
    each sample different from the high."""
    samples = np.asarray(image).astype(">u2") * 257
    samples ^= np.arange(samples.size, dtype=">u2").reshape(samples.shape) % 97
    height, width, channels = samples.shape
    colour_type = {3: 2, 4: 6}[channels]
    rows = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in samples)
    chunks = [png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0))]
    if exif is not None:
        chunks.append(png_chunk(b"eXIf", exif.tobytes()[6:]))  # without "Exif\0\0"
    chunks += [png_chunk(b"IDAT", zlib.compress(rows)), png_chunk(b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def frames(image: Image.Image) -> list[Image.Image]:
    """Three frames of an animation, each unlike the others."""
    return [
        image,
        image.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
        image.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
    ]


def animated(image: Image.Image, fmt: str, **options) -> bytes:
    """An animated PNG, WebP or GIF whose first frame is `image`."""
    first, *rest = frames(image)
    return encoded(first, fmt, save_all=True, append_images=rest, duration=100, **options)


def gif_claiming(width: int, height: int) -> bytes:
    """A small GIF whose header claims a screen of width x height pixels."""
    data = encoded(Image.new("P", (20, 20)), "GIF")
    return data[:6] + struct.pack("<HH", width, height) + data[10:]


def heic_claiming(width: int, height: int) -> bytes:
    """A small HEIC whose image size property (ispe) claims width x height pixels."""
    data = heic(picture())
    at = data.index(b"ispe") + 8  # after the box type, its version and flags
    return data[:at] + struct.pack(">II", width, height) + data[at + 8 :]


def heic(image: Image.Image, *, orientation: int | None = None) -> bytes:
    """A HEIC as a phone makes one, with its EXIF (GPS and the phone's model). Given an
    orientation, libheif writes the turn as the file's own rotation and mirroring (irot,
    imir), which decoders apply, as iPhones do."""
    # As bytes: given an Exif object, pillow-heif would not read the orientation from it.
    return encoded(image, "HEIF", exif=gps_exif(orientation).tobytes(), quality=90)

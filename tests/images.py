"""Awkward files for upload tests, all made by code."""

import functools
import io
import struct
import zlib

from PIL import ExifTags, Image

from evidence.demo_images import make_image


def jpeg_with_gps() -> bytes:
    return make_image(seed=11, exif=gps_exif())


def gps_exif() -> Image.Exif:
    """A phone's EXIF block: model, time taken and where (GPS)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = "TestPhone 12"
    exif[ExifTags.Base.DateTimeOriginal] = "2026:11:01 22:14:03"
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


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (20, 20)).save(out, format="GIF")
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


def bmp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(out, format="BMP")
    return out.getvalue()

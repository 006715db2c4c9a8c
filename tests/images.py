"""Awkward files for upload tests, all made by code."""

import io

from PIL import ExifTags, Image

from evidence.demo_images import make_image


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = "TestPhone 12"
    exif[ExifTags.Base.DateTimeOriginal] = "2026:11:01 22:14:03"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 39.0)
    return make_image(seed=11, exif=exif)


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


def noisy_png(size=(1200, 1000), seed=0) -> bytes:
    """Random pixels: PNG cannot compress them, so the file is as big as the picture."""
    import random

    pixels = random.Random(seed).randbytes(size[0] * size[1] * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", size, pixels).save(out, format="PNG", compress_level=1)
    return out.getvalue()

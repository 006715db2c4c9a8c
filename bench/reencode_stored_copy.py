"""What storing a picture that cannot be stripped costs, per choice of format and setting.

    .venv/bin/python bench/reencode_stored_copy.py [--heic]

A generated 12 MP photo (gradients, circles, grain, a slight blur: no photo of anyone) saved
as a quality-90 JPEG, decoded and turned a quarter turn, as evidence.imaging does for a
photo whose EXIF says to turn it; then written each way, timed, and compared with the
decoded pixels. Then a generated 1170x2532 phone screenshot written as PNG. With --heic,
the photo is also saved as a HEIC (slow: x265 takes most of a minute) and decoded, which
is what storing a phone's HEIC photo as PNG begins with.
evidence.imaging.REENCODE_JPEG_QUALITY, _SUBSAMPLING and REENCODE_PNG_COMPRESS_LEVEL come
from this.
"""

import argparse
import io
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from evidence.demo_images import make_image, screenshot_of

CHOICES = [
    ("JPEG 95, 4:2:0 (before)", "JPEG", {"quality": 95}),
    ("JPEG 100, 4:4:4 (now)", "JPEG", {"quality": 100, "subsampling": 0}),
    ("PNG, compress_level 6", "PNG", {}),
    ("PNG, compress_level 1", "PNG", {"compress_level": 1}),
]


def _timed(image: Image.Image, fmt: str, options: dict) -> tuple[float, bytes]:
    started = time.perf_counter()
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return time.perf_counter() - started, out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--heic", action="store_true")
    args = parser.parse_args()

    base = Image.open(io.BytesIO(make_image(seed=1, size=(4000, 3000)))).convert("RGB")
    grain = np.random.default_rng(0).normal(0, 18, (3000, 4000, 3))
    photo = Image.fromarray(np.clip(np.asarray(base, dtype=float) + grain, 0, 255).astype("u1"))
    photo = photo.filter(ImageFilter.GaussianBlur(0.8))
    _, upload = _timed(photo, "JPEG", {"quality": 90})
    print(f"photo: 4000x3000 JPEG, {len(upload) // 1024} kB, turned")
    upright = Image.open(io.BytesIO(upload)).transpose(Image.Transpose.ROTATE_270)
    pixels = np.asarray(upright, dtype=int)
    for name, fmt, options in CHOICES:
        elapsed, stored = _timed(upright, fmt, options)
        back = np.asarray(Image.open(io.BytesIO(stored)).convert("RGB"), dtype=int)
        difference = np.abs(back - pixels)
        print(
            f"  {name:24} {elapsed * 1000:6.0f} ms {len(stored) // 1024:6} kB  "
            f"max {difference.max():3} levels, mean {difference.mean():.3f}"
        )

    inner = make_image(seed=2, size=(1090, 1400))
    shot = Image.open(io.BytesIO(screenshot_of(inner, seed=2))).resize((1170, 2532))
    print("screenshot: 1170x2532")
    for name, fmt, options in CHOICES[2:]:
        elapsed, stored = _timed(shot, fmt, options)
        print(f"  {name:24} {elapsed * 1000:6.0f} ms {len(stored) // 1024:6} kB")

    if args.heic:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _, heic = _timed(photo, "HEIF", {"quality": 80})
        started = time.perf_counter()
        Image.open(io.BytesIO(heic)).load()
        print(
            f"HEIC of the photo, {len(heic) // 1024} kB: decoded in "
            f"{(time.perf_counter() - started) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()

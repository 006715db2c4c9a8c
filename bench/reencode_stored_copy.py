"""What storing a JPEG that cannot be stripped (a turned phone photo) costs, per choice.

    .venv/bin/python bench/reencode_stored_copy.py

A generated 12 MP photo (gradients, circles, grain, a slight blur: no photo of anyone) saved
as a quality-90 JPEG, decoded and turned a quarter turn, as evidence.imaging does for a
photo whose EXIF says to turn it; then written each way, timed, and compared with the
decoded pixels. evidence.imaging.REENCODE_JPEG_QUALITY and _SUBSAMPLING come from this.
"""

import io
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from evidence.demo_images import make_image

CHOICES = [
    ("JPEG 95, 4:2:0 (before)", "JPEG", {"quality": 95}),
    ("JPEG 100, 4:4:4 (now)", "JPEG", {"quality": 100, "subsampling": 0}),
    ("PNG, default compression", "PNG", {}),
    ("PNG, fastest compression", "PNG", {"compress_level": 1}),
]


def main() -> None:
    base = Image.open(io.BytesIO(make_image(seed=1, size=(4000, 3000)))).convert("RGB")
    grain = np.random.default_rng(0).normal(0, 18, (3000, 4000, 3))
    photo = Image.fromarray(np.clip(np.asarray(base, dtype=float) + grain, 0, 255).astype("u1"))
    out = io.BytesIO()
    photo.filter(ImageFilter.GaussianBlur(0.8)).save(out, "JPEG", quality=90)
    print(f"upload: 4000x3000 JPEG, {len(out.getvalue()) // 1024} kB")
    upright = Image.open(io.BytesIO(out.getvalue())).transpose(Image.Transpose.ROTATE_270)
    pixels = np.asarray(upright, dtype=int)
    for name, fmt, options in CHOICES:
        started = time.perf_counter()
        stored = io.BytesIO()
        upright.save(stored, fmt, **options)
        elapsed = time.perf_counter() - started
        back = np.asarray(Image.open(io.BytesIO(stored.getvalue())).convert("RGB"), dtype=int)
        difference = np.abs(back - pixels)
        print(
            f"{name:26} {elapsed * 1000:6.0f} ms {len(stored.getvalue()) // 1024:6} kB  "
            f"max {difference.max():3} levels, mean {difference.mean():.3f}"
        )


if __name__ == "__main__":
    main()

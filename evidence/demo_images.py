"""Images made by code for demos and tests: shapes and gradients, never a photo of anyone."""

import io
import random

from PIL import Image, ImageDraw


def make_image(
    *, seed: int = 0, size: tuple[int, int] = (640, 480), fmt: str = "JPEG", exif=None
) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    top = tuple(rng.randrange(256) for _ in range(3))
    bottom = tuple(rng.randrange(256) for _ in range(3))
    for y in range(size[1]):
        t = y / max(1, size[1] - 1)
        draw.line(
            [(0, y), (size[0], y)],
            fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )
    for _ in range(8):
        x0, y0 = rng.randrange(size[0]), rng.randrange(size[1])
        radius = rng.randrange(20, max(21, min(size) // 3))
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse([x0 - radius, y0 - radius, x0 + radius, y0 + radius], fill=colour)
    out = io.BytesIO()
    options = {"quality": 90} if fmt == "JPEG" else {}
    if exif is not None:
        options["exif"] = exif
    image.save(out, format=fmt, **options)
    return out.getvalue()


def screenshot_of(image_bytes: bytes, *, seed: int = 0) -> bytes:
    """A fake 'page' with page chrome around the given image, like a phone screenshot."""
    inner = Image.open(io.BytesIO(image_bytes)).convert("RGB")
    page = Image.new("RGB", (inner.width + 80, inner.height + 260), (250, 250, 250))
    draw = ImageDraw.Draw(page)
    draw.rectangle([0, 0, page.width, 90], fill=(30, 30, 40))
    rng = random.Random(seed)
    for row in range(4):
        y = inner.height + 130 + row * 28
        draw.rectangle(
            [40, y, 40 + rng.randrange(200, page.width - 80), y + 14], fill=(200, 200, 205)
        )
    page.paste(inner, (40, 110))
    out = io.BytesIO()
    page.save(out, format="PNG")
    return out.getvalue()

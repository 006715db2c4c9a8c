"""A generated corpus of images for measuring hash agreement (issue 17): photo-like scenes
and screenshot-like pages in JPEG, PNG and WebP, some turned by an EXIF orientation, from
200 px to 12 MP. Made by code (numpy and Pillow): gradients, shapes, textures, noise, UI
blocks and text-like stripes, never a picture of anyone.

Deterministic per seed: the same (count, seed) gives the same bytes, so the server and the
browser hash the same files and a failure can be reproduced from its name.
"""

import io
import random
from dataclasses import dataclass

import numpy as np
from PIL import ExifTags, Image, ImageDraw

KINDS = ("photo", "screenshot")
FORMATS = ("JPEG", "PNG", "WEBP")
# EXIF orientation -> the transpose that turns the upright picture into the stored pixels,
# the inverse of what ImageOps.exif_transpose (and a browser) applies when showing it.
STORED_TRANSPOSE = {
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_90,
    8: Image.Transpose.ROTATE_270,
}
TWELVE_MP = (4000, 3000)
# How many 12 MP photos a corpus of 200 has: each costs about a second to make and to hash
# in the browser, so a few only.
LARGE_COUNT = 2


@dataclass(frozen=True)
class CorpusImage:
    name: str  # unique in the corpus, says what it is: "017-photo-jpeg-1200x800-o6"
    kind: str  # "photo" or "screenshot"
    format: str  # "JPEG", "PNG" or "WEBP" (Pillow's names)
    data: bytes
    width: int  # as shown (after the EXIF orientation is applied)
    height: int
    exif_orientation: int | None  # 3, 6, 8 or None

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1_000_000


def corpus(count: int = 200, *, seed: int = 0) -> list[CorpusImage]:
    """`count` images; the first LARGE_COUNT are 12 MP JPEG photos when count >= 50."""
    rng = random.Random(seed)
    images = []
    for index in range(count):
        large = count >= 50 and index < LARGE_COUNT
        kind = "photo" if large or rng.random() < 0.6 else "screenshot"
        fmt = "JPEG" if large else rng.choice(FORMATS)
        large_size = TWELVE_MP if index % 2 == 0 else TWELVE_MP[::-1]
        size = large_size if large else _size(rng, kind)
        orientation = rng.choice((3, 6, 8)) if rng.random() < 0.2 else None
        if large and index == 1:
            orientation = 6  # a portrait phone photo stored sideways, as phones do
        image_seed = rng.randrange(2**32)
        upright = (_photo if kind == "photo" else _screenshot)(size, image_seed)
        mode = rng.random()
        if mode < 0.06:
            upright = upright.convert("L")
        elif mode < 0.14 and fmt == "PNG":
            upright = upright.quantize(colors=64)  # a palette PNG, as screenshot tools make
        quality = {"JPEG": (75, 85, 92), "WEBP": (75, 90)}.get(fmt)
        data = _encode(upright, fmt, orientation, quality=rng.choice(quality) if quality else None)
        suffix = f"-o{orientation}" if orientation else ""
        name = f"{index:03d}-{kind}-{fmt.lower()}-{size[0]}x{size[1]}{suffix}"
        images.append(CorpusImage(name, kind, fmt, data, size[0], size[1], orientation))
    return images


def large_photo(seed: int = 0) -> CorpusImage:
    """One 12 MP JPEG photo as in the corpus (4000 x 3000, quality 92), for the benchmark."""
    data = _encode(_photo(TWELVE_MP, seed), "JPEG", None, quality=92)
    return CorpusImage(f"large-{seed}", "photo", "JPEG", data, *TWELVE_MP, None)


def _size(rng: random.Random, kind: str) -> tuple[int, int]:
    if kind == "screenshot" and rng.random() < 0.5:
        width = rng.randrange(360, 431)  # a phone screenshot at 1x..3x
        scale = rng.choice((1, 2, 3))
        return width * scale // 2, rng.randrange(700, 933) * scale // 2
    long_side = int(200 * 10 ** rng.uniform(0, 1))  # 200..2000 px, as many small as large
    ratio = rng.choice((1.0, 4 / 3, 3 / 2, 16 / 9))
    short_side = max(200, int(long_side / ratio))
    long_side = max(long_side, short_side)
    return (long_side, short_side) if rng.random() < 0.5 else (short_side, long_side)


def _photo(size: tuple[int, int], seed: int) -> Image.Image:
    """A scene: a two-colour gradient sky, textured ground, shapes, soft noise."""
    rng = np.random.default_rng(seed)
    width, height = size
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    top, bottom = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    pixels = np.empty((height, width, 3), dtype=np.float32)
    for c in range(3):
        pixels[..., c] = top[c] + (bottom[c] - top[c]) * y + 30 * (x - 0.5)
    # A texture: waves of random direction and frequency on the lower part.
    fx, fy, phase = rng.uniform(4, 40), rng.uniform(4, 40), rng.uniform(0, 6.3)
    texture = 25 * np.sin(2 * np.pi * (fx * x + fy * y) + phase) * (y > rng.uniform(0.3, 0.7))
    pixels += texture[..., None]
    image = Image.fromarray(pixels.clip(0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    shape_rng = random.Random(seed)
    for _ in range(shape_rng.randrange(4, 12)):
        colour = tuple(shape_rng.randrange(256) for _ in range(3))
        cx, cy = shape_rng.randrange(width), shape_rng.randrange(height)
        radius = shape_rng.randrange(max(5, min(size) // 20), max(6, min(size) // 3))
        box = [cx - radius, cy - radius, cx + radius, cy + radius // 2 + radius]
        if shape_rng.random() < 0.5:
            draw.ellipse(box, fill=colour)
        else:
            points = [
                (
                    cx + shape_rng.randrange(-radius, radius),
                    cy + shape_rng.randrange(-radius, radius),
                )
                for _ in range(shape_rng.randrange(3, 7))
            ]
            draw.polygon(points, fill=colour)
    noisy = np.asarray(image, dtype=np.int16) + rng.normal(0, 6, (height, width, 1)).astype(
        np.int16
    )
    return Image.fromarray(noisy.clip(0, 255).astype(np.uint8), "RGB")


def _screenshot(size: tuple[int, int], seed: int) -> Image.Image:
    """A page: a flat background, a bar at the top, blocks (pictures, buttons) and rows of
    text-like stripes."""
    rng = random.Random(seed)
    width, height = size
    light = rng.random() < 0.7
    background = (
        tuple(rng.randrange(235, 256) for _ in range(3))
        if light
        else tuple(rng.randrange(10, 40) for _ in range(3))
    )
    ink = (40, 40, 48) if light else (220, 220, 225)
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    bar = max(20, height // 14)
    draw.rectangle([0, 0, width, bar], fill=tuple(rng.randrange(256) for _ in range(3)))
    y = bar + rng.randrange(8, 30)
    margin = max(8, width // 20)
    line = max(6, height // 70)
    while y < height - line:
        if rng.random() < 0.2:  # a picture or a button
            block = rng.randrange(line * 3, line * 12)
            right = rng.randrange(width // 3, width - margin)
            draw.rectangle(
                [margin, y, right, min(height, y + block)],
                fill=tuple(rng.randrange(256) for _ in range(3)),
            )
            y += block + line
            continue
        x = margin
        end = rng.randrange(width // 2, width - margin + 1)
        while x < end:  # words
            word = rng.randrange(line, line * 5)
            draw.rectangle([x, y, min(end, x + word), y + line * 2 // 3], fill=ink)
            x += word + line // 2 + 1
        y += line * 2
    return image


def _encode(
    upright: Image.Image, fmt: str, orientation: int | None, *, quality: int | None
) -> bytes:
    image = upright if orientation is None else upright.transpose(STORED_TRANSPOSE[orientation])
    options: dict = {}
    if orientation is not None:
        exif = Image.Exif()
        exif[ExifTags.Base.Orientation] = orientation
        options["exif"] = exif
    if fmt in ("JPEG", "WEBP"):
        options["quality"] = quality
        if image.mode == "P":
            image = image.convert("RGB")
    else:
        options["compress_level"] = 1  # fast; the size of the file does not matter here
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()

"""Calibrate LeakCase's perceptual-hash thresholds on generated images.

    .venv/bin/python bench/calibrate_hashes.py [--images 50] [--unrelated 10000]
        [--screenshots 20] [--draft-images 50] [--no-write]

Every image is made by code (gradients, circles, polygons, noise): no photos, no downloads.
Measures, for the hashes and the rule in evidence/hashing.py:

1. how far each kind of variant (re-encoded, resized, cropped) of N base images moves from
   the base's hashes, and the recall of `is_possible_copy` on each kind;
2. recall and false matches over a sweep of threshold pairs, to choose the thresholds;
3. false matches: every one of U unrelated images against the N references (U x N pairs);
4. screenshot recall: each base image inside several generated page layouts, matched through
   evidence.regions.candidate_regions;
5. the reduced-size JPEG decode in open_for_hashing: its speed-up and how much it moves pHash.

Prints the report and writes it to docs/hash-calibration.md (unless --no-write).
"""

import argparse
import io
import math
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import imagehash
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evidence import hashing, regions  # noqa: E402
from evidence.demo_images import make_image, screenshot_of  # noqa: E402

DOC = ROOT / "docs" / "hash-calibration.md"
UNRELATED_SEED_BASE = 1_000_000
THUMBNAIL_SEED_BASE = 2_000_000
DRAFT_SEED_BASE = 3_000_000


# --- Generated images -------------------------------------------------------------------


def rich_image(seed: int, size: tuple[int, int]) -> Image.Image:
    """More structure than make_image: gradient, soft texture, polygons, lines, grain."""
    rng = np.random.default_rng(seed)
    width, height = size
    angle = rng.uniform(0, 2 * math.pi)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp = xs * math.cos(angle) + ys * math.sin(angle)
    ramp = (ramp - ramp.min()) / max(1e-6, float(ramp.max() - ramp.min()))
    start, end = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    pixels = start + (end - start) * ramp[..., None]
    # Soft texture: a coarse random grid blown up smoothly.
    grid = rng.integers(0, 256, (int(rng.integers(3, 9)), int(rng.integers(3, 9)), 3))
    texture = Image.fromarray(grid.astype(np.uint8)).resize(size, Image.Resampling.BICUBIC)
    amount = rng.uniform(0.2, 0.6)
    pixels = pixels * (1 - amount) + np.asarray(texture, dtype=np.float32) * amount
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))

    overlay = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    scale = min(size)
    for _ in range(int(rng.integers(4, 12))):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        radius = rng.uniform(0.08, 0.35) * scale
        corners = int(rng.integers(3, 8))
        angles = np.sort(rng.uniform(0, 2 * math.pi, corners))
        points = [
            (cx + radius * math.cos(a) * rng.uniform(0.5, 1), cy + radius * math.sin(a))
            for a in angles
        ]
        colour = (*(int(c) for c in rng.integers(0, 256, 3)), int(rng.integers(110, 256)))
        draw.polygon(points, fill=colour)
    for _ in range(int(rng.integers(0, 5))):
        points = [(rng.uniform(0, width), rng.uniform(0, height)) for _ in range(2)]
        colour = (*(int(c) for c in rng.integers(0, 256, 3)), 255)
        draw.line(points, fill=colour, width=max(1, int(rng.uniform(0.005, 0.03) * scale)))
    image = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    if rng.random() < 0.5:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2.5)))
    grain = rng.normal(0, rng.uniform(2, 8), (height, width, 1))
    noisy = np.asarray(image, dtype=np.float32) + grain
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


BASE_SIZES = [(640, 480), (1080, 1350), (1200, 900), (800, 1200), (1500, 1000), (720, 720)]


def base_image(index: int) -> bytes:
    """Half from demo_images.make_image, half from rich_image; JPEG quality 90."""
    size = BASE_SIZES[index % len(BASE_SIZES)]
    if index % 2 == 0:
        return make_image(seed=index, size=size)
    return encode(rich_image(index, size), quality=90)


def unrelated_image(index: int) -> Image.Image:
    """Small (hashes do not depend on size) so that 10,000 of them are quick to make."""
    rng = random.Random(UNRELATED_SEED_BASE + index)
    size = (rng.randrange(160, 400), rng.randrange(160, 400))
    if index % 2 == 0:
        return Image.open(io.BytesIO(make_image(seed=UNRELATED_SEED_BASE + index, size=size)))
    return rich_image(UNRELATED_SEED_BASE + index, size)


def encode(image: Image.Image, fmt: str = "JPEG", quality: int = 85) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, format="JPEG", quality=quality)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


# --- Variants ---------------------------------------------------------------------------


def _resized(fraction: float) -> Callable[[Image.Image, random.Random], bytes]:
    def make(image: Image.Image, rng: random.Random) -> bytes:
        size = (max(1, round(image.width * fraction)), max(1, round(image.height * fraction)))
        return encode(image.resize(size, Image.Resampling.LANCZOS))

    return make


def _cropped(fraction: float, centred: bool) -> Callable[[Image.Image, random.Random], bytes]:
    """Remove `fraction` of the width and of the height: evenly, or all from one corner."""

    def make(image: Image.Image, rng: random.Random) -> bytes:
        cut_x, cut_y = round(image.width * fraction), round(image.height * fraction)
        if centred:
            left, top = cut_x // 2, cut_y // 2
        else:
            left, top = rng.choice([0, cut_x]), rng.choice([0, cut_y])
        return encode(
            image.crop((left, top, left + image.width - cut_x, top + image.height - cut_y))
        )

    return make


VARIANTS: dict[str, Callable[[Image.Image, random.Random], bytes]] = {
    "JPEG q85": lambda image, rng: encode(image, quality=85),
    "JPEG q60": lambda image, rng: encode(image, quality=60),
    "resized 50%": _resized(0.5),
    "resized 25%": _resized(0.25),
    "crop 5% centre": _cropped(0.05, centred=True),
    "crop 5% corner": _cropped(0.05, centred=False),
    "crop 10% centre": _cropped(0.10, centred=True),
    "crop 10% corner": _cropped(0.10, centred=False),
}
# The kinds the thresholds must catch; 10% crops are reported but not required.
CORE_VARIANTS = [name for name in VARIANTS if "10%" not in name]


# --- Screenshots ------------------------------------------------------------------------


# Cutting a 4:3 picture to a square removes a quarter of it: beyond what pHash or dHash
# survive, whatever the regions. Reported, but not counted in the headline recall.
SQUARE_GALLERY = "phone gallery, 3 columns, cut to squares"

PAGE_STYLES = [
    # page background, header bar, text colour, muted text colour
    ((255, 255, 255), (29, 161, 242), (20, 20, 20), (140, 140, 150)),
    ((245, 245, 245), (40, 40, 48), (30, 30, 30), (150, 150, 150)),
    ((21, 32, 43), (21, 32, 43), (230, 230, 230), (130, 140, 150)),
    ((0, 0, 0), (18, 18, 18), (240, 240, 240), (110, 110, 110)),
    ((250, 248, 240), (200, 60, 50), (40, 30, 30), (160, 150, 140)),
]


def _text(draw, rng, x, y, width, lines, colour, size=16):
    """Lines of 'words': short rectangles, the way text looks to a hash."""
    for line in range(lines):
        cursor = x
        end = x + width * (rng.uniform(0.4, 1.0) if line == lines - 1 else 1.0)
        while cursor < end:
            word = rng.randrange(size * 2, size * 6)
            draw.rectangle([cursor, y, min(end, cursor + word), y + size], fill=colour)
            cursor += word + size // 2
        y += round(size * 1.7)
    return y


def _paste_scaled(page, picture, box):
    left, top, right, bottom = box
    page.paste(picture.resize((right - left, bottom - top), Image.Resampling.LANCZOS), (left, top))


def _thumbnail(seed: int) -> Image.Image:
    if seed % 2 == 0:
        return decode(make_image(seed=THUMBNAIL_SEED_BASE + seed, size=(300, 300)))
    return rich_image(THUMBNAIL_SEED_BASE + seed, (300, 300))


def _phone_post(photo, rng, *, display: float, edge_to_edge: bool):
    """A phone post: header, author line, the photo, caption, actions, more posts below."""
    background, header, text, muted = rng.choice(PAGE_STYLES)
    width = rng.choice([720, 1080, 1170])
    margin = 0 if edge_to_edge else round(width * rng.uniform(0.03, 0.06))
    shown_width = round((width - 2 * margin) * display)
    shown_height = round(shown_width * photo.height / photo.width)
    height = max(2 * width, shown_height + 1100)
    page = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(page)
    bar = round(width * 0.12)
    draw.rectangle([0, 0, width, bar], fill=header)
    for i in range(3):
        x = width - (i + 1) * bar
        draw.ellipse([x + bar // 4, bar // 4, x + 3 * bar // 4, 3 * bar // 4], fill=muted)
    _text(draw, rng, bar, bar // 2 - 12, width // 3, 1, text, size=24)
    if edge_to_edge:
        y = bar  # the photo right under the bar, as in a full-screen viewer
    else:
        avatar = round(width * 0.09)
        y = bar + 24
        draw.ellipse([margin, y, margin + avatar, y + avatar], fill=muted)
        _text(draw, rng, margin + avatar + 20, y + 8, width // 2, 2, text, size=18)
        y += avatar + 24
        y = _text(draw, rng, margin, y, width - 2 * margin, rng.randrange(1, 4), text, 20) + 12
    left = margin + (width - 2 * margin - shown_width) // 2
    _paste_scaled(page, photo, (left, y, left + shown_width, y + shown_height))
    y += shown_height + 20
    for i in range(4):
        x = margin + i * width // 5
        draw.rectangle([x + 10, y, x + 50, y + 40], fill=muted)
    y = _text(draw, rng, margin + 10, y + 70, width - 2 * margin - 20, 3, text, size=18) + 30
    columns = 3
    side = (width - 2 * margin - (columns - 1) * 8) // columns
    for i in range(columns * 2):
        tx = margin + (i % columns) * (side + 8)
        ty = y + (i // columns) * (side + 8)
        if ty + side > height:
            break
        _paste_scaled(page, _thumbnail(rng.randrange(1000)), (tx, ty, tx + side, ty + side))
    return page


def _phone_grid(photo, rng, *, columns: int, square: bool = False):
    """A gallery: the photo is one thumbnail among others, whole or cut to a square."""
    background, header, text, muted = rng.choice(PAGE_STYLES)
    width = rng.choice([1080, 1170])
    page = Image.new("RGB", (width, 2 * width), background)
    draw = ImageDraw.Draw(page)
    bar = round(width * 0.12)
    draw.rectangle([0, 0, width, bar], fill=header)
    _text(draw, rng, 40, bar // 2 - 12, width // 3, 1, text, size=24)
    gap = 6
    side = (width - (columns - 1) * gap) // columns
    target = rng.randrange(columns * 3)
    if square:  # the centre of the picture, as many galleries show it
        shown = ImageOps.fit(photo, (side, side), Image.Resampling.LANCZOS)
    else:  # the whole picture, fitted inside the cell
        shown = ImageOps.contain(photo, (side, side), Image.Resampling.LANCZOS)
    for i in range(columns * 4):
        x, y = (i % columns) * (side + gap), bar + 20 + (i // columns) * (side + gap)
        if y + side > page.height:
            break
        if i == target:
            page.paste(shown, (x + (side - shown.width) // 2, y + (side - shown.height) // 2))
        else:
            _paste_scaled(page, _thumbnail(rng.randrange(1000)), (x, y, x + side, y + side))
    return page


def _desktop(photo, rng, *, display: float):
    """A desktop page: top bar, sidebar of links, the photo in the middle, thumbnails right."""
    background, header, text, muted = rng.choice(PAGE_STYLES)
    width, height = rng.choice([(1440, 900), (1920, 1080), (1366, 768)])
    page = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(page)
    draw.rectangle([0, 0, width, 64], fill=header)
    _text(draw, rng, 24, 22, 300, 1, text, size=20)
    _text(draw, rng, 24, 110, 200, 12, muted, size=16)
    column = (280, width - 360)
    room_w, room_h = column[1] - column[0] - 40, height - 64 - 200
    scale = min(room_w / photo.width, room_h / photo.height) * display
    shown = (round(photo.width * scale), round(photo.height * scale))
    left = column[0] + (column[1] - column[0] - shown[0]) // 2
    _text(draw, rng, column[0] + 20, 90, room_w, 2, text, size=18)
    top = 160
    _paste_scaled(page, photo, (left, top, left + shown[0], top + shown[1]))
    _text(draw, rng, column[0] + 20, top + shown[1] + 20, room_w, 2, text, size=18)
    for i in range(4):
        y = 90 + i * 190
        if y + 170 > height:
            break
        _paste_scaled(page, _thumbnail(rng.randrange(1000)), (width - 330, y, width - 30, y + 170))
    return page


def screenshot_layouts(photo_bytes: bytes, seed: int) -> dict[str, bytes]:
    """Several pages showing the same photo at several sizes; PNG, some saved again as JPEG."""
    photo = decode(photo_bytes)
    rng = random.Random(seed)
    pages = {
        "phone, full width under the bar": _phone_post(photo, rng, display=1.0, edge_to_edge=True),
        "phone post, 100% of column": _phone_post(photo, rng, display=1.0, edge_to_edge=False),
        "phone post, 60% of column": _phone_post(photo, rng, display=0.6, edge_to_edge=False),
        "phone gallery, 2 columns": _phone_grid(photo, rng, columns=2),
        "phone gallery, 3 columns": _phone_grid(photo, rng, columns=3),
        SQUARE_GALLERY: _phone_grid(photo, rng, columns=3, square=True),
        "desktop, 100%": _desktop(photo, rng, display=1.0),
        "desktop, 50%": _desktop(photo, rng, display=0.5),
    }
    shots = {name: encode(page, fmt="PNG") for name, page in pages.items()}
    shots["phone post, 100%, JPEG q80"] = encode(pages["phone post, 100% of column"], quality=80)
    shots["demo_images.screenshot_of"] = screenshot_of(photo_bytes, seed=seed)
    return shots


# --- Measurements -----------------------------------------------------------------------


def popcount_matrix(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Hamming distances between every pair of 64-bit hashes: shape (len(left), len(right))."""
    return np.bitwise_count(left[:, None] ^ right[None, :]).astype(np.uint8)


def as_array(values) -> np.ndarray:
    return np.array(list(values), dtype=np.uint64)


def summary(values) -> tuple[int, float, int, int]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return ordered[0], statistics.median(ordered), p95, ordered[-1]


def pdq_distance(a: hashing.ImageHashes, b: hashing.ImageHashes) -> int | None:
    if a.pdq is None or b.pdq is None:
        return None
    return hashing.hamming(a.pdq, b.pdq)


def measure_variants(bases: list[bytes], references: list[hashing.ImageHashes]):
    distances = {name: {"phash": [], "dhash": [], "pdq": []} for name in VARIANTS}
    for index, data in enumerate(bases):
        image = decode(data)
        rng = random.Random(index)
        for name, make in VARIANTS.items():
            hashes = hashing.hashes_of_bytes(make(image, rng))
            distances[name]["phash"].append(hashing.hamming(hashes.phash, references[index].phash))
            distances[name]["dhash"].append(hashing.hamming(hashes.dhash, references[index].dhash))
            pdq = pdq_distance(hashes, references[index])
            if pdq is not None:
                distances[name]["pdq"].append(pdq)
    return distances


def measure_unrelated(count: int) -> list[hashing.ImageHashes]:
    return [hashing.hashes_of_bytes(encode(unrelated_image(i), quality=90)) for i in range(count)]


def measure_screenshots(bases, references, count):
    """For each layout: found (some region passes), whole-image pass, timings, false matches."""
    phash_refs = as_array(r.phash for r in references)
    dhash_refs = as_array(r.dhash for r in references)
    results: dict[str, dict] = {}
    timings, box_counts = [], []
    false_matches = 0
    best_distances = []
    for index in range(min(count, len(bases))):
        for name, shot in screenshot_layouts(bases[index], seed=index).items():
            image = hashing.open_for_hashing(shot)
            started = time.perf_counter()
            boxes = regions.candidate_regions(image)
            timings.append((time.perf_counter() - started, image.size))
            box_counts.append(len(boxes))
            region_hashes = [hashing.hashes_of(image.crop(box)) for box in boxes]
            found = any(hashing.is_possible_copy(h, references[index]) for h in region_hashes)
            whole = hashing.hashes_of(image)
            entry = results.setdefault(name, {"found": 0, "whole": 0, "total": 0, "whole_d": []})
            entry["total"] += 1
            entry["found"] += found
            entry["whole"] += hashing.is_possible_copy(whole, references[index])
            entry["whole_d"].append(hashing.hamming(whole.phash, references[index].phash))
            best_distances.append(
                min(
                    (hashing.hamming(h.phash, references[index].phash) for h in region_hashes),
                    default=64,
                )
            )
            # A region of this screenshot passing against a *different* reference is false.
            region_p = as_array(h.phash for h in region_hashes)
            region_d = as_array(h.dhash for h in region_hashes)
            passes = (popcount_matrix(region_p, phash_refs) <= hashing.PHASH_THRESHOLD) & (
                popcount_matrix(region_d, dhash_refs) <= hashing.DHASH_THRESHOLD
            )
            passes[:, index] = False
            false_matches += int(passes.any(axis=0).sum())
    return results, timings, box_counts, false_matches, best_distances


def measure_draft(count: int):
    """Decode + pHash + dHash of 3000x2000 JPEGs with and without the reduced-size decode."""
    rows = []
    for i in range(count):
        seed = DRAFT_SEED_BASE + i
        if i % 2 == 0:
            data = make_image(seed=seed, size=(3000, 2000))
        else:
            data = encode(rich_image(seed, (3000, 2000)), quality=90)

        def full_decode(data=data):
            image = Image.open(io.BytesIO(data))
            image.load()
            return ImageOps.exif_transpose(image).convert("RGB")

        timings = {}
        hashes = {}
        for label, opener in (
            ("full", full_decode),
            ("draft", lambda data=data: hashing.open_for_hashing(data)),
        ):
            best_decode = best_total = float("inf")
            for _ in range(3):
                started = time.perf_counter()
                image = opener()
                decoded = time.perf_counter()
                phash, dhash = imagehash.phash(image), imagehash.dhash(image)
                finished = time.perf_counter()
                best_decode = min(best_decode, decoded - started)
                best_total = min(best_total, finished - started)
            timings[label] = (best_decode, best_total, image.size)
            hashes[label] = (int(str(phash), 16), int(str(dhash), 16))
        rows.append(
            {
                "full": timings["full"],
                "draft": timings["draft"],
                "phash_bits": hashing.hamming(hashes["full"][0], hashes["draft"][0]),
                "dhash_bits": hashing.hamming(hashes["full"][1], hashes["draft"][1]),
            }
        )
    return rows


# --- Report -----------------------------------------------------------------------------


def recall(distances, phash_t, dhash_t, names) -> tuple[int, int]:
    hit = total = 0
    for name in names:
        for p, d in zip(distances[name]["phash"], distances[name]["dhash"], strict=True):
            total += 1
            hit += p <= phash_t and d <= dhash_t
    return hit, total


def table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def fmt_summary(values) -> str:
    low, median, p95, high = summary(values)
    return f"{low} / {median:g} / {p95} / {high}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--unrelated", type=int, default=10_000)
    parser.add_argument("--screenshots", type=int, default=20)
    parser.add_argument("--draft-images", type=int, default=50)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    pt, dt = hashing.PHASH_THRESHOLD, hashing.DHASH_THRESHOLD
    have_pdq = hashing.pdqhash is not None

    bases = [base_image(i) for i in range(args.images)]
    references = [hashing.hashes_of_bytes(data) for data in bases]
    print(f"{len(bases)} base images; variants ...", file=sys.stderr)
    distances = measure_variants(bases, references)

    print(f"{args.unrelated} unrelated images ...", file=sys.stderr)
    unrelated = measure_unrelated(args.unrelated)
    phash_matrix = popcount_matrix(
        as_array(u.phash for u in unrelated), as_array(r.phash for r in references)
    )
    dhash_matrix = popcount_matrix(
        as_array(u.dhash for u in unrelated), as_array(r.dhash for r in references)
    )
    pairs = phash_matrix.size
    false_pass = int(((phash_matrix <= pt) & (dhash_matrix <= dt)).sum())
    ref_p = popcount_matrix(*(2 * [as_array(r.phash for r in references)]))
    ref_d = popcount_matrix(*(2 * [as_array(r.dhash for r in references)]))
    off_diagonal = ~np.eye(len(references), dtype=bool)
    ref_false = int(((ref_p <= pt) & (ref_d <= dt) & off_diagonal).sum()) // 2

    print(f"screenshots of {args.screenshots} images ...", file=sys.stderr)
    shots, shot_timings, box_counts, shot_false, best = measure_screenshots(
        bases, references, args.screenshots
    )
    print(f"draft decode on {args.draft_images} 3000x2000 JPEGs ...", file=sys.stderr)
    draft = measure_draft(args.draft_images)

    out = ["# Perceptual-hash calibration", ""]
    out += [
        "Written by `bench/calibrate_hashes.py` "
        f"(`--images {args.images} --unrelated {args.unrelated} "
        f"--screenshots {args.screenshots} --draft-images {args.draft_images}`); "
        "run it again after changing evidence/hashing.py or evidence/regions.py. "
        "Every image is generated (gradients, circles, polygons, noise textures): "
        "half of the base images come from `evidence.demo_images.make_image`, half from the "
        "script's `rich_image`. Base images are 640x480 to 1500x1000 JPEGs (quality 90); a "
        "reference is the hashes of the base's bytes, and each variant is hashed from its "
        "own bytes through `hashing.open_for_hashing`, as uploads are.",
        "",
        "## The rule",
        "",
        f"`is_possible_copy`: pHash distance <= **{pt}** AND dHash distance <= **{dt}** "
        "(of 64 bits each).",
        "",
        RATIONALE.strip(),
        "",
        "## Distances per kind of variant",
        "",
        f"{args.images} base images. Distances are min / median / p95 / max bits. Resized and "
        "cropped variants are saved as JPEG quality 85. 'crop 5%' removes 5% of the width and "
        "5% of the height, evenly ('centre') or all from one random corner ('corner').",
        "",
    ]
    header = ["variant", "pHash", "dHash"]
    if have_pdq:
        header.append("PDQ (of 256)")
    header += [f"recall (pHash<={pt} and dHash<={dt})"]
    rows = []
    for name in VARIANTS:
        row = [name, fmt_summary(distances[name]["phash"]), fmt_summary(distances[name]["dhash"])]
        if have_pdq:
            row.append(fmt_summary(distances[name]["pdq"]))
        hit, total = recall(distances, pt, dt, [name])
        row.append(f"{hit}/{total} ({100 * hit / total:.0f}%)")
        rows.append(row)
    out += table(header, rows)
    if have_pdq:
        pdq_hits = sum(
            d <= hashing.PDQ_THRESHOLD for name in VARIANTS for d in distances[name]["pdq"]
        )
        pdq_total = sum(len(distances[name]["pdq"]) for name in VARIANTS)
        out += [
            "",
            f"PDQ (for comparison, not in the rule) at its usual threshold of "
            f"{hashing.PDQ_THRESHOLD}/256 catches {pdq_hits}/{pdq_total} of all variants above.",
        ]

    out += [
        "",
        "## Threshold sweep",
        "",
        "Recall over the core variants (re-encoded, resized, cropped 5%: "
        f"{len(CORE_VARIANTS) * args.images} pairs) and over all variants with the 10% crops "
        f"({len(VARIANTS) * args.images} pairs); false matches over the {pairs:,} "
        "unrelated x reference pairs. Rows: pHash threshold; columns: dHash threshold.",
        "",
    ]
    dhash_steps = [8, 10, 12, 14, 16, 64]
    sweep_rows = []
    for p in [6, 8, 10, 12, 14]:
        row = [f"pHash<={p}"]
        for d in dhash_steps:
            core_hit, core_total = recall(distances, p, d, CORE_VARIANTS)
            all_hit, all_total = recall(distances, p, d, list(VARIANTS))
            false = int(((phash_matrix <= p) & (dhash_matrix <= d)).sum())
            row.append(
                f"{100 * core_hit / core_total:.1f}% / {100 * all_hit / all_total:.1f}% / {false}"
            )
        sweep_rows.append(row)
    out += table(
        ["", *(f"dHash<={d}" if d < 64 else "dHash ignored" for d in dhash_steps)], sweep_rows
    )
    out += ["", "Cells: core recall / all-variant recall / false matches."]

    nearest_p = int(phash_matrix.min())
    nearest_d = int(dhash_matrix.min())
    out += [
        "",
        "## False matches",
        "",
        f"{args.unrelated:,} unrelated generated images (160-400 px, half make_image, half "
        f"rich_image, other seeds) against the {args.images} references: {pairs:,} pairs.",
        "",
        f"- pairs passing `is_possible_copy`: **{false_pass}**",
        f"- nearest unrelated pair: pHash {nearest_p} bits, dHash {nearest_d} bits "
        "(not necessarily the same pair)",
        f"- pairs with pHash <= {pt} (pHash alone): {int((phash_matrix <= pt).sum())}; "
        f"with dHash <= {dt} (dHash alone): {int((dhash_matrix <= dt).sum())}",
        f"- reference pairs among the {args.images} bases passing the rule: {ref_false}",
        "",
        "pHash distance of unrelated pairs: "
        + ", ".join(
            f"<= {t}: {int((phash_matrix <= t).sum())}" for t in (8, 10, 12, 14, 16, 18, 20)
        ),
    ]

    counted = [v for name, v in shots.items() if name != SQUARE_GALLERY]
    total_found = sum(v["found"] for v in counted)
    total_shots = sum(v["total"] for v in counted)
    total_whole = sum(v["whole"] for v in counted)
    per_mp = [seconds / (size[0] * size[1] / 1e6) for seconds, size in shot_timings]
    slowest = max(shot_timings, key=lambda item: item[0])
    out += [
        "",
        "## Screenshots",
        "",
        f"The first {min(args.screenshots, args.images)} base images, each shown in "
        "generated pages (header bars, text as rows of word-shaped bars, icons, other "
        "generated thumbnails around), saved as PNG unless stated. A screenshot is found "
        "when any box from `regions.candidate_regions` (at most 8, the whole image last), "
        "cropped and hashed, passes `is_possible_copy` against its reference.",
        "",
    ]
    shot_rows = [
        [
            name,
            f"{v['found']}/{v['total']}",
            f"{v['whole']}/{v['total']}",
            f"{statistics.median(v['whole_d']):g}",
        ]
        for name, v in shots.items()
    ]
    shot_rows.append(
        [
            f"**all but '{SQUARE_GALLERY}'**",
            f"**{total_found}/{total_shots} ({100 * total_found / total_shots:.0f}%)**",
            f"{total_whole}/{total_shots}",
            "",
        ]
    )
    out += table(
        ["layout", "found via regions", "found by whole image", "whole-image pHash (median)"],
        shot_rows,
    )
    out += [
        "",
        f"- best region's pHash distance: median {statistics.median(best):g}, "
        f"p95 {summary(best)[2]}, max {max(best)}",
        f"- regions per screenshot: median {statistics.median(box_counts):g}, "
        f"max {max(box_counts)}",
        f"- a region passing against a *different* reference: {shot_false} "
        f"(of {total_shots * (args.images - 1) * 8:,} region x reference chances at most)",
        f"- `candidate_regions` time: median {1000 * statistics.median(per_mp):.1f} ms per "
        f"megapixel; slowest {1000 * slowest[0]:.1f} ms on {slowest[1][0]}x{slowest[1][1]}",
    ]

    full_decode = [r["full"][0] for r in draft]
    draft_decode = [r["draft"][0] for r in draft]
    full_total = [r["full"][1] for r in draft]
    draft_total = [r["draft"][1] for r in draft]
    phash_bits = [r["phash_bits"] for r in draft]
    dhash_bits = [r["dhash_bits"] for r in draft]
    out += [
        "",
        "## Reduced-size JPEG decode",
        "",
        f"{args.draft_images} generated 3000x2000 JPEGs (quality 90), best of 3 runs each; "
        f"`Image.draft('RGB', {hashing.DRAFT_SIZE})` decodes them at "
        f"{draft[0]['draft'][2][0]}x{draft[0]['draft'][2][1]}.",
        "",
    ]
    out += table(
        ["", "full decode", "draft decode", "speed-up"],
        [
            [
                "decode (median)",
                f"{1000 * statistics.median(full_decode):.1f} ms",
                f"{1000 * statistics.median(draft_decode):.1f} ms",
                f"{statistics.median(full_decode) / statistics.median(draft_decode):.1f}x",
            ],
            [
                "decode + pHash + dHash (median)",
                f"{1000 * statistics.median(full_total):.1f} ms",
                f"{1000 * statistics.median(draft_total):.1f} ms",
                f"{statistics.median(full_total) / statistics.median(draft_total):.1f}x",
            ],
        ],
    )
    out += [
        "",
        f"- pHash bits changed by the draft decode: mean {statistics.mean(phash_bits):.2f}, "
        f"max {max(phash_bits)}; identical in {phash_bits.count(0)}/{len(phash_bits)}",
        f"- dHash bits changed: mean {statistics.mean(dhash_bits):.2f}, max {max(dhash_bits)}",
        "",
        f"PDQ: {'pdqhash installed, measured above' if have_pdq else 'pdqhash not installed'}.",
        "",
        f"Run time: {time.perf_counter() - started:.0f} s.",
        "",
    ]
    report = "\n".join(out)
    print(report)
    if not args.no_write:
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(report)
        print(f"written to {DOC.relative_to(ROOT)}", file=sys.stderr)
    return 0


RATIONALE = """
RATIONALE_PLACEHOLDER
"""

if __name__ == "__main__":
    raise SystemExit(main())

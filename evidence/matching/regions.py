"""Where a photo may sit inside a screenshot, so that its hash can be compared on its own.

The whole-image hash of a screenshot that contains an image is far from the image's own hash
(about 30 of 64 bits), because the page chrome around it (bars, text, other thumbnails) is part
of what is hashed. `candidate_regions` proposes boxes that are likely to be a photo, and the
caller hashes each one. Boxes come from the screenshot's own structure, two ways:

1. Cuts along gutters (XY-cut), on a copy shrunk (nearest neighbour) to WORK_SIZE px: the
   background of a block is the most common colour of its outer ring of pixels; rows that are
   (almost) all background split the block into bands, columns that are all background split
   each band into cells, and each cell is trimmed to its non-background content and cut again,
   both with its own background (a photo right under a coloured header bar) and with the one it
   was cut with (a caption under a photo when the cell's ring is mostly text).
2. Blocks of content that is not in the page's colours (`_blocks`), on a finer copy
   (BLOCK_WORK_SIZE px): the page's colours are the exact colours each covering at least
   UI_COLOUR_SHARE of the screenshot (backgrounds, bars, cards, bubbles; a photo's gradient
   spreads over many values); the remaining pixels fall into connected areas (scipy.ndimage),
   and areas whose boxes overlap are joined (a photo whose own flat patch is a page colour).
   This finds a photo where no gutter crosses the whole page: in a browser window with a
   sidebar and ads, in a feed card, in a chat bubble. Each area is cut again as in 1, with
   looser gutters (JPEG smudges a 2 px gap between thumbnails), its edges are trimmed at full
   size of lines of padding (a bubble's, a card's), and two areas lined up one above the
   other (or side by side) and close are also offered together (a photo crossed by a band of
   a page colour).

Boxes under MIN_SIDE px a side or MIN_AREA_FRACTION of the screenshot are dropped; the rest are
ranked by area times how varied their colours are (a text block or a bar is dominated by one
colour, a photo is not), blocks before the less precise cuts, pairs last; near duplicates are
merged; at most MAX_REGIONS are returned (a gallery of thumbnails needs one each) and the whole
image is always the last. Numpy and scipy only.

Measured by bench/calibrate_hashes.py (docs/hash-calibration.md, "Screenshots of pages, apps,
galleries and chats"): on 200 generated screenshots (tests/helpers/screenshots.py) of four kinds
the photo is found in 193 (96.5%), with no false match in 805,207 region x reference pairs;
about 70 ms per screenshot (median; 180 ms the slowest).

Limits: a photo touching another picture with no gap stays in one box with it (she marks it by
hand on the evidence page); a photo crossed by a wide band of a page colour may be in two
pieces; a gallery with more thumbnails than MAX_REGIONS - 1 gets only the most colourful ones.
"""

import math

import numpy as np
from PIL import Image
from scipy import ndimage

NEAREST = Image.Resampling.NEAREST

Box = tuple[int, int, int, int]  # left, top, right, bottom, in pixels of the image

# Longer side of the shrunken copy the cuts are made on.
WORK_SIZE = 480
# A pixel is background when every channel is within this of the block's background colour.
BACKGROUND_TOLERANCE = 20
# A row or column is a gutter when at most this fraction of it is not background.
GUTTER_NOISE = 0.01
# How deep the cuts go: page -> band -> cell -> cell inside a cell ...
MAX_DEPTH = 4
# Smaller boxes are not worth hashing: under 64 px a side a hash says little, and a box under
# 2% of the screenshot is an icon or an avatar. (A photo shown as one of nine thumbnails in a
# tall phone screenshot still covers about 3%.)
MIN_SIDE = 64
MIN_AREA_FRACTION = 0.01
# Boxes overlapping an earlier candidate this much (intersection over union) are dropped.
# Kept high: a box that also holds a header bar 9% of its height is a different candidate.
DUPLICATE_IOU = 0.97
# Longer side of the copy the page's colours and the blocks of other content are found on:
# finer than WORK_SIZE, so that a 4 px gap between two thumbnails survives the shrinking.
BLOCK_WORK_SIZE = 1400
# A colour covering at least this share of the screenshot is the page's.
UI_COLOUR_SHARE = 0.01
# At most this many page colours; a pixel within PAGE_TOLERANCE of one is the page's.
PAGE_COLOURS = 24
PAGE_TOLERANCE = 8
BLOCK_GUTTER_NOISE = 0.2
# A box from the page's cuts overlapping a block this much is the same thing, less precise.
SAME_AS_BLOCK = 0.8
# Two blocks this close (a share of the longer side) and lined up may be one photo crossed by
# a band of a page colour: their union is a candidate too.
JOIN_GAP = 0.01
# An edge line of a block with at least this share of page colour is trimmed off.
TRIM_PAGE_SHARE = 0.5
# ... or with at least this share of one colour; at most this share of a side is trimmed.
TRIM_FLAT_SHARE = 0.9
TRIM_SHARE = 0.02
# Regions tried per picture (the whole included).
MAX_REGIONS = 48


def candidate_regions(image: Image.Image, max_regions: int = MAX_REGIONS) -> list[Box]:
    """Boxes likely to hold a photo, best first; the whole image is always the last one."""
    width, height = image.size
    whole = (0, 0, width, height)
    if max_regions <= 1:
        return [whole]
    small = _shrunk(image, WORK_SIZE)
    pixels = np.asarray(small, dtype=np.int16)
    scale_x, scale_y = width / small.width, height / small.height

    min_area = MIN_AREA_FRACTION * width * height
    # Cells too small to be a candidate are not cut further: what is inside is smaller still.
    limits = (MIN_SIDE / max(scale_x, scale_y), min_area / (scale_x * scale_y))
    found: list[Box] = []
    _cut(pixels, (0, 0, pixels.shape[1], pixels.shape[0]), 0, limits, found)
    # Blocks of content that is not the page's own colours, each cut again as above: a photo
    # among bars, sidebars and ads that leave no gutter across the whole page.
    # Their boxes are kept as found, on the finer copy: a box 6 px too big around a photo
    # 340 px wide moves its pHash by 12 bits.
    blocks, pairs = _blocks(image, limits_px=(MIN_SIDE, min_area))

    scored = []
    in_image = [
        (
            round(left * scale_x),
            round(top * scale_y),
            round(right * scale_x),
            round(bottom * scale_y),
        )
        for left, top, right, bottom in found
    ]
    # A block's edges are finer than a cut's: a cut near one (the same thumbnail, a few px
    # off) is dropped, so that a gallery's thumbnails each take one place, not two.
    in_image = [b for b in in_image if all(_iou(b, block) < SAME_AS_BLOCK for block in blocks)]
    # Pairs of blocks that may be one photo come after single photos (a gallery's
    # thumbnails make many such pairs).
    weighted = [
        *((1.2, b) for b in blocks),
        *((1.0, b) for b in in_image),
        *((0.2, b) for b in pairs),
    ]
    for finer, box in weighted:
        left, top = int(box[0] / scale_x), int(box[1] / scale_y)
        right = max(left + 1, math.ceil(box[2] / scale_x))
        bottom = max(top + 1, math.ceil(box[3] / scale_y))
        box_width, box_height = box[2] - box[0], box[3] - box[1]
        if box_width < MIN_SIDE or box_height < MIN_SIDE or box_width * box_height < min_area:
            continue
        variety = 1.0 - _dominant_fraction(pixels[top:bottom, left:right])
        scored.append((finer * box_width * box_height * variety, box))
    scored.sort(key=lambda item: item[0], reverse=True)

    chosen: list[Box] = []
    for _score, box in scored:
        if len(chosen) == max_regions - 1:
            break
        if all(_iou(box, other) < DUPLICATE_IOU for other in [*chosen, whole]):
            chosen.append(box)
    return [*chosen, whole]


def _shrunk(image: Image.Image, longest: int) -> Image.Image:
    """A copy with its longer side at most `longest` px, by nearest neighbour, as RGB.

    Nearest neighbour, not an average: a gutter at least `factor` px wide keeps a whole
    column of samples, where averaging would blur a 6 px gap between thumbnails away.
    Shrunk first, converted after: an RGBA screenshot is converted at 1/factor^2 the cost."""
    width, height = image.size
    factor = max(1, math.ceil(max(width, height) / longest))
    small = image.resize((max(1, width // factor), max(1, height // factor)), NEAREST)
    return small if small.mode == "RGB" else small.convert("RGB")


def _blocks(image: Image.Image, limits_px: tuple[float, float]) -> tuple[list[Box], list[Box]]:
    """Boxes (in the image's pixels) of connected areas not in the page's colours: the areas
    themselves, and pairs of them that are probably one photo cut in two (ranked lower).

    A page is drawn in a few flat colours (backgrounds, bars, cards, bubbles) that each cover
    a good share of it; a photo is made of many colours, none covering much. Pixels within
    one step (8 levels a channel) of a colour covering UI_COLOUR_SHARE of the screenshot are
    the page's; the rest fall into connected areas: each letter of text is one (too small to
    count), and a photo is one, whatever the page around it looks like, as long as some
    page colour separates it from its neighbours (a bubble's padding, a gap between
    thumbnails, the page's background between it and the text). Areas that touch (thumbnails
    whose gap JPEG blurred away) are cut along their own gutters as candidate_regions cuts the
    page; each box's edges are then trimmed of page-coloured lines at full size."""
    small = _shrunk(image, BLOCK_WORK_SIZE)
    scale_x, scale_y = image.width / small.width, image.height / small.height
    fine = np.asarray(small, dtype=np.int16)
    colours = _page_colours(fine)
    page = _page_table(colours)
    # The page's own background (its most common colour) is tried as well as each block's
    # ring colour: between thumbnails on cards of their own, the gaps are the page's.
    paper = colours[0] if len(colours) else None
    content = ~page[_colour_keys(fine)]
    labels, count = ndimage.label(content)
    # A photo's own large flat areas (a wall, the sky) may be a page colour too and cut it
    # into pieces; the pieces' bounding boxes overlap, so areas whose boxes overlap are
    # joined (their boxes filled and labelled again) until nothing more joins. Thumbnails
    # apart by a gap, and text beside a photo, stay apart.
    for _ in range(4):
        filled = np.zeros_like(content)
        for rows, cols in ndimage.find_objects(labels):
            filled[rows, cols] = True
        labels, joined = ndimage.label(filled)
        if joined == count:
            break
        count = joined
    min_side, min_area = limits_px
    limits = (min_side / max(scale_x, scale_y), min_area / (scale_x * scale_y))
    areas = [
        (cols.start, rows.start, cols.stop, rows.stop)
        for rows, cols in ndimage.find_objects(labels)
        # Pieces down to a quarter of a candidate's size may be half of a photo.
        if cols.stop - cols.start >= limits[0] / 2
        and rows.stop - rows.start >= limits[0] / 2
        and (cols.stop - cols.start) * (rows.stop - rows.start) >= limits[1] / 4
    ]
    found: list[Box] = []
    for area in areas:
        found.append(area)
        # Looser gutters than on the whole page: inside a block, a line that is almost all
        # the block's background is a gap JPEG has smudged, not part of a photo.
        _cut(fine, area, MAX_DEPTH - 1, limits, found, paper, BLOCK_GUTTER_NOISE)
    gap = JOIN_GAP * max(fine.shape[:2])
    pairs = [
        (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
        for i, a in enumerate(areas)
        for b in areas[i + 1 :]
        if _one_photo_cut_in_two(a, b, gap)
    ]

    def in_image(boxes):
        refined = []
        for left, top, right, bottom in boxes:
            box = _trimmed(
                image,
                page,
                (
                    max(0, math.floor((left - 1) * scale_x)),
                    max(0, math.floor((top - 1) * scale_y)),
                    min(image.width, math.ceil((right + 1) * scale_x)),
                    min(image.height, math.ceil((bottom + 1) * scale_y)),
                ),
            )
            box_width, box_height = box[2] - box[0], box[3] - box[1]
            if (
                box_width >= min_side
                and box_height >= min_side
                and box_width * box_height >= min_area
            ):
                refined.append(box)
        return refined

    return in_image(found), in_image(pairs)


def _page_colours(pixels: np.ndarray) -> np.ndarray:
    """The exact colours (at most PAGE_COLOURS) that each cover UI_COLOUR_SHARE of the picture.

    Exact, not rounded: a page's flat colours repeat exactly (or nearly, after JPEG), while a
    photo's smooth gradient (a sky, a wall) spreads over many close values, none covering
    much, where a colour rounded to 5 bits would cover a band of it."""
    sample = pixels[::2, ::2].reshape(-1, 3).astype(np.int32)
    keys = (sample[:, 0] << 16) | (sample[:, 1] << 8) | sample[:, 2]
    values, counts = np.unique(keys, return_counts=True)
    order = np.argsort(counts)[::-1][:PAGE_COLOURS]
    chosen = values[order][counts[order] >= UI_COLOUR_SHARE * keys.size]
    return np.stack([chosen >> 16, (chosen >> 8) & 255, chosen & 255], axis=1).astype(np.int16)


def _page_table(colours: np.ndarray) -> np.ndarray:
    """For each colour rounded to 5 bits a channel (_colour_keys), whether it is within about
    PAGE_TOLERANCE of a page colour: one table look-up a pixel instead of one test a colour."""
    table = np.zeros((32, 32, 32), dtype=bool)
    for colour in colours.astype(np.int32):
        low = np.clip(colour - PAGE_TOLERANCE, 0, 255) >> 3
        high = np.clip(colour + PAGE_TOLERANCE, 0, 255) >> 3
        table[low[0] : high[0] + 1, low[1] : high[1] + 1, low[2] : high[2] + 1] = True
    return table.ravel()


def _one_photo_cut_in_two(a: Box, b: Box, gap: float) -> bool:
    """Two areas one above the other (or side by side), close, and lined up on one side at
    least: what is left of a photo crossed by a flat band of a page colour."""
    for start, end in ((0, 2), (1, 3)):  # side by side: x; one above the other: y
        across = 1 - start  # the other axis
        first, second = (a, b) if a[start] <= b[start] else (b, a)
        distance = second[start] - first[end]
        if not 0 <= distance <= gap:
            continue
        lo, hi = across, across + 2
        overlap = min(a[hi], b[hi]) - max(a[lo], b[lo])
        narrower = min(a[hi] - a[lo], b[hi] - b[lo])
        lined_up = abs(a[lo] - b[lo]) <= 2 or abs(a[hi] - b[hi]) <= 2
        if overlap >= 0.5 * narrower and lined_up:
            return True
    return False


def _trimmed(image: Image.Image, page: np.ndarray, box: Box) -> Box:
    """The box with the edge lines that are mostly page colour, or one colour (a bubble's
    padding, a border), taken off, at full size; at most TRIM_SHARE of a side each edge, so
    that a photo whose own edge is flat loses little (a 2% crop moves a hash by a few bits)."""
    pixels = np.asarray(image.crop(box).convert("RGB"), dtype=np.int16)
    keys = _colour_keys(pixels)
    paper = page[keys]
    height, width = keys.shape
    pad = math.ceil(max(image.width, image.height) / BLOCK_WORK_SIZE) + 1
    most_rows, most_cols = pad + int(TRIM_SHARE * height), pad + int(TRIM_SHARE * width)

    def mode(line: np.ndarray) -> tuple[int, float]:
        counts = np.bincount(line)
        return int(counts.argmax()), counts.max() / line.size

    # The colour around the block (its box was widened by a pixel of the shrunken copy): a
    # line all of that colour is padding (a bubble's, a card's), not the photo, even when
    # it is not one of the page's colours. A photo's own flat edge (a wall) is another colour.
    outside = {mode(keys[0])[0], mode(keys[-1])[0], mode(keys[:, 0])[0], mode(keys[:, -1])[0]}

    def flat(rows, cols) -> bool:
        if paper[rows, cols].mean() >= TRIM_PAGE_SHARE:
            return True
        colour, share = mode(keys[rows, cols])
        return share >= TRIM_FLAT_SHARE and colour in outside

    top, bottom, left, right = 0, height, 0, width
    whole = slice(None)
    while top < min(most_rows, bottom - 1) and flat(top, whole):
        top += 1
    while height - bottom < most_rows and bottom - 1 > top and flat(bottom - 1, whole):
        bottom -= 1
    while left < min(most_cols, right - 1) and flat(slice(top, bottom), left):
        left += 1
    while width - right < most_cols and right - 1 > left and flat(slice(top, bottom), right - 1):
        right -= 1
    return (box[0] + left, box[1] + top, box[0] + right, box[1] + bottom)


def _cut(
    pixels: np.ndarray,
    box: Box,
    depth: int,
    limits: tuple[float, float],
    out: list[Box],
    outer: np.ndarray | None = None,
    noise: float = GUTTER_NOISE,
) -> None:
    """Cut `box` along gutters of its own background and of the block it was cut from.

    Its own (the colour of its ring) splits a coloured bar from a photo right under it; the
    outer one splits a caption from a photo when the ring is mostly text.
    """
    left, top, right, bottom = box
    block = pixels[top:bottom, left:right]
    if block.shape[0] < 2 or block.shape[1] < 2:
        return
    backgrounds = [_ring_colour(block)]
    if outer is not None and np.abs(outer - backgrounds[0]).max() > BACKGROUND_TOLERANCE:
        backgrounds.append(outer)
    for background in backgrounds:
        content = (np.abs(block - background) > BACKGROUND_TOLERANCE).any(axis=2)
        for cell_box in _cells(content, box, limits, noise):
            if cell_box in out:
                continue
            out.append(cell_box)
            if depth < MAX_DEPTH:
                _cut(pixels, cell_box, depth + 1, limits, out, background, noise)


def _cells(
    content: np.ndarray, box: Box, limits: tuple[float, float], noise: float = GUTTER_NOISE
) -> list[Box]:
    """Boxes of content between rows, then columns, with no content; trimmed; big enough."""
    min_side, min_area = limits
    left, top = box[0], box[1]
    cells = []
    for row_start, row_end in _runs(content.mean(axis=1) > noise):
        if row_end - row_start < min_side:
            continue
        band = content[row_start:row_end]
        for col_start, col_end in _runs(band.mean(axis=0) > noise):
            if col_end - col_start < min_side:
                continue
            rows = np.flatnonzero(band[:, col_start:col_end].any(axis=1))
            cell = (
                left + col_start,
                top + row_start + int(rows[0]),
                left + col_end,
                top + row_start + int(rows[-1]) + 1,
            )
            height = cell[3] - cell[1]
            # The same box again would be cut the same way: nothing new inside.
            if cell != box and height >= min_side and (col_end - col_start) * height >= min_area:
                cells.append(cell)
    return cells


def _ring_colour(block: np.ndarray) -> np.ndarray:
    """The most common colour (to 5 bits a channel) of the block's outer ring of pixels."""
    ring = np.concatenate([block[0], block[-1], block[1:-1, 0], block[1:-1, -1]])
    keys = _colour_keys(ring)
    mode = np.bincount(keys).argmax()
    return ring[keys == mode].mean(axis=0)


def _dominant_fraction(block: np.ndarray) -> float:
    keys = _colour_keys(block.reshape(-1, 3))
    if keys.size == 0:
        return 1.0
    return float(np.bincount(keys).max() / keys.size)


def _colour_keys(colours: np.ndarray) -> np.ndarray:
    quantised = colours.astype(np.int32) >> 3
    return (quantised[..., 0] << 10) | (quantised[..., 1] << 5) | quantised[..., 2]


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True values."""
    padded = np.concatenate([[False], flags, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _iou(a: Box, b: Box) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union

"""Screenshots as people take them, made by code: a photo inside a page, an app, a gallery, a chat.

Shared by the screenshot recall measurement (bench/calibrate_hashes.py, docs/hash-calibration.md)
and the tests of evidence/matching/regions.py. The photo is given by the caller (generated
images only, never of real people); everything around it is drawn here: real text (Pillow's
built-in font), bars, tabs, cards, avatars, buttons, other generated pictures, rounded bubbles.

Each screenshot shows the photo at 20-100% of its own size (as much as the layout allows; a
thumbnail in 3 columns on a 750 px phone may be down to 16% of a 1500 px photo),
sometimes slightly cropped (up to 2% off some of its edges, as `object-fit: cover` does), and
is saved as PNG or as JPEG of quality 60-95. `Screenshot.box` says where the photo is.

Kinds:
- desktop: a browser window (title bar, tabs, address bar, bookmarks), a site's header, a
  sidebar of links, article text, the photo in the article, ads with other pictures;
- phone: a status bar, an app header, feed cards (avatar, name, text, pictures), the photo
  across the card, with margins or at 60-80% of it, a bottom navigation bar;
- gallery: a grid of 3-6 columns of thumbnails of other pictures, the photo one of them (small),
  fitted in its cell, on a phone or a desktop;
- chat: message bubbles, the photo inside a rounded bubble with a caption under it.
"""

import functools
import io
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from evidence.demo_images import make_image

KINDS = ("desktop", "phone", "gallery", "chat")
LANCZOS = Image.Resampling.LANCZOS

Box = tuple[int, int, int, int]

WORDS = [
    "the",
    "a",
    "of",
    "and",
    "to",
    "in",
    "is",
    "it",
    "you",
    "that",
    "he",
    "was",
    "for",
    "on",
    "are",
    "with",
    "as",
    "his",
    "they",
    "be",
    "at",
    "one",
    "have",
    "this",
    "from",
    "or",
    "had",
    "by",
    "hot",
    "word",
    "but",
    "what",
    "some",
    "we",
    "can",
    "out",
    "other",
    "were",
    "all",
    "there",
    "when",
    "up",
    "use",
    "your",
    "how",
    "said",
    "an",
    "each",
    "she",
    "which",
    "do",
    "their",
    "time",
    "if",
    "will",
    "way",
    "about",
    "many",
    "then",
    "them",
    "write",
    "would",
    "like",
    "so",
    "these",
    "her",
    "long",
    "make",
    "thing",
    "see",
    "him",
    "two",
    "has",
    "look",
    "more",
    "day",
    "could",
    "go",
    "come",
    "did",
    "number",
    "sound",
    "no",
    "most",
    "people",
    "my",
    "over",
    "know",
    "water",
    "than",
    "call",
    "first",
    "who",
    "may",
    "down",
    "side",
    "been",
    "now",
]
NAMES = ["Sam Lee", "Alex Kim", "Jo Park", "Robin Ng", "Chris Doe", "Pat Moss", "Kai Berg"]
THEMES = [  # page background, surface (cards, bubbles), text, muted text, accent
    ((255, 255, 255), (246, 247, 249), (20, 20, 24), (110, 115, 125), (29, 155, 240)),
    ((21, 32, 43), (30, 44, 58), (235, 238, 240), (140, 152, 165), (120, 86, 255)),
    ((240, 242, 245), (255, 255, 255), (28, 30, 33), (101, 103, 107), (24, 119, 242)),
    ((0, 0, 0), (38, 38, 38), (245, 245, 245), (160, 160, 160), (225, 48, 108)),
    ((250, 248, 244), (236, 229, 221), (40, 35, 30), (120, 110, 100), (7, 94, 84)),
]


@dataclass(frozen=True)
class Screenshot:
    kind: str
    data: bytes
    size: tuple[int, int]
    box: Box  # where the photo is shown, in the screenshot's pixels
    scale: float  # shown width / the photo's width
    cropped: float  # share of the photo's area cut off before it was shown
    encoding: str  # "PNG" or "JPEG q<quality>"


@functools.cache
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def _text(draw, rng, x, y, width, lines, colour, size=16) -> int:
    """Lines of real words wrapped to `width`; returns the y under the last line."""
    face = font(size)
    for _ in range(lines):
        line = ""
        while True:
            word = rng.choice(WORDS)
            longer = f"{line} {word}".strip()
            if draw.textlength(longer, font=face) > width:
                break
            line = longer
        draw.text((x, y), line, fill=colour, font=face)
        y += round(size * 1.45)
    return y


def _other_picture(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """Another generated picture (not the photo): thumbnails, ads, avatars."""
    seed = 700_000 + rng.randrange(100_000)
    image = Image.open(io.BytesIO(make_image(seed=seed, size=(320, 240))))
    return image.convert("RGB").resize((max(1, size[0]), max(1, size[1])), LANCZOS)


def _avatar(page: Image.Image, rng: random.Random, x: int, y: int, side: int) -> None:
    mask = Image.new("L", (side, side), 0)
    ImageDraw.Draw(mask).ellipse([0, 0, side - 1, side - 1], fill=255)
    page.paste(_other_picture(rng, (side, side)), (x, y), mask)


def _prepared(photo: Image.Image, rng: random.Random, width: int) -> tuple[Image.Image, float]:
    """The photo slightly cropped (half the time) and resized to `width` px wide."""
    cropped = 0.0
    if rng.random() < 0.5:
        w, h = photo.size
        cuts = [round(rng.uniform(0, 0.02) * (w if i % 2 == 0 else h)) for i in range(4)]
        for i in rng.sample(range(4), rng.randint(0, 2)):
            cuts[i] = 0  # not every edge is cut
        box = (cuts[0], cuts[1], w - cuts[2], h - cuts[3])
        cropped = 1 - (box[2] - box[0]) * (box[3] - box[1]) / (w * h)
        photo = photo.crop(box)
    height = max(1, round(width * photo.height / photo.width))
    return photo.resize((width, height), LANCZOS), cropped


def _shown_width(photo: Image.Image, rng: random.Random, room: int, low=0.2, high=1.0) -> int:
    """20-100% of the photo's width, as far as `room` allows."""
    return max(48, min(room, round(photo.width * rng.uniform(low, high))))


def _rounded(image: Image.Image, radius: int) -> Image.Image:
    mask = Image.new("L", image.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, image.width - 1, image.height - 1], radius, 255)
    return mask


# --- desktop ----------------------------------------------------------------------------


def _desktop(photo: Image.Image, rng: random.Random):
    width, height = rng.choice([(1280, 800), (1440, 900), (1920, 1080), (1536, 864)])
    page_bg, surface, text, muted, accent = rng.choice(THEMES)
    chrome_light = rng.random() < 0.5
    chrome = (222, 225, 230) if chrome_light else (53, 54, 58)
    tab_colour = (255, 255, 255) if chrome_light else (83, 84, 88)
    chrome_text = (30, 30, 30) if chrome_light else (230, 230, 230)
    shot = Image.new("RGB", (width, height), page_bg)
    draw = ImageDraw.Draw(shot)
    # Title bar with tabs, window buttons, the address bar, bookmarks.
    draw.rectangle([0, 0, width, 86], fill=chrome)
    for i, colour in enumerate([(255, 95, 87), (254, 188, 46), (40, 200, 64)]):
        draw.ellipse([14 + i * 20, 12, 26 + i * 20, 24], fill=colour)
    x = 80
    for i in range(rng.randint(2, 5)):
        tab_width = rng.randint(160, 240)
        fill = tab_colour if i == 0 else chrome
        draw.rounded_rectangle([x, 6, x + tab_width, 40], 8, fill=fill)
        draw.text((x + 30, 14), _sentence(rng, 3)[:22], fill=chrome_text, font=font(13))
        draw.rectangle([x + 10, 16, x + 22, 28], fill=accent)
        x += tab_width + 2
    draw.rectangle([0, 40, width, 86], fill=tab_colour)
    draw.rounded_rectangle([110, 46, width - 140, 72], 13, fill=chrome)
    draw.text(
        (130, 50),
        f"https://www.{rng.choice(WORDS)}{rng.choice(WORDS)}.example/p/{rng.randrange(10**6)}",
        fill=chrome_text,
        font=font(14),
    )
    for i in range(3):
        draw.ellipse([14 + i * 30, 52, 30 + i * 30, 68], outline=chrome_text, width=2)
    draw.line([0, 86, width, 86], fill=(200, 200, 200), width=1)
    # The site: header, sidebar, article with the photo, ads.
    top = 87
    draw.rectangle([0, top, width, top + 56], fill=accent)
    draw.text(
        (24, top + 14), rng.choice(WORDS).upper() + "HUB", fill=(255, 255, 255), font=font(24)
    )
    for i in range(4):
        draw.text(
            (width // 2 + i * 90, top + 20), rng.choice(WORDS), fill=(255, 255, 255), font=font(15)
        )
    sidebar = rng.randint(180, 260)
    draw.rectangle([0, top + 56, sidebar, height], fill=surface)
    y = top + 80
    for _ in range(14):
        draw.text((20, y), _sentence(rng, 2), fill=muted, font=font(15))
        y += 30
    ads = rng.randint(260, 330)
    column = (sidebar + 32, width - ads - 32)
    y = top + 80
    draw.text((column[0], y), _sentence(rng, 6), fill=text, font=font(28))
    y = _text(draw, rng, column[0], y + 48, column[1] - column[0], rng.randint(1, 4), text) + 16
    room = column[1] - column[0]
    shown, cropped = _prepared(photo, rng, _shown_width(photo, rng, room))
    if shown.height > height - y - 40:  # fit the height the window leaves
        scale = (height - y - 40) / shown.height
        shown = shown.resize((max(48, round(shown.width * scale)), height - y - 40), LANCZOS)
    left = column[0] + (rng.choice([0, (room - shown.width) // 2]))
    shot.paste(shown, (left, y))
    box = (left, y, left + shown.width, y + shown.height)
    after = _text(draw, rng, column[0], y + shown.height + 12, room, 1, muted, size=13)
    _text(draw, rng, column[0], after + 14, room, 12, text)
    # Ads: pictures with a headline and a button, on a tinted card.
    y = top + 80
    while y < height - 200:
        card_height = rng.randint(180, 280)
        draw.rectangle([width - ads, y, width - 16, y + card_height], fill=surface)
        picture_height = card_height - 90
        shot.paste(_other_picture(rng, (ads - 32, picture_height)), (width - ads + 8, y + 8))
        draw.text(
            (width - ads + 8, y + picture_height + 16), _sentence(rng, 4), fill=text, font=font(15)
        )
        draw.rounded_rectangle(
            [width - ads + 8, y + card_height - 40, width - ads + 110, y + card_height - 10],
            6,
            fill=accent,
        )
        y += card_height + 20
    return shot, box, cropped


# --- phone ------------------------------------------------------------------------------


def _status_bar(draw, width, colour, text):
    draw.rectangle([0, 0, width, 90], fill=colour)
    draw.text((48, 30), "9:41", fill=text, font=font(30))
    for i in range(3):
        draw.rectangle([width - 200 + i * 50, 38, width - 170 + i * 50, 60], fill=text)


def _phone(photo: Image.Image, rng: random.Random):
    width = rng.choice([750, 1080, 1170])
    height = round(width * rng.choice([2.1, 2.16, 1.78]))
    page_bg, surface, text, muted, accent = rng.choice(THEMES)
    shot = Image.new("RGB", (width, height), page_bg)
    draw = ImageDraw.Draw(shot)
    _status_bar(draw, width, page_bg, text)
    draw.rectangle([0, 90, width, 220], fill=surface if rng.random() < 0.5 else accent)
    draw.text((40, 130), rng.choice(WORDS).capitalize() + "gram", fill=text, font=font(44))
    draw.line([0, 220, width, 220], fill=muted, width=1)
    nav = height - 150
    margin = rng.choice([0, 0, 24, 40])
    y = 240
    target = rng.randint(0, 1)  # the photo in the first or the second card
    box, cropped = None, 0.0
    card = 0
    while y < nav - 200:
        draw.rectangle([margin, y, width - margin, nav], fill=surface)
        _avatar(shot, rng, margin + 24, y + 20, 80)
        draw.text((margin + 124, y + 26), rng.choice(NAMES), fill=text, font=font(30))
        draw.text((margin + 124, y + 64), f"{rng.randint(2, 59)} min", fill=muted, font=font(24))
        y = (
            _text(
                draw,
                rng,
                margin + 24,
                y + 124,
                width - 2 * margin - 48,
                rng.randint(1, 3),
                text,
                size=30,
            )
            + 12
        )
        room = width - 2 * margin
        if card == target:
            inset = rng.choice([0, 0, 24])
            low = 0.6 if inset == 0 else 0.5
            shown_width = round((room - 2 * inset) * rng.uniform(low, 1))
            if rng.random() < 0.5:
                shown_width = room - 2 * inset  # the usual: across the card
            # At most the photo's own size: 20-100% of it.
            shown_width = max(round(photo.width * 0.2), min(shown_width, photo.width))
            shown, cropped = _prepared(photo, rng, shown_width)
            if shown.height > nav - y - 20:  # fully on screen: shown smaller
                room_height = nav - y - 20
                if room_height < 0.6 * shown.height:  # too little room left: another feed
                    return _phone(photo, random.Random(rng.random()))
                shown_width = max(48, round(shown.width * room_height / shown.height))
                shown = shown.resize((shown_width, room_height), LANCZOS)
            left = margin + inset + (room - 2 * inset - shown.width) // 2
            shot.paste(shown, (left, y))
            box = (left, y, left + shown.width, y + shown.height)
            y += shown.height
        else:
            picture_height = round(room * rng.uniform(0.5, 1.0))
            shot.paste(_other_picture(rng, (room, picture_height)), (margin, y))
            y += picture_height
        for i in range(4):
            draw.ellipse(
                [margin + 30 + i * 110, y + 24, margin + 80 + i * 110, y + 74],
                outline=muted,
                width=4,
            )
        y += 100
        y = _text(draw, rng, margin + 24, y, width - 2 * margin - 48, 1, muted, size=26) + 40
        card += 1
    if box is None:  # the feed was too short for the second card: try again, first card
        return _phone(photo, random.Random(rng.random()))
    draw.rectangle([0, nav, width, height], fill=page_bg)
    draw.line([0, nav, width, nav], fill=muted, width=2)
    for i in range(5):
        cx = round(width * (i + 0.5) / 5)
        draw.rounded_rectangle([cx - 30, nav + 40, cx + 30, nav + 100], 12, outline=text, width=4)
    return shot, box, cropped


# --- gallery ----------------------------------------------------------------------------


def _gallery(photo: Image.Image, rng: random.Random):
    on_phone = rng.random() < 0.5
    columns = rng.randint(3, 4) if on_phone else rng.randint(3, 6)
    if on_phone:
        width = rng.choice([750, 1080, 1170])
        height = round(width * 2.16)
        top = 240
    else:
        width, height = rng.choice([(1280, 800), (1440, 900), (1920, 1080)])
        top = 150
    page_bg, surface, text, muted, _accent = rng.choice(THEMES)
    shot = Image.new("RGB", (width, height), page_bg)
    draw = ImageDraw.Draw(shot)
    if on_phone:
        _status_bar(draw, width, page_bg, text)
        draw.text((40, 120), "Photos", fill=text, font=font(48))
    else:
        draw.rectangle([0, 0, width, 80], fill=surface)
        draw.rounded_rectangle([240, 20, width - 240, 60], 20, fill=page_bg)
        draw.text((270, 28), _sentence(rng, 3), fill=muted, font=font(18))
        draw.text((40, 100), _sentence(rng, 3), fill=text, font=font(26))
    gap = rng.choice([2, 4, 8, 12, 16])
    fit = rng.random() < 0.5  # fitted in a square cell; else justified rows (Flickr-like)
    cell = (width - gap * (columns + 1)) // columns
    while columns > 3 and cell < 0.2 * max(photo.size):  # the photo at 20% of its size at least
        columns -= 1
        cell = (width - gap * (columns + 1)) // columns
    rows = (height - top) // (cell + gap) + 1
    cells = [(r, c) for r in range(rows) for c in range(columns)]
    # The photo's cell: fully on screen.
    visible = [(r, c) for r, c in cells if top + gap + r * (cell + gap) + cell <= height - 10]
    target = rng.choice(visible)
    box, cropped = None, 0.0
    for r, c in cells:
        x = gap + c * (cell + gap)
        y = top + gap + r * (cell + gap)
        if (r, c) == target:
            shown, cropped = _prepared(photo, rng, cell)
            if shown.height > cell:
                scale = cell / shown.height
                shown = shown.resize((max(48, round(shown.width * scale)), cell), LANCZOS)
            if fit:
                draw.rectangle([x, y, x + cell - 1, y + cell - 1], fill=surface)
            left, upper = x + (cell - shown.width) // 2, y + (cell - shown.height) // 2
            shot.paste(shown, (left, upper))
            box = (left, upper, left + shown.width, upper + shown.height)
        else:
            ratio = rng.uniform(0.6, 1.0) if fit else 1.0
            size = (
                (cell, round(cell * ratio)) if rng.random() < 0.5 else (round(cell * ratio), cell)
            )
            if fit:
                draw.rectangle([x, y, x + cell - 1, y + cell - 1], fill=surface)
            shot.paste(
                _other_picture(rng, size), (x + (cell - size[0]) // 2, y + (cell - size[1]) // 2)
            )
    return shot, box, cropped


# --- chat -------------------------------------------------------------------------------


def _chat(photo: Image.Image, rng: random.Random):
    width = rng.choice([750, 1080, 1170])
    height = round(width * 2.16)
    page_bg, surface, text, muted, accent = rng.choice(THEMES)
    mine = tuple(
        min(255, round(0.35 * a + 0.65 * b)) for a, b in zip(accent, page_bg, strict=True)
    )
    shot = Image.new("RGB", (width, height), page_bg)
    draw = ImageDraw.Draw(shot)
    _status_bar(draw, width, surface, text)
    draw.rectangle([0, 90, width, 230], fill=surface)
    _avatar(shot, rng, 100, 110, 96)
    draw.text((220, 130), rng.choice(NAMES), fill=text, font=font(36))
    draw.text((220, 176), "online", fill=muted, font=font(26))
    composer = height - 170
    y = 270
    photo_at = rng.randint(1, 3)  # how many bubbles come before the photo
    box, cropped = None, 0.0
    index = 0
    while y < composer - 120:
        outgoing = rng.random() < 0.5
        colour = mine if outgoing else surface
        max_width = round(width * 0.75)
        if index == photo_at:
            pad = rng.choice([4, 6, 8])
            shown_width = _shown_width(photo, rng, max_width - 2 * pad, 0.2, 1.0)
            # Apps show it at least this big (but here never above its own size).
            shown_width = min(photo.width, max(shown_width, round(width * 0.45)))
            shown, cropped = _prepared(photo, rng, shown_width)
            room = composer - y - 2 * pad - 70
            if shown.height > room:
                scale = room / shown.height
                shown = shown.resize((max(48, round(shown.width * scale)), room), LANCZOS)
            caption = rng.random() < 0.7
            bubble_height = shown.height + 2 * pad + (60 if caption else 0)
            left = width - 30 - shown.width - 2 * pad if outgoing else 30
            draw.rounded_rectangle(
                [left, y, left + shown.width + 2 * pad, y + bubble_height], 28, fill=colour
            )
            shot.paste(shown, (left + pad, y + pad), _rounded(shown, 22))
            box = (left + pad, y + pad, left + pad + shown.width, y + pad + shown.height)
            if caption:
                draw.text(
                    (left + pad + 12, y + pad + shown.height + 12),
                    _sentence(rng, 4),
                    fill=text,
                    font=font(30),
                )
            draw.text(
                (left + shown.width - 70, y + bubble_height - 34),
                "21:07",
                fill=muted,
                font=font(20),
            )
            y += bubble_height + 24
        else:
            lines = rng.randint(1, 3)
            bubble_width = rng.randint(width // 3, max_width)
            bubble_height = lines * 44 + 36
            left = width - 30 - bubble_width if outgoing else 30
            draw.rounded_rectangle(
                [left, y, left + bubble_width, y + bubble_height], 28, fill=colour
            )
            _text(draw, rng, left + 24, y + 18, bubble_width - 48, lines, text, size=30)
            y += bubble_height + 24
        index += 1
    if box is None:
        return _chat(photo, random.Random(rng.random()))
    draw.rectangle([0, composer, width, height], fill=surface)
    draw.rounded_rectangle([30, composer + 30, width - 130, composer + 110], 40, fill=page_bg)
    draw.text((70, composer + 52), "Message", fill=muted, font=font(30))
    draw.ellipse([width - 110, composer + 30, width - 30, composer + 110], fill=accent)
    return shot, box, cropped


DRAW = {"desktop": _desktop, "phone": _phone, "gallery": _gallery, "chat": _chat}


def screenshot(photo: Image.Image, kind: str, *, seed: int) -> Screenshot:
    """The photo shown in a screenshot of `kind` (one of KINDS); the same seed, the same bytes."""
    rng = random.Random(f"{kind}-{seed}")
    shot, box, cropped = DRAW[kind](photo.convert("RGB"), rng)
    out = io.BytesIO()
    if rng.random() < 0.5:
        encoding = "PNG"
        shot.save(out, format="PNG", compress_level=1)
    else:
        quality = rng.randint(60, 95)
        encoding = f"JPEG q{quality}"
        shot.save(out, format="JPEG", quality=quality)
    scale = (box[2] - box[0]) / photo.width
    return Screenshot(kind, out.getvalue(), shot.size, box, scale, cropped, encoding)


PHOTO_SIZES = [(640, 480), (1080, 1350), (1200, 900), (800, 1200), (1500, 1000), (720, 720)]


def photo(seed: int) -> bytes:
    """A photo-like generated picture (JPEG), for callers with none of their own."""
    return make_image(seed=seed, size=PHOTO_SIZES[seed % len(PHOTO_SIZES)])

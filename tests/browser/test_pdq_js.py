"""static/leakcase/hashing/pdq.js in real Chromium against Meta's C++ (pdqhash, the dev
extra's oracle) on the generated corpus of 200 images (tests/helpers/hash_corpus.py).

Two comparisons for each image, both against pdqhash's hash of the picture as the server
decodes it (Pillow, in full, turned upright by its EXIF orientation):
- "pixels": pdq.js given the server's own decoded pixels: the algorithm alone;
- "browser": pdq.js given what Chromium decodes from the file's bytes (createImageBitmap with
  the EXIF orientation applied, through an OffscreenCanvas), as her browser would: the
  algorithm and the browser's decoder together. Chromium leaves some formats (WebP here)
  unturned whatever their EXIF says; for those the page turns the picture itself, as the
  upload page's worker does (a small probe per format tells which).
Issue 17 asks for PDQ within 10 bits of the reference implementation for at least 95%; the
table is printed (run with -s).

The page, the module and the images come from a server this test starts on 127.0.0.1; the
browser conftest aborts any other request.
"""

import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from PIL import ExifTags, Image, ImageOps
from playwright.sync_api import Page

from tests.helpers.hash_corpus import corpus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDQ_JS = Path(__file__).resolve().parents[2] / "static" / "leakcase" / "hashing" / "pdq.js"
AGREEMENT_BITS = 10
AGREEMENT_SHARE = 0.95

PAGE = b"""<!doctype html><html lang="en"><title>pdq.js</title><script type="module">
import { pdqOf } from "/pdq.js";

async function bitmapOf(url) {
  const blob = await (await fetch(url)).blob();
  return createImageBitmap(blob, { imageOrientation: "from-image" });
}

// Whether Chromium applies a file's EXIF orientation for this format: its probe is 2x1
// stored, orientation 6 (upright 1x2).
const turnsItself = {};
window.turnsItself = turnsItself;
async function browserTurns(format) {
  if (!(format in turnsItself)) {
    const probe = await bitmapOf(`/probe/${format}`);
    turnsItself[format] = probe.width === 1;
    probe.close();
  }
  return turnsItself[format];
}

async function decoded(url, format, orientation) {
  const bitmap = await bitmapOf(url);
  const turn = orientation && !(await browserTurns(format)) ? orientation : 1;
  const sideways = turn === 6 || turn === 8;
  const width = sideways ? bitmap.height : bitmap.width;
  const height = sideways ? bitmap.width : bitmap.height;
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  // Quarter turns with whole-pixel offsets: every pixel lands on a pixel, unchanged.
  if (turn === 3) context.setTransform(-1, 0, 0, -1, width, height);
  if (turn === 6) context.setTransform(0, 1, -1, 0, width, 0);
  if (turn === 8) context.setTransform(0, -1, 1, 0, 0, height);
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { rgba: context.getImageData(0, 0, width, height).data, width, height };
}

window.hashBoth = async (index, width, height, format, orientation) => {
  const raw = await (await fetch(`/pixels/${index}`)).arrayBuffer();
  const pixels = pdqOf(new Uint8ClampedArray(raw), width, height);
  const picture = await decoded(`/image/${index}`, format, orientation);
  const started = performance.now();
  const browser = pdqOf(picture.rgba, picture.width, picture.height);
  return {
    pixels,
    browser,
    size: [picture.width, picture.height],
    ms: performance.now() - started,
  };
};
window.ready = true;
</script></html>"""


def _probe(format_name: str) -> bytes:
    """2x1 pixels stored, EXIF orientation 6: a browser that turns it shows 1x2."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    out = io.BytesIO()
    Image.new("RGB", (2, 1), "white").save(out, format=format_name, exif=exif)
    return out.getvalue()


PROBES = {name: _probe(name) for name in ("JPEG", "PNG", "WEBP")}


def upright_pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))


def reference_pdq(pixels: np.ndarray) -> tuple[int, int]:
    bits, quality = pdqhash.compute(np.ascontiguousarray(pixels))
    return int("".join("1" if bit else "0" for bit in bits), 2), int(quality)


class Files:
    """What the page may fetch: itself, pdq.js, each image's bytes and decoded RGBA."""

    def __init__(self, images, pixels):
        self.images, self.pixels = images, pixels

    def answer(self, path: str) -> tuple[bytes, str] | None:
        if path == "/":
            return PAGE, "text/html"
        if path == "/pdq.js":
            return PDQ_JS.read_bytes(), "text/javascript"
        kind, _, index = path.strip("/").partition("/")
        if kind == "probe" and index in PROBES:
            return PROBES[index], "application/octet-stream"
        if not index.isdigit() or int(index) >= len(self.images):
            return None
        if kind == "image":
            return self.images[int(index)].data, "application/octet-stream"
        if kind == "pixels":
            rgb = self.pixels[int(index)]
            rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, dtype=np.uint8)])
            return rgba.tobytes(), "application/octet-stream"
        return None


@pytest.fixture
def files_server():
    files = Files([], [])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            found = files.answer(self.path)
            if found is None:
                self.send_error(404)
                return
            body, content_type = found
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield files, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_pdq_js_agrees_with_pdqhash_on_the_corpus(page: Page, files_server):
    started = time.perf_counter()
    files, url = files_server
    files.images = corpus()
    files.pixels = [upright_pixels(item.data) for item in files.images]
    expected = [reference_pdq(pixels) for pixels in files.pixels]
    page.goto(url)
    page.wait_for_function("window.ready === true")

    prepared = time.perf_counter()
    rows = []
    for index, item in enumerate(files.images):
        height, width = files.pixels[index].shape[:2]
        answer = page.evaluate(
            "(args) => window.hashBoth(...args)",
            [index, width, height, item.format, item.exif_orientation],
        )
        theirs, their_quality = expected[index]
        rows.append(
            {
                "name": item.name,
                "pixels_bits": (int(answer["pixels"]["hash"], 16) ^ theirs).bit_count(),
                "pixels_quality": answer["pixels"]["quality"],
                "browser_bits": (int(answer["browser"]["hash"], 16) ^ theirs).bit_count(),
                "browser_quality": answer["browser"]["quality"],
                "quality": their_quality,
                "upright": tuple(answer["size"]) == (width, height),
                "ms": answer["ms"],
            }
        )

    print(
        f"\n{'image':<36} {'pixels':>6} {'browser':>7} {'quality':>7} {'js':>4} "
        f"{'js/browser':>10} {'ms':>6}"
    )
    for row in rows:
        print(
            f"{row['name']:<36} {row['pixels_bits']:>6} {row['browser_bits']:>7} "
            f"{row['quality']:>7} {row['pixels_quality']:>4} {row['browser_quality']:>10} "
            f"{row['ms']:>6.0f}"
        )
    count = len(rows)
    pixels_close = sum(row["pixels_bits"] <= AGREEMENT_BITS for row in rows)
    browser_close = sum(row["browser_bits"] <= AGREEMENT_BITS for row in rows)
    print(
        f"within {AGREEMENT_BITS} bits of pdqhash: pdq.js on the server's pixels "
        f"{pixels_close}/{count} (identical {sum(r['pixels_bits'] == 0 for r in rows)}); "
        f"on Chromium's decode {browser_close}/{count} "
        f"(median {np.median([r['browser_bits'] for r in rows]):g} bits, "
        f"max {max(r['browser_bits'] for r in rows)}); "
        f"same quality on the server's pixels: "
        f"{sum(r['pixels_quality'] == r['quality'] for r in rows)}/{count}"
    )
    print(
        f"corpus made, decoded and hashed by pdqhash in {prepared - started:.0f} s; "
        f"hashed in Chromium in {time.perf_counter() - prepared:.0f} s"
    )
    turned = page.evaluate("turnsItself")
    print(f"Chromium applies the EXIF orientation itself for: {turned}")
    assert count >= 200
    assert [row["name"] for row in rows if not row["upright"]] == []
    assert pixels_close >= AGREEMENT_SHARE * count
    assert browser_close >= AGREEMENT_SHARE * count
    # The algorithm alone gives the C++'s quality; float32 truncation may move it a point.
    assert all(abs(row["pixels_quality"] - row["quality"]) <= 1 for row in rows)

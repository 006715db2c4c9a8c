"""Writes docs/hash-agreement.md: the fingerprints computed in Chromium by the page's Web
Worker (static/leakcase/hashing/) beside the server's, on the generated corpus
(tests/helpers/hash_corpus.py). The same comparison is asserted in CI by
tests/browser/test_hash_agreement.py; this script only writes the table.

    DJANGO_SETTINGS_MODULE=leakcase.settings_test .venv/bin/python bench/hash_agreement.py

It starts its own server of static/ on 127.0.0.1 and needs no database.
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leakcase.settings_test")

import django  # noqa: E402

django.setup()

from tests.helpers.browser_hashing import (  # noqa: E402
    agreement_table,
    browser_fingerprints,
    compare,
    hashing_page,
)
from tests.helpers.hash_corpus import corpus  # noqa: E402

COUNT, SEED = 200, 0
OUT = ROOT / "docs" / "hash-agreement.md"


def main() -> None:
    started = time.perf_counter()
    images = corpus(COUNT, seed=SEED)
    made = time.perf_counter() - started
    with hashing_page() as (page, origin, worker_url):
        version = page.context.browser.version
        answers = browser_fingerprints(
            page, origin, worker_url, {image.name: image.data for image in images}
        )
    rows = compare(images, answers)
    off = [row for row in rows if row.phash_bits or row.dhash_bits]
    large = [row.ms for row in rows if row.image.megapixels >= 10]
    differing = "".join(
        f"- {row.image.name}: pHash {row.phash_bits}, dHash {row.dhash_bits} bits\n" for row in off
    )
    pdq_same = sum(1 for row in rows if row.pdq_bits == 0)
    pdq_median = statistics.median(row.pdq_bits for row in rows)
    pdq_worst = max(row.pdq_bits for row in rows)
    quality_same = sum(1 for row in rows if row.pdq_quality_diff == 0)
    quality_most = max(abs(row.pdq_quality_diff) for row in rows)
    median_ms = statistics.median(row.ms for row in rows)
    large_ms = ", ".join(f"{ms:.0f} ms" for ms in large)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    text = f"""# Hash agreement: her browser and the server

Issue 17: images to find are fingerprinted on her device (static/leakcase/hashing/: pHash and
dHash as imagehash computes them on Pillow, MD5 and SHA-256 of the file, and PDQ with its
quality by pdq.js) and only the fingerprints are sent. pHash, dHash, MD5 and SHA-256 are
compared with the server's (evidence/matching/hashing.py, `hashes_of_bytes`); PDQ and its
quality with the reference implementation (Meta's C++ through pdqhash, a test oracle only) on
the picture decoded in full by Pillow and turned upright by its EXIF orientation, as the
reference is defined (not with the server's upload path, which decodes JPEGs at reduced
size). The corpus: {COUNT} generated images (tests/helpers/hash_corpus.py, seed {SEED}:
photo-like scenes and screenshots, JPEG, PNG and WebP, some turned by an EXIF orientation,
200 px to 12 MP), hashed in Chromium {version} by the page's own Web Worker.

The goal: pHash and dHash within 2 bits for at least 98% of images, MD5 and SHA-256
identical for all, PDQ within 10 bits of the reference for at least 95%.
tests/browser/test_hash_agreement.py asserts it in CI; this table is written by
`bench/hash_agreement.py` (commit {commit}).

{agreement_table(rows)}

Images whose pHash or dHash differ at all: {len(off)}
{differing}
PDQ: {pdq_same} of {len(rows)} images bit for bit the reference's, median {pdq_median:g}
bits apart, the most {pdq_worst}; its quality the same for {quality_same}, at most
{quality_most} apart. pdq.js is a port of the C++'s arithmetic (tests/browser/test_pdq_js.py
also gives it Pillow's own pixels, to test the algorithm apart from the decoder); what the
browser adds is Chromium's full-size decode, and on this corpus it moves no bit. The
reference's quality is 100 for nearly all of these busy pictures, so that column tells less
than the others.

Why pHash and dHash agree bit for bit where they do: the script reproduces Pillow's
arithmetic, not only its idea: the 16-bit fixed-point luma of convert("L"), Lanczos
coefficients in 22-bit fixed point with the 8-bit rounding between the two passes, and
Pillow 13's choice of pass order (vertically first when the height shrinks by more than
twice as many pixels as the width); then scipy's unnormalised DCT-II and numpy's median.
Decoding is where the two could part: the server decodes JPEGs at reduced size (Image.draft)
while the browser decodes them whole, and Chromium leaves WebPs' EXIF orientation unapplied
(static/leakcase/hashing/orientation.js turns them as the server does).

What is not covered: transparent pixels (the browser's canvas premultiplies alpha, so a fully
transparent pixel reads as black where Pillow keeps its colour), HEIC (Chromium cannot decode
it: the page offers to send the picture once instead), animated GIFs (first frame on both
sides, not measured here), and flat pictures, whose DCT coefficients tie at the median.

In the browser, from the file to the fingerprints (all five, PDQ included): median
{median_ms:.0f} ms an image; the 12 MP photos {large_ms} (one run each, not a benchmark:
bench/benchmarks/browser_hashing.py times it). Making the corpus took {made:.0f} s.
"""
    OUT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()

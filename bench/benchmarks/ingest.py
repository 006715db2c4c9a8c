"""ingest: a 12-megapixel JPEG screenshot stored through evidence.services.evidence_add
(metadata stripped losslessly by evidence/stripping.py, decoded once at reduced size,
checked, hashed, thumbnail and blurred preview made, sealed with AES-GCM, written, matched
against the case's reference hashes).

Baseline: what the hashing alone cost before the reduced-size decode, a full-resolution
decode then pHash and dHash. The images are made by code: gradients, discs and fine noise,
so they weigh what a phone photo does (a few MB), not what a flat drawing does.
"""

import io
import time

import imagehash
import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import User
from bench.harness import Context, Result, median, p95
from cases.models import Case
from evidence.demo_images import make_image
from evidence.matching.hashing import hashes_of_bytes
from evidence.services import evidence_add

GOAL_MS = 80
SIZE = (4000, 3000)  # 12 megapixels
DISTINCT_IMAGES = 5


def photo_like(seed: int) -> bytes:
    base = Image.open(io.BytesIO(make_image(seed=seed, size=SIZE)))
    rng = np.random.default_rng(seed)
    pixels = np.asarray(base, dtype=np.int16) + rng.normal(0, 6, (SIZE[1], SIZE[0], 1)).astype(
        np.int16
    )
    out = io.BytesIO()
    Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(out, "JPEG", quality=90)
    return out.getvalue()


def _with_comment(jpeg: bytes, text: bytes) -> bytes:
    """The JPEG with a COM segment (FF FE, its length, the text) right after its SOI."""
    return jpeg[:2] + b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text + jpeg[2:]


def run(ctx: Context) -> Result:
    started = time.perf_counter()
    images = [photo_like(seed) for seed in range(DISTINCT_IMAGES)]
    ctx.log(
        f"  ingest: {DISTINCT_IMAGES} images made in {time.perf_counter() - started:.1f} s, "
        f"{np.mean([len(i) for i in images]) / 1e6:.1f} MB each"
    )
    case = Case.objects.get(reference=ctx.data["case_reference"])
    survivor = User.objects.get(pk=ctx.data["survivor"])
    count = ctx.sizes["ingest_uploads"]
    uploads = iter(range(10**9))

    def store():
        n = next(uploads)
        # The same picture twice in one case is refused (evidence_add: "You already added
        # this file"); a JPEG comment segment numbered per upload makes each file new.
        data = _with_comment(images[n % DISTINCT_IMAGES], f"upload {n}".encode())
        evidence_add(
            case=case,
            upload=SimpleUploadedFile("screenshot.jpg", data, content_type="image/jpeg"),
            acting_user=survivor,
        )

    def full_decode_then_hash():
        image = Image.open(io.BytesIO(images[next(uploads) % DISTINCT_IMAGES]))
        image.load()
        imagehash.phash(image)
        imagehash.dhash(image)

    def reduced_decode_then_hash():
        hashes_of_bytes(images[next(uploads) % DISTINCT_IMAGES], pdq=False)

    stored = ctx.time_ms(store, repeat=count, warmup=2)
    baseline = ctx.time_ms(full_decode_then_hash, repeat=count, warmup=2)
    reduced = ctx.time_ms(reduced_decode_then_hash, repeat=count, warmup=2)
    figure = median(stored)
    return Result(
        name="ingest",
        figure="evidence_add of a 12 MP JPEG (strip, seal, hash, thumbnail, match)",
        unit="ms",
        median=figure,
        p95=p95(stored),
        baseline=median(baseline),
        baseline_is="full-resolution decode, pHash + dHash",
        goal=f"median <= {GOAL_MS} ms",
        goal_met=figure <= GOAL_MS,
        sizes={
            "uploads": count,
            "pixels": SIZE[0] * SIZE[1],
            "mean_bytes": int(np.mean([len(i) for i in images])),
        },
        extra={
            "variants": {
                "reduced_decode_then_hash_ms": round(median(reduced), 3),
                "full_decode_then_hash_ms": round(median(baseline), 3),
            }
        },
    )

"""How long PDQ takes on the server: evidence/matching/pdq.py (numpy) against pdqhash (Meta's
C++, the dev extra's test oracle), on the same decoded pixels, and what PDQ adds to hashing an
upload (hashes_of_bytes with and without it).

    .venv/bin/python bench/pdq_speed.py [--runs 5]

Generated pictures only (bench/calibrate_hashes.py's rich_image). Best of --runs each; the
machine is shared, so compare the two columns of one run, not runs with each other.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leakcase.settings_test")
import django  # noqa: E402

django.setup()

from bench.calibrate_hashes import encode, rich_image  # noqa: E402
from evidence.matching import hashing, pdq  # noqa: E402

SIZES = [(640, 480), (1500, 1000), (4000, 3000)]


def best_ms(work, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return 1000 * min(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    try:
        import pdqhash
    except ImportError:  # the dev extra has it
        pdqhash = None
    print("| picture | numpy PDQ | pdqhash (C++) | upload hashes without PDQ | with PDQ |")
    print("| --- | --- | --- | --- | --- |")
    for index, size in enumerate(SIZES):
        picture = rich_image(index, size)
        pixels = np.asarray(picture)
        ours = best_ms(lambda pixels=pixels: pdq.pdq_of_pixels(pixels), args.runs)
        theirs = (
            f"{best_ms(lambda pixels=pixels: pdqhash.compute(pixels), args.runs):.1f} ms"
            if pdqhash
            else "not installed"
        )
        data = encode(picture, quality=90)
        without = best_ms(lambda data=data: hashing.hashes_of_bytes(data, pdq=False), args.runs)
        with_pdq = best_ms(lambda data=data: hashing.hashes_of_bytes(data), args.runs)
        print(
            f"| {size[0]}x{size[1]} JPEG q90 | {ours:.1f} ms | {theirs} | {without:.1f} ms "
            f"| {with_pdq:.1f} ms |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

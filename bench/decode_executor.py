"""Where a concurrent recheck batch decodes fetched images (monitoring/recheck_batch.py):
on the event loop, in a thread pool or in a process pool.

The same 37 images are matched against a reference by monitoring.recheck.best_match, all
"in flight" at once as in a batch: 30 JPEGs of 800 x 600 (a page's images), 6 of
3000 x 2000 (a photo) and one PNG of 7,000 x 7,000 pixels in one colour (155 kB; under the
50 MP limit, so decoded: 49 MP of work for a hostile site). Printed per way: the wall time
for all of them (best of 3) and the worst delay a 5 ms heartbeat coroutine saw, which is how
long the loop could not start or finish anybody's fetch.

    .venv/bin/python bench/decode_executor.py
"""

import asyncio
import concurrent.futures
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leakcase.settings_test")

import django  # noqa: E402

django.setup()

from PIL import Image  # noqa: E402

from evidence.demo_images import make_image  # noqa: E402
from evidence.matching.hashing import hashes_of_bytes  # noqa: E402
from monitoring.recheck import best_match, image_hashes  # noqa: E402

HEARTBEAT = 0.005


def _decoded_best_match(images, wanted):
    """best_match with every image decoded: recheck.HASH_CACHE (issue 21) would answer the
    second and third runs from memory, and this compares where decoding runs."""
    return best_match(images, wanted, [image_hashes(body, wanted) for _, body in images])


RUNS = 3


def _one_colour_png(side: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), (200, 30, 30)).save(out, "PNG", compress_level=9)
    return out.getvalue()


def _jobs():
    small = [make_image(seed=s, size=(800, 600)) for s in range(30)]
    large = [make_image(seed=100 + s, size=(3000, 2000)) for s in range(6)]
    return [[("u", body)] for body in [*small, *large, _one_colour_png(7000)]]


async def _run(executor, jobs, wanted):
    loop = asyncio.get_running_loop()
    lags, running = [], True

    async def heartbeat():
        while running:
            start = loop.time()
            await asyncio.sleep(HEARTBEAT)
            lags.append(loop.time() - start - HEARTBEAT)

    beat = asyncio.create_task(heartbeat())
    start = time.perf_counter()

    async def one(images):
        if executor is None:
            return _decoded_best_match(images, wanted)
        return await loop.run_in_executor(executor, _decoded_best_match, images, wanted)

    await asyncio.gather(*(one(images) for images in jobs))
    wall = time.perf_counter() - start
    running = False
    await beat
    return wall, max(lags)


def main() -> int:
    jobs = _jobs()
    wanted = [hashes_of_bytes(make_image(seed=999, size=(600, 450)))]
    ways = {
        "on the event loop": lambda: None,
        "2 threads": lambda: concurrent.futures.ThreadPoolExecutor(2),
        "4 threads": lambda: concurrent.futures.ThreadPoolExecutor(4),
        "2 processes": lambda: concurrent.futures.ProcessPoolExecutor(2),
    }
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs")
    for name, make in ways.items():
        executor = make()
        if isinstance(executor, concurrent.futures.ProcessPoolExecutor):
            list(executor.map(len, [b""] * 4))  # started before timing
        runs = [asyncio.run(_run(executor, jobs, wanted)) for _ in range(RUNS)]
        if executor is not None:
            executor.shutdown()
        walls = [wall for wall, _ in runs]
        print(
            f"{name:18} wall {min(walls):.2f} s (median {statistics.median(walls):.2f}), "
            f"worst loop delay {max(lag for _, lag in runs) * 1000:.0f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

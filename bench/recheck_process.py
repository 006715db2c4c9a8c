"""One worker process of the recheck benchmark (bench/benchmarks/recheck.py): Django set up
on the benchmark's database (DATABASE_URL), its decoding processes started, then on "go"
(a line on stdin) monitoring.recheck_batch.recheck_many over the sighting ids in the file
named by argv[1]. Prints "ready" once set up, then one line of JSON: when it started and
ended (time.time(), so several processes' runs can be put on one clock), the outcomes, and
how many images it decoded and how many it found hashed already (recheck.HASH_CACHE).

    python bench/recheck_process.py IDS.json [--no-hash-cache]
"""

import json
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leakcase.settings_test")


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/PID/stat, all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    import django

    django.setup()
    logging.disable(logging.INFO)
    from monitoring import decode_pool, recheck
    from monitoring.recheck_batch import recheck_many

    ids = json.loads(Path(sys.argv[1]).read_text())
    if "--no-hash-cache" in sys.argv:
        recheck.HASH_CACHE.size = 0  # every image decoded (what bytes never seen cost)
    pool = decode_pool.shared_pool()
    for future in [pool.submit(os.getpid) for _ in range(decode_pool.DECODE_PROCESSES)]:
        future.result()  # the decoding processes started, Django set up in them
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 1
    children = pool.child_pids()
    cpu_before = _cpu_s(os.getpid()), sum(_cpu_s(pid) for pid in children)
    started = time.time()
    outcomes = recheck_many(ids)
    ended = time.time()
    cpu_after = _cpu_s(os.getpid()), sum(_cpu_s(pid) for pid in children)
    print(
        json.dumps(
            {
                "started": started,
                "ended": ended,
                "outcomes": dict(outcomes),
                "decoded": recheck.HASH_CACHE.decoded,
                "hashed_already": recheck.HASH_CACHE.hits,
                # CPU seconds used meanwhile (user + system): this process (fetching,
                # classifying, writing) and its decoding processes. Unlike the wall time,
                # not stretched by other work on the machine.
                "cpu_s": cpu_after[0] - cpu_before[0],
                "decoding_cpu_s": cpu_after[1] - cpu_before[1],
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

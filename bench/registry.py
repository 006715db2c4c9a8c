"""Every benchmark, in the order they run: one function each, `run(ctx) -> Result`.
To add one, write bench/benchmarks/<name>.py with its run() and add it here
(bench/README.md says what run() gets and returns)."""

from bench.benchmarks import hash_lookup, ingest, pages, recheck

BENCHMARKS = {
    "hash_lookup": hash_lookup.run,
    "recheck": recheck.run,
    "pages": pages.run,
    "ingest": ingest.run,
}

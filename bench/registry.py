"""Every benchmark, in the order they run: one function each, `run(ctx) -> Result`.
To add one, write bench/benchmarks/<name>.py with its run() and add it here
(bench/README.md says what run() gets and returns)."""

from bench.benchmarks import digests, export_memory, hash_lookup, ingest, pages, recheck

BENCHMARKS = {
    "hash_lookup": hash_lookup.run,
    "recheck": recheck.run,
    "pages": pages.run,
    "ingest": ingest.run,
    "export_memory": export_memory.run,
    # Last: it writes weekly schedules and emails for every survivor of the big database.
    "digests": digests.run,
}

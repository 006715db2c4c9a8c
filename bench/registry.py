"""Every benchmark, in the order they run: one function each, `run(ctx) -> Result`.
To add one, write bench/benchmarks/<name>.py with its run() and add it here
(bench/README.md says what run() gets and returns)."""

from bench.benchmarks import (
    browser_hashing,
    digests,
    export_memory,
    hash_lookup,
    ingest,
    pages,
    recheck,
    sizing,
)

BENCHMARKS = {
    "hash_lookup": hash_lookup.run,
    "recheck": recheck.run,
    "pages": pages.run,
    "ingest": ingest.run,
    "export_memory": export_memory.run,
    # Last: it writes weekly schedules and emails for every survivor of the big database.
    "digests": digests.run,
    # Sizing for the README (issue 16): a database and processes of its own; about a minute
    # even at quick sizes, so `--quick` runs it only when named (`--only sizing`).
    "sizing": sizing.run,
    # Issue 17: a 12 MP photo hashed in headless Chromium; starts a browser, so `--quick`
    # runs it only when named (`--only browser_hashing`).
    "browser_hashing": browser_hashing.run,
}
NOT_IN_QUICK = {"sizing", "browser_hashing"}

# How each one's cost should grow with the data under `--scale` (bench/harness.py,
# EXPECTED_GROWTH): a lookup, a page, a recheck, an upload cost the same at ten times the
# data; the weekly digests go to every survivor, so their total grows with them. Sizing
# measures bytes, not a cost: no growth is fitted.
GROWTH = {
    "hash_lookup": "flat",
    "recheck": "flat",
    "pages": "flat",
    "ingest": "flat",
    "export_memory": "flat",
    "digests": "linear",
    "browser_hashing": "flat",
}

# The benchmarks that read the reference hashes. Without any of them, a run generates only
# a thousand (not 1M, or 10M at --scale 10: most of the 10x data's generation time).
READ_REFERENCE_HASHES = {"hash_lookup", "ingest", "sizing"}

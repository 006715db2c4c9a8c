"""hash_lookup: every reference hash within the match threshold of a query's hashes.

Figure: the lookup every caller uses, evidence.matching.references_matching over all
reference hashes: by default the in-process index (evidence/matching/hash_index.py: every pHash and
dHash in numpy arrays, a generation check against PostgreSQL on every lookup, the matching
rows then fetched by pHash). Baseline: PostgreSQL scanning every row with
bit_count((h # q)::bit(64)) for the same two conditions. Exactness is checked on every
query: the two must return the same set of rows, planted near-copies included.
More figures for the record (JSON `variants`): `sql_fallback`, the app with
EVIDENCE_HASH_INDEX off (the multi-index query over the four indexed 16-bit pHash chunks
with both distances checked in SQL, evidence.matching.matching_in_sql), and numpy popcount
over all hashes held in memory with nothing else (what the machine allows).
"""

import time

import numpy as np
from django.db import connection

from bench.harness import Context, Result, median, p95
from evidence.matching import hash_index, matching_in_sql, references_matching
from evidence.matching.hashing import DHASH_THRESHOLD, PHASH_THRESHOLD, ImageHashes
from evidence.models import ReferenceHash, to_signed64

GOAL_MS = 2.0

FULL_SCAN = """
    SELECT id FROM evidence_referencehash
    WHERE bit_count((phash # %s)::bit(64)) <= %s AND bit_count((dhash # %s)::bit(64)) <= %s
"""


def run(ctx: Context) -> Result:
    queries = [ImageHashes(p, d) for p, d in ctx.data["lookups"]]
    references = ReferenceHash.objects.all()
    stored = ReferenceHash.objects.count()

    def app(q):
        return {m.reference.pk for m in references_matching(q, references)}

    def full_scan(q):
        with connection.cursor() as cursor:
            cursor.execute(
                FULL_SCAN,
                [to_signed64(q.phash), PHASH_THRESHOLD, to_signed64(q.dhash), DHASH_THRESHOLD],
            )
            return {row[0] for row in cursor.fetchall()}

    def sql_fallback(q):
        # What references_matching runs with EVIDENCE_HASH_INDEX off.
        return {reference.pk for reference in matching_in_sql(q, references)}

    # The index's first load in this process (a web or worker process pays it once, then
    # loads only what was added; everything again after a deletion).
    started = time.perf_counter()
    index = hash_index.current_index()
    index_load_ms = (time.perf_counter() - started) * 1000

    ids, phashes, dhashes = [], [], []
    for pk, phash, dhash in references.values_list("pk", "phash", "dhash").iterator(50_000):
        ids.append(pk)
        phashes.append(phash)
        dhashes.append(dhash)
    phashes = np.array(phashes, dtype=np.int64).view(np.uint64)
    dhashes = np.array(dhashes, dtype=np.int64).view(np.uint64)

    def numpy_scan(q):
        near = (np.bitwise_count(phashes ^ np.uint64(q.phash)) <= PHASH_THRESHOLD) & (
            np.bitwise_count(dhashes ^ np.uint64(q.dhash)) <= DHASH_THRESHOLD
        )
        return {ids[i] for i in np.flatnonzero(near)}

    timings = {name: [] for name in ("app", "full_scan", "sql_fallback", "numpy")}
    functions = {
        "app": app,
        "full_scan": full_scan,
        "sql_fallback": sql_fallback,
        "numpy": numpy_scan,
    }
    missed = extra = found = 0
    for q in queries[:3]:  # warm-up
        for fn in functions.values():
            fn(q)
    for q in queries:
        answers = {}
        for name, fn in functions.items():
            answers[name], ms = _timed(fn, q)
            timings[name].append(ms)
        truth = answers["full_scan"]
        found += len(truth)
        for name in ("app", "sql_fallback", "numpy"):
            missed += len(truth - answers[name])
            extra += len(answers[name] - truth)
    exact = missed == 0 and extra == 0
    if not exact:
        ctx.log(f"  hash_lookup NOT EXACT: {missed} missed, {extra} extra")
    figure = median(timings["app"])
    return Result(
        name="hash_lookup",
        figure="references_matching: all hashes within pHash 10 / dHash 12 (in-memory index)",
        unit="ms",
        median=figure,
        p95=p95(timings["app"]),
        baseline=median(timings["full_scan"]),
        baseline_is="PostgreSQL full scan, bit_count",
        goal=f"median <= {GOAL_MS:g} ms, exact",
        goal_met=figure <= GOAL_MS and exact,
        sizes={"reference_hashes": stored, "queries": len(queries)},
        extra={
            "exact": exact,
            "matches_found": found,
            "index_first_load_ms": round(index_load_ms, 1),
            "index_bytes": index.nbytes if index is not None else None,
            "variants": {
                name: {"median_ms": round(median(t), 3), "p95_ms": round(p95(t), 3)}
                for name, t in timings.items()
            },
        },
    )


def _timed(fn, q):
    start = time.perf_counter()
    answer = fn(q)
    return answer, (time.perf_counter() - start) * 1000

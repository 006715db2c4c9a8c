"""bench/run.py --quick completes and writes the JSON the issue asks for; its data
generator plants what the hash lookup needs; the lookup it times is exact."""

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from django.db import connection

from bench.data import PLANTED_DISTANCES, flip, phash_like
from bench.harness import Result, p95, table
from evidence.matching import references_matching
from evidence.matching.hashing import PHASH_THRESHOLD, ImageHashes, hamming
from evidence.models import ReferenceHash, to_signed64

ROOT = Path(__file__).resolve().parents[2]


def test_quick_run_completes_and_writes_every_key(tmp_path):
    out = tmp_path / "bench.json"
    env = {
        **os.environ,
        # Its own databases, so a run beside the full benchmark or another test run is safe.
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/postgres".format(
            **{k: connection.settings_dict[k] or "" for k in ("USER", "HOST", "PORT")}
        ),
    }
    done = subprocess.run(
        [
            sys.executable,
            "bench/run.py",
            "--quick",
            "--json",
            str(out),
            "--database",
            f"{connection.settings_dict['NAME']}_benchrun",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(out.read_text())
    assert {"hash_lookup", "recheck", "pages", "ingest"} <= set(results)
    for name in ("hash_lookup", "recheck", "pages", "ingest"):
        result = results[name]
        assert "median_ms" in result or "per_s" in result, name
        assert {"baseline", "ratio", "sizes", "goal"} <= set(result), name
        assert result["baseline"] > 0 and result["ratio"] > 0, name
    assert results["hash_lookup"]["exact"] is True
    # Issue 21: the search at ten times the size, in memory, as exact; load and memory a million.
    lookup = results["hash_lookup"]
    assert lookup["synthetic"]["hashes"] > lookup["sizes"]["reference_hashes"]
    assert lookup["synthetic"]["matches_found"] > 0 and lookup["synthetic"]["search_median_ms"] > 0
    assert lookup["index_load_ms_per_million"] > 0 and lookup["index_mb_per_million"] > 0
    # 80% images (live where the case has no reference, replaced where it has one), 20% gone
    outcomes = results["recheck"]["outcomes"]
    assert set(outcomes) == {"live", "soft_removed", "removed"}
    assert (outcomes["live"] + outcomes["soft_removed"], outcomes["removed"]) == (240, 60)
    # One worker process and two at once (issue 21), the same outcomes in every run.
    recheck = results["recheck"]
    assert recheck["two_processes_per_s"] > 0 and recheck["two_to_one_ratio"] > 0
    assert recheck["decoded"] + recheck["hashed_already"] == outcomes["soft_removed"]
    # Every staff and survivor page issue 21 names, each with its queries counted.
    assert len(results["pages"]["rows"]) == 11
    assert all(row["queries"] > 0 for row in results["pages"]["rows"].values())
    # Her export streamed: the process stays under the goal, the ZIP holds all the evidence.
    export = results["export_memory"]
    assert export["goal_met"] is True and 0 < export["peak_mb"] <= 200
    files = export["sizes"]["evidence_files"] * export["sizes"]["file_bytes"]
    assert export["streamed"]["zip_bytes"] > files
    assert "| `recheck` |" in done.stdout


def _env():
    return {
        **os.environ,
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/postgres".format(
            **{k: connection.settings_dict[k] or "" for k in ("USER", "HOST", "PORT")}
        ),
    }


def test_scale_runs_each_benchmark_at_each_size_and_fits_its_growth(tmp_path):
    """--scale 1,2: the data twice as big the second time, the first scale's figures as
    the table's, and a growth entry per benchmark (and page) with its sizes, costs and
    fitted exponent against the shape expected."""
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [
            sys.executable,
            "bench/run.py",
            "--quick",
            "--scale",
            "1,2",
            "--only",
            "pages",
            "--only",
            "digests",
            "--json",
            str(out),
            "--database",
            f"{connection.settings_dict['NAME']}_benchscale",
        ],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(out.read_text())
    assert results["_run"]["scales"] == [1, 2]
    assert results["pages"]["sizes"]["cases"] == 200  # the table is the first scale's
    assert results["pages"]["at_scale"]["2x"]["sizes"]["cases"] == 400
    for entry in (
        results["pages"]["growth"],
        results["pages"]["rows"]["platform figures"]["growth"],
        results["digests"]["growth"],
    ):
        assert entry["scales"] == [1, 2]
        assert entry["sizes"]["cases"] == [200, 400]
        assert entry["sizes"]["sightings"] == [5_000, 10_000]
        assert len(entry["medians"]) == 2 and all(m > 0 for m in entry["medians"])
        assert isinstance(entry["exponent"], float) and isinstance(entry["ok"], bool)
    assert results["pages"]["growth"]["expected"] == "flat"
    assert results["digests"]["growth"]["expected"] == "linear"
    assert "Growth with the data (1x, 2x)" in done.stdout


def test_the_growth_fit_is_the_log_log_slope():
    from bench.harness import growth_exponent

    assert growth_exponent([1, 3, 10], [5, 5, 5]) == 0
    assert abs(growth_exponent([1, 3, 10], [2, 6, 20]) - 1) < 1e-9
    assert abs(growth_exponent([1, 10], [1, 100]) - 2) < 1e-9


def test_generated_hashes_look_like_phashes_and_planted_ones_are_where_they_should_be():
    import numpy as np

    values = phash_like(np.random.default_rng(1), 1000)
    assert {int(v).bit_count() for v in values} == {32}
    rng = random.Random(1)
    base = int(values[0])
    for distance in PLANTED_DISTANCES:
        moved = flip(base, distance, rng)
        assert hamming(base, moved) == distance and moved.bit_count() == 32


def test_the_lookup_it_times_finds_exactly_what_a_full_scan_finds(case):
    """The benchmark's exactness check, at a small size: the multi-index lookup returns the
    same rows as PostgreSQL's full bit_count scan, planted near-copies included."""
    import numpy as np

    rng = random.Random(3)
    query = ImageHashes(int(phash_like(np.random.default_rng(3), 1)[0]), 0x1234_5678_9ABC_DEF0)
    rows = [
        (flip(query.phash, d, rng), flip(query.dhash, min(d, 12), rng)) for d in PLANTED_DISTANCES
    ]
    rows += [(int(v), int(v)) for v in phash_like(np.random.default_rng(4), 2000)]
    from django.utils import timezone

    from bench.data import _reference_row

    now = timezone.now()
    ReferenceHash.objects.bulk_create(
        ReferenceHash(
            **dict(
                zip(
                    [
                        "id",
                        "case_id",
                        "label",
                        "phash",
                        "dhash",
                        "pdq",
                        "p0",
                        "p1",
                        "p2",
                        "p3",
                        "created_at",
                    ],
                    _reference_row(p, d, case.pk, now),
                    strict=True,
                )
            )
        )
        for p, d in rows
    )
    found = {m.reference.pk for m in references_matching(query, ReferenceHash.objects.all())}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM evidence_referencehash WHERE bit_count((phash # %s)::bit(64)) <= 10"
            " AND bit_count((dhash # %s)::bit(64)) <= 12",
            [to_signed64(query.phash), to_signed64(query.dhash)],
        )
        scanned = {row[0] for row in cursor.fetchall()}
    assert found == scanned
    assert len(found) == sum(1 for d in PLANTED_DISTANCES if d <= PHASH_THRESHOLD)


def test_the_table_has_the_columns_the_issue_asks_for():
    result = Result(
        name="x",
        figure="f",
        unit="ms",
        median=2.0,
        p95=3.0,
        baseline=8.0,
        baseline_is="naive",
        goal="<= 2 ms",
        goal_met=True,
        sizes={"n": 1},
    )
    header = table([result]).splitlines()[0]
    for column in ("figure", "median", "p95", "baseline", "ratio", "goal"):
        assert column in header
    assert result.ratio == 4.0 and result.as_json()["median_ms"] == 2.0
    assert p95(list(range(101))) == 95

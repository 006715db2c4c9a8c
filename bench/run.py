"""Benchmarks of LeakCase's hot paths, each beside its naive baseline measured in the
same run: `python bench/run.py [--quick] [--json PATH] [--only NAME ...]`.

Builds its own data in databases of its own on the PostgreSQL server the tests use
(DATABASE_URL's server; default databases leakcase_bench and leakcase_bench_small, dropped
and created anew), with the test settings and a Redis db of its own. See bench/README.md.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.harness import database_url  # noqa: E402 (after the path above)


def _recreate(names: list[str], *, template: str | None = None) -> None:
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            suffix = f' TEMPLATE "{template}"' if template else ""
            admin.execute(f'CREATE DATABASE "{name}"{suffix}')


def _drop(names: list[str]) -> None:
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _scales(text: str) -> list[float]:
    try:
        scales = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not numbers separated by commas: {text!r}") from None
    if not scales or any(s <= 0 for s in scales) or len(set(scales)) != len(scales):
        raise argparse.ArgumentTypeError("distinct positive numbers, e.g. 1,3,10")
    return sorted(scales)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (CI)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only these")
    parser.add_argument("--database", default="leakcase_bench", help="name of the big database")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument(
        "--scale",
        type=_scales,
        default=[1.0],
        metavar="1,3,10",
        help="run each benchmark with the data at these multiples of its size and fit how "
        "its cost grows (the first scale's figures are the table's)",
    )
    args = parser.parse_args(argv)

    big, small = args.database, f"{args.database}_small"
    empty = f"{args.database}_migrated"  # the schema alone: each scale's database starts from it
    var_dir = tempfile.mkdtemp(prefix="leakcase-bench-")
    os.environ["DATABASE_URL"] = database_url(big)
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
    os.environ["LEAKCASE_VAR_DIR"] = var_dir  # evidence files written by ingest land here
    os.environ["LEAKCASE_FETCH_ALLOW_NETWORKS"] = "127.0.0.1/32"  # the local slow server
    os.environ["DJANGO_SETTINGS_MODULE"] = "leakcase.settings_test"

    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)  # the code under test logs each check; not the point here

    from django.core.management import call_command
    from django.db import connection

    from bench import data
    from bench.harness import SIZES, Context, growth, growth_table, on_database, scaled, table
    from bench.registry import BENCHMARKS, GROWTH, NOT_IN_QUICK, READ_REFERENCE_HASHES

    names = args.only or [n for n in BENCHMARKS if not (args.quick and n in NOT_IN_QUICK)]
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"no benchmark called {', '.join(sorted(unknown))}")
    base_sizes = SIZES["quick" if args.quick else "full"]
    if not READ_REFERENCE_HASHES & set(names):
        base_sizes = {**base_sizes, "reference_hashes": 1_000}
    small_sizes = {
        **base_sizes,
        "cases": base_sizes["small_cases"],
        "sightings": base_sizes["case_page_sightings"] + 5 * (base_sizes["small_cases"] - 1),
        "takedown_requests": 20,
        "reference_hashes": 1_000,
        "caseworkers": 2,
        "lookup_queries": 2,
    }
    started = time.perf_counter()
    by_scale: dict[float, list] = {}
    sizes_by_scale: dict[float, dict] = {}
    generation_s: dict[str, dict] = {}
    failed: list[str] = []
    try:
        print(f"Databases {big} and {small}: migrating", flush=True)
        _recreate([empty])
        connection.settings_dict["NAME"] = empty
        connection.close()
        call_command("migrate", verbosity=0)
        connection.close()
        connection.settings_dict["NAME"] = big
        _recreate([small], template=empty)
        print(f"  migrated in {time.perf_counter() - started:.1f} s", flush=True)
        print(f"{small}: {small_sizes['cases']} cases", flush=True)
        with on_database(small):
            small_data = data.build(small_sizes)
        for scale in args.scale:
            sizes = scaled(base_sizes, scale)
            sizes_by_scale[scale] = sizes
            _recreate([big], template=empty)
            generation = time.perf_counter()
            print(
                f"{big} at {scale:g}x: {sizes['cases']:,} cases, {sizes['sightings']:,} "
                f"sightings, {sizes['takedown_requests']:,} takedown requests, "
                f"{sizes['reference_hashes']:,} reference hashes",
                flush=True,
            )
            with on_database(big):
                big_data = data.build(sizes)
            generation_s[f"{scale:g}x"] = big_data["generation_s"]
            print(f"  data ready in {time.perf_counter() - generation:.1f} s", flush=True)
            ctx = Context(
                quick=args.quick,
                sizes=sizes,
                database=big,
                small_database=small,
                data=big_data,
                small_data=small_data,
                log=lambda text: print(text, flush=True),
            )
            by_scale[scale] = []
            for name in names:
                print(f"Running {name} at {scale:g}x", flush=True)
                begun = time.perf_counter()
                try:
                    with on_database(big):
                        result = BENCHMARKS[name](ctx)
                except Exception:
                    # The others' figures still count; the run fails at the end (CI sees it).
                    traceback.print_exc()
                    failed.append(f"{name} at {scale:g}x")
                    continue
                print(f"  {name} took {time.perf_counter() - begun:.1f} s", flush=True)
                by_scale[scale].append(result)
            if args.json and len(args.scale) > 1:
                # What each scale gave so far, in case a long run (10x) is stopped.
                Path(args.json + ".partial").write_text(
                    json.dumps(
                        {f"{s:g}x": {r.name: r.as_json() for r in by_scale[s]} for s in by_scale},
                        indent=2,
                        default=str,
                    )
                    + "\n"
                )
    finally:
        connection.close()
        if not args.keep:
            _drop([big, small, empty])
        shutil.rmtree(var_dir, ignore_errors=True)

    first = args.scale[0]
    results = by_scale.get(first, [])
    growths = _growths(args.scale, by_scale, sizes_by_scale, GROWTH, growth)
    print()
    print(table(results))
    if len(args.scale) > 1:
        print(f"\nGrowth with the data ({', '.join(f'{s:g}x' for s in args.scale)}):\n")
        print(growth_table(growths))
    print(
        f"\nmode: {'quick' if args.quick else 'full'}; total {time.perf_counter() - started:.0f} s"
    )
    if args.json:
        output = {result.name: result.as_json() for result in results}
        for scale in args.scale[1:]:
            for result in by_scale.get(scale, []):
                if result.name in output:
                    output[result.name].setdefault("at_scale", {})[f"{scale:g}x"] = (
                        result.as_json()
                    )
        for key, entry in growths.items():
            name, _, row = key.partition(" ")
            if row:
                output[name]["rows"][row]["growth"] = entry
            else:
                output[name]["growth"] = entry
        output["_run"] = {
            "failed": failed,
            "mode": "quick" if args.quick else "full",
            "scales": args.scale,
            "data_generation_s": generation_s[f"{first:g}x"] if generation_s else {},
            "data_generation_s_by_scale": generation_s,
            "total_s": round(time.perf_counter() - started, 1),
        }
        Path(args.json).write_text(json.dumps(output, indent=2, default=str) + "\n")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _growths(scales, by_scale, sizes_by_scale, shapes, growth) -> dict:
    """name (or "name row" for a page) -> its growth entry, for those run at every scale."""
    if len(scales) < 2:
        return {}
    entries = {}
    for result in by_scale.get(scales[0], []):
        shape = shapes.get(result.name)
        series = [
            next((r for r in by_scale.get(s, []) if r.name == result.name), None) for s in scales
        ]
        if shape is None or None in series:
            continue
        sizes = [sizes_by_scale[s] for s in scales]
        entries[result.name] = growth(scales, series, shape, sizes)
        for row in result.rows:
            rows = [next((r for r in one.rows if r.name == row.name), None) for one in series]
            if None not in rows:
                entries[f"{result.name} {row.name}"] = growth(scales, rows, shape, sizes)
    return entries


if __name__ == "__main__":
    sys.exit(main())

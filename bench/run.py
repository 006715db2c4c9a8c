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
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _database_url(name: str) -> str:
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/leakcase")
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def _recreate(names: list[str], *, template: str | None = None) -> None:
    import psycopg

    with psycopg.connect(_database_url("postgres"), autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            suffix = f' TEMPLATE "{template}"' if template else ""
            admin.execute(f'CREATE DATABASE "{name}"{suffix}')


def _drop(names: list[str]) -> None:
    import psycopg

    with psycopg.connect(_database_url("postgres"), autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (CI)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only these")
    parser.add_argument("--database", default="leakcase_bench", help="name of the big database")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = parser.parse_args(argv)

    big, small = args.database, f"{args.database}_small"
    var_dir = tempfile.mkdtemp(prefix="leakcase-bench-")
    os.environ["DATABASE_URL"] = _database_url(big)
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
    from bench.harness import SIZES, Context, on_database, table
    from bench.registry import BENCHMARKS, NOT_IN_QUICK

    names = args.only or [n for n in BENCHMARKS if not (args.quick and n in NOT_IN_QUICK)]
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"no benchmark called {', '.join(sorted(unknown))}")
    sizes = SIZES["quick" if args.quick else "full"]
    small_sizes = {
        **sizes,
        "cases": sizes["small_cases"],
        "sightings": sizes["case_page_sightings"] + 5 * (sizes["small_cases"] - 1),
        "takedown_requests": 20,
        "reference_hashes": 1_000,
        "caseworkers": 2,
        "lookup_queries": 2,
    }
    started = time.perf_counter()
    try:
        print(f"Databases {big} and {small}: migrating", flush=True)
        _recreate([big])
        connection.close()
        call_command("migrate", verbosity=0)
        connection.close()
        _recreate([small], template=big)
        print(f"  migrated in {time.perf_counter() - started:.1f} s", flush=True)
        generation = time.perf_counter()
        print(f"{small}: {small_sizes['cases']} cases", flush=True)
        with on_database(small):
            small_data = data.build(small_sizes)
        print(
            f"{big}: {sizes['cases']:,} cases, {sizes['sightings']:,} sightings, "
            f"{sizes['takedown_requests']:,} takedown requests, "
            f"{sizes['reference_hashes']:,} reference hashes",
            flush=True,
        )
        with on_database(big):
            big_data = data.build(sizes)
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
        results, failed = [], []
        for name in names:
            print(f"Running {name}", flush=True)
            begun = time.perf_counter()
            try:
                with on_database(big):
                    result = BENCHMARKS[name](ctx)
            except Exception:
                # The others' figures still count; the run fails at the end (CI sees it).
                traceback.print_exc()
                failed.append(name)
                continue
            print(f"  {name} took {time.perf_counter() - begun:.1f} s", flush=True)
            results.append(result)
    finally:
        connection.close()
        if not args.keep:
            _drop([big, small])
        shutil.rmtree(var_dir, ignore_errors=True)

    print()
    print(table(results))
    print(
        f"\nmode: {'quick' if args.quick else 'full'}; total {time.perf_counter() - started:.0f} s"
    )
    if args.json:
        output = {result.name: result.as_json() for result in results}
        output["_run"] = {
            "failed": failed,
            "mode": "quick" if args.quick else "full",
            "data_generation_s": big_data["generation_s"],
            "total_s": round(time.perf_counter() - started, 1),
        }
        Path(args.json).write_text(json.dumps(output, indent=2, default=str) + "\n")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

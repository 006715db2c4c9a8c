"""bench/run.py --only sizing at quick sizes: it measures what it says (bytes a row from
PostgreSQL, rows a case from cases made through the services, the weekly email rule, real
web and worker processes, the hash index) and prints every tier beside its assumptions."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

from bench.benchmarks.sizing import ASSUMPTIONS, TIERS

ROOT = Path(__file__).resolve().parents[2]


def test_quick_sizing_prints_each_tier_from_measured_figures(tmp_path):
    out = tmp_path / "sizing.json"
    env = {
        **os.environ,
        # Its own databases, so a run beside another benchmark or test run is safe.
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/postgres".format(
            **{k: connection.settings_dict[k] or "" for k in ("USER", "HOST", "PORT")}
        ),
    }
    done = subprocess.run(
        [
            sys.executable,
            "bench/run.py",
            "--quick",
            "--only",
            "sizing",
            "--json",
            str(out),
            "--database",
            f"{connection.settings_dict['NAME']}_sizingrun",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "LINEAR EXTRAPOLATION" in done.stdout and "ASSUMPTIONS" in done.stdout
    for name, cases, _, _ in TIERS:
        assert f"| {name} | {cases:,} |" in done.stdout, name
    sizing = json.loads(out.read_text())["sizing"]
    assert [t["tier"] for t in sizing["tiers"]] == [name for name, *_ in TIERS]
    assert sizing["assumptions"] == ASSUMPTIONS

    # Measured: the sample's 3 cases of 20 links each, made through the services.
    assert sizing["rows_per_case"]["evidence_sighting"] == 20
    assert sizing["rows_per_case"]["cases_case"] == 1
    # At volume: url checks COPYed into the sizing database, reference hashes in the big one.
    checks = sizing["per_row"]["evidence_urlcheck"]
    hashes = sizing["per_row"]["evidence_referencehash"]
    assert (checks["rows_measured"], checks["where"]) == (2_000, "sizing database")
    assert (hashes["rows_measured"], hashes["where"]) == (20_000, "big database")
    assert checks["bytes_per_row"] > 0 and hashes["bytes_per_row"] > 0
    # Who gets Monday's email, as the digests' claim decided it: her open case, not turned
    # off (1 of the 3 survivors), and both members of staff.
    mail = sizing["mail"]
    assert (mail["survivor_weekly"], mail["staff_weekly"], mail["rule_holds"]) == (1, 2, True)
    # Real processes: pages served, rechecks written by a Celery worker, indexes loaded.
    assert sizing["web"]["requests"] == 50 and sizing["web"]["vm_rss_mb"] > 0
    assert sizing["worker"]["rechecked"] == 100 and sizing["worker"]["per_s"] > 0
    assert sizing["index_from_database"]["rows"] == 20_000
    assert sizing["index_synthetic"]["rows"] == 100_000

    small, national, network = sizing["tiers"]
    assert (small["sightings"], national["sightings"]) == (20_000, 1_000_000)
    assert network["reference_hashes"] == 10_000_000
    # Linear: fifty times the cases, fifty times the survivors' Monday emails (open cases
    # less those turned off), and more memory for the bigger hash index.
    assert national["mail_survivors"] == 50 * small["mail_survivors"]
    assert national["database_cases_gb"] > small["database_cases_gb"]
    assert network["hash_index_mb"] > national["hash_index_mb"]
    # The dispatcher, run once over every sighting made (the sample's 60 and the worker's
    # 100), all due: it hands them all out in one run, in batches of RECHECK_CHUNK at most.
    dispatch = sizing["dispatch"]
    assert dispatch["due"] == 160 and dispatch["handed_out"] == 160
    assert dispatch["tasks"] >= 160 / 25 and dispatch["per_s"] > 0
    # Url checks under the retention rule: 30 days of checks a sighting (20% of them up,
    # every 6 h; the rest weekly) and the older ones the rule keeps.
    per_sighting = (0.2 * 4 + 0.8 / 7) * 30 + ASSUMPTIONS["old_checks_kept_per_sighting"]
    assert national["url_checks_kept"] == round(1_000_000 * per_sighting)
    assert national["big_platform_per_day"] == 300 * 24 * 60

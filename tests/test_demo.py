"""bin/demo on a machine with nothing but Python (issue 16): in a fresh network namespace no
PostgreSQL or Redis is reachable and their commands are hidden (tests/helpers/
bare_machine.py), so bin/demo runs its own PostgreSQL (bin/_embedded_postgres.py) with its
data under LEAKCASE_VAR_DIR, and Celery on the file broker. Run twice on the same data: the
first stopped with Ctrl-C, the second with SIGTERM."""

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BARE_MACHINE = ROOT / "tests" / "helpers" / "bare_machine.py"


def _namespaces_allowed():
    try:
        return subprocess.run(["unshare", "-mn", "true"], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


pytestmark = pytest.mark.skipif(
    not _namespaces_allowed(),
    reason="`unshare -mn` is not permitted here (it needs root): no bare network namespace",
)


def _run_demo(var_dir, stop_with, *flags):
    result = subprocess.run(
        ["unshare", "-mn", sys.executable, str(BARE_MACHINE), str(var_dir), stop_with, *flags],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert "error" not in report, report["error"] + report["output"]
    assert report["web_up"], report["output"]
    return report


def _demo_case_reference(output):
    return re.search(r"Demo case (LC-\w+) is ready", output).group(1)


@pytest.fixture(scope="module")
def runs():
    # Not under pytest's tmp_path: as root the server runs as the user `embedded_postgres`,
    # which must reach its data, and pytest keeps its own base directory 0700.
    with tempfile.TemporaryDirectory(prefix="leakcase-bare-") as directory:
        yield _run_twice(Path(directory) / "var")


def _run_twice(var_dir):
    first = _run_demo(var_dir, "ctrl-c")
    pg_version = var_dir / "postgres" / "PG_VERSION"
    initialised_at = pg_version.stat().st_mtime_ns
    second = _run_demo(var_dir, "sigterm", "--wait-for-beat")
    return {
        "var": var_dir,
        "first": first,
        "second": second,
        "initialised_again": pg_version.stat().st_mtime_ns != initialised_at,
    }


def test_with_no_server_reachable_the_demo_runs_its_own_postgresql_and_she_logs_in(runs):
    first, var_dir = runs["first"], runs["var"]
    assert first["system_servers_reachable"] == []
    assert first["system_sockets"] == []
    assert f"PostgreSQL: embedded, data in {var_dir / 'postgres'}" in first["output"]
    assert f"Broker and cache: files in {var_dir} (no REDIS_URL)" in first["output"]
    assert first["web_up"], first["output"]
    # Logged in: the survivor's own case list, with the demo case seed_demo made.
    assert first["login"]["url"].endswith("/cases/")
    assert _demo_case_reference(first["output"]) in first["login"]["page"]
    assert "Demo case" in first["login"]["page"]


def test_ctrl_c_stops_web_worker_beat_and_postgresql(runs):
    first = runs["first"]
    assert first["worker_ready"]
    started = "\n".join(first["started"])
    assert "manage.py runserver" in started
    assert "celery -A leakcase worker" in started
    assert "celery -A leakcase beat" in started
    assert f"postgres -D {runs['var'] / 'postgres'}" in started
    assert first["ignoring_ctrl_c"] == []  # each stops on Ctrl-C itself, not only by the script
    assert first["still_running"] == []
    assert first["postmaster_pid_left"] is False  # PostgreSQL shut down cleanly
    assert "Stopped web, worker, beat and PostgreSQL." in first["output"]


def test_a_second_run_reuses_the_data_and_sigterm_stops_it_too(runs):
    first, second = runs["first"], runs["second"]
    assert not runs["initialised_again"]
    assert _demo_case_reference(second["output"]) == _demo_case_reference(first["output"])
    assert _demo_case_reference(first["output"]) in second["login"]["page"]
    assert second["still_running"] == []
    assert second["postmaster_pid_left"] is False


def test_the_worker_runs_what_beat_sends_over_the_file_broker(runs):
    assert runs["second"]["beat_task_done"]
    beat_log = (runs["var"] / "log" / "beat.log").read_text()
    assert f"broker -> sqla+sqlite:///{runs['var']}/celery-broker.sqlite3" in beat_log
    assert "Sending due task dispatch-rechecks" in beat_log
    worker_log = (runs["var"] / "log" / "worker.log").read_text()
    assert re.search(r"dispatch_rechecks\[[^]]+\] succeeded", worker_log)

"""bin/_embedded_postgres.py, as bin/demo calls it: start prints a DATABASE_URL for a server on
a Unix socket in the data directory, a second start reuses it, stop stops it, and a server
killed with SIGKILL does not keep the next start from working."""

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _script(command, data_dir):
    result = subprocess.run(
        [sys.executable, "bin/_embedded_postgres.py", command, str(data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def _admin(url):
    # The database bin/demo creates is not there yet: its server's own `postgres` database.
    return url.replace("/leakcase", "/postgres")


def _server_pid(data_dir):
    return int((data_dir / "postmaster.pid").read_text().split()[0])


def _exited(pid):
    try:
        # A zombie has exited; only its parent has yet to read its status.
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.fixture
def data_dir():
    # Not under pytest's tmp_path: as root the server runs as the user `embedded_postgres`,
    # which must reach its data, and pytest keeps its own base directory 0700.
    with tempfile.TemporaryDirectory(prefix="leakcase-pg-") as directory:
        data_dir = Path(directory) / "var" / "postgres"
        yield data_dir
        if (data_dir / "postmaster.pid").exists():
            _script("stop", data_dir)


def test_start_prints_a_socket_url_and_a_second_start_reuses_the_running_server(data_dir):
    url = _script("start", data_dir)
    socket_dir = str(data_dir).replace("/", "%2F")
    assert url == f"postgres://postgres@{socket_dir}/leakcase"
    server = _server_pid(data_dir)
    with psycopg.connect(_admin(url), autocommit=True) as connection:
        connection.execute("CREATE TABLE kept (word text)")
        connection.execute("INSERT INTO kept VALUES ('still here')")

    assert _script("start", data_dir) == url
    assert _server_pid(data_dir) == server
    with psycopg.connect(_admin(url)) as connection:
        assert connection.execute("SELECT word FROM kept").fetchall() == [("still here",)]


def test_stop_shuts_the_server_down_and_start_brings_back_its_data(data_dir):
    url = _script("start", data_dir)
    server = _server_pid(data_dir)
    with psycopg.connect(_admin(url), autocommit=True) as connection:
        connection.execute("CREATE TABLE kept (word text)")
        connection.execute("INSERT INTO kept VALUES ('still here')")

    assert _script("stop", data_dir) == ""
    assert not (data_dir / "postmaster.pid").exists()
    assert _exited(server)
    assert _script("stop", data_dir) == ""  # stopping a stopped server is nothing to do

    _script("start", data_dir)
    with psycopg.connect(_admin(url)) as connection:
        assert connection.execute("SELECT word FROM kept").fetchall() == [("still here",)]


def test_a_server_killed_with_sigkill_does_not_keep_the_next_start_from_working(data_dir):
    url = _script("start", data_dir)
    with psycopg.connect(_admin(url), autocommit=True) as connection:
        connection.execute("CREATE TABLE kept (word text)")
        connection.execute("INSERT INTO kept VALUES ('committed before the kill')")
    killed = _server_pid(data_dir)
    os.kill(killed, signal.SIGKILL)

    assert _script("start", data_dir) == url
    assert _server_pid(data_dir) != killed
    with psycopg.connect(_admin(url)) as connection:
        rows = connection.execute("SELECT word FROM kept").fetchall()
    assert rows == [("committed before the kill",)]

"""A real Celery worker in a subprocess, as production runs it, against the test database."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from leakcase.celery import app

ROOT = Path(__file__).resolve().parents[2]


def test_database_env(**extra) -> dict:
    """The environment of a worker or beat on the test database, allowed to reach 127.0.0.1."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "leakcase.settings_test",
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(
            **{k: connection.settings_dict[k] or "" for k in ("USER", "HOST", "PORT", "NAME")}
        ),
        "LEAKCASE_FETCH_ALLOW_NETWORKS": "127.0.0.1/32",
        **extra,
    }


def start_worker(name: str | None = None, **env):
    """`celery -A leakcase worker` against the test database, allowed to reach 127.0.0.1;
    with `name`, one of several (its node name is name@host); `env`: more settings (e.g.
    LEAKCASE_RDAP_BASE_URL for the tests' RDAP server)."""
    command = [sys.executable, "-m", "celery", "-A", "leakcase", "worker", "-P", "solo"]
    if name is not None:
        command += ["-n", f"{name}@%h"]
    process = subprocess.Popen(
        [*command, "-l", "WARNING"],
        cwd=ROOT,
        env=test_database_env(**env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )

    def answered():
        replies = app.control.ping(timeout=0.5)
        return any(name is None or node.startswith(f"{name}@") for r in replies for node in r)

    deadline = time.monotonic() + 30
    while not answered():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("the worker did not start: " + process.stderr.read().decode()[-2000:])
    return process


def start_beat(folder: Path, name: str):
    """`celery -A leakcase beat` against the test database, its schedule file and log in
    `folder` (log: folder / f"{name}.log"), the schedule sixty times faster (a minute is a
    second) and a standing-by beat asking for the lock every second."""
    log = (folder / f"{name}.log").open("w")
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "leakcase", "beat", "-l", "INFO"),
            f"--schedule={folder / name}-schedule",
            "--max-interval=1",
        ],
        cwd=ROOT,
        env=test_database_env(LEAKCASE_BEAT_MINUTE_SECONDS="1"),
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_for(predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False

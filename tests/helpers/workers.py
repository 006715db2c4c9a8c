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


def start_worker():
    """`celery -A leakcase worker` against the test database, allowed to reach 127.0.0.1."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "leakcase.settings_test",
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(
            **{k: connection.settings_dict[k] or "" for k in ("USER", "HOST", "PORT", "NAME")}
        ),
        "LEAKCASE_FETCH_ALLOW_NETWORKS": "127.0.0.1/32",
    }
    command = [sys.executable, "-m", "celery", "-A", "leakcase", "worker", "-P", "solo"]
    process = subprocess.Popen(
        [*command, "-l", "WARNING"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not app.control.ping(timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("the worker did not start: " + process.stderr.read().decode()[-2000:])
    return process


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

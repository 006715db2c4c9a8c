import json
import os
import subprocess
import sys

from leakcase.celery import app
from tests.helpers.workers import ROOT, stop, wait_for


def test_every_scheduled_task_is_one_a_worker_knows():
    """Beat sends a task by name only: a name no worker registers is dropped by every worker,
    every time, without an error anywhere a person looks."""
    app.loader.import_default_modules()  # what a worker imports as it starts
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled <= set(app.tasks)
    assert "monitoring.tasks.dispatch_rechecks" in scheduled
    assert "monitoring.tasks.prune_url_checks" in scheduled  # daily, or checks pile up


def test_a_worker_logs_through_the_projects_formatter(tmp_path):
    """Celery would empty the root logger's handlers and put its own in their place (no
    redaction, no JSON); leakcase.celery's setup_logging receiver keeps settings.LOGGING. The
    worker logs the broker's address as it connects: the belt blanks it, in JSON lines."""
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "leakcase.settings_test",
        "LOG_FORMAT": "json",
        # Tests run as root here; Celery warns of it through `warnings` before any logging is
        # set up, so as plain text. The image runs as its own user (Dockerfile: USER).
        "PYTHONWARNINGS": "ignore:You're running the worker with superuser privileges",
    }
    command = [sys.executable, "-m", "celery", "-A", "leakcase", "worker", "-P", "solo"]
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [*command, "-l", "INFO", "--without-heartbeat", "--without-mingle"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            started = wait_for(lambda: " ready." in log.read_text())
        finally:
            stop(process)
    text = log.read_text()
    assert started, text[-2000:]
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    messages = {line["message"] for line in lines}
    assert "Connected to [redacted]" in messages
    assert "redis://" not in text
    assert {line["request_id"] for line in lines} == {"-"}

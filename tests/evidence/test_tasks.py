"""A real Celery worker, in a subprocess, on the Redis broker: a recheck end to end."""

import ipaddress
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from cases.services import case_assign
from evidence.models import Sighting
from evidence.services import reference_register, sighting_log
from evidence.tasks import dispatch_rechecks
from leakcase.celery import app
from tests.evidence.conftest import HER_IMAGE

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(settings):
    """`celery -A leakcase worker` against the test database, allowed to reach 127.0.0.1."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "leakcase.settings_test",
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(
            **{k: connection.settings_dict[k] or "" for k in ("USER", "HOST", "PORT", "NAME")}
        ),
        "LEAKCASE_FETCH_ALLOW_NETWORKS": "127.0.0.1/32",
    }
    app.control.purge()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "leakcase",
            "worker",
            "-P",
            "solo",
            "-l",
            "WARNING",
        ],
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
    yield process
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def _wait_for(predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_a_worker_rechecks_and_closes_the_request(
    platform_directory, worker, server, case, survivor, caseworker, settings
):
    from tests.evidence.test_recheck import _sent_request

    settings.FETCH_ALLOW_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    reference_register(case=case, data=HER_IMAGE, acting_user=survivor)
    gone = sighting_log(case=case, url=server + "/gone", acting_user=survivor)
    live = sighting_log(case=case, url=server + "/image", acting_user=survivor)
    request = _sent_request(case, gone, caseworker)

    assert dispatch_rechecks() == 2  # enqueued on commit, to the worker through Redis

    def checked():
        return Sighting.objects.filter(pk__in=[gone.pk, live.pk], last_checked_at__isnull=False)

    assert _wait_for(lambda: checked().count() == 2), "the worker did not check both"
    gone.refresh_from_db()
    live.refresh_from_db()
    request.refresh_from_db()
    assert (gone.status, live.status) == ("removed", "live")
    assert request.status == "removed" and request.removed_at is not None
    assert live.checks.get().distance is not None

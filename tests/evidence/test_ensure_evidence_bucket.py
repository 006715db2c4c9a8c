"""manage.py ensure_evidence_bucket, against a real S3 API (moto's server,
started by the test on 127.0.0.1), through the same django-storages backend settings build."""

import socket
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from django.core.management import CommandError, call_command

from tests.conftest import free_port

ACCESS_KEY, SECRET_KEY = "test-access-key", "test-secret-key"


def _wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "moto_server stopped while starting"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"moto_server did not listen on port {port}")


@pytest.fixture(scope="module")
def s3_endpoint():
    port = free_port()
    moto_server = Path(sys.executable).parent / "moto_server"
    process = subprocess.Popen(
        [str(moto_server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _s3_storage(settings, endpoint: str, bucket: str, region: str | None = None) -> None:
    """Evidence in `bucket` at `endpoint`, as settings make it from EVIDENCE_S3_*."""
    settings.EVIDENCE_S3_BUCKET = bucket
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": endpoint,
                "region_name": region,
                "access_key": ACCESS_KEY,
                "secret_key": SECRET_KEY,
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
                # One attempt: a store that is down fails the command at once.
                "client_config": Config(retries={"max_attempts": 1}, connect_timeout=2),
            },
        },
    }


def _client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
    )


def _run() -> str:
    out = StringIO()
    call_command("ensure_evidence_bucket", stdout=out)
    return out.getvalue().strip()


def test_makes_the_missing_bucket(settings, s3_endpoint):
    _s3_storage(settings, s3_endpoint, "evidence-new")

    assert _run() == "The evidence bucket evidence-new was created."

    names = [bucket["Name"] for bucket in _client(s3_endpoint).list_buckets()["Buckets"]]
    assert "evidence-new" in names


def test_makes_it_in_the_configured_region(settings, s3_endpoint):
    # Outside us-east-1, S3 refuses a bucket whose region is not named again.
    _s3_storage(settings, s3_endpoint, "evidence-in-london", region="eu-west-2")

    assert _run() == "The evidence bucket evidence-in-london was created."

    where = _client(s3_endpoint).get_bucket_location(Bucket="evidence-in-london")
    assert where["LocationConstraint"] == "eu-west-2"


def test_leaves_an_existing_bucket_and_its_files_as_they_are(settings, s3_endpoint):
    client = _client(s3_endpoint)
    client.create_bucket(Bucket="evidence-kept")
    client.put_object(Bucket="evidence-kept", Key="sealed/file", Body=b"ciphertext")
    _s3_storage(settings, s3_endpoint, "evidence-kept")

    assert _run() == "The evidence bucket evidence-kept is there."

    kept = client.get_object(Bucket="evidence-kept", Key="sealed/file")["Body"].read()
    assert kept == b"ciphertext"


def test_a_second_run_finds_the_bucket_the_first_made(settings, s3_endpoint):
    _s3_storage(settings, s3_endpoint, "evidence-twice")

    first, second = _run(), _run()

    assert first == "The evidence bucket evidence-twice was created."
    assert second == "The evidence bucket evidence-twice is there."


def test_a_store_that_does_not_answer_stops_it_with_a_clear_message(settings):
    # A port nothing listens on: taken from the system and closed again.
    _s3_storage(settings, f"http://127.0.0.1:{free_port()}", "evidence")

    with pytest.raises(CommandError, match="The object store cannot be reached"):
        _run()


def test_local_disk_needs_no_bucket(settings, s3_endpoint):
    settings.EVIDENCE_S3_BUCKET = ""
    before = _client(s3_endpoint).list_buckets()["Buckets"]

    assert _run() == (
        "Evidence is stored on local disk (EVIDENCE_S3_BUCKET is unset): "
        "there is no bucket to create."
    )
    assert _client(s3_endpoint).list_buckets()["Buckets"] == before

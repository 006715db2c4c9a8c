"""manage.py ensure_evidence_bucket, against the test session's real S3 API (moto's server on
127.0.0.1, tests/helpers/s3.py), through the storage settings.py builds from EVIDENCE_S3_*
(leakcase.env.evidence_storage)."""

import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from leakcase.env import evidence_storage
from tests.conftest import free_port
from tests.helpers.s3 import AWS_ENV, new_bucket, only_to


def _storage_for(settings, tmp_path, bucket: str, endpoint: str, region: str | None = None):
    """Evidence in `bucket` at `endpoint`, as a deployment's variables would set it."""
    environ = {
        "EVIDENCE_S3_BUCKET": bucket,
        "EVIDENCE_S3_ENDPOINT_URL": endpoint,
        "EVIDENCE_S3_REGION": region or AWS_ENV["AWS_DEFAULT_REGION"],
        "EVIDENCE_S3_ACCESS_KEY": AWS_ENV["AWS_ACCESS_KEY_ID"],
        "EVIDENCE_S3_SECRET_KEY": AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    }
    settings.EVIDENCE_S3_BUCKET = bucket
    settings.STORAGES = {
        **settings.STORAGES,
        "default": evidence_storage(environ, default_root=str(tmp_path / "not-used")),
    }
    from django.core.files.storage import storages

    only_to(storages["default"].connection.meta.client, endpoint)


def _run() -> str:
    out = StringIO()
    call_command("ensure_evidence_bucket", stdout=out)
    return out.getvalue().strip()


def _unused_name() -> str:
    return f"evidence-{uuid.uuid4().hex[:16]}"


def _bucket_names(client) -> list[str]:
    return [bucket["Name"] for bucket in client.list_buckets()["Buckets"]]


def test_makes_the_missing_bucket(settings, tmp_path, s3_server):
    name = _unused_name()
    _storage_for(settings, tmp_path, name, s3_server.endpoint)

    assert _run() == f"The evidence bucket {name} was created."
    assert name in _bucket_names(new_bucket(s3_server).client)


def test_makes_it_in_the_configured_region(settings, tmp_path, s3_server):
    # Outside us-east-1, S3 refuses a bucket whose region is not named again.
    name = _unused_name()
    _storage_for(settings, tmp_path, name, s3_server.endpoint, region="eu-west-2")

    assert _run() == f"The evidence bucket {name} was created."

    where = new_bucket(s3_server).client.get_bucket_location(Bucket=name)
    assert where["LocationConstraint"] == "eu-west-2"


def test_leaves_an_existing_bucket_and_its_files_as_they_are(settings, tmp_path, s3_server):
    bucket = new_bucket(s3_server)
    bucket.put("sealed/file", b"ciphertext")
    _storage_for(settings, tmp_path, bucket.name, s3_server.endpoint)

    assert _run() == f"The evidence bucket {bucket.name} is there."
    assert bucket.get("sealed/file") == b"ciphertext"


def test_a_second_run_finds_the_bucket_the_first_made(settings, tmp_path, s3_server):
    name = _unused_name()
    _storage_for(settings, tmp_path, name, s3_server.endpoint)

    first, second = _run(), _run()

    assert first == f"The evidence bucket {name} was created."
    assert second == f"The evidence bucket {name} is there."


def test_a_store_that_does_not_answer_stops_it_with_a_clear_message(settings, tmp_path):
    # A port nothing listens on: taken from the system and closed again.
    _storage_for(settings, tmp_path, "evidence", f"http://127.0.0.1:{free_port()}")

    with pytest.raises(CommandError, match="The object store cannot be reached"):
        _run()


def test_local_disk_needs_no_bucket(settings, s3_server):
    settings.EVIDENCE_S3_BUCKET = ""
    client = new_bucket(s3_server).client
    before = _bucket_names(client)

    assert _run() == (
        "Evidence is stored on local disk (EVIDENCE_S3_BUCKET is unset): "
        "there is no bucket to create."
    )
    assert _bucket_names(client) == before

"""bin/backup and bin/restore (leakcase/backups.py), end to end: a real case with evidence on
the test's S3 server is backed up, restored into a new database and a new bucket, and read
back through the app; a damaged backup, or a target that is not empty, is refused by name
with nothing restored. These tests commit for real: pg_dump reads what another connection
committed."""

import base64
import json
import os
import re
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from evidence.services import evidence_add, sightings_log_pasted
from evidence.vault import crypto
from leakcase import backups
from tests.helpers.s3 import new_bucket

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db(transaction=True)

# Run in the restored deployment: she logs in and downloads each file through the view.
READ_BACK = """
import hashlib, json, sys
import django
django.setup()
from django.test import Client
from django.urls import reverse
from accounts.models import User
from evidence.models import EvidenceFile
client = Client()
client.force_login(User.objects.get(email=sys.argv[1]))
found = {}
for e in EvidenceFile.objects.select_related("case"):
    answer = client.get(reverse("evidence:file", args=[e.case.reference, e.pk, "download"]))
    found[str(e.pk)] = [answer.status_code, hashlib.sha256(answer.content).hexdigest()]
print(json.dumps(found))
"""


def _database_url(name: str) -> str:
    parts = {k: connection.settings_dict[k] or "" for k in ("USER", "HOST", "PORT")}
    return "postgres://{USER}@{HOST}:{PORT}/".format(**parts) + name


def _deployment(database: str, storage) -> dict:
    """The environment of a deployment on this database and evidence storage (a bucket, or
    a folder), with production settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
    env.update(
        storage.env if hasattr(storage, "env") else {"EVIDENCE_ROOT": str(storage)},
        DATABASE_URL=_database_url(database),
        DJANGO_SETTINGS_MODULE="leakcase.settings",
        ALLOWED_HOSTS="testserver",
        # bin/backup runs python3 from PATH when the checkout has no .venv: ours.
        PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    )
    return env


def _run(tool: str, directory: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ROOT / "bin" / tool), str(directory)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@contextmanager
def _new_database():
    """An empty database beside the test database, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restored_{uuid.uuid4().hex[:8]}"
    admin = {
        "host": connection.settings_dict["HOST"],
        "port": connection.settings_dict["PORT"],
        "user": connection.settings_dict["USER"],
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**admin) as db:
        db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(**admin) as db:
            db.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _tables(database: str) -> int:
    with psycopg.connect(_database_url(database)) as db:
        return db.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0]


def _her_case_with_evidence(case, survivor):
    (sighting,) = sightings_log_pasted(
        case=case, text="https://x.com/rose/1", acting_user=survivor
    ).saved
    return [
        evidence_add(
            case=case,
            upload=image,
            acting_user=survivor,
            sighting=sighting,
        )
        for image in _uploads()
    ]


def _uploads():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from evidence.demo_images import make_image

    return [
        SimpleUploadedFile("IMG_1.jpg", make_image(seed=81)),
        SimpleUploadedFile("IMG_2.png", make_image(seed=82, fmt="PNG")),
    ]


def _stored(storage) -> dict[str, bytes]:
    """Every object in a bucket or a folder, by its storage name."""
    if hasattr(storage, "names"):
        return {name: storage.get(name) for name in storage.names()}
    return {
        path.relative_to(storage).as_posix(): path.read_bytes()
        for path in Path(storage).rglob("*")
        if path.is_file()
    }


@pytest.mark.parametrize("where", ["s3", "local"])
def test_a_case_is_backed_up_and_restored_into_a_new_database_and_storage(
    where, request, s3_server, platform_directory, case, survivor, settings, tmp_path
):
    if where == "s3":
        source = request.getfixturevalue("s3_evidence")
    else:
        source = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    files = _her_case_with_evidence(case, survivor)
    here = _deployment(connection.settings_dict["NAME"], source)
    target = tmp_path / "backup"

    made = _run("backup", target, here)

    assert made.returncode == 0, made.stderr
    assert "The master keys (LEAKCASE_MASTER_KEYS) are not in this backup" in made.stdout
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["counts"] == {
        "objects": 6,
        "object_bytes": sum(e["bytes"] for e in manifest["objects"]),
        "evidence_rows": 2,
        "named_by_rows_but_missing": 0,
    }
    originals = _stored(source)
    assert {e["name"] for e in manifest["objects"]} == set(originals)
    assert manifest["master_key_ids"] == [crypto.current_key_id()]
    assert "evidence.0001_initial" in manifest["migrations"]
    assert manifest["storage"] == (
        f"S3 bucket {source.name}" if where == "s3" else f"folder {source}"
    )
    # Sealed objects and a dump: no master key, raw or in base64, anywhere in the backup.
    written = [p for p in target.rglob("*") if p.is_file()]
    blobs = [p.read_bytes() for p in written]
    for key in settings.EVIDENCE_MASTER_KEYS.values():
        assert not any(key in blob or base64.b64encode(key) in blob for blob in blobs)
    for entry in manifest["objects"]:
        copy = (target / "objects" / entry["name"]).read_bytes()
        assert copy.startswith(crypto.MAGIC)
        assert copy == originals[entry["name"]]
    # The dump holds every row of hers: the backup is its owner's alone.
    assert {p.stat().st_mode & 0o777 for p in written} == {0o600}
    folders = [target, *(p for p in target.rglob("*") if p.is_dir())]
    assert {p.stat().st_mode & 0o777 for p in folders} == {0o700}

    with _new_database() as database:
        fresh = new_bucket(s3_server) if where == "s3" else tmp_path / "restored-evidence"
        there = _deployment(database, fresh)

        restored = _run("restore", target, there)

        assert restored.returncode == 0, restored.stderr
        assert restored.stdout.splitlines()[1:] == [
            "Evidence storage: 6 object(s) restored and read back, every sum as in the backup.",
            "Migrations: the backup's are this code's.",
            f"Files open only with the master key(s) {crypto.current_key_id()} in "
            "LEAKCASE_MASTER_KEYS.",
        ]
        assert _stored(fresh) == originals
        # Through the app on the restored deployment: she downloads the same bytes.
        read = subprocess.run(
            [sys.executable, "-c", READ_BACK, survivor.email],
            cwd=ROOT,
            env=there,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert read.returncode == 0, read.stderr
        assert json.loads(read.stdout) == {str(e.pk): [200, e.stored_sha256] for e in files}

        # A second restore finds the database full and touches nothing.
        again = _run("restore", target, _deployment(database, tmp_path / "elsewhere"))
        assert again.returncode == 1
        assert re.fullmatch(
            rf"restore: The database {database} is not empty \(\d+ table\(s\)\): restore "
            r"only into a new, empty database\. Nothing was restored\.",
            again.stderr.strip(),
        )
        assert not (tmp_path / "elsewhere").exists()


def test_a_backup_made_by_newer_code_is_refused_before_anything_is_restored(
    platform_directory, case, survivor, tmp_path
):
    _her_case_with_evidence(case, survivor)
    target = tmp_path / "backup"
    backups.backup(target, out=lambda line: None)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["migrations"].append("evidence.9999_from_a_later_version")
    (target / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(backups.BackupError) as refused:
        backups.restore(target, out=lambda line: None)

    assert str(refused.value) == (
        "The backup has 1 migration(s) this code does not know (the first: "
        "evidence.9999_from_a_later_version): it was made by a newer LeakCase. Restore it "
        "with that version or a later one. Nothing was restored."
    )


def test_a_damaged_backup_is_refused_by_name_and_nothing_is_restored(
    s3_evidence, s3_server, platform_directory, case, survivor, tmp_path
):
    first, second = _her_case_with_evidence(case, survivor)
    target = tmp_path / "backup"
    backups.backup(target, out=lambda line: None)
    changed = target / "objects" / first.file.name
    blob = bytearray(changed.read_bytes())
    blob[-1] ^= 1  # one bit of the sealed file
    changed.write_bytes(bytes(blob))
    (target / "objects" / second.thumbnail.name).unlink()

    with _new_database() as database:
        bucket = new_bucket(s3_server)
        refused = _run("restore", target, _deployment(database, bucket))

        assert refused.returncode == 1
        said, *problems = refused.stderr.splitlines()
        assert said == f"restore: The backup in {target} is damaged; nothing was restored."
        # One line a problem, in the manifest's order (by name).
        assert problems == sorted(
            [
                f"  objects/{first.file.name} was changed: its SHA-256 is not the manifest's.",
                f"  objects/{second.thumbnail.name} is missing.",
            ]
        )
        assert _tables(database) == 0
        assert bucket.names() == []


def test_a_bucket_that_is_not_empty_is_refused_before_anything_is_restored(
    s3_evidence, s3_server, platform_directory, case, survivor, tmp_path
):
    _her_case_with_evidence(case, survivor)
    target = tmp_path / "backup"
    backups.backup(target, out=lambda line: None)

    with _new_database() as database:
        bucket = new_bucket(s3_server)
        bucket.put("evidence/someone-elses/original.jpg.sealed", b"LCE1 not ours")
        refused = _run("restore", target, _deployment(database, bucket))

        assert refused.returncode == 1
        assert refused.stderr.strip() == (
            f"restore: Evidence storage (S3 bucket {bucket.name}) is not empty: restore only "
            "into a new, empty bucket or folder. Nothing was restored."
        )
        assert _tables(database) == 0
        assert bucket.names() == ["evidence/someone-elses/original.jpg.sealed"]


def test_a_file_the_database_names_but_storage_lacks_is_listed_in_the_manifest(
    s3_evidence, platform_directory, case, survivor, tmp_path
):
    kept, lost = _her_case_with_evidence(case, survivor)
    s3_evidence.delete(lost.file.name)
    said = []

    manifest = backups.backup(tmp_path / "backup", out=said.append)

    assert manifest["missing_from_storage"] == [lost.file.name]
    assert manifest["counts"]["objects"] == 5
    assert said[-2] == (
        "WARNING: 1 file(s) named by evidence rows were not in storage "
        "(listed in manifest.json under missing_from_storage)."
    )
    assert kept.file.name in {e["name"] for e in manifest["objects"]}


def test_a_backup_goes_only_into_a_new_or_empty_folder(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "manifest.json").write_text("{}")
    with pytest.raises(backups.BackupError, match="is not empty: back up into a new or empty"):
        backups.backup(tmp_path / "old", out=lambda line: None)
    assert [p.name for p in (tmp_path / "old").iterdir()] == ["manifest.json"]
    assert (tmp_path / "old" / "manifest.json").read_text() == "{}"

"""Backups and their restore: the database and the evidence objects, nothing else.

    bin/backup DIR     the database (pg_dump, custom format) and a copy of every object in
                       evidence storage (the S3 bucket or the local folder), into DIR, with
                       manifest.json: when, the migrations applied, and the SHA-256 and
                       size of the dump and of every object.
    bin/restore DIR    into an EMPTY database (DATABASE_URL) and an EMPTY bucket or folder
                       (EVIDENCE_S3_* / EVIDENCE_ROOT): checks every sum first, refuses a
                       database or storage that holds anything, restores, then reads every
                       object back and checks its sum again.

Objects are copied as stored: sealed (evidence/vault/crypto.py), so a backup holds
ciphertext and wrapped keys only. The master keys (LEAKCASE_MASTER_KEYS) are never in a
backup: they are backed up separately, and a restore opens files only with them. The
manifest names the key ids the files are wrapped under, never the keys.

Both go through Django's storage API, so one code path serves S3 and the local folder, and
pg_dump / pg_restore (PostgreSQL's client tools, no older than the server) for the
database. Run as `python -m leakcase.backups backup|restore DIR`; bin/backup and
bin/restore do that with the project's Python.
"""

import hashlib
import json
import os
import posixpath
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

MANIFEST = "manifest.json"
DUMP = "database.dump"
OBJECTS = "objects"
FORMAT = 1
PIECE_BYTES = 1024 * 1024
MASTER_KEY_REMINDER = (
    "The master keys (LEAKCASE_MASTER_KEYS) are not in this backup, by design: evidence "
    "opens only with them. Keep them backed up separately, never beside this folder."
)


class BackupError(Exception):
    """What went wrong, in words an administrator can act on; nothing was changed."""


# --- backup ---------------------------------------------------------------------------------


def backup(target: Path, *, out: Callable[[str], None] = print) -> dict:
    """Write the database and every evidence object into target (new or empty), readable by
    its owner only. Returns the manifest written."""
    with _owner_only():
        return _backup(Path(target), out)


@contextmanager
def _owner_only():
    """What a backup writes (pg_dump's file included) is its owner's alone: the dump holds
    every row (emails, notes, addresses), the objects are sealed but still hers."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def _backup(target: Path, out: Callable[[str], None]) -> dict:
    from django.core.files.storage import storages
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder
    from django.utils import timezone

    from evidence.models import EvidenceFile

    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: back up into a new or empty folder.")
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    target.chmod(0o700)  # one made beforehand too
    database = connection.settings_dict
    storage = storages["default"]
    started = timezone.now()

    # The dump first, then the objects: every row in the dump had its objects stored before
    # it committed (evidence.services stores, then saves the row), so they are all copied.
    _run_pg("pg_dump", ["--format=custom", "--file", str(target / DUMP)], database)
    out(f"Database {database['NAME']}: dumped to {DUMP}.")

    objects = []
    for name in sorted(_stored_names(storage)):
        destination = target / OBJECTS / _safe_relative(name)
        destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with storage.open(name, "rb") as source, open(destination, "wb") as copy:
            while piece := source.read(PIECE_BYTES):
                digest.update(piece)
                size += len(piece)
                copy.write(piece)
        objects.append({"name": name, "sha256": digest.hexdigest(), "bytes": size})
    out(f"Evidence storage: {len(objects)} object(s) copied to {OBJECTS}/.")

    rows = EvidenceFile.objects.values_list("key_id", "file", "thumbnail", "preview")
    copied = {entry["name"] for entry in objects}
    named = {name for _key, *names in rows for name in names if name}
    # A row whose file is not in storage cannot be restored either: say so now, by name
    # (storage names are ids, nothing about her), rather than at the restore.
    missing = sorted(named - copied)
    applied = MigrationRecorder(connection).applied_migrations()
    manifest = {
        "format": FORMAT,
        "made_at": started.isoformat(),
        "finished_at": timezone.now().isoformat(),
        "database": {
            "name": database["NAME"],
            "file": DUMP,
            **_sum_of(target / DUMP),
            "pg_dump": _version("pg_dump"),
        },
        "storage": _describe(storage),
        "migrations": sorted(f"{app}.{name}" for app, name in applied),
        "master_key_ids": sorted({key_id for key_id, *_names in rows}),
        "counts": {
            "objects": len(objects),
            "object_bytes": sum(entry["bytes"] for entry in objects),
            "evidence_rows": len(rows),
            "named_by_rows_but_missing": len(missing),
        },
        "missing_from_storage": missing,
        "objects": objects,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2))
    if missing:
        out(
            f"WARNING: {len(missing)} file(s) named by evidence rows were not in storage "
            f"(listed in {MANIFEST} under missing_from_storage)."
        )
    out(f"Backup written to {target}. {MASTER_KEY_REMINDER}")
    return manifest


# --- restore --------------------------------------------------------------------------------


def restore(source: Path, *, out: Callable[[str], None] = print) -> dict:
    """Restore a backup into the configured database and evidence storage, both empty.
    Refuses, changing nothing, when the backup is damaged or either target holds anything."""
    from django.core.files.base import File
    from django.core.files.storage import storages
    from django.db import connection

    source = Path(source)
    manifest = _read_manifest(source)
    problems = verify(source, manifest)
    if problems:
        raise BackupError(
            f"The backup in {source} is damaged; nothing was restored.\n  " + "\n  ".join(problems)
        )
    newer_code, unknown = _migrations_against_code(manifest)
    if unknown:
        raise BackupError(
            f"The backup has {len(unknown)} migration(s) this code does not know (the first: "
            f"{unknown[0]}): it was made by a newer LeakCase. Restore it with that version or "
            "a later one. Nothing was restored."
        )
    database = connection.settings_dict
    storage = storages["default"]
    tables = _tables_in(connection)
    if tables:
        raise BackupError(
            f"The database {database['NAME']} is not empty ({tables} table(s)): restore only "
            "into a new, empty database. Nothing was restored."
        )
    if next(_stored_names(storage), None) is not None:
        raise BackupError(
            f"Evidence storage ({_describe(storage)}) is not empty: restore only into a new, "
            "empty bucket or folder. Nothing was restored."
        )
    # Django's connection goes before pg_restore writes, so nothing it cached is stale.
    connection.close()

    _run_pg(
        "pg_restore",
        ["--exit-on-error", "--no-owner", "--dbname", database["NAME"], str(source / DUMP)],
        database,
    )
    out(f"Database {database['NAME']}: restored from {DUMP}.")

    for entry in manifest["objects"]:
        with open(source / OBJECTS / _safe_relative(entry["name"]), "rb") as handle:
            saved = storage.save(entry["name"], File(handle))
        if saved != entry["name"]:
            raise BackupError(f"Storage saved {entry['name']} as {saved}: stopped.")
    # Read back from where the app will read them: what was written is what was backed up.
    changed = [
        entry["name"]
        for entry in manifest["objects"]
        if _stored_sum(storage, entry["name"]) != entry["sha256"]
    ]
    if changed:
        raise BackupError(
            f"{len(changed)} object(s) read back from storage differ from the backup: "
            + ", ".join(changed)
        )
    out(
        f"Evidence storage: {len(manifest['objects'])} object(s) restored and read back, "
        "every sum as in the backup."
    )
    if newer_code:
        out(
            f"This code has {len(newer_code)} migration(s) the backup lacks: run "
            "`manage.py migrate` before starting the app."
        )
    else:
        out("Migrations: the backup's are this code's.")
    out(
        "Files open only with the master key(s) "
        + ", ".join(manifest["master_key_ids"] or ["(none used)"])
        + " in LEAKCASE_MASTER_KEYS."
    )
    return manifest


def _migrations_against_code(manifest: dict) -> tuple[list[str], list[str]]:
    """(migrations this code has and the backup lacks, migrations the backup has that this
    code does not know)."""
    from django.db.migrations.loader import MigrationLoader

    known = {
        f"{app}.{name}"
        for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    }
    backed = set(manifest["migrations"])
    return sorted(known - backed), sorted(backed - known)


def verify(source: Path, manifest: dict) -> list[str]:
    """Every way the backup differs from its manifest, one line each ([] when intact)."""
    problems = []
    dump = source / DUMP
    if not dump.is_file():
        problems.append(f"{DUMP} is missing.")
    elif _sum_of(dump)["sha256"] != manifest["database"]["sha256"]:
        problems.append(f"{DUMP} was changed: its SHA-256 is not the manifest's.")
    for entry in manifest["objects"]:
        try:
            path = source / OBJECTS / _safe_relative(entry["name"])
        except BackupError as exc:
            problems.append(str(exc))
            continue
        if not path.is_file():
            problems.append(f"{OBJECTS}/{entry['name']} is missing.")
        elif _sum_of(path)["sha256"] != entry["sha256"]:
            problems.append(
                f"{OBJECTS}/{entry['name']} was changed: its SHA-256 is not the manifest's."
            )
    return problems


def _read_manifest(source: Path) -> dict:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{source} has no {MANIFEST}: it is not a LeakCase backup.") from None
    except ValueError:
        raise BackupError(f"{source / MANIFEST} is not JSON: the backup is damaged.") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source / MANIFEST} is not a backup format this code reads.")
    return manifest


# --- shared ---------------------------------------------------------------------------------


def _stored_names(storage, folder: str = "") -> Iterator[str]:
    """Every name in the storage, by walking its folders (S3 and local alike)."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a local folder not made yet holds nothing
        return
    for name in files:
        yield posixpath.join(folder, name) if folder else name
    for sub in folders:
        yield from _stored_names(storage, posixpath.join(folder, sub) if folder else sub)


def _stored_sum(storage, name: str) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as handle:
        while piece := handle.read(PIECE_BYTES):
            digest.update(piece)
    return digest.hexdigest()


def _safe_relative(name: str) -> PurePosixPath:
    """A storage name as a path inside the backup: never absolute, never climbing out."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"Refused the object name {name!r}: it points outside the backup.")
    return path


def _sum_of(path: Path) -> dict:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while piece := handle.read(PIECE_BYTES):
            digest.update(piece)
            size += len(piece)
    return {"sha256": digest.hexdigest(), "bytes": size}


def _describe(storage) -> str:
    bucket = getattr(storage, "bucket_name", None)
    if bucket:
        return f"S3 bucket {bucket}"
    return f"folder {storage.location}"


def _tables_in(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg_toast%%' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')"
        )
        return cursor.fetchone()[0]


def _run_pg(tool: str, arguments: list[str], database: dict) -> None:
    if shutil.which(tool) is None:
        raise BackupError(
            f"{tool} is not installed: install PostgreSQL's client tools "
            "(postgresql-client), no older than the server."
        )
    # The connection goes by libpq's variables: the password never shows in `ps`.
    env = {**os.environ}
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
    ):
        if database.get(key):
            env[variable] = str(database[key])
    if tool == "pg_dump":
        env["PGDATABASE"] = database["NAME"]
    result = subprocess.run(  # noqa: S603 (a fixed tool, arguments built here)
        [tool, *arguments], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip()[-2000:]}")


def _version(tool: str) -> str:
    result = subprocess.run(  # noqa: S603
        [tool, "--version"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip()


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in {"backup", "restore"}:
        tool = argv[0] if argv and argv[0] in {"backup", "restore"} else "backup|restore"
        print(f"usage: bin/{tool} DIR", file=sys.stderr)
        return 2
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leakcase.settings")
    django.setup()
    try:
        (backup if argv[0] == "backup" else restore)(Path(argv[1]))
    except BackupError as exc:
        print(f"{argv[0]}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

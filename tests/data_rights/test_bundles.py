"""The ZIPs of data_rights.bundles: her export holds everything of hers and nothing of
anyone else's; a case's bundle carries files, custody and timeline; both stream in bounded
memory and their sums hold."""

import datetime as dt
import hashlib
import io
import json
import logging
import os
import tracemalloc
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bench.data import sealed_noise_evidence
from cases.programme_services import programme_case_record
from digests.models import WeeklyStatus
from digests.services import digests_claim_due, weekly_status_update
from evidence import vault
from evidence.demo_images import make_image
from evidence.models import EvidenceAccess
from evidence.services import evidence_add, sightings_log_pasted
from tests.conftest import PASSWORD

# 100 MB of evidence in files of the upload limit (20 MB, EVIDENCE_MAX_UPLOAD_BYTES).
LARGE_CASE_FILES, LARGE_FILE_BYTES = 5, 20 * 1024 * 1024
# Less than one of those files: the answer never holds a whole file, let alone all of them.
# (Built in memory, as before issue 13, the peak was over 200 MB for this case.)
STREAMING_PEAK_BYTES = 16 * 1024 * 1024


def test_the_evidence_bundle_carries_files_custody_and_timeline(
    client, case, survivor, caseworker
):
    (sighting,) = sightings_log_pasted(
        case=case, text="https://x.com/a/1", acting_user=survivor
    ).saved
    data = make_image(seed=5)
    evidence = evidence_add(
        case=case,
        upload=SimpleUploadedFile("IMG_2024_with_Jake.jpg", data),
        acting_user=survivor,
        sighting=sighting,
    )
    client.force_login(survivor)
    client.get(reverse("evidence:file", args=[case.reference, evidence.pk, "image"]))

    response = client.get(reverse("evidence:bundle", args=[case.reference]))
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    path = f"evidence/{evidence.pk}.jpg"
    assert archive.read(path) == vault.read(evidence)
    (record,) = json.loads(archive.read("evidence.json"))
    assert record["sha256_as_uploaded"] == hashlib.sha256(data).hexdigest()
    assert record["source_url"] == "https://x.com/a/1"
    assert record["accesses"][0]["action"] == "reveal"
    timeline = json.loads(archive.read("timeline.json"))
    assert {"Sighting logged", "Evidence added", "Case opened"} <= {t["what"] for t in timeline}
    page = archive.read("manifest.html").decode()
    assert evidence.sha256 in page and case.reference in page
    manifest = json.loads(archive.read("manifest.json"))
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
    # The name on her phone is not for police or lawyers: the sums prove the file.
    assert not any(b"Jake" in archive.read(name) for name in archive.namelist())
    # Making the bundle is an access to every file in it.
    assert EvidenceAccess.objects.filter(evidence=evidence, action="download").count() == 1


@pytest.mark.parametrize("answer", ["bundle", "export"])
def test_a_large_case_streams_in_bounded_memory_and_its_sums_hold(
    client, case, survivor, tmp_path, answer
):
    files = sealed_noise_evidence(
        case=case, uploaded_by=survivor, count=LARGE_CASE_FILES, file_bytes=LARGE_FILE_BYTES
    )
    client.force_login(survivor)
    # A first page first: what Django and the login checks import on a first request is
    # memory too, but not the answer's.
    assert client.get(reverse("cases:detail", args=[case.reference])).status_code == 200
    out = tmp_path / "answer.zip"
    tracemalloc.start()
    try:
        if answer == "bundle":
            response = client.get(reverse("evidence:bundle", args=[case.reference]))
        else:
            response = client.post(reverse("accounts:export"), {"password": PASSWORD})
        with out.open("wb") as sink:
            for piece in response.streaming_content:
                sink.write(piece)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    assert peak < STREAMING_PEAK_BYTES, f"peak {peak / 2**20:.1f} MB"

    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None  # every entry's CRC holds
        assert archive.namelist()[-1] == "manifest.json"  # written last, once sums are known
        manifest = json.loads(archive.read("manifest.json"))
        assert [e["path"] for e in manifest["files"]] == archive.namelist()[:-1]
        for entry in manifest["files"]:
            digest = hashlib.sha256()
            with archive.open(entry["path"]) as member:
                while piece := member.read(1 << 20):
                    digest.update(piece)
            size = archive.getinfo(entry["path"]).file_size
            assert (digest.hexdigest(), size) == (entry["sha256"], entry["bytes"])
    evidence_sums = {e["sha256"] for e in manifest["files"] if e["bytes"] == LARGE_FILE_BYTES}
    assert evidence_sums == {f.sha256 for f in files}


def _export(client, user):
    client.force_login(user)
    response = client.post(reverse("accounts:export"), {"password": PASSWORD})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_her_export_says_what_each_file_is_in_her_language(client, survivor, two_survivors):
    archive = _export(client, survivor)
    readme = archive.read("README.txt").decode()
    assert readme.startswith("This ZIP holds everything LeakCase keeps about you, as it was on ")
    assert "Its evidence folder holds your screenshots and photos." in readme
    survivor.language = "es"
    survivor.save(update_fields=["language"])
    # A second sign-in, as on another day (another client: another session).
    readme = _export(Client(), survivor).read("README.txt").decode()
    assert readme.startswith("Este ZIP contiene todo lo que LeakCase guarda sobre ti")
    assert "account.json" in readme and "manifest.json" in readme


def test_export_holds_everything_of_hers_and_nothing_else(client, survivor, two_survivors):
    (case, evidence, reference), (their_case, their_evidence, _) = two_survivors
    programme_case_record(
        case=case,
        programme="stopncii",
        case_number="SN-Rose-1",
        registered_on=dt.date(2026, 11, 3),
        withdrawn_on=None,
        acting_user=survivor,
    )
    weekly_status_update(
        user=survivor, enabled=True, weekday=0, hour=9, time_zone="Europe/Dublin", quiet_weeks=True
    )
    WeeklyStatus.objects.filter(user=survivor).update(next_digest_at=timezone.now())
    digests_claim_due()
    archive = _export(client, survivor)
    names = archive.namelist()
    everything = b"".join(archive.read(n) for n in names)
    data = json.loads(archive.read(f"cases/{case.reference}/case.json"))
    assert {s["url"] for s in data["sightings"]} == {
        "https://x.com/rose/1",
        "https://imgur.com/r1",
    }
    assert [n["text"] for n in data["notes_shared_with_you"]] == ["SHARED-Rose"]
    assert data["reference_hashes"][0]["phash"] == reference.phash_hex
    assert data["consent_to_share_fingerprints"] is False
    assert data["programme_cases"] == [
        {
            "programme": "StopNCII.org",
            "case_number": "SN-Rose-1",
            "made_on": "2026-11-03",
            "withdrawn_on": None,
        }
    ]
    # PDQ with its quality, for her images to find and her evidence (evidence/matching/pdq.py).
    assert (data["reference_hashes"][0]["pdq"], data["reference_hashes"][0]["pdq_quality"]) == (
        reference.pdq,
        reference.pdq_quality,
    )
    assert len(reference.pdq) == 64
    evidence.refresh_from_db()
    assert [(e["pdq"], e["pdq_quality"]) for e in data["evidence"]] == [
        (evidence.pdq, evidence.pdq_quality)
    ]
    account = json.loads(archive.read("account.json"))
    assert account["email"] == survivor.email
    assert account["weekly_email"]["time_zone"] == "Europe/Dublin"
    assert [e["said"]["links_reported"] for e in account["weekly_emails"]] == [2]
    assert data["takedown_requests"][0]["notice_as_sent"].startswith("To: X (Twitter)")
    assert f"cases/{case.reference}/evidence/{evidence.pk}.jpg" in names
    # The file's own name, sealed at rest, is hers to have back.
    assert [e["name_as_uploaded"] for e in data["evidence"]] == ["IMG_Rose.jpg"]
    # Decrypted, and the manifest's sums hold.
    manifest = json.loads(archive.read("manifest.json"))
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
    assert {e["path"] for e in manifest["files"]} == set(names) - {"manifest.json"}
    # Nothing of hers kept back from her, nothing of anyone else's given to her.
    assert b"INTERNAL-Rose" not in everything
    for foreign in (
        their_case.reference,
        "iris",
        "Iris",
        str(their_evidence.pk),
        their_evidence.sha256,
    ):
        assert foreign.encode() not in everything


def _bundle(client, case):
    response = client.get(reverse("evidence:bundle", args=[case.reference]))
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_on_s3_the_bundle_carries_the_files_read_from_the_bucket(
    s3_evidence, client, case, survivor
):
    files = [
        evidence_add(
            case=case,
            upload=SimpleUploadedFile(f"s{seed}.jpg", make_image(seed=seed)),
            acting_user=survivor,
        )
        for seed in (31, 32)
    ]
    assert len(s3_evidence.names()) == 6
    client.force_login(survivor)

    archive = _bundle(client, case)

    for evidence in files:
        data = archive.read(f"evidence/{evidence.pk}.jpg")
        assert hashlib.sha256(data).hexdigest() == evidence.stored_sha256
    assert "evidence/MISSING-FILES.txt" not in archive.namelist()


@pytest.mark.parametrize("where", ["s3", "local"])
def test_a_file_missing_from_storage_is_named_in_the_bundle_and_the_rest_still_come(
    where, request, client, case, survivor, caplog
):
    """A caseworker taking a bundle to the police gets every file that is there now, and the
    bundle says in three places that one is not, so nobody reads it as complete."""
    bucket = request.getfixturevalue("s3_evidence") if where == "s3" else None
    kept, lost = (
        evidence_add(
            case=case,
            upload=SimpleUploadedFile(f"s{seed}.jpg", make_image(seed=seed)),
            acting_user=survivor,
        )
        for seed in (41, 42)
    )
    if bucket is not None:
        bucket.delete(lost.file.name)
    else:
        os.remove(default_storage.path(lost.file.name))
    client.force_login(survivor)
    caplog.set_level(logging.INFO)

    archive = _bundle(client, case)

    assert sorted(archive.namelist()) == sorted(
        [
            f"evidence/{kept.pk}.jpg",
            "evidence/MISSING-FILES.txt",
            "evidence.json",
            "timeline.json",
            "manifest.html",
            "manifest.json",
        ]
    )
    kept_bytes = archive.read(f"evidence/{kept.pk}.jpg")
    assert hashlib.sha256(kept_bytes).hexdigest() == kept.stored_sha256
    note = archive.read("evidence/MISSING-FILES.txt").decode()
    assert note.startswith("Evidence files missing from storage, and NOT in this ZIP: 1. ")
    assert "Please tell an administrator." in note
    assert f"{lost.pk}  sha256 as uploaded {lost.sha256}" in note
    records = {r["id"]: r for r in json.loads(archive.read("evidence.json"))}
    assert records[str(lost.pk)]["path"] is None
    assert records[str(lost.pk)]["missing_from_storage"] is True
    assert "missing_from_storage" not in records[str(kept.pk)]
    assert "Missing from storage: not in this bundle" in archive.read("manifest.html").decode()
    # Only the file handed out counts as downloaded.
    downloads = EvidenceAccess.objects.filter(action="download")
    assert list(downloads.values_list("evidence_id", flat=True)) == [kept.pk]
    (line,) = [r for r in caplog.records if r.name == "data_rights.bundles"]
    assert line.getMessage() == f"Evidence file {lost.pk} (file) is missing from storage."


def test_on_s3_her_export_names_a_missing_file_in_its_case_folder_and_holds_the_rest(
    s3_evidence, client, survivor, two_survivors
):
    (case, evidence, _reference), _theirs = two_survivors
    kept = evidence_add(
        case=case,
        upload=SimpleUploadedFile("IMG_kept.jpg", make_image(seed=90)),
        acting_user=survivor,
    )
    s3_evidence.delete(evidence.file.name)

    archive = _export(client, survivor)

    folder = f"cases/{case.reference}"
    names = archive.namelist()
    assert f"{folder}/evidence/{kept.pk}.jpg" in names
    assert f"{folder}/evidence/{evidence.pk}.jpg" not in names
    note = archive.read(f"{folder}/evidence/MISSING-FILES.txt").decode()
    assert f"{evidence.pk}  sha256 as uploaded {evidence.sha256}" in note
    records = {e["id"]: e for e in json.loads(archive.read(f"{folder}/case.json"))["evidence"]}
    assert records[str(evidence.pk)]["path"] is None
    assert records[str(evidence.pk)]["missing_from_storage"] is True
    # Its name on her phone is still hers: it is sealed in the row, not in the object.
    assert records[str(evidence.pk)]["name_as_uploaded"] == "IMG_Rose.jpg"

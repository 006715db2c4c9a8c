import hashlib
import io
import json
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bench.data import sealed_noise_evidence
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

import hashlib
import io
import json
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evidence import vault
from evidence.demo_images import make_image
from evidence.models import EvidenceAccess
from evidence.services import evidence_add, sightings_log_pasted


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
    archive = zipfile.ZipFile(io.BytesIO(response.content))
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

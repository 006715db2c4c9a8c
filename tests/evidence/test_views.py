import hashlib
import logging
import os

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent, AuditKind
from cases.models import EventKind
from cases.services import case_assign, case_set_hash_sharing
from evidence import vault
from evidence.demo_images import make_image
from evidence.matching.hashing import hashes_of_bytes
from evidence.models import AccessAction, EvidenceAccess, EvidenceFile, ReferenceHash
from evidence.services import evidence_add, reference_register
from tests.conftest import tables_holding


class TestOriginalName:
    """The name the file had on her phone can name her or someone else: it is sealed with the
    file, in no column in plaintext, and shown to her only."""

    NAME = "IMG_2024_with_Jake.jpg"

    def test_no_row_holds_it_and_only_she_sees_it(
        self, survivor_client, case, caseworker, image_upload, caplog
    ):
        caplog.set_level(logging.DEBUG)
        case_assign(case=case, to=caseworker, acting_user=caseworker)
        response = survivor_client.post(
            reverse("evidence:upload", args=[case.reference]),
            {"image": image_upload(name=self.NAME)},
        )
        assert response.status_code == 302
        evidence = EvidenceFile.objects.get()

        # Every column of every row of every table, events and audit trail included.
        assert tables_holding("with_Jake") == []
        assert "cases_case" in tables_holding(case.pseudonym)  # the scan does find things
        assert "Jake" not in caplog.text

        assert vault.original_name(evidence) == self.NAME
        detail = reverse("evidence:detail", args=[case.reference, evidence.pk])
        assert self.NAME in survivor_client.get(detail).content.decode()
        staff = Client()
        staff.force_login(caseworker)
        page = staff.get(detail)
        assert page.status_code == 200 and "Jake" not in page.content.decode()


class TestServeEvidence:
    def test_blurred_preview_is_served_privately_and_not_logged(
        self, survivor_client, case, evidence
    ):
        response = survivor_client.get(
            reverse("evidence:file", args=[case.reference, evidence.pk, "preview"])
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert "no-store" in response["Cache-Control"]
        assert not EvidenceAccess.objects.exists()

    @pytest.mark.parametrize(
        ("rendition", "action", "disposition"),
        [
            ("image", AccessAction.REVEAL, "inline"),
            ("thumbnail", AccessAction.REVEAL, "inline"),
            ("download", AccessAction.DOWNLOAD, "attachment"),
        ],
    )
    def test_showing_the_image_is_logged(
        self, survivor_client, survivor, case, evidence, rendition, action, disposition
    ):
        response = survivor_client.get(
            reverse("evidence:file", args=[case.reference, evidence.pk, rendition])
        )
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert response["Content-Disposition"].startswith(disposition)
        assert response["X-Content-Type-Options"] == "nosniff"
        expected = vault.read(evidence, "thumbnail" if rendition == "thumbnail" else "file")
        assert response.content == expected
        access = EvidenceAccess.objects.get()
        assert (access.evidence, access.user, access.action) == (evidence, survivor, action)

    def test_an_unknown_rendition_is_404(self, survivor_client, case, evidence):
        response = survivor_client.get(
            reverse("evidence:file", args=[case.reference, evidence.pk, "original"])
        )
        assert response.status_code == 404

    def test_there_is_no_public_media_url(self, client, evidence):
        assert client.get("/media/" + evidence.file.name).status_code == 404
        assert client.get("/" + evidence.file.name).status_code == 404


# Who may open which URL of a case (another survivor gets 404 for every one of them) is
# tests/test_access_matrix.py, which walks every URL pattern of ours for six roles.


def test_a_downloaded_image_has_a_neutral_name(survivor_client, case, evidence):
    response = survivor_client.get(
        reverse("evidence:file", args=[case.reference, evidence.pk, "download"])
    )
    assert response.status_code == 200
    extension = evidence.file.name.removesuffix(".sealed").rsplit(".", 1)[-1]
    expected = f"image-{evidence.created_at:%Y-%m-%d}-{str(evidence.pk)[:8]}.{extension}"
    assert response["Content-Disposition"] == f'attachment; filename="{expected}"'
    for telling in (case.reference, case.pseudonym, "leak", "intimate", "evidence"):
        assert telling.lower() not in response["Content-Disposition"].lower()


def test_on_s3_she_is_shown_the_decrypted_image_and_it_is_logged(
    s3_evidence, survivor_client, case, survivor, image_upload
):
    evidence = evidence_add(case=case, upload=image_upload(), acting_user=survivor)
    assert evidence.file.name in s3_evidence.names()

    response = survivor_client.get(
        reverse("evidence:file", args=[case.reference, evidence.pk, "image"])
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    # The bytes that were sealed at upload (their sum kept then), not the sealed object.
    assert hashlib.sha256(response.content).hexdigest() == evidence.stored_sha256
    assert response.content != s3_evidence.get(evidence.file.name)
    assert EvidenceAccess.objects.filter(evidence=evidence, action=AccessAction.REVEAL).exists()


def _remove_object(where, bucket, name):
    """Take the object behind a row away, as a hand in the bucket or a lost disk would."""
    if where == "s3":
        bucket.delete(name)
        assert name not in bucket.names()
    else:
        os.remove(default_storage.path(name))


@pytest.mark.parametrize("where", ["s3", "local"])
@pytest.mark.parametrize("rendition", ["download"])
def test_a_file_missing_from_storage_is_a_clear_410_and_a_log_line_with_ids_only(
    where, rendition, request, survivor_client, case, survivor, image_upload, caplog
):
    bucket = request.getfixturevalue("s3_evidence") if where == "s3" else None
    evidence = evidence_add(case=case, upload=image_upload(), acting_user=survivor)
    _remove_object(where, bucket, evidence.file.name)
    caplog.set_level(logging.INFO)

    response = survivor_client.get(
        reverse("evidence:file", args=[case.reference, evidence.pk, rendition])
    )

    assert response.status_code == 410
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "This file is missing from storage. Please tell an administrator." in page
    # Nothing was shown, so nothing is recorded as shown.
    assert not EvidenceAccess.objects.filter(evidence=evidence).exists()
    (line,) = [r for r in caplog.records if r.name == "evidence.views"]
    assert line.levelno == logging.ERROR
    assert line.getMessage() == f"Evidence file {evidence.pk} (file) is missing from storage."


@pytest.mark.parametrize("where", ["s3", "local"])
@pytest.mark.parametrize(
    ("rendition", "field"), [("preview", "preview"), ("thumbnail", "thumbnail"), ("image", "file")]
)
def test_a_picture_missing_from_storage_shows_as_a_picture_that_says_so(
    where, rendition, field, request, survivor_client, case, survivor, image_upload, caplog
):
    """The case page and the file's page show these in an <img>: a 410 picture with the
    words, not an HTML page the browser would draw as a broken image."""
    bucket = request.getfixturevalue("s3_evidence") if where == "s3" else None
    evidence = evidence_add(case=case, upload=image_upload(), acting_user=survivor)
    _remove_object(where, bucket, getattr(evidence, field).name)
    caplog.set_level(logging.INFO)

    response = survivor_client.get(
        reverse("evidence:file", args=[case.reference, evidence.pk, rendition])
    )

    assert response.status_code == 410
    assert response["Content-Type"] == "image/svg+xml"
    assert "File missing from storage" in response.content.decode()
    assert not EvidenceAccess.objects.filter(evidence=evidence).exists()
    (line,) = [r for r in caplog.records if r.name == "evidence.views"]
    assert line.getMessage() == f"Evidence file {evidence.pk} ({field}) is missing from storage."


@pytest.mark.parametrize("where", ["s3", "local"])
def test_looking_in_an_area_of_a_missing_file_says_so_and_changes_nothing(
    where, request, survivor_client, case, survivor, image_upload
):
    bucket = request.getfixturevalue("s3_evidence") if where == "s3" else None
    # Looking in an area is offered when she has a reference image to look for.
    reference_register(case=case, data=make_image(seed=71), acting_user=survivor)
    evidence = evidence_add(case=case, upload=image_upload(), acting_user=survivor)
    _remove_object(where, bucket, evidence.file.name)
    events = case.events.count()

    response = survivor_client.post(
        reverse("evidence:crop", args=[case.reference, evidence.pk]),
        {"left": 0, "top": 0, "right": 100, "bottom": 100},
    )

    assert response.status_code == 400
    assert "This file is missing from storage. Please tell an administrator." in (
        response.content.decode()
    )
    assert case.events.count() == events


# --- the exchange file (evidence.hash_exchange) --------------------------------------------


def test_without_her_consent_the_exchange_file_is_refused_with_the_reason(
    client, case, caseworker
):

    case_assign(case=case, to=caseworker, acting_user=caseworker)
    client.force_login(caseworker)
    response = client.post(reverse("evidence:hash_export", args=[case.reference]))
    detail = reverse("cases:detail", args=[case.reference])
    assert response["Location"] == f"{detail}#programmes"
    page = client.get(detail).content.decode()
    assert "Nothing was exported: she has not consented" in page
    assert not case.events.filter(kind=EventKind.HASHES_EXPORTED).exists()


def test_staff_download_the_exchange_file_with_her_consent(client, case, survivor, caseworker):
    reference = reference_register(case=case, data=make_image(seed=41), acting_user=survivor)
    case_set_hash_sharing(case=case, given=True, acting_user=survivor)
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    client.force_login(caseworker)
    response = client.post(reverse("evidence:hash_export", args=[case.reference]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="hashes-')
    assert case.reference not in response["Content-Disposition"]
    assert response.content.decode() == f"pdq {reference.pdq}\nmd5 {reference.md5}\n"
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT, actor_id=caseworker.pk).count() == 1


def test_fingerprints_alone_add_an_image_to_find(survivor_client, case):
    photo = make_image(seed=91)
    hashes = hashes_of_bytes(photo, pdq=False)
    sent = {
        "phash": hashes.phash_hex,
        "dhash": hashes.dhash_hex,
        "md5": hashlib.md5(photo, usedforsecurity=False).hexdigest(),
        "sha256": hashlib.sha256(photo).hexdigest(),
        "pdq": "",
        "pdq_quality": "",
        "label": "garden",
    }

    response = survivor_client.post(
        reverse("evidence:reference_fingerprints", args=[case.reference]), sent, follow=True
    )

    assert response.redirect_chain == [
        (reverse("evidence:references", args=[case.reference]), 302)
    ]
    assert "The fingerprints are saved. The picture stayed on your device." in (
        response.content.decode()
    )
    reference = ReferenceHash.objects.get(case=case)
    assert (reference.label, reference.phash_hex, reference.md5) == (
        "garden",
        hashes.phash_hex,
        sent["md5"],
    )


def test_bad_fingerprints_are_refused_plainly_and_change_nothing(survivor_client, case):
    events = case.events.count()

    response = survivor_client.post(
        reverse("evidence:reference_fingerprints", args=[case.reference]),
        {"phash": "12", "dhash": "0" * 16, "md5": "a" * 32, "sha256": "b" * 64},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "The pHash must be 16 hexadecimal digits (0-9, a-f)." in page
    assert "The dHash is all zeros: it was not computed from a picture." in page
    assert "Nothing was saved." in page
    assert ReferenceHash.objects.count() == 0
    assert case.events.count() == events


def test_a_quality_that_is_not_a_number_is_refused_plainly(survivor_client, case):
    response = survivor_client.post(
        reverse("evidence:reference_fingerprints", args=[case.reference]),
        {"phash": "1" * 16, "dhash": "2" * 16, "pdq_quality": "high"},
    )

    assert response.status_code == 400
    assert "The fingerprints sent were not readable. Please try again." in (
        response.content.decode()
    )
    assert ReferenceHash.objects.count() == 0


def test_fingerprints_cannot_be_added_to_someone_elses_case(client, other_survivor, case):
    client.force_login(other_survivor)

    response = client.post(
        reverse("evidence:reference_fingerprints", args=[case.reference]),
        {"phash": "1" * 16, "dhash": "2" * 16, "md5": "3" * 32, "sha256": "4" * 64},
    )

    assert response.status_code == 404
    assert ReferenceHash.objects.count() == 0


def test_the_page_says_what_leaves_her_device_before_she_chooses(survivor_client, case):
    page = survivor_client.get(reverse("evidence:references", args=[case.reference]))

    text = page.content.decode()
    assert "What leaves your device" in text
    assert "The picture itself stays on your device." in text
    # Without the script, the page says the picture is sent once.
    assert "adding an image sends the picture to us once" in text
    assert text.index("What leaves your device") < text.index('type="file"')


def test_the_area_is_marked_by_dragging_with_the_typed_edges_kept_for_no_script(
    survivor_client, case, survivor, image_upload
):
    """The drag surface (hidden until crop-drag.js shows it) on the blurred preview, and the
    four boxes in a disclosure that is open as sent, so that without script they are there."""
    reference_register(case=case, data=make_image(seed=72), acting_user=survivor)
    evidence = evidence_add(case=case, upload=image_upload(), acting_user=survivor)

    page = survivor_client.get(
        reverse("evidence:detail", args=[case.reference, evidence.pk])
    ).content.decode()

    form = page[
        page.index(
            '<form method="post" action="'
            + reverse("evidence:crop", args=[case.reference, evidence.pk])
        ) :
    ]
    form = form[: form.index("</form>")]
    assert f'data-width="{evidence.width}" data-height="{evidence.height}"' in form
    assert "data-crop-surface hidden" in form
    preview = reverse("evidence:file", args=[case.reference, evidence.pk, "preview"])
    assert f'src="{preview}"' in form  # the blurred rendition, never the image itself
    assert '<details class="crop-typed" data-crop-typed open>' in form
    assert "<summary>Type the edges instead</summary>" in form
    for name in ("left", "top", "right", "bottom"):
        assert f'name="{name}"' in form
    assert "leakcase/crop-drag.js" in page

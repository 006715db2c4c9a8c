import logging

import pytest
from django.test import Client
from django.urls import reverse

from cases.services import case_assign
from evidence import vault
from evidence.models import AccessAction, EvidenceAccess, EvidenceFile
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

import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cases.services import case_assign
from evidence import vault
from evidence.models import AccessAction, EvidenceAccess, EvidenceFile, Sighting
from evidence.services import evidence_add, sighting_log
from tests import images
from tests.conftest import tables_holding


@pytest.fixture
def survivor_client(client, survivor):
    client.force_login(survivor)
    return client


@pytest.fixture
def evidence(case, survivor, image_upload):
    return evidence_add(case=case, upload=image_upload(), acting_user=survivor)


def _case_url(case):
    return reverse("cases:detail", args=[case.reference])


class TestLogSighting:
    def test_logs_and_returns_to_the_case(self, survivor_client, case):
        response = survivor_client.post(
            reverse("evidence:sighting_add", args=[case.reference]),
            {"url": "x.com/a/status/1", "note": "", "first_seen_on": "2026-11-01"},
        )
        assert response.status_code == 302
        sighting = Sighting.objects.get(case=case)
        assert sighting.url == "https://x.com/a/status/1"
        assert str(sighting.first_seen_on) == "2026-11-01"

    @pytest.mark.parametrize(
        ("url", "message"),
        [
            ("javascript:alert(1)", "not javascript: links"),
            ("data:text/html;base64,PHNjcmlwdD4=", "not data: links"),
            ("file:///etc/passwd", "not file: links"),
            ("https://example.com/" + "a" * 4980, "5,000 characters long"),
        ],
        ids=["javascript", "data", "file", "5000-chars"],
    )
    def test_bad_addresses_are_refused_with_a_message(self, survivor_client, case, url, message):
        sighting_log(case=case, url="https://x.com/kept", acting_user=case.survivor)
        response = survivor_client.post(
            reverse("evidence:sighting_add", args=[case.reference]), {"url": url}
        )
        assert response.status_code == 400
        assert message in response.content.decode()
        # What was saved before is still there, and nothing new was.
        assert list(Sighting.objects.values_list("url", flat=True)) == ["https://x.com/kept"]

    def test_a_future_first_seen_date_is_refused(self, survivor_client, case):
        response = survivor_client.post(
            reverse("evidence:sighting_add", args=[case.reference]),
            {"url": "https://x.com/a", "first_seen_on": "2999-01-01"},
        )
        assert response.status_code == 400
        assert "in the future" in response.content.decode()
        assert not Sighting.objects.exists()

    def test_markup_in_a_note_is_shown_escaped(self, survivor_client, case):
        note = '<script>alert("x")</script><img src=x onerror=alert(1)>'
        survivor_client.post(
            reverse("evidence:sighting_add", args=[case.reference]),
            {"url": "https://x.com/a", "note": note},
        )
        sighting = Sighting.objects.get()
        assert sighting.note == note  # kept as she wrote it
        for url in (
            _case_url(case),
            reverse("evidence:sighting_detail", args=[case.reference, sighting.pk]),
        ):
            body = survivor_client.get(url).content.decode()
            assert "<script>alert" not in body
            assert "<img src=x" not in body
            assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body


class TestPasteSightings:
    def test_reports_problems_by_line_and_saves_the_rest(self, survivor_client, case):
        text = "https://x.com/a/status/1\njavascript:alert(1)\nreddit.com/r/x/1\nX.COM/a/status/1#x\nimgur.com/a"
        response = survivor_client.post(
            reverse("evidence:sightings_paste", args=[case.reference]), {"urls": text}
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert "3 sightings saved, 2 lines not saved" in body
        assert "<strong>Line 2</strong>" in body
        assert "<strong>Line 4</strong>" in body
        assert "Same address as line 1." in body
        assert Sighting.objects.filter(case=case).count() == 3

    def test_an_empty_paste_is_refused(self, survivor_client, case):
        response = survivor_client.post(
            reverse("evidence:sightings_paste", args=[case.reference]), {"urls": "  "}
        )
        assert response.status_code == 400
        assert "This field is required." in response.content.decode()


class TestUploadEvidence:
    def _upload(self, client, case, data, name="shot.jpg"):
        return client.post(
            reverse("evidence:upload", args=[case.reference]),
            {"image": SimpleUploadedFile(name, data), "sighting": ""},
        )

    def test_upload_goes_to_the_blurred_evidence_page(self, survivor_client, case, image_upload):
        response = survivor_client.post(
            reverse("evidence:upload", args=[case.reference]), {"image": image_upload()}
        )
        evidence = EvidenceFile.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse(
            "evidence:detail", args=[case.reference, evidence.pk]
        )
        page = survivor_client.get(response["Location"]).content.decode()
        assert 'data-state="blurred"' in page
        assert reverse("evidence:file", args=[case.reference, evidence.pk, "preview"]) in page
        assert "Content warning" in page

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (images.NOT_AN_IMAGE, "not an image we can read"),
            (images.decompression_bomb(), "million we accept"),
            (images.truncated_jpeg(), "damaged or incomplete"),
        ],
        ids=["ten-byte-non-image", "decompression-bomb", "truncated-jpeg"],
    )
    def test_bad_files_are_refused_with_a_message(
        self, survivor_client, case, evidence, data, message
    ):
        response = self._upload(survivor_client, case, data)
        assert response.status_code == 400
        assert message in response.content.decode()
        assert list(EvidenceFile.objects.all()) == [evidence]

    def test_a_file_over_the_limit_is_refused(self, survivor_client, case, settings, image_upload):
        settings.EVIDENCE_MAX_UPLOAD_BYTES = 10_000
        response = survivor_client.post(
            reverse("evidence:upload", args=[case.reference]),
            {"image": image_upload(size=(1200, 900))},
        )
        assert response.status_code == 400
        assert "the limit is 9.8\xa0KB" in response.content.decode()
        assert not EvidenceFile.objects.exists()

    @pytest.mark.parametrize(
        ("name", "make"),
        [
            ("IMG_0042.HEIC", lambda: images.heic(images.picture(seed=4), orientation=6)),
            ("funny.gif", lambda: images.animated(images.palette(images.picture(seed=5)), "GIF")),
        ],
        ids=["heic", "gif"],
    )
    def test_heic_and_gif_are_taken_and_served_as_the_png_they_are_stored_as(
        self, survivor_client, case, name, make
    ):
        response = self._upload(survivor_client, case, make(), name=name)
        assert response.status_code == 302
        evidence = EvidenceFile.objects.get()
        assert evidence.content_type == "image/png"
        for rendition, disposition in (("image", "inline"), ("download", "attachment")):
            served = survivor_client.get(
                reverse("evidence:file", args=[case.reference, evidence.pk, rendition])
            )
            assert served["Content-Type"] == "image/png"
            assert served["Content-Disposition"].startswith(disposition)
            assert served["Content-Disposition"].endswith('.png"')
            assert served.content == vault.read(evidence, "file")
            assert served.content.startswith(b"\x89PNG\r\n\x1a\n")

    def test_the_file_pickers_offer_every_format_we_take(self, survivor_client, case):
        accept = "image/jpeg,image/png,image/webp,image/gif,image/heic,image/heif,.heic,.heif"
        for url in (_case_url(case), reverse("evidence:references", args=[case.reference])):
            page = survivor_client.get(url).content.decode()
            assert f'accept="{accept}"' in page
        assert (
            "JPEG, PNG, WebP, GIF or HEIC."
            in survivor_client.get(_case_url(case)).content.decode()
        )

    def test_a_sighting_id_from_another_case_is_refused(
        self, survivor_client, case, other_survivor, image_upload
    ):
        from cases.services import case_open

        other = case_open(survivor=other_survivor, pseudonym="B", acting_user=other_survivor)
        foreign = sighting_log(case=other, url="https://x.com/b", acting_user=other_survivor)
        response = survivor_client.post(
            reverse("evidence:upload", args=[case.reference]),
            {"image": image_upload(), "sighting": str(foreign.pk)},
        )
        assert response.status_code == 400
        assert not EvidenceFile.objects.exists()


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


class TestCasePageQueries:
    @pytest.mark.parametrize("count", [5, 200])
    def test_query_count_does_not_grow_with_sightings(
        self, survivor_client, case, survivor, evidence, count, django_assert_max_num_queries
    ):
        Sighting.objects.bulk_create(
            Sighting(case=case, url=f"https://x.com/a/status/{i}", host="x.com")
            for i in range(count)
        )
        # session, user, case, sightings (+platform), their takedowns, evidence, shared notes,
        # the case's takedowns and their sightings, reference count, copy groups,
        # timeline (+actor)
        with django_assert_max_num_queries(12):
            response = survivor_client.get(_case_url(case))
        assert response.status_code == 200
        assert response.content.decode().count("https://x.com/a/status/") >= count


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

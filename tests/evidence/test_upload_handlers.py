"""Every upload is read into memory by the one upload handler (evidence/upload_handlers.py)
and never touches the disk; past EVIDENCE_MAX_UPLOAD_BYTES it is dropped as it arrives and
refused on the form with the limit named."""

import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import (
    InMemoryUploadedFile,
    SimpleUploadedFile,
    TemporaryUploadedFile,
)
from django.test import Client
from django.urls import reverse

from cases.models import CaseEvent
from evidence.imaging import too_big_message
from evidence.models import EvidenceFile, ReferenceHash
from evidence.upload_handlers import MemoryOnlyUploadHandler, RefusedUpload
from tests import images

# Every view that takes an upload: the screenshot form and "images to find".
UPLOAD_VIEWS = ["evidence:upload", "evidence:references"]


@pytest.fixture
def temporary_files(monkeypatch, settings, tmp_path):
    """Where Django spools uploads to disk, pointed at an empty folder; and every
    TemporaryUploadedFile made, recorded (one is deleted when its request ends, so the
    folder alone could not tell)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    made = []
    real = TemporaryUploadedFile.__init__

    def recording(self, *args, **kwargs):
        made.append(args)
        real(self, *args, **kwargs)

    monkeypatch.setattr(TemporaryUploadedFile, "__init__", recording)
    return SimpleNamespace(folder=folder, made=made)


@pytest.fixture
def screenshot_with_gps():
    """3.6 MB of PNG with a phone's EXIF block, GPS included: more than the 2.5 MB that
    Django's default handlers keep in memory."""
    return images.noisy_png(size=(1200, 1000), seed=3, exif=images.gps_exif())


def _stored(case):
    return (
        EvidenceFile.objects.count(),
        ReferenceHash.objects.count(),
        CaseEvent.objects.filter(case=case).count(),
    )


def _files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()]


@pytest.mark.parametrize("view", UPLOAD_VIEWS)
def test_a_screenshot_over_djangos_memory_threshold_never_touches_the_disk(
    client, case, survivor, temporary_files, screenshot_with_gps, tmp_path, view
):
    client.force_login(survivor)
    response = client.post(
        reverse(view, args=[case.reference]),
        {"image": SimpleUploadedFile("shot.png", screenshot_with_gps, "image/png")},
    )
    assert response.status_code == 302
    assert EvidenceFile.objects.exists() or ReferenceHash.objects.exists()
    assert type(response.wsgi_request.FILES["image"]) is InMemoryUploadedFile
    assert temporary_files.made == []
    assert _files_under(temporary_files.folder) == []
    # Nothing on disk holds the upload's bytes in the clear (evidence is sealed).
    piece = screenshot_with_gps[1000:1064]
    assert not [p for p in _files_under(tmp_path) if piece in p.read_bytes()]


@pytest.mark.parametrize("view", UPLOAD_VIEWS)
def test_an_upload_over_the_limit_is_refused_on_the_form_and_never_held(
    client, case, survivor, settings, temporary_files, screenshot_with_gps, view
):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = limit = 1_000_000
    client.force_login(survivor)
    before = _stored(case)
    response = client.post(
        reverse(view, args=[case.reference]),
        {"image": SimpleUploadedFile("shot.png", screenshot_with_gps, "image/png")},
    )
    assert response.status_code == 400
    # The file's own size and the limit: "The file is 3.4 MB; the limit is 976.6 KB. ..."
    assert too_big_message(len(screenshot_with_gps), limit) in response.content.decode()
    assert _stored(case) == before
    request = response.wsgi_request
    (handler,) = request.upload_handlers
    assert type(handler) is MemoryOnlyUploadHandler
    assert 0 < handler.peak_held <= limit  # the rest was dropped as it arrived
    refused = request.FILES["image"]
    assert type(refused) is RefusedUpload
    assert refused.size == len(screenshot_with_gps)  # counted, not kept
    assert temporary_files.made == []


def test_the_fields_after_a_refused_file_are_still_read(
    case, survivor, settings, screenshot_with_gps
):
    """The browser sends the form in its order; the CSRF token may come after the file.
    Refusing the file does not stop reading the request: the form answers with the limit,
    not a CSRF failure or an error page."""
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1_000_000
    client = Client(enforce_csrf_checks=True)
    client.force_login(survivor)
    client.get(reverse("cases:detail", args=[case.reference]))  # sets the CSRF cookie
    response = client.post(
        reverse("evidence:upload", args=[case.reference]),
        {
            "image": SimpleUploadedFile("shot.png", screenshot_with_gps, "image/png"),
            "sighting": "",
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
    )
    assert response.status_code == 400
    assert "the limit is 976.6\xa0KB" in response.content.decode()
    assert not EvidenceFile.objects.exists()


def test_a_file_sent_where_none_is_expected_is_held_in_memory_too(
    client, case, survivor, temporary_files, screenshot_with_gps
):
    """The handler is the project's only one (settings.FILE_UPLOAD_HANDLERS), so a view
    added later, or one that takes no file at all, gets the same."""
    client.force_login(survivor)
    response = client.post(
        reverse("evidence:sighting_add", args=[case.reference]),
        {"url": "https://example.com/a", "stray": SimpleUploadedFile("s", screenshot_with_gps)},
    )
    assert response.status_code == 302
    assert type(response.wsgi_request.FILES["stray"]) is InMemoryUploadedFile
    assert temporary_files.made == []


def test_a_second_file_in_one_request_is_a_bad_request(client, case, survivor, image_upload):
    """Each form takes one file: what one request can make us hold is one file's limit."""
    client.force_login(survivor)
    before = _stored(case)
    response = client.post(
        reverse("evidence:upload", args=[case.reference]),
        {"image": image_upload(), "second": image_upload(name="two.jpg")},
    )
    assert response.status_code == 400
    assert _stored(case) == before

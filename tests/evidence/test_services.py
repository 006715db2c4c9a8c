import datetime as dt
import hashlib
import io

import numpy as np
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageOps

from cases.models import CaseEvent, EventKind
from cases.services import case_open
from evidence import vault
from evidence.demo_images import make_image
from evidence.matching.hashing import hashes_of_bytes
from evidence.models import EvidenceFile, EvidenceMatch, ReferenceHash, Sighting
from evidence.services import (
    MAX_PASTED_LINES,
    Fingerprints,
    evidence_add,
    evidence_match_crop,
    reference_register,
    reference_register_fingerprints,
    sighting_log,
    sightings_log_pasted,
)
from evidence.vault import crypto
from tests import images


def _stored_files():
    if not default_storage.exists("evidence"):
        return []
    folders, _ = default_storage.listdir("evidence")
    return [
        f"{folder}/{name}"
        for folder in folders
        for name in default_storage.listdir(f"evidence/{folder}")[1]
    ]


class TestSightingLog:
    def test_logs_the_normalised_address_with_its_platform_and_an_event(self, case, survivor):
        sighting = sighting_log(
            case=case,
            url="HTTPS://Mobile.Twitter.com/someone/status/1?utm_source=x#top",
            acting_user=survivor,
            note="posted by @someone",
        )
        assert sighting.url == "https://mobile.twitter.com/someone/status/1"
        assert sighting.host == "mobile.twitter.com"
        assert sighting.platform.name == "X (Twitter)"
        assert sighting.status == "live"
        assert sighting.next_check_at is not None
        event = CaseEvent.objects.get(kind=EventKind.SIGHTING_LOGGED)
        assert event.case == case
        assert event.actor == survivor
        assert event.target_id == str(sighting.pk)
        assert event.new_value["url"] == sighting.url

    def test_x_and_twitter_are_one_platform(self, case, survivor):
        x = sighting_log(case=case, url="https://x.com/a/status/1", acting_user=survivor)
        twitter = sighting_log(case=case, url="twitter.com/a/status/2", acting_user=survivor)
        assert x.platform == twitter.platform

    def test_unknown_host_has_no_platform(self, case, survivor):
        sighting = sighting_log(
            case=case, url="https://cdn.some-locker.example/f/1", acting_user=survivor
        )
        assert sighting.platform is None

    def test_a_duplicate_after_normalisation_is_refused_and_nothing_is_saved(self, case, survivor):
        sighting_log(case=case, url="https://x.com/a", acting_user=survivor)
        with pytest.raises(ValidationError) as excinfo:
            sighting_log(case=case, url="https://X.com:443/a?fbclid=1", acting_user=survivor)
        assert "already logged" in excinfo.value.message_dict["url"][0]
        assert Sighting.objects.count() == 1
        assert CaseEvent.objects.filter(kind=EventKind.SIGHTING_LOGGED).count() == 1

    def test_the_same_address_may_be_logged_on_another_case(self, case, survivor):
        other = case_open(survivor=survivor, pseudonym="Second", acting_user=survivor)
        sighting_log(case=case, url="https://x.com/a", acting_user=survivor)
        sighting_log(case=other, url="https://x.com/a", acting_user=survivor)
        assert Sighting.objects.count() == 2

    @pytest.mark.parametrize(
        "url", ["javascript:alert(1)", "data:text/html,x", "file:///etc/passwd"]
    )
    def test_a_non_web_address_is_refused(self, case, survivor, url):
        with pytest.raises(ValidationError, match="Only web addresses"):
            sighting_log(case=case, url=url, acting_user=survivor)
        assert not Sighting.objects.exists()


class TestSightingsLogPasted:
    def test_saves_the_valid_lines_and_names_the_others_by_line(self, case, survivor):
        text = "\n".join(
            [
                "https://x.com/a/status/1",
                "",
                "javascript:alert(1)",
                "https://www.reddit.com/r/x/comments/abc/",
                "HTTPS://X.COM/a/status/1?utm_source=share#top",
                "imgur.com/gallery/abc",
            ]
        )
        result = sightings_log_pasted(case=case, text=text, acting_user=survivor)

        assert [s.url for s in result.saved] == [
            "https://x.com/a/status/1",
            "https://www.reddit.com/r/x/comments/abc/",
            "https://imgur.com/gallery/abc",
        ]
        assert [(p.line, p.reason) for p in result.problems] == [
            (3, "Only web addresses (http:// or https://) can be logged, not javascript: links."),
            (5, "Same address as line 1."),
        ]
        assert Sighting.objects.filter(case=case).count() == 3
        assert CaseEvent.objects.filter(case=case, kind=EventKind.SIGHTING_LOGGED).count() == 3

    def test_addresses_already_on_the_case_are_reported_not_doubled(self, case, survivor):
        sighting_log(case=case, url="https://x.com/a", acting_user=survivor)
        result = sightings_log_pasted(
            case=case, text="https://x.com/b\nhttps://X.com/a", acting_user=survivor
        )
        assert [s.url for s in result.saved] == ["https://x.com/b"]
        assert [(p.line, p.reason) for p in result.problems] == [
            (2, "Already logged on this case.")
        ]

    def test_only_problems_saves_nothing(self, case, survivor):
        result = sightings_log_pasted(
            case=case, text="not a url\nftp://x.com/", acting_user=survivor
        )
        assert result.saved == []
        assert len(result.problems) == 2
        assert not Sighting.objects.exists()

    def test_too_many_lines_are_refused_whole(self, case, survivor):
        text = "\n".join(f"https://example.com/{n}" for n in range(MAX_PASTED_LINES + 1))
        with pytest.raises(ValidationError, match="at most"):
            sightings_log_pasted(case=case, text=text, acting_user=survivor)
        assert not Sighting.objects.exists()


class TestEvidenceAdd:
    def test_stores_a_copy_without_gps_and_records_the_uploaded_bytes_sha256(self, case, survivor):
        data = images.jpeg_with_gps()
        evidence = evidence_add(
            case=case,
            upload=SimpleUploadedFile("IMG_0001.jpg", data, content_type="image/jpeg"),
            acting_user=survivor,
        )
        assert evidence.sha256 == hashlib.sha256(data).hexdigest()
        assert evidence.size == len(data)
        stored_bytes = vault.read(evidence)
        assert evidence.stored_sha256 == hashlib.sha256(stored_bytes).hexdigest()
        stored_image = Image.open(io.BytesIO(stored_bytes))
        assert not stored_image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert b"TestPhone" not in stored_bytes
        assert len(evidence.phash) == 16 and len(evidence.dhash) == 16
        assert evidence.thumbnail.name and evidence.preview.name
        # Nothing in the storage path says whose it is.
        assert case.reference not in evidence.file.name
        assert "IMG_0001" not in evidence.file.name
        event = CaseEvent.objects.get(kind=EventKind.EVIDENCE_ADDED)
        assert event.target_id == str(evidence.pk)
        assert event.new_value["sha256"] == evidence.sha256

    @pytest.mark.parametrize(
        ("name", "make"),
        [
            (
                "turned-palette.png",
                lambda: images.encoded(
                    images.palette(images.picture(seed=7)), "PNG", exif=images.gps_exif(6)
                ),
            ),
            (
                "animated.png",
                lambda: images.animated(images.palette(images.picture(seed=8)), "PNG"),
            ),
            ("IMG_0001.HEIC", lambda: images.heic(images.picture(seed=9), orientation=6)),
        ],
        ids=["png-palette-turned", "apng-palette", "heic-turned"],
    )
    def test_what_is_sealed_is_her_upright_picture(self, case, survivor, name, make):
        data = make()
        evidence = evidence_add(
            case=case, upload=SimpleUploadedFile(name, data), acting_user=survivor
        )
        sealed = vault.read(evidence)
        assert evidence.stored_sha256 == hashlib.sha256(sealed).hexdigest()
        assert evidence.content_type == "image/png"
        assert evidence.file.name.removesuffix(".sealed").endswith(".png")
        upload = Image.open(io.BytesIO(data))
        upload.load()
        upright, stored = ImageOps.exif_transpose(upload), Image.open(io.BytesIO(sealed))
        assert (evidence.width, evidence.height) == upright.size == stored.size
        assert stored.mode == upright.mode
        assert np.array_equal(np.asarray(stored), np.asarray(upright))
        assert np.array_equal(
            np.asarray(stored.convert("RGBA")), np.asarray(upright.convert("RGBA"))
        )
        assert np.asarray(stored.convert("L")).max() > 150  # not black

    def test_a_heic_photo_can_be_a_reference_and_its_copies_are_found(self, case, survivor):
        picture = images.picture(seed=10, size=(480, 360))
        reference = reference_register(case=case, data=images.heic(picture), acting_user=survivor)
        copy = images.encoded(picture, "JPEG", quality=80)
        evidence = evidence_add(
            case=case, upload=SimpleUploadedFile("copy.jpg", copy), acting_user=survivor
        )
        match = EvidenceMatch.objects.get()
        assert (match.evidence, match.reference) == (evidence, reference)

    def test_links_to_a_sighting_of_the_same_case_only(
        self, case, survivor, other_survivor, image_upload
    ):
        other_case = case_open(survivor=other_survivor, pseudonym="B", acting_user=other_survivor)
        foreign = sighting_log(case=other_case, url="https://x.com/b", acting_user=other_survivor)
        with pytest.raises(ValidationError, match="another case"):
            evidence_add(case=case, upload=image_upload(), acting_user=survivor, sighting=foreign)
        assert not EvidenceFile.objects.exists()

    @pytest.mark.parametrize(
        "data",
        [images.NOT_AN_IMAGE, images.decompression_bomb(), images.truncated_jpeg()],
        ids=["ten-bytes", "bomb", "truncated"],
    )
    def test_a_refused_file_leaves_no_row_and_no_file(self, case, survivor, data):
        with pytest.raises(ValidationError):
            evidence_add(case=case, upload=SimpleUploadedFile("x.jpg", data), acting_user=survivor)
        assert not EvidenceFile.objects.exists()
        assert not CaseEvent.objects.filter(kind=EventKind.EVIDENCE_ADDED).exists()
        assert _stored_files() == []

    def test_a_file_over_the_limit_is_refused_before_it_is_read(
        self, case, survivor, settings, image_upload
    ):
        settings.EVIDENCE_MAX_UPLOAD_BYTES = 1000
        with pytest.raises(ValidationError, match="limit is"):
            evidence_add(case=case, upload=image_upload(), acting_user=survivor)
        assert not EvidenceFile.objects.exists()


class TestPdq:
    """PDQ, with its quality, for every evidence file and every image to find: the same
    picture's PDQ on both sides (evidence/matching/pdq.py)."""

    def test_evidence_and_reference_of_one_photo_carry_the_same_pdq_and_quality(
        self, case, survivor
    ):
        photo = make_image(seed=83, size=(900, 600))
        evidence = evidence_add(
            case=case, upload=SimpleUploadedFile("p.jpg", photo), acting_user=survivor
        )
        reference = reference_register(case=case, data=photo, acting_user=survivor)
        evidence.refresh_from_db()
        reference.refresh_from_db()
        expected = hashes_of_bytes(photo)
        assert evidence.pdq == reference.pdq == expected.pdq_hex
        assert evidence.pdq_quality == reference.pdq_quality == expected.pdq_quality
        assert len(evidence.pdq) == 64 and 0 < evidence.pdq_quality <= 100

    def test_a_png_screenshot_gets_its_pdq_from_the_picture_decoded_once(self, case, survivor):
        out = io.BytesIO()
        Image.open(io.BytesIO(make_image(seed=84, size=(500, 700)))).save(out, format="PNG")
        evidence = evidence_add(
            case=case, upload=SimpleUploadedFile("s.png", out.getvalue()), acting_user=survivor
        )
        evidence.refresh_from_db()
        assert evidence.pdq == hashes_of_bytes(out.getvalue()).pdq_hex


class TestTheSameFileTwice:
    """The same bytes added to a case again are refused with the day of the first time;
    nothing new is stored (no row, no event, no file)."""

    def test_is_refused_with_the_day_it_was_first_added(self, case, survivor, tmp_path):
        data = make_image(seed=41)
        with time_machine.travel(dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC), tick=False):
            first = evidence_add(
                case=case, upload=SimpleUploadedFile("a.jpg", data), acting_user=survivor
            )
        events = CaseEvent.objects.filter(case=case).count()
        stored = sorted(p for p in (tmp_path / "evidence").rglob("*") if p.is_file())
        with pytest.raises(ValidationError) as refused:
            evidence_add(
                case=case, upload=SimpleUploadedFile("again.jpg", data), acting_user=survivor
            )
        assert refused.value.message_dict == {
            "image": ["You already added this file on 3 Dec. Nothing new was saved."]
        }
        assert list(EvidenceFile.objects.filter(case=case)) == [first]
        assert CaseEvent.objects.filter(case=case).count() == events
        assert sorted(p for p in (tmp_path / "evidence").rglob("*") if p.is_file()) == stored

    def test_another_case_may_hold_the_same_file(self, case, survivor):
        data = make_image(seed=42)
        other = case_open(survivor=survivor, pseudonym="Other", acting_user=survivor)
        evidence_add(case=case, upload=SimpleUploadedFile("a.jpg", data), acting_user=survivor)
        evidence_add(case=other, upload=SimpleUploadedFile("a.jpg", data), acting_user=survivor)
        assert EvidenceFile.objects.filter(sha256=hashlib.sha256(data).hexdigest()).count() == 2


class TestEvidenceMatchCrop:
    """A search in an area she marked: what it finds is on the timeline, as any change."""

    @pytest.fixture
    def her_photo(self, case, survivor):
        photo = make_image(seed=80, size=(400, 300))
        reference = reference_register(case=case, data=photo, acting_user=survivor)
        evidence = evidence_add(
            case=case, upload=SimpleUploadedFile("p.jpg", photo), acting_user=survivor
        )
        return evidence, reference

    def test_what_a_marked_area_finds_is_recorded_with_its_event(self, case, survivor, her_photo):
        evidence, reference = her_photo
        EvidenceMatch.objects.filter(evidence=evidence).delete()
        (match,) = evidence_match_crop(
            evidence=evidence, box=(0, 0, 400, 300), acting_user=survivor
        )
        event = CaseEvent.objects.get(kind=EventKind.CROP_SEARCHED)
        assert (event.case, event.actor, event.internal) == (case, survivor, False)
        assert event.target_id == str(evidence.pk)
        assert event.old_value == {"matches": []}
        assert event.new_value == {
            "region": [0, 0, 400, 300],
            "matches": [
                {
                    "reference": str(reference.pk),
                    "region": [0, 0, 400, 300],
                    "phash_distance": match.phash_distance,
                    "dhash_distance": match.dhash_distance,
                }
            ],
        }

    def test_a_match_found_again_keeps_what_it_was_before(self, survivor, her_photo):
        evidence, reference = her_photo
        before = EvidenceMatch.objects.get(evidence=evidence)  # found in the whole picture
        evidence_match_crop(evidence=evidence, box=(0, 0, 400, 300), acting_user=survivor)
        event = CaseEvent.objects.get(kind=EventKind.CROP_SEARCHED)
        assert event.old_value == {
            "matches": [
                {
                    "reference": str(reference.pk),
                    "region": before.region,
                    "phash_distance": before.phash_distance,
                    "dhash_distance": before.dhash_distance,
                }
            ]
        }
        assert event.new_value["matches"][0]["region"] == [0, 0, 400, 300]

    def test_an_area_where_nothing_is_found_changes_nothing_and_records_nothing(
        self, case, survivor, her_photo
    ):
        other = evidence_add(
            case=case,
            upload=SimpleUploadedFile("o.jpg", make_image(seed=3, size=(400, 300))),
            acting_user=survivor,
        )
        assert not other.matches.exists()
        assert (
            evidence_match_crop(evidence=other, box=(0, 0, 400, 300), acting_user=survivor) == []
        )
        assert not CaseEvent.objects.filter(kind=EventKind.CROP_SEARCHED).exists()


def test_on_s3_an_upload_lands_as_ciphertext_under_a_name_that_says_nothing_of_her(
    s3_evidence, case, survivor
):
    plain = make_image(seed=21)
    evidence = evidence_add(
        case=case,
        upload=SimpleUploadedFile("IMG_Rose_with_Jake.jpg", plain, content_type="image/jpeg"),
        acting_user=survivor,
    )

    names = {evidence.file.name, evidence.thumbnail.name, evidence.preview.name}
    assert set(s3_evidence.names()) == names
    clean = vault.read(evidence)  # the stripped image, as the app reads it back
    assert hashlib.sha256(clean).hexdigest() == evidence.stored_sha256
    for key in names:
        # A listing of the bucket says nothing: a random id and the rendition.
        assert key.startswith(f"evidence/{evidence.pk}/")
        for hers in (case.reference, "Rose", "Jake", "IMG", survivor.email, evidence.sha256):
            assert hers.lower() not in key.lower()
        blob = s3_evidence.get(key)
        assert blob.startswith(crypto.MAGIC)
        assert not blob[len(crypto.MAGIC) :].startswith((b"\xff\xd8\xff", b"\x89PNG"))
        # Not the upload, not the stripped image: no run of their bytes is in the object.
        for plaintext in (plain, clean):
            assert plaintext[100:164] not in blob
        # Private: the bucket's owner only, no grant to anyone else.
        grants = s3_evidence.client.get_object_acl(Bucket=s3_evidence.name, Key=key)["Grants"]
        assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
        assert grants[0]["Grantee"]["Type"] == "CanonicalUser"


def _fingerprints_of(data: bytes, **changes) -> Fingerprints:
    """The fingerprints her device would send for these bytes (the server's definition)."""
    hashes = hashes_of_bytes(data, pdq=False)
    values = {
        "phash": hashes.phash_hex,
        "dhash": hashes.dhash_hex,
        "md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    values.update(changes)
    return Fingerprints(**values)


class TestReferenceFromFingerprints:
    def test_the_fingerprints_make_a_reference_that_finds_copies(self, case, survivor):
        photo = make_image(seed=81, size=(640, 480))
        sent = _fingerprints_of(photo)

        reference = reference_register_fingerprints(
            case=case, fingerprints=sent, label=" beach ", acting_user=survivor
        )

        reference.refresh_from_db()
        assert (reference.phash_hex, reference.dhash_hex) == (sent.phash, sent.dhash)
        assert (reference.md5, reference.sha256) == (sent.md5, sent.sha256)
        assert (reference.label, reference.kept_copy, reference.pdq) == ("beach", None, "")
        event = CaseEvent.objects.get(case=case, kind=EventKind.REFERENCE_ADDED)
        assert event.new_value["computed_on_device"] is True
        assert EvidenceFile.objects.count() == 0
        copy = images.encoded(Image.open(io.BytesIO(photo)), "JPEG", quality=70)
        evidence_add(case=case, upload=SimpleUploadedFile("copy.jpg", copy), acting_user=survivor)
        assert EvidenceMatch.objects.get().reference == reference

    def test_upper_case_hex_and_a_pdq_with_its_quality_are_taken(self, case, survivor):
        sent = _fingerprints_of(make_image(seed=82), md5="AB" * 16, pdq="0f" * 32, pdq_quality=87)

        reference = reference_register_fingerprints(
            case=case, fingerprints=sent, acting_user=survivor
        )

        assert (reference.md5, reference.pdq) == ("ab" * 16, "0f" * 32)

    @pytest.mark.parametrize(
        ("change", "field", "message"),
        [
            ({"phash": "abc"}, "phash", "The pHash must be 16 hexadecimal digits (0-9, a-f)."),
            ({"dhash": "zz" * 8}, "dhash", "The dHash must be 16 hexadecimal digits (0-9, a-f)."),
            (
                {"phash": "0" * 16},
                "phash",
                "The pHash is all zeros: it was not computed from a picture.",
            ),
            ({"md5": ""}, "md5", "The MD5 must be 32 hexadecimal digits (0-9, a-f)."),
            (
                {"sha256": "1" * 63},
                "sha256",
                "The SHA-256 must be 64 hexadecimal digits (0-9, a-f).",
            ),
            (
                {"pdq": "1" * 60, "pdq_quality": 50},
                "pdq",
                "The PDQ must be 64 hexadecimal digits (0-9, a-f).",
            ),
            (
                {"pdq": "1" * 64},
                "pdq_quality",
                "The PDQ quality must be a whole number from 0 to 100.",
            ),
            (
                {"pdq": "1" * 64, "pdq_quality": 101},
                "pdq_quality",
                "The PDQ quality must be a whole number from 0 to 100.",
            ),
        ],
    )
    def test_a_bad_value_is_refused_plainly_and_nothing_is_saved(
        self, case, survivor, change, field, message
    ):
        sent = _fingerprints_of(make_image(seed=83), **change)
        events = case.events.count()

        with pytest.raises(ValidationError) as refused:
            reference_register_fingerprints(case=case, fingerprints=sent, acting_user=survivor)

        assert refused.value.message_dict == {field: [message]}
        assert ReferenceHash.objects.count() == 0
        assert case.events.count() == events

    def test_an_uploaded_reference_has_the_md5_and_sha256_of_its_bytes(self, case, survivor):
        photo = make_image(seed=84)

        reference = reference_register(case=case, data=photo, acting_user=survivor)

        assert reference.md5 == hashlib.md5(photo, usedforsecurity=False).hexdigest()
        assert reference.sha256 == hashlib.sha256(photo).hexdigest()
        event = CaseEvent.objects.get(case=case, kind=EventKind.REFERENCE_ADDED)
        assert event.new_value["computed_on_device"] is False

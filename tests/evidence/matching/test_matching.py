"""Reference images, hash-only, and finding them again: the database side of matching."""

import io
import os
import random
import tempfile

from django.conf import global_settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from cases.services import case_open
from evidence.demo_images import make_image, screenshot_of
from evidence.matching import candidates_near, reference_hashes, references_matching
from evidence.matching.hashing import ImageHashes, is_possible_copy
from evidence.models import EvidenceFile, EvidenceMatch, ReferenceHash, to_signed64
from evidence.services import evidence_add, evidence_match_confirm, reference_register
from tests import images


def _files_under(path):
    return sorted(os.path.join(root, name) for root, _, names in os.walk(path) for name in names)


def _variant(data, *, scale=0.5, quality=70):
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image = image.resize((int(image.width * scale), int(image.height * scale)))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def test_hash_only_registration_writes_no_file_anywhere(
    client, case, survivor, settings, tmp_path, monkeypatch
):
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    settings.FILE_UPLOAD_TEMP_DIR = str(temp)
    storage_root = settings.STORAGES["default"]["OPTIONS"]["location"]
    # Bigger than Django's FILE_UPLOAD_MAX_MEMORY_SIZE, so it would normally spool it to disk.
    big = images.noisy_png(seed=21)
    assert len(big) > global_settings.FILE_UPLOAD_MAX_MEMORY_SIZE

    client.force_login(survivor)
    response = client.post(
        reverse("evidence:references", args=[case.reference]),
        {"image": SimpleUploadedFile("me.png", big), "label": "beach"},
    )
    assert response.status_code == 302
    reference = ReferenceHash.objects.get()
    assert reference.kept_copy is None
    assert _files_under(temp) == []
    assert _files_under(storage_root) == []
    assert not EvidenceFile.objects.exists()
    page = client.get(reverse("evidence:references", args=[case.reference])).content.decode()
    assert reference.phash_hex in page and reference.dhash_hex in page


def test_keeping_a_copy_stores_it_encrypted(case, survivor):
    data = make_image(seed=22)
    reference = reference_register(case=case, data=data, acting_user=survivor, keep_copy=True)
    assert reference.kept_copy.kind == "reference"
    with default_storage.open(reference.kept_copy.file.name) as stored:
        assert stored.read().startswith(b"LCE1")


def test_a_bad_reference_is_refused_and_nothing_is_kept(client, case, survivor):
    client.force_login(survivor)
    response = client.post(
        reverse("evidence:references", args=[case.reference]),
        {"image": SimpleUploadedFile("x.jpg", b"hello worl")},
    )
    assert response.status_code == 400
    assert "not an image we can read" in response.content.decode()
    assert not ReferenceHash.objects.exists()


def test_a_reference_too_big_for_memory_is_refused_with_the_limit(
    client, case, survivor, settings
):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 50_000
    client.force_login(survivor)
    response = client.post(
        reverse("evidence:references", args=[case.reference]),
        {"image": SimpleUploadedFile("me.png", images.noisy_png(size=(300, 300)))},
    )
    assert response.status_code == 400
    assert "the limit is" in response.content.decode()
    assert not ReferenceHash.objects.exists()


def test_an_upload_that_is_a_variant_of_a_reference_is_suggested_and_can_be_confirmed(
    case, survivor
):
    original = make_image(seed=30, size=(800, 600))
    reference = reference_register(case=case, data=original, acting_user=survivor, label="r")
    other = reference_register(
        case=case, data=make_image(seed=31, size=(800, 600)), acting_user=survivor
    )
    upload = SimpleUploadedFile("copy.jpg", _variant(original))
    evidence = evidence_add(case=case, upload=upload, acting_user=survivor)
    (match,) = EvidenceMatch.objects.filter(evidence=evidence)
    assert match.reference == reference != other
    evidence_match_confirm(match=match, acting_user=survivor)
    assert match.confirmed_at is not None


def test_a_screenshot_containing_the_reference_is_matched_through_a_region(case, survivor):
    original = make_image(seed=40, size=(640, 480))
    reference = reference_register(case=case, data=original, acting_user=survivor)
    shot = screenshot_of(original, seed=40)
    evidence = evidence_add(
        case=case, upload=SimpleUploadedFile("shot.png", shot), acting_user=survivor
    )
    (match,) = EvidenceMatch.objects.filter(evidence=evidence)
    assert match.reference == reference
    assert match.region is not None  # found inside the page, not as the whole picture


def test_unrelated_uploads_suggest_nothing(case, survivor):
    for seed in range(50, 55):
        reference_register(case=case, data=make_image(seed=seed), acting_user=survivor)
    for seed in range(60, 65):
        evidence_add(
            case=case,
            upload=SimpleUploadedFile("u.jpg", make_image(seed=seed)),
            acting_user=survivor,
        )
    assert not EvidenceMatch.objects.exists()


def test_matching_stays_within_the_case_for_survivors_and_crosses_cases_for_staff(
    client, case, survivor, other_survivor, supervisor
):
    original = make_image(seed=70, size=(800, 600))
    theirs = case_open(survivor=other_survivor, pseudonym="B", acting_user=other_survivor)
    reference_register(case=theirs, data=original, acting_user=other_survivor, label="theirs")
    evidence = evidence_add(
        case=case, upload=SimpleUploadedFile("c.jpg", _variant(original)), acting_user=survivor
    )
    assert not EvidenceMatch.objects.exists()  # never stored across cases
    url = reverse("evidence:detail", args=[case.reference, evidence.pk])
    client.force_login(survivor)
    assert theirs.reference not in client.get(url).content.decode()
    client.force_login(supervisor)
    assert theirs.reference in client.get(url).content.decode()


def test_the_chunk_index_finds_exactly_what_a_full_scan_finds(case):
    rng = random.Random(7)
    stored = []
    for _ in range(2000):
        phash, dhash = rng.getrandbits(64), rng.getrandbits(64)
        stored.append(ImageHashes(phash, dhash))
    # Plant near neighbours of a query: flip up to 12 bits of both hashes.
    query = ImageHashes(rng.getrandbits(64), rng.getrandbits(64))
    for flips in range(13):
        bits = rng.sample(range(64), flips)
        mask = sum(1 << b for b in bits)
        stored.append(ImageHashes(query.phash ^ mask, query.dhash ^ mask))
    from evidence.matching.hashing import chunks16

    ReferenceHash.objects.bulk_create(
        ReferenceHash(
            case=case,
            phash=to_signed64(h.phash),
            dhash=to_signed64(h.dhash),
            **{f"p{i}": c for i, c in enumerate(chunks16(h.phash))},
        )
        for h in stored
    )
    everything = ReferenceHash.objects.filter(case=case)
    by_scan = {r.pk for r in everything if is_possible_copy(query, reference_hashes(r))}
    by_index = {m.reference.pk for m in references_matching(query, everything)}
    assert by_index == by_scan
    assert len(by_scan) >= 5
    # And the index really narrows the search.
    assert candidates_near(query, everything).count() < 200


def test_matched_rows_are_fetched_by_their_phash_not_every_row_sharing_its_first_chunk(case):
    """The in-process index gives the pHashes that match; their rows are then read through
    one index on (p0, phash). By p0 alone, PostgreSQL read every row sharing the first chunk
    (ten a million references, 150 at ten million) to keep the few asked for."""
    from django.db import connection

    from evidence.matching import _rows_with
    from evidence.matching.hashing import chunks16

    rng = random.Random(11)
    first_chunk = rng.getrandbits(16) << 48
    phashes = [first_chunk | rng.getrandbits(48) for _ in range(60)]
    ReferenceHash.objects.bulk_create(
        ReferenceHash(
            case=case,
            phash=to_signed64(phash),
            dhash=0,
            **{f"p{i}": c for i, c in enumerate(chunks16(phash))},
        )
        for phash in phashes
    )
    rows = _rows_with({phashes[3], phashes[40]}, ReferenceHash.objects.all())
    assert {r.phash for r in rows} == {to_signed64(phashes[3]), to_signed64(phashes[40])}
    rows.query.clear_ordering(force=True)
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE evidence_referencehash")
        cursor.execute("SET LOCAL enable_seqscan = off")  # 60 rows: a scan is cheaper
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "referencehash_p0_phash" in plan
    assert "Removed by" not in plan  # no row read and then dropped


def test_a_hand_marked_area_finds_what_the_whole_picture_hides(client, case, survivor):
    from PIL import ImageDraw

    original = make_image(seed=80, size=(400, 300))
    reference = reference_register(case=case, data=original, acting_user=survivor)
    # A busy page that the region finder may not separate: the photo among noise.
    page = Image.frombytes("RGB", (1000, 900), random.Random(3).randbytes(1000 * 900 * 3))
    page.paste(Image.open(io.BytesIO(original)), (300, 250))
    ImageDraw.Draw(page).rectangle([0, 0, 1000, 60], fill=(20, 20, 20))
    out = io.BytesIO()
    page.save(out, format="PNG")
    evidence = evidence_add(
        case=case, upload=SimpleUploadedFile("busy.png", out.getvalue()), acting_user=survivor
    )
    EvidenceMatch.objects.filter(evidence=evidence).delete()
    client.force_login(survivor)
    url = reverse("evidence:crop", args=[case.reference, evidence.pk])
    refused = client.post(url, {"left": 300, "top": 250, "right": 1300, "bottom": 550})
    assert refused.status_code == 400
    assert "inside the picture" in refused.content.decode()
    client.post(url, {"left": 300, "top": 250, "right": 700, "bottom": 550})
    (match,) = EvidenceMatch.objects.filter(evidence=evidence)
    assert match.reference == reference and match.region == [300, 250, 700, 550]

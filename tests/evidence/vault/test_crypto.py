"""Evidence at rest: what is in storage is ciphertext, opens only with the right keys, and
survives master-key rotation without re-encrypting files."""

import base64
import io
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image

from evidence import vault
from evidence.models import EvidenceFile
from evidence.services import evidence_add
from evidence.vault import crypto
from leakcase.env import parse_master_keys
from tests import images

SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG", b"RIFF", b"WEBP", b"Exif", b"IHDR", b"JFIF")


def _raw(stored) -> bytes:
    with default_storage.open(stored.name, "rb") as handle:
        return handle.read()


@pytest.fixture
def evidence(case, survivor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("shot.jpg", images.jpeg_with_gps(), content_type="image/jpeg")
    return evidence_add(case=case, upload=upload, acting_user=survivor)


def test_storage_holds_ciphertext_only_and_it_opens_to_the_stripped_image(evidence):
    for rendition in vault.RENDITIONS:
        raw = _raw(getattr(evidence, rendition))
        assert raw.startswith(crypto.MAGIC)
        for signature in SIGNATURES:
            assert signature not in raw, (rendition, signature)
    plain = vault.read(evidence)
    # No recognisable chunk of the image: no 64-byte run of it appears in the stored bytes.
    raw = _raw(evidence.file)
    assert not any(plain[i : i + 64] in raw for i in range(0, len(plain) - 64, 512))
    image = Image.open(io.BytesIO(plain))
    assert not image.getexif()
    assert (image.width, image.height) == (evidence.width, evidence.height)


def test_a_wrong_master_key_fails_loudly(evidence, settings):
    settings.EVIDENCE_MASTER_KEYS = {evidence.key_id: b"\x00" * 32}
    with pytest.raises(crypto.EvidenceKeyError, match="does not open"):
        vault.read(evidence)


def test_a_missing_master_key_is_named(evidence, settings):
    settings.EVIDENCE_MASTER_KEYS = {"other": b"\x01" * 32}
    with pytest.raises(crypto.EvidenceKeyError, match=f"{evidence.key_id!r} is not configured"):
        vault.read(evidence)


def test_a_swapped_or_altered_file_fails_loudly(evidence, case, survivor, image_upload):
    other = evidence_add(case=case, upload=image_upload(), acting_user=survivor)
    # Someone with write access to the bucket swaps two files: the keys do not fit.
    with default_storage.open(evidence.file.name, "wb") as handle:
        handle.write(_raw(other.file))
    with pytest.raises(crypto.EvidenceKeyError):
        vault.read(evidence)


def test_rotation_rewraps_keys_without_touching_files(evidence, settings):
    before = {r: _raw(getattr(evidence, r)) for r in vault.RENDITIONS}
    plain = vault.read(evidence)
    new_key = base64.b64encode(b"\x07" * 32).decode()
    settings.EVIDENCE_MASTER_KEYS = {
        "k3": base64.b64decode(new_key),
        **settings.EVIDENCE_MASTER_KEYS,
    }
    out = StringIO()
    call_command("rotate_evidence_keys", stdout=out)
    assert "1 evidence file(s) re-wrapped under k3" in out.getvalue()
    evidence.refresh_from_db()
    assert evidence.key_id == "k3"
    assert {r: _raw(getattr(evidence, r)) for r in vault.RENDITIONS} == before
    # The old keys can go now.
    settings.EVIDENCE_MASTER_KEYS = {"k3": base64.b64decode(new_key)}
    assert vault.read(evidence) == plain
    assert EvidenceFile.objects.filter(key_id="k3").count() == 1


def test_the_original_name_is_sealed_with_the_files_key(evidence, case, survivor, image_upload):
    assert vault.original_name(evidence) == "shot.jpg"
    sealed = base64.b64decode(evidence.original_name_sealed)
    assert sealed.startswith(crypto.MAGIC) and b"shot" not in sealed
    # Bound to its row: a sealed name copied onto another file's row does not open there.
    other = evidence_add(case=case, upload=image_upload(), acting_user=survivor)
    other.original_name_sealed = evidence.original_name_sealed
    with pytest.raises(crypto.EvidenceKeyError):
        vault.original_name(other)


def test_the_original_name_survives_rotation(evidence, settings):
    settings.EVIDENCE_MASTER_KEYS = {"k9": b"\x09" * 32, **settings.EVIDENCE_MASTER_KEYS}
    call_command("rotate_evidence_keys", stdout=StringIO())
    evidence.refresh_from_db()
    settings.EVIDENCE_MASTER_KEYS = {"k9": b"\x09" * 32}
    assert (evidence.key_id, vault.original_name(evidence)) == ("k9", "shot.jpg")


@pytest.mark.parametrize("piece_bytes", [1, 15, 17, 4096], ids=lambda n: f"{n}-byte-pieces")
def test_a_sealed_blob_opens_piece_by_piece_as_it_does_whole(piece_bytes):
    key = crypto.new_data_key()
    plain = bytes(range(256)) * 40
    blob = crypto.seal(plain, key, context="c")
    pieces = (blob[i : i + piece_bytes] for i in range(0, len(blob), piece_bytes))
    assert b"".join(crypto.open_sealed_pieces(pieces, key, context="c")) == plain
    empty = crypto.seal(b"", key, context="c")
    assert b"".join(crypto.open_sealed_pieces([empty], key, context="c")) == b""
    for bad in (blob[:-1] + bytes([blob[-1] ^ 1]), blob[:20], b"JPEG" + blob[4:]):
        with pytest.raises(crypto.EvidenceKeyError):
            b"".join(crypto.open_sealed_pieces([bad], key, context="c"))
    with pytest.raises(crypto.EvidenceKeyError):
        b"".join(crypto.open_sealed_pieces([blob], key, context="other"))


def test_streaming_an_altered_file_hands_out_nothing(evidence, monkeypatch):
    """GCM's tag is checked at the end: vault.stream checks the whole file before it gives
    out its first piece, so no unauthenticated byte of an altered file reaches an export."""
    monkeypatch.setattr(vault, "STREAM_PIECE_BYTES", 1024)  # the file is many pieces
    assert len(_raw(evidence.file)) > 10 * 1024
    assert b"".join(vault.stream(evidence)) == vault.read(evidence)
    raw = bytearray(_raw(evidence.file))
    raw[-1] ^= 1  # the last byte: every piece before it decrypts as if nothing happened
    with default_storage.open(evidence.file.name, "wb") as handle:
        handle.write(bytes(raw))
    pieces = vault.stream(evidence)
    with pytest.raises(crypto.EvidenceKeyError):
        next(pieces)


def test_master_keys_are_parsed_strictly():
    assert list(parse_master_keys("a:" + base64.b64encode(b"x" * 32).decode())) == ["a"]
    with pytest.raises(ValueError):
        parse_master_keys("a:" + base64.b64encode(b"short").decode())

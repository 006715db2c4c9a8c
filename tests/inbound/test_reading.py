"""Archives judged by their table of contents alone, and messages read without trusting them."""

import gzip
import io
import os
import struct
import zipfile

import pytest

from inbound import reading
from inbound.reading import Attachment, archive_refusal
from tests.helpers import mail


def zip_attachment(data: bytes, name: str = "files.zip") -> Attachment:
    return Attachment(name, "application/zip", data)


def test_a_sane_zip_passes():
    assert archive_refusal(zip_attachment(mail.zip_of({"a.pdf": os.urandom(4000)}))) == ""


def test_a_zip_of_too_many_files_is_refused():
    data = mail.zip_of({f"{i}.txt": b"x" for i in range(reading.ZIP_MAX_ENTRIES + 1)})
    assert "holds 1,001 files" in archive_refusal(zip_attachment(data))


def test_a_zip_that_claims_more_than_the_limit_is_refused_without_unpacking():
    """Stored (not compressed) entries whose headers claim 200 MB: the central directory is
    all that is read, so the lie is enough to refuse it, and nothing is inflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a.bin", b"x" * 100)
    data = bytearray(buffer.getvalue())
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 200 * 1024 * 1024)  # uncompressed size
    assert "would unpack to 209,715,200 bytes" in archive_refusal(zip_attachment(bytes(data)))


def test_overlapping_entries_are_refused():
    """Fifield's non-recursive zip bomb: many central-directory entries, one compressed body."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a.bin", os.urandom(1000))
    data = buffer.getvalue()
    start = data.rfind(b"PK\x01\x02")
    end = data.rfind(b"PK\x05\x06")
    entry = data[start:end]
    twin = entry.replace(b"a.bin", b"b.bin")
    eocd = bytearray(data[end:])
    struct.pack_into("<HH", eocd, 8, 2, 2)  # entries on disk, entries in all
    struct.pack_into("<I", eocd, 12, len(entry) + len(twin))  # central directory size
    forged = data[:start] + entry + twin + bytes(eocd)
    assert "overlapping files" in archive_refusal(zip_attachment(forged))


def test_a_broken_zip_is_refused():
    assert "broken zip" in archive_refusal(zip_attachment(b"PK\x03\x04" + os.urandom(200)))


def test_a_gzip_bomb_is_refused_by_its_trailer():
    bomb = gzip.compress(b"\0" * (10 * 1024 * 1024))
    refusal = archive_refusal(Attachment("logs.gz", "application/gzip", bomb))
    assert "would unpack to 10,485,760 bytes" in refusal


def test_a_gzipped_archive_is_an_archive_inside_an_archive():
    inner = gzip.compress(os.urandom(3000))
    assert "inside an archive" in archive_refusal(Attachment("files.zip.gz", "", inner))


def test_other_files_are_not_archives():
    assert archive_refusal(Attachment("letter.pdf", "application/pdf", b"%PDF-1.4")) == ""


def test_the_message_id_without_one_is_the_hash_of_the_bytes():
    assert reading.message_id_of(b"Subject: x\r\n\r\nhi").startswith("sha256:")
    assert reading.message_id_of(b"Message-ID: <a@b>\r\n\r\nhi") == "<a@b>"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One</p><p>Two</p>", "One\nTwo"),
        ("A&nbsp;&amp;&nbsp;B<br>C", "A & B\nC"),
        ("<style>x{}</style><script>y()</script>Visible", "Visible"),
    ],
)
def test_html_to_text(html, text):
    assert reading.html_to_text(reading.clean_html(html)) == text

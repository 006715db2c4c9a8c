"""Reading a message that anyone on the internet could have written, without trusting it.

The standard library's parser (policy.default) reads it; what it could not make sense of is
listed in its defects. A message is refused (quarantined, never read further) when it is
too large, when its MIME structure is broken, when it nests too deep or holds too many
parts, or when an attachment is an archive that would unpack to far more than it weighs
(a zip bomb). Archives are judged by their table of contents alone: nothing is unpacked.
"""

import email
import email.errors
import hashlib
import html
import io
import itertools
import re
import struct
import zipfile
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses

import nh3

# A message bigger than this is not read at all (settings.INBOUND_MAX_MESSAGE_BYTES can
# lower or raise it): 25 MB is what Gmail and Outlook accept, so nothing a platform
# sends to a person by email is bigger.
DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024
# MIME trees deeper or wider than these are built to exhaust parsers, not written by mail
# clients (a reply with a forwarded thread is a handful of levels and a few dozen parts).
MAX_DEPTH = 10
MAX_PARTS = 200
# Archives, read from their central directory only (zipfile.infolist reads no data):
# refused when the files inside would weigh more than 100 MB, when they are compressed more
# than 100 to 1 overall (text compresses about 10:1, documents far less; the classic
# 42.zip is 4.5 million to one), when they hold more than 1,000 entries, or when they hold
# other archives (the way 42.zip stacks its layers).
ZIP_MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_MAX_ENTRIES = 1000
ARCHIVE_SUFFIXES = (".zip", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz", ".jar", ".zst")
ARCHIVE_TYPES = {
    "application/zip",
    "application/x-zip-compressed",
    "application/gzip",
    "application/x-gzip",
    "application/x-7z-compressed",
    "application/x-rar-compressed",
    "application/vnd.rar",
    "application/x-tar",
}
# Defects that mean the MIME structure itself cannot be trusted: parts may be lost or
# merged, so what we would show or seal is not what the sender's client shows. Header
# defects (an odd address, a bad encoded word) are everyday mail and do not count.
STRUCTURAL_DEFECTS = (
    email.errors.StartBoundaryNotFoundDefect,
    email.errors.CloseBoundaryNotFoundDefect,
    email.errors.MultipartInvariantViolationDefect,
    email.errors.NoBoundaryInMultipartDefect,
    email.errors.FirstHeaderLineIsContinuationDefect,
    email.errors.MissingHeaderBodySeparatorDefect,
    email.errors.InvalidMultipartContentTransferEncodingDefect,
)
# Headers that carry the address a message was delivered to (the reply token lives there).
DELIVERY_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To")
# Tags kept in the formatted view: text structure only. No <img> (remote images tell the
# sender the mail was opened, and from where), no style, no forms.
FORMATTED_TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "i", "li",
    "ol", "p", "pre", "span", "strong", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
BLOCK_END = re.compile(r"(?i)<br\s*/?>|</(p|div|li|tr|h[1-6]|blockquote|pre|table)>")


class Refused(Exception):
    """The message is quarantined for this reason (said to staff as it is)."""


@dataclass
class Attachment:
    name: str
    content_type: str
    payload: bytes
    refused_because: str = ""

    @property
    def size(self) -> int:
        return len(self.payload)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.payload).hexdigest()


@dataclass
class Reading:
    """What a message says, as far as it could be read."""

    message: EmailMessage | None
    message_id: str = ""
    from_address: str = ""
    to_addresses: list[str] = field(default_factory=list)
    subject: str = ""
    text: str = ""
    html: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    # Message-IDs of the message(s) this one carries back (a bounce) or forwards.
    returned_ids: list[str] = field(default_factory=list)
    refused: str = ""


def message_id_of(raw: bytes) -> str:
    """The message's own Message-ID (angle brackets included, as sent), or
    "sha256:<hex>" of the raw bytes when it has none: the key it is filed once by."""
    headers = _headers_only(raw)
    found = _ids(header(headers, "Message-ID")) if headers is not None else []
    if found:
        return found[0][:998]
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _headers_only(raw: bytes) -> EmailMessage | None:
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    head = raw[: end if 0 <= end < 1024 * 1024 else 1024 * 1024]
    try:
        return email.message_from_bytes(head, policy=policy.default, _class=EmailMessage)
    except Exception:  # a hostile header block: no id read from it
        return None


IDS = re.compile(r"<[^<>\s]{1,900}>")
MESSAGE_ID_LINE = re.compile(r"^\s*Message-ID:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)


def _ids(value: str) -> list[str]:
    return IDS.findall(value or "")


def header_ids(message: EmailMessage, name: str) -> list[str]:
    return [i for value in headers_all(message, name) for i in _ids(value)]


def headers_all(message: EmailMessage, name: str) -> list[str]:
    """Every value of a header, as text. A value the parser chokes on (policy.default
    parses a header when it is read) is taken as it came, unparsed."""
    try:
        values = [_text(value) for value in message.get_all(name, [])]
    except Exception:
        values = [str(v) for k, v in message.raw_items() if k.lower() == name.lower()]
    return [storable(value) for value in values]


def storable(text: str) -> str:
    """PostgreSQL text cannot hold NUL; a message may (by accident or to break us)."""
    return text.replace("\x00", "")


def header(message: EmailMessage, name: str) -> str:
    values = headers_all(message, name)
    return values[0] if values else ""


def _text(value) -> str:
    try:
        return str(value)
    except Exception:
        return ""


def read(raw: bytes, *, max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> Reading:
    """Read a message; never raises. `refused` says why it must be quarantined."""
    if len(raw) > max_bytes:
        reading = Reading(message=None)
        headers = _headers_only(raw)
        if headers is not None:
            _fill_headers(reading, headers)
        reading.refused = (
            f"The message is {len(raw):,} bytes, over the limit of {max_bytes:,}: it was not "
            "read. Download it only if you trust where it came from."
        )
        return reading
    try:
        message = email.message_from_bytes(raw, policy=policy.default, _class=EmailMessage)
    except Exception as exc:  # the parser itself gave up
        return Reading(message=None, refused=f"The message could not be parsed ({exc}).")
    reading = Reading(message=message)
    try:
        _fill_headers(reading, message)
        _check_structure(message)
        _fill_body(reading, message)
        refused = [a for a in reading.attachments if a.refused_because]
        if refused:
            reading.refused = " ".join(a.refused_because for a in refused)
    except Refused as exc:
        reading.refused = str(exc)
    except Exception as exc:  # a part that cannot be decoded: the parser's own surprise
        reading.refused = f"The message could not be read ({type(exc).__name__}: {exc})."
    return reading


def _fill_headers(reading: Reading, message: EmailMessage) -> None:
    senders = _addresses(message, "From")
    reading.from_address = senders[0] if senders else header(message, "From")[:998]
    reading.to_addresses = [a for name in ("To", "Cc") for a in _addresses(message, name)]
    reading.subject = header(message, "Subject").strip()[:998]
    ids = _ids(header(message, "Message-ID"))
    reading.message_id = ids[0] if ids else ""


def _addresses(message: EmailMessage, name: str) -> list[str]:
    try:
        values = headers_all(message, name)
        return [address.lower() for _, address in getaddresses(values) if address]
    except Exception:
        return []


def delivery_addresses(message: EmailMessage) -> list[str]:
    return [a for name in DELIVERY_HEADERS for a in _addresses(message, name)]


def _check_structure(message: EmailMessage) -> None:
    parts = 0
    stack = [(message, 0)]
    while stack:
        part, depth = stack.pop()
        parts += 1
        if depth > MAX_DEPTH:
            raise Refused(f"The message nests parts more than {MAX_DEPTH} deep.")
        if parts > MAX_PARTS:
            raise Refused(f"The message has more than {MAX_PARTS} parts.")
        broken = [d for d in part.defects if isinstance(d, STRUCTURAL_DEFECTS)]
        if broken:
            names = ", ".join(sorted({type(d).__name__ for d in broken}))
            raise Refused(f"The message's MIME structure is broken ({names}).")
        if part.is_multipart():
            stack.extend((child, depth + 1) for child in part.iter_parts())


def _fill_body(reading: Reading, message: EmailMessage) -> None:
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    body_parts = {id(p) for p in (text_part, html_part) if p is not None}
    if html_part is not None:
        reading.html = clean_html(_content(html_part))
    if text_part is not None:
        reading.text = _content(text_part).strip()
    elif reading.html:
        reading.text = html_to_text(reading.html)
    for part in message.walk():
        if id(part) in body_parts:
            continue
        content_type = storable(part.get_content_type())
        if content_type == "message/rfc822":
            # A forwarded message, or the one a bounce returns: kept whole as a file, and
            # its Message-ID noted (a bounce is filed by it). walk() goes on into its parts.
            inner = part.get_payload(0) if part.is_multipart() else None
            if inner is not None:
                reading.returned_ids += _ids(header(inner, "Message-ID"))
                name = _filename(part) or "message.eml"
                reading.attachments.append(Attachment(name, content_type, inner.as_bytes()))
            continue
        if part.is_multipart():
            continue
        if content_type == "text/rfc822-headers":
            # Only the returned message's headers (RFC 6522): their Message-ID is ours.
            payload = _payload(part)
            reading.returned_ids += MESSAGE_ID_LINE.findall(payload.decode("latin-1"))
            reading.attachments.append(Attachment("returned-headers.txt", content_type, payload))
            continue
        if part.get_content_disposition() in ("attachment", "inline") or _filename(part):
            attachment = Attachment(_filename(part), content_type, _payload(part))
            attachment.refused_because = archive_refusal(attachment)
            reading.attachments.append(attachment)


def _filename(part) -> str:
    try:
        return (part.get_filename() or "")[:255]
    except Exception:
        return ""


def _payload(part) -> bytes:
    if part.is_multipart():
        return part.as_bytes()
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    return _text(part.get_payload()).encode("utf-8", "replace")


def _content(part) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset: read it as Latin-1, nothing lost
        content = (part.get_payload(decode=True) or b"").decode("latin-1")
    text = content if isinstance(content, str) else content.decode("utf-8", "replace")
    return storable(text)


def clean_html(markup: str) -> str:
    """The HTML with only text structure left: no scripts, styles, images, forms or
    event handlers; links keep their address and open nothing by themselves."""
    return nh3.clean(
        markup,
        tags=FORMATTED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def html_to_text(markup: str) -> str:
    with_breaks = BLOCK_END.sub(lambda m: m.group(0) + "\n", markup)
    text = html.unescape(nh3.clean(with_breaks, tags=set()))
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- archives ------------------------------------------------------------------------------


def is_archive(attachment: Attachment) -> bool:
    name = attachment.name.lower()
    return (
        attachment.content_type in ARCHIVE_TYPES
        or name.endswith(ARCHIVE_SUFFIXES)
        or attachment.payload[:4] == b"PK\x03\x04"
        or attachment.payload[:2] == b"\x1f\x8b"
    )


def archive_refusal(attachment: Attachment) -> str:
    """Why this attachment is refused, or "" when it is not an archive or a sane one. Only
    the archive's own table of contents is read (zip central directory, gzip trailer)."""
    if not is_archive(attachment):
        return ""
    data = attachment.payload
    label = f'The attachment "{attachment.name or "(no name)"}"'
    if data[:2] == b"\x1f\x8b":
        # gzip's last four bytes are the uncompressed size (mod 4 GiB, RFC 1952 ISIZE).
        if len(data) < 18:
            return f"{label} is a broken gzip file."
        (size,) = struct.unpack("<I", data[-4:])
        if size > ZIP_MAX_UNCOMPRESSED_BYTES or size > ZIP_MAX_RATIO * len(data):
            return f"{label} would unpack to {size:,} bytes from {len(data):,}: a zip bomb."
        inner = attachment.name.lower().removesuffix(".gz")
        if inner.endswith(ARCHIVE_SUFFIXES) and not inner.endswith(".tar"):
            return f"{label} is an archive inside an archive."
        return ""
    if data[:4] not in (b"PK\x03\x04", b"PK\x05\x06"):
        # Another archive format (7z, rar, tar): we cannot read its table of contents
        # without a decoder, so it is sealed as it came but not judged; it is not opened.
        return ""
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, struct.error) as exc:
        return f"{label} is a broken zip file ({exc})."
    if len(entries) > ZIP_MAX_ENTRIES:
        return f"{label} holds {len(entries):,} files (more than {ZIP_MAX_ENTRIES:,})."
    total = sum(entry.file_size for entry in entries)
    packed = max(1, sum(entry.compress_size for entry in entries))
    if total > ZIP_MAX_UNCOMPRESSED_BYTES:
        return f"{label} would unpack to {total:,} bytes: a zip bomb."
    if total > ZIP_MAX_RATIO * packed:
        return (
            f"{label} would unpack to {total:,} bytes from {packed:,} "
            f"(more than {ZIP_MAX_RATIO} to 1): a zip bomb."
        )
    # Overlapping entries (every file pointing at the same compressed data) are how
    # non-recursive zip bombs multiply themselves (Fifield, 2019).
    spans = sorted((e.header_offset, e.header_offset + e.compress_size) for e in entries)
    for (_, end), (start, _) in itertools.pairwise(spans):
        if start < end:
            return f"{label} has overlapping files: a zip bomb."
    nested = [e.filename for e in entries if e.filename.lower().endswith(ARCHIVE_SUFFIXES)]
    if nested:
        return f"{label} is an archive holding other archives ({', '.join(nested[:3])})."
    return ""

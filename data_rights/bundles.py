"""ZIP files of evidence: the survivor's full export and a case's evidence bundle.

Both carry a manifest of SHA-256 sums of every file in the ZIP, so a recipient can show
nothing was changed after it was made. Both are streamed to an authorised request: the
records (rows, timeline) are gathered first, then the ZIP is written as it is sent, each
evidence file decrypted piece by piece (evidence.vault.stream) with its sum computed on the
way, and manifest.json comes last. Memory holds one piece of one file and the list of sums,
however many files and however big: a case with 2 GB of evidence exports within 200 MB
(issue 13; bench/benchmarks/export_memory.py). Nothing is written to disk by LeakCase.

The ZIP is written by the standard library's zipfile into a write-only buffer that the
generator empties after every write (zipfile streams to an unseekable file: each entry's
sizes and CRC follow its data in a data descriptor; ZIP64 when the archive passes 4 GB). A
streaming-ZIP package (zipstream-ng, stream-zip) would do the same with one more dependency
to pin and review, for no gain here.
"""

import hashlib
import json
import logging
import zipfile
from collections.abc import Iterable, Iterator

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext

from accounts.models import User
from cases.models import Case, NoteVisibility
from casework.selectors import case_timeline
from digests.models import WeeklyStatus
from digests.selectors import WEEKLY_KINDS
from evidence import vault
from evidence.models import AccessAction, EvidenceAccess, EvidenceFile

log = logging.getLogger(__name__)

# Evidence images are JPEG, PNG or WebP, compressed already: deflating them costs CPU for a
# gain of about nothing, so they are stored as they are; the JSON and HTML are deflated.
_STORED = zipfile.ZIP_STORED
_DEFLATED = zipfile.ZIP_DEFLATED


class _Outbox:
    """A write-only file for zipfile: what the archive writes waits here until the
    generator hands it on. It has no tell() or seek(), which is what tells zipfile to
    stream (data descriptors) rather than seek back to fill in sizes."""

    def __init__(self):
        self._parts: list[bytes] = []

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> Iterator[bytes]:
        """What was written since the last call, as one piece (none if nothing was)."""
        if self._parts:
            data = b"".join(self._parts)
            self._parts.clear()
            yield data


# (path in the ZIP, its bytes in pieces, compression)
Entry = tuple[str, Iterable[bytes], int]


def _stream_zip(entries: Iterable[Entry], manifest_extra: dict) -> Iterator[bytes]:
    generated_at = timezone.now()
    stamp = timezone.localtime(generated_at).timetuple()[:6]
    outbox = _Outbox()
    files = []
    with zipfile.ZipFile(outbox, "w") as archive:
        for path, pieces, compression in entries:
            info = _info(path, stamp, compression)
            digest, size = hashlib.sha256(), 0
            with archive.open(info, "w") as member:
                for piece in pieces:
                    member.write(piece)
                    digest.update(piece)
                    size += len(piece)
                    yield from outbox.drain()
            files.append({"path": path, "sha256": digest.hexdigest(), "bytes": size})
            yield from outbox.drain()
        manifest = {**manifest_extra, "generated_at": generated_at.isoformat(), "files": files}
        info = _info("manifest.json", stamp, _DEFLATED)
        archive.writestr(info, json.dumps(manifest, indent=2, ensure_ascii=False))
    yield from outbox.drain()


def _info(path: str, stamp: tuple, compression: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=stamp)
    info.compress_type = compression
    info.external_attr = 0o600 << 16  # readable by her only once unpacked, as writestr does
    return info


def _json(value) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str).encode()


def _extension(evidence: EvidenceFile) -> str:
    return {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}[evidence.content_type]


def _evidence_record(evidence: EvidenceFile, path: str | None, *, with_name: bool = False) -> dict:
    """with_name: her own export carries the upload's name (sealed at rest); the bundle for
    police or lawyers does not: the sums prove the file, the name can name people."""
    name = {"name_as_uploaded": vault.original_name(evidence)} if with_name else {}
    return {
        "path": path,
        "id": str(evidence.pk),
        **name,
        "kind": evidence.kind,
        "sha256_as_uploaded": evidence.sha256,
        "sha256_as_stored": evidence.stored_sha256,
        "origin": evidence.origin,
        "source_url": evidence.source_url or (evidence.sighting.url if evidence.sighting else ""),
        "captured_at": evidence.captured_at.isoformat(),
        "added_by": evidence.uploaded_by.get_role_display() if evidence.uploaded_by else "",
        "width": evidence.width,
        "height": evidence.height,
        "phash": evidence.phash,
        "dhash": evidence.dhash,
        "pdq": evidence.pdq,
        "pdq_quality": evidence.pdq_quality,
        "accesses": [
            {
                "at": access.created_at.isoformat(),
                "action": access.action,
                "by": access.user.get_role_display() if access.user else "",
            }
            for access in evidence.accesses.all()
        ],
    }


def _evidence_entries(
    evidence_files, folder: str, entries: list[Entry], *, with_name: bool = False
) -> list[dict]:
    """Each file's record, and its entry in the ZIP when storage holds it. A file whose object
    is missing (deleted from the bucket, lost with a disk) does not stop the rest: a
    caseworker still gets every other file now. Its record says it is missing
    ("path": null), the manifest page names it, and MISSING-FILES.txt in the ZIP says so
    and what to do, so nobody reads the bundle as complete."""
    records, missing = [], []
    for evidence in evidence_files:
        if vault.is_stored(evidence):
            path = f"{folder}/{evidence.pk}.{_extension(evidence)}"
            entries.append((path, vault.stream(evidence), _STORED))
            records.append(_evidence_record(evidence, path, with_name=with_name))
        else:
            log.error("%s", vault.EvidenceMissing(evidence, "file"))  # ids only
            record = _evidence_record(evidence, None, with_name=with_name)
            records.append({**record, "missing_from_storage": True})
            missing.append(record)
    if missing:
        lines = [
            gettext("Evidence files missing from storage, and NOT in this ZIP: %(count)s.")
            % {"count": len(missing)}
            + " "
            + str(vault.MISSING_MESSAGE),
            gettext(
                "Each is listed in the records with the SHA-256 sum it had when it was "
                "uploaded, so a copy found later can be shown to be the same file."
            ),
            "",
            *(f"{r['id']}  sha256 as uploaded {r['sha256_as_uploaded']}" for r in missing),
        ]
        entries.append((f"{folder}/MISSING-FILES.txt", ["\n".join(lines).encode()], _DEFLATED))
    return records


def _case_evidence(case: Case):
    return case.evidence_files.select_related("sighting", "uploaded_by").prefetch_related(
        "accesses__user"
    )


def case_bundle(case: Case, user: User) -> Iterator[bytes]:
    """For police or lawyers: the decrypted evidence, each file's custody record, and the
    case timeline, with a printable manifest page. The records and the access log are
    written now; the ZIP as the answer is read."""
    entries: list[Entry] = []
    records = _evidence_entries(_case_evidence(case), "evidence", entries)
    # Writing the bundle is itself an access to every file in it.
    EvidenceAccess.objects.bulk_create(
        EvidenceAccess(evidence_id=r["id"], user=user, action=AccessAction.DOWNLOAD)
        for r in records
        if r["path"]
    )
    timeline = [
        {
            "at": e.event.created_at.isoformat(),
            "what": e.event.get_kind_display(),
            "detail": e.text,
        }
        for e in case_timeline(case, user, limit=10_000)
    ]
    entries.append(("evidence.json", [_json(records)], _DEFLATED))
    entries.append(("timeline.json", [_json(timeline)], _DEFLATED))
    manifest_page = render_to_string(
        "data_rights/bundle_manifest.html",
        {"case": case, "records": records, "timeline": timeline, "now": timezone.now()},
    )
    entries.append(("manifest.html", [manifest_page.encode()], _DEFLATED))
    return _stream_zip(entries, {"case": case.reference, "kind": "evidence bundle"})


def _account_record(user: User) -> dict:
    weekly = WeeklyStatus.objects.filter(user=user).first()
    return {
        "email": user.email,
        "joined": user.date_joined,
        "weekly_email": None
        if weekly is None
        else {
            "on": weekly.enabled,
            "weekday": weekly.get_weekday_display(),
            "hour": weekly.get_hour_display(),
            "time_zone": weekly.time_zone,
            "also_in_quiet_weeks": weekly.quiet_weeks,
        },
        "weekly_emails": [
            {"for": e.scheduled_for, "status": e.status, "sent_at": e.sent_at, "said": e.counts}
            for e in user.outgoing_emails.filter(kind__in=WEEKLY_KINDS).order_by("scheduled_for")
        ],
    }


def survivor_export(user: User) -> Iterator[bytes]:
    """Everything of hers: account, cases, sightings, notes shared with her, requests,
    timeline, reference hashes, and every evidence file decrypted. The records are read
    now; the files as the answer is read."""
    # What each file is, in the language she asked for it in (the request's).
    readme = render_to_string(
        "data_rights/export_readme.txt", {"day": date_format(timezone.now(), "j F Y")}
    )
    entries: list[Entry] = [
        ("README.txt", [readme.strip().encode() + b"\n"], _DEFLATED),
        ("account.json", [_json(_account_record(user))], _DEFLATED),
    ]
    for case in Case.objects.filter(survivor=user).order_by("created_at"):
        folder = f"cases/{case.reference}"
        evidence_records = _evidence_entries(
            _case_evidence(case), f"{folder}/evidence", entries, with_name=True
        )
        data = {
            "reference": case.reference,
            "name": case.pseudonym,
            "status": case.status,
            "country": case.jurisdiction,
            "opened": case.created_at,
            "sightings": [
                {
                    "url": s.url,
                    "platform": s.platform.name if s.platform else None,
                    "status": s.status,
                    "first_seen_on": s.first_seen_on,
                    "note": s.note,
                    "logged": s.created_at,
                }
                for s in case.sightings.select_related("platform")
            ],
            # The conversation: staff's shared notes and her own messages (cases.thread_services).
            "notes_shared_with_you": [
                {
                    "at": n.created_at,
                    "from": pgettext("her export: who wrote a message", "you")
                    if n.from_survivor
                    else pgettext("her export: who wrote a message", "your caseworker"),
                    "text": n.body,
                    "edited_at": n.edited_at,
                    "withdrawn_at": n.withdrawn_at,
                }
                for n in case.notes.filter(visibility=NoteVisibility.SHARED)
            ],
            "takedown_requests": [
                {
                    "recipient": t.recipient,
                    "route": t.get_legal_basis_display(),
                    "status": t.status,
                    "sent_at": t.sent_at,
                    "due_at": t.due_at,
                    "notice_as_sent": t.notice_text,
                }
                for t in case.takedowns.select_related("platform")
            ],
            "reference_hashes": [
                {
                    "label": r.label,
                    "phash": r.phash_hex,
                    "dhash": r.dhash_hex,
                    "pdq": r.pdq,
                    "pdq_quality": r.pdq_quality,
                }
                for r in case.references.all()
            ],
            # The industry's hash programmes (cases.programme_services): what she or staff
            # recorded, and her consent to sharing the fingerprints.
            "consent_to_share_fingerprints": case.consent_to_share_hashes,
            "programme_cases": [
                {
                    "programme": p.get_programme_display(),
                    "case_number": p.case_number,
                    "made_on": p.registered_on,
                    "withdrawn_on": p.withdrawn_on,
                }
                for p in case.programme_cases.all()
            ],
            "evidence": evidence_records,
            "timeline": [
                {"at": e.event.created_at, "what": e.event.get_kind_display(), "detail": e.text}
                for e in case_timeline(case, user, limit=10_000)
            ],
        }
        entries.append((f"{folder}/case.json", [_json(data)], _DEFLATED))
    return _stream_zip(entries, {"kind": "personal data export"})

"""Writes for sightings and evidence, each with its CaseEvent in the same transaction."""

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from accounts.models import User
from cases.models import Case, EventKind, action_due_at
from cases.services import event_build, event_record, events_record
from evidence import vault
from evidence.imaging import (
    ImageRejected,
    ProcessedImage,
    check_image,
    process_upload,
    too_big_message,
)
from evidence.matching import matches_in_image, matches_in_picture, references_matching
from evidence.matching.hashing import (
    ImageHashes,
    chunks16,
    hashes_of,
    hashes_of_bytes,
    open_for_hashing,
)
from evidence.models import (
    AccessAction,
    EvidenceAccess,
    EvidenceFile,
    EvidenceKind,
    EvidenceMatch,
    EvidenceOrigin,
    ReferenceHash,
    Sighting,
    SightingStatus,
    StatusSource,
    to_signed64,
)
from evidence.sighting_urls import InvalidSightingUrl, link_label, normalise_url
from leakcase.locking import StateChanged, locked
from platforms.selectors import platforms_for_hosts

log = logging.getLogger(__name__)

# Smaller than this, a crop holds too little of a picture for its hash to mean anything.
MIN_CROP_PIXELS = 32
# Enough for any phone's or browser's file name; what is longer is cut from the front so the
# end ("..._with_Jake.jpg", the extension) is kept.
MAX_ORIGINAL_NAME = 200
# One paste is a working list, not an archive import; beyond this, paste in parts.
MAX_PASTED_LINES = 500


@dataclass
class PasteProblem:
    line: int
    text: str
    reason: str


@dataclass
class PasteResult:
    saved: list[Sighting] = field(default_factory=list)
    problems: list[PasteProblem] = field(default_factory=list)


def _normalise_or_refuse(url: str) -> str:
    """The address normalised (sighting_urls), or a ValidationError on the form's url field
    saying what is wrong with it."""
    try:
        return normalise_url(url)
    except InvalidSightingUrl as exc:
        raise ValidationError({"url": str(exc)}) from exc


def sighting_log(
    *,
    case: Case,
    url: str,
    acting_user: User,
    note: str = "",
    first_seen_on: dt.date | None = None,
) -> Sighting:
    """Log one address. Raises ValidationError (field "url") when it is invalid or already
    logged on this case; nothing is saved then."""
    normalised = _normalise_or_refuse(url)
    existing = case.sightings.filter(url=normalised).first()
    if existing is not None and existing.withdrawn_at is not None:
        raise ValidationError(
            {
                "url": gettext(
                    "You removed this address from your list earlier. It is kept with its "
                    "evidence; ask your caseworker to put it back on your list."
                )
            }
        )
    if existing is not None:
        raise ValidationError({"url": gettext("This address is already logged on this case.")})
    result = _save_sightings(
        case=case,
        items=[(normalised, note.strip(), first_seen_on)],
        acting_user=acting_user,
    )
    return result[0]


def sightings_log_pasted(*, case: Case, text: str, acting_user: User) -> PasteResult:
    """Log every valid address in a pasted list, one per line. Invalid lines and duplicates
    (within the paste or of sightings already logged) are reported by line number; the valid
    ones are saved together."""
    result = PasteResult()
    lines = text.splitlines()
    if len([line for line in lines if line.strip()]) > MAX_PASTED_LINES:
        raise ValidationError(
            {
                "urls": gettext("Please paste at most %(count)s addresses at a time.")
                % {"count": MAX_PASTED_LINES}
            }
        )
    candidates: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        shown = line.strip()[:120]
        try:
            normalised = normalise_url(line)
        except InvalidSightingUrl as exc:
            result.problems.append(PasteProblem(number, shown, str(exc)))
            continue
        if normalised in candidates:
            result.problems.append(
                PasteProblem(
                    number,
                    shown,
                    gettext("Same address as line %(line)s.") % {"line": candidates[normalised]},
                )
            )
            continue
        candidates[normalised] = number

    already = set(case.sightings.filter(url__in=candidates).values_list("url", flat=True))
    for url in already:
        number = candidates.pop(url)
        result.problems.append(
            PasteProblem(
                number, lines[number - 1].strip()[:120], gettext("Already logged on this case.")
            )
        )
    result.problems.sort(key=lambda problem: problem.line)
    if candidates:
        result.saved = _save_sightings(
            case=case,
            items=[(url, "", None) for url in candidates],
            acting_user=acting_user,
        )
    return result


def _save_sightings(*, case, items, acting_user) -> list[Sighting]:
    hosts = {urlsplit(url).hostname for url, _, _ in items}
    platforms = platforms_for_hosts(hosts)
    now = timezone.now()
    try:
        with transaction.atomic():
            return _insert_sightings(case, items, platforms, now, acting_user)
    except IntegrityError as exc:
        # Another request logged one of these addresses a moment ago: nothing was saved.
        raise ValidationError(
            {
                "url": gettext(
                    "One of these addresses was logged at the same moment; please try again."
                )
            }
        ) from exc


def _insert_sightings(case, items, platforms, now, acting_user) -> list[Sighting]:
    sightings = Sighting.objects.bulk_create(
        [
            Sighting(
                case=case,
                url=url,
                host=urlsplit(url).hostname,
                platform=platforms.get(urlsplit(url).hostname),
                note=note,
                first_seen_on=first_seen_on,
                logged_by=acting_user,
                created_at=now,
                next_check_at=now,  # the first recheck is due at once
                action_due_at=action_due_at(case.priority, now),
            )
            for url, note, first_seen_on in items
        ]
    )
    events_record(
        case,
        [
            event_build(
                case=case,
                actor=acting_user,
                kind=EventKind.SIGHTING_LOGGED,
                target=sighting,
                new_value={
                    "url": sighting.url,
                    "platform": sighting.platform.name if sighting.platform else None,
                    "status": sighting.status,
                },
            )
            for sighting in sightings
        ],
    )
    return sightings


def sightings_tighten_action_windows(*, case: Case) -> list[Sighting]:
    """After a triage raised the case's priority, bring its live links' action due dates
    forward to the tighter window. Only ever earlier: lowering a priority does not push back
    a promise already made. Runs inside the triage's transaction (casework.services)."""
    pending = Sighting.objects.still_up().filter(case=case, action_due_at__isnull=False)
    changed = []
    for sighting in pending:
        due = action_due_at(case.priority, sighting.created_at)
        if due < sighting.action_due_at:
            sighting.action_due_at = due
            changed.append(sighting)
    Sighting.objects.bulk_update(changed, ["action_due_at"])
    return changed


def evidence_add(
    *,
    case: Case,
    upload: UploadedFile,
    acting_user: User,
    sighting: Sighting | None = None,
    kind: str = EvidenceKind.SCREENSHOT,
    origin: str = EvidenceOrigin.UPLOAD,
    source_url: str = "",
) -> EvidenceFile:
    """Store a screenshot: metadata stripped, hashed, thumbnailed, sealed; then look for
    possible copies of her reference images in it. Raises ValidationError (field "image")
    with a plain reason when the file is refused; nothing is stored then."""
    max_bytes = settings.EVIDENCE_MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > max_bytes:
        # Refused before reading it into memory.
        raise ValidationError({"image": too_big_message(upload.size, max_bytes)})
    if sighting is not None and sighting.case_id != case.pk:
        raise ValidationError({"sighting": gettext("That sighting belongs to another case.")})
    data = upload.read()
    # The same file twice (a double tap, or the same screenshot chosen again) is caught by
    # its bytes before any work is done, and again under the case's lock below.
    sha256 = _sha256(data)
    if origin == EvidenceOrigin.UPLOAD:
        _refuse_same_file(case, sha256, kind)
    try:
        image = process_upload(data, max_bytes=max_bytes)
    except ImageRejected as exc:
        raise ValidationError({"image": str(exc)}) from exc

    evidence = EvidenceFile(
        case=case,
        sighting=sighting,
        kind=kind,
        origin=origin,
        source_url=source_url[:2048],
        content_type=image.content_type,
        size=image.original_size,
        sha256=image.original_sha256,
        stored_sha256=_sha256(image.clean_bytes),
        width=image.width,
        height=image.height,
        phash=image.phash,
        dhash=image.dhash,
        pdq=image.pdq,
        pdq_quality=image.pdq_quality,
        captured_at=timezone.now(),
        uploaded_by=acting_user,
    )
    vault.store(
        evidence,
        {
            "file": (f"original.{image.clean_extension}", image.clean_bytes),
            "thumbnail": ("thumbnail.jpg", image.thumbnail_bytes),
            "preview": ("preview.jpg", image.preview_bytes),
        },
        original_name=(upload.name or "")[-MAX_ORIGINAL_NAME:],
    )
    try:
        with transaction.atomic():
            if origin == EvidenceOrigin.UPLOAD:
                # Two uploads of one file at the same moment: one waits for the other here.
                Case.objects.select_for_update().filter(pk=case.pk).first()
                _refuse_same_file(case, sha256, kind)
            evidence.save()
            event_record(
                case=case,
                actor=acting_user,
                kind=EventKind.EVIDENCE_ADDED,
                target=evidence,
                new_value={
                    "kind": evidence.kind,
                    "sha256": evidence.sha256,
                    "sighting": str(sighting.pk) if sighting else None,
                },
            )
            if kind != EvidenceKind.REFERENCE:
                _suggest_matches(evidence, image)
    except Exception:
        # The row never landed: leave no orphaned files in storage.
        vault.delete_files(evidence)
        raise
    return evidence


def _suggest_matches(evidence: EvidenceFile, image: ProcessedImage) -> list[EvidenceMatch]:
    """Possible copies of this case's reference images, in the whole picture or in one of
    its regions (a screenshot holds the photo inside page chrome)."""
    references = evidence.case.references.all()
    if not references.exists():
        return []  # nothing to look for: no regions cut, nothing hashed
    if image.picture is None:
        found = matches_in_image(image.clean_bytes, references=references)
    else:
        found = matches_in_picture(image.picture, references=references, hashes=image.hashes)
    return EvidenceMatch.objects.bulk_create(
        [
            EvidenceMatch(
                evidence=evidence,
                reference=match.reference,
                phash_distance=match.phash_distance,
                dhash_distance=match.dhash_distance,
                region=list(match.region) if match.region else None,
            )
            for match in found
        ]
    )


def evidence_match_confirm(*, match: EvidenceMatch, acting_user: User) -> EvidenceMatch:
    if match.confirmed_at is not None:
        return match
    with transaction.atomic():
        match.confirmed_at = timezone.now()
        match.confirmed_by = acting_user
        match.save(update_fields=["confirmed_at", "confirmed_by"])
        event_record(
            case=match.evidence.case,
            actor=acting_user,
            kind=EventKind.MATCH_CONFIRMED,
            target=match,
            new_value={"evidence": str(match.evidence_id), "reference": str(match.reference_id)},
        )
    return match


def reference_register(
    *, case: Case, data: bytes, acting_user: User, label: str = "", keep_copy: bool = False
) -> ReferenceHash:
    """Hash an image she wants found. Hash-only (the default): the bytes are read in memory,
    checked, hashed and dropped; nothing is written anywhere. keep_copy stores an
    encrypted copy as evidence of the kind "reference"."""
    try:
        check_image(data, max_bytes=settings.EVIDENCE_MAX_UPLOAD_BYTES)
        hashes = hashes_of_bytes(data)
    except (ImageRejected, ValueError) as exc:
        raise ValidationError({"image": str(exc)}) from exc
    return _reference_create(
        case=case,
        hashes=hashes,
        md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
        sha256=_sha256(data),
        label=label,
        data=data if keep_copy else None,
        acting_user=acting_user,
    )


@dataclass(frozen=True)
class Fingerprints:
    """What her device sends for an image to find, instead of the image (issue 17): hex
    strings as static/leakcase/hashing/hashes.js writes them."""

    phash: str  # 16 hex digits
    dhash: str  # 16 hex digits
    md5: str  # 32 hex digits
    sha256: str  # 64 hex digits
    pdq: str = ""  # 64 hex digits, or empty where her browser did not compute it
    pdq_quality: int | None = None  # 0-100, with pdq


_HEX_DIGITS = {"phash": 16, "dhash": 16, "md5": 32, "sha256": 64, "pdq": 64}
_FINGERPRINT_NAMES = {"phash": "pHash", "dhash": "dHash", "md5": "MD5", "sha256": "SHA-256"}


def reference_register_fingerprints(
    *, case: Case, fingerprints: Fingerprints, acting_user: User, label: str = ""
) -> ReferenceHash:
    """An image to find from the fingerprints her device computed: the picture never reached
    us. Each value is checked for its shape (hex digits of the right length, not all zero:
    a blank or broken computation, never a real picture's); nothing is saved otherwise."""
    errors = {}
    values = {}
    for name, digits in _HEX_DIGITS.items():
        value = getattr(fingerprints, name).strip().lower()
        values[name] = value
        if name == "pdq" and not value:
            continue
        title = _FINGERPRINT_NAMES.get(name, "PDQ")
        if len(value) != digits or not all(c in "0123456789abcdef" for c in value):
            errors[name] = gettext(
                "The %(name)s must be %(digits)s hexadecimal digits (0-9, a-f)."
            ) % {"name": title, "digits": digits}
        elif int(value, 16) == 0:
            errors[name] = gettext(
                "The %(name)s is all zeros: it was not computed from a picture."
            ) % {"name": title}
    quality = fingerprints.pdq_quality
    if values["pdq"] and (quality is None or not 0 <= quality <= 100):
        errors["pdq_quality"] = gettext("The PDQ quality must be a whole number from 0 to 100.")
    if errors:
        raise ValidationError(errors)
    hashes = ImageHashes.from_hex(
        values["phash"],
        values["dhash"],
        values["pdq"] or None,
        quality if values["pdq"] else None,
    )
    return _reference_create(
        case=case,
        hashes=hashes,
        md5=values["md5"],
        sha256=values["sha256"],
        label=label,
        data=None,
        acting_user=acting_user,
        computed_on_device=True,
    )


def _reference_create(
    *,
    case: Case,
    hashes: ImageHashes,
    md5: str,
    sha256: str,
    label: str,
    data: bytes | None,
    acting_user: User,
    computed_on_device: bool = False,
) -> ReferenceHash:
    """data: the picture's bytes when she chose to keep an encrypted copy, else None."""
    keep_copy = data is not None
    chunks = chunks16(hashes.phash)
    with transaction.atomic():
        kept = None
        if keep_copy:
            kept = evidence_add(
                case=case,
                upload=SimpleUploadedFile("reference", data),
                acting_user=acting_user,
                kind=EvidenceKind.REFERENCE,
            )
        reference = ReferenceHash.objects.create(
            case=case,
            label=label.strip()[:80],
            phash=to_signed64(hashes.phash),
            dhash=to_signed64(hashes.dhash),
            pdq=hashes.pdq_hex or "",
            pdq_quality=hashes.pdq_quality,
            md5=md5,
            sha256=sha256,
            p0=chunks[0],
            p1=chunks[1],
            p2=chunks[2],
            p3=chunks[3],
            kept_copy=kept,
            created_by=acting_user,
        )
        event_record(
            case=case,
            actor=acting_user,
            kind=EventKind.REFERENCE_ADDED,
            target=reference,
            new_value={
                "phash": hashes.phash_hex,
                "dhash": hashes.dhash_hex,
                "kept_copy": keep_copy,
                "computed_on_device": computed_on_device,
            },
        )
    return reference


def reference_delete(*, reference: ReferenceHash, acting_user: User) -> None:
    """Remove a reference and, if she kept one, its encrypted copy."""
    with transaction.atomic():
        case = reference.case
        kept = reference.kept_copy
        event_record(
            case=case,
            actor=acting_user,
            kind=EventKind.REFERENCE_REMOVED,
            target=reference,
            old_value={"phash": reference.phash_hex},
        )
        reference.delete()
        if kept is not None:
            kept.delete()
            transaction.on_commit(lambda: vault.delete_files(kept))


def evidence_access_record(*, evidence: EvidenceFile, user: User, action: AccessAction) -> None:
    EvidenceAccess.objects.create(evidence=evidence, user=user, action=action)


def _refuse_same_file(case: Case, sha256: str, kind: str) -> None:
    """ValidationError naming the day she added these very bytes to this case before."""
    earlier = (
        EvidenceFile.objects.filter(
            case=case, sha256=sha256, kind=kind, origin=EvidenceOrigin.UPLOAD
        )
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if earlier is not None:
        day = date_format(timezone.localtime(earlier), "j M")
        message = gettext("You already added this file on %(day)s. Nothing new was saved.") % {
            "day": day
        }
        raise ValidationError({"image": message}, code="same_file")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def evidence_match_crop(
    *, evidence: EvidenceFile, box: tuple[int, int, int, int], acting_user: User
) -> list[EvidenceMatch]:
    """Look again in the part of the picture she marked by hand (when no region found by
    itself matched). box is (left, top, right, bottom) in the picture's pixels."""
    left, top, right, bottom = box
    if not (0 <= left < right <= evidence.width and 0 <= top < bottom <= evidence.height):
        raise ValidationError(
            gettext(
                "The area must lie inside the picture (%(width)s by %(height)s pixels), "
                "with left < right and top < bottom."
            )
            % {"width": evidence.width, "height": evidence.height}
        )
    if right - left < MIN_CROP_PIXELS or bottom - top < MIN_CROP_PIXELS:
        raise ValidationError(
            gettext("Mark an area at least %(pixels)s pixels on each side.")
            % {"pixels": MIN_CROP_PIXELS}
        )
    try:
        image = open_for_hashing(vault.read(evidence))
    except vault.EvidenceMissing as missing:
        log.error("%s", missing)  # ids only: which row, which rendition
        raise ValidationError(vault.MISSING_MESSAGE) from None
    # A large JPEG is decoded at reduced size: scale the box to the decoded picture.
    scale = image.width / evidence.width
    scaled = tuple(round(v * scale) for v in box)
    found = references_matching(hashes_of(image.crop(scaled)), evidence.case.references.all())
    if not found:
        return []  # nothing changes, so nothing for the timeline
    matches = []
    with transaction.atomic():
        before = evidence.matches.select_for_update().filter(
            reference__in=[match.reference for match in found]
        )
        old = [_match_values(row) for row in before.order_by("reference_id")]
        for match in found:
            row, _ = EvidenceMatch.objects.update_or_create(
                evidence=evidence,
                reference=match.reference,
                defaults={
                    "phash_distance": match.phash_distance,
                    "dhash_distance": match.dhash_distance,
                    "region": list(box),
                },
            )
            matches.append(row)
        event_record(
            case=evidence.case,
            actor=acting_user,
            kind=EventKind.CROP_SEARCHED,
            target=evidence,
            old_value={"matches": old},
            new_value={"region": list(box), "matches": [_match_values(row) for row in matches]},
        )
    return matches


def _match_values(match: EvidenceMatch) -> dict:
    return {
        "reference": str(match.reference_id),
        "region": match.region,
        "phash_distance": match.phash_distance,
        "dhash_distance": match.dhash_distance,
    }


# --- a person's word on a link, and her own corrections ------------------------------------

# What a person may say a link is: up (she looked) or removed (she looked). "Up, as far as we
# know" is what a check that could not see leaves; nobody declares it.
DECLARABLE_STATUSES = (SightingStatus.LIVE, SightingStatus.REMOVED)
MAX_STATUS_REASON = 500


def sighting_status_declare(
    *, sighting: Sighting, status: str, acting_user: User, reason: str = "", now=None
) -> tuple[str, Sighting]:
    """A person says what she sees at the link: up or removed. Her word stands against checks
    that cannot see the page (monitoring.services.INCONCLUSIVE_OUTCOMES) until a conclusive
    check or another person says otherwise. Staff give a reason; the survivor's words are
    optional. Call inside the transaction of casework.services.sighting_status_set, which
    also moves requests and the case; returns (old status, sighting)."""
    if status not in DECLARABLE_STATUSES:
        raise ValidationError({"status": gettext("Choose up or removed.")})
    reason = reason.strip()
    by_staff = acting_user.is_support_staff
    if by_staff and not reason:
        raise ValidationError({"reason": gettext("Say why: what you saw, or who told you.")})
    if len(reason) > MAX_STATUS_REASON:
        raise ValidationError(
            {"reason": gettext("At most %(count)s characters.") % {"count": MAX_STATUS_REASON}}
        )
    now = now or timezone.now()
    locked(sighting)
    if sighting.withdrawn_at is not None:
        raise StateChanged(
            gettext("This link was removed from the list meanwhile. Nothing was saved.")
        )
    previous = sighting.status
    source = StatusSource.STAFF if by_staff else StatusSource.SURVIVOR
    if (previous, sighting.status_source, reason) == (status, source, ""):
        # Said already, in the same words (a second tap, a second tab): nothing new.
        return previous, sighting
    sighting.status = status
    sighting.status_source = source
    if status == SightingStatus.REMOVED:
        # A person looked and it was gone: a verified removal, as a 404 would be, so a later
        # check that finds it up again reopens its requests (reappeared).
        sighting.removed_verified_at = sighting.removed_verified_at or now
        sighting.action_due_at = None
        # Look again soon: her "it's gone" is confirmed or corrected by the next check.
        sighting.next_check_at = now
    else:
        sighting.removed_verified_at = None
        sighting.next_check_at = sighting.next_check_at or now
    sighting.save(
        update_fields=[
            "status",
            "status_source",
            "removed_verified_at",
            "action_due_at",
            "next_check_at",
        ]
    )
    event_record(
        case=sighting.case,
        actor=acting_user,
        kind=EventKind.SIGHTING_STATUS,
        target=sighting,
        old_value={"status": previous},
        new_value={
            "status": status,
            "source": sighting.status_source,
            "reason": reason,
            "link": link_label(sighting.url),
        },
    )
    return previous, sighting


def sighting_correct(
    *,
    sighting: Sighting,
    acting_user: User,
    url: str,
    note: str = "",
    first_seen_on: dt.date | None = None,
    in_sent_request: bool = False,
) -> Sighting:
    """She corrects a link she logged: its address (normalised again), where (the note) and
    when she first saw it. A new address is a new page to check: it is checked at once and is
    up until that check says otherwise. An address already in a sent request cannot change
    (`in_sent_request`, from takedowns: the platform was given that address, and the
    evidence and the request must keep naming what was sent)."""
    normalised = _normalise_or_refuse(url)
    changes_url = normalised != sighting.url
    if changes_url and in_sent_request:
        raise ValidationError(
            {
                "url": gettext(
                    "This address was already sent to the platform in a request, so it "
                    "cannot change. Log the right address as a new link instead."
                )
            }
        )
    if (
        changes_url
        and sighting.case.sightings.filter(url=normalised).exclude(pk=sighting.pk).exists()
    ):
        raise ValidationError({"url": _same_address()})
    note = note.strip()
    old = {"link": link_label(sighting.url)}
    new = {"link": link_label(normalised)}
    changed = []
    try:
        with transaction.atomic():
            locked(sighting.case)  # the lock order: the case, then its rows
            locked(sighting)
            if sighting.withdrawn_at is not None:
                raise StateChanged(gettext("This link was removed from the list meanwhile."))
            if changes_url:
                host = urlsplit(normalised).hostname
                sighting.url = normalised
                sighting.host = host
                sighting.platform = platforms_for_hosts({host}).get(host)
                sighting.status = SightingStatus.LIVE
                sighting.status_source = StatusSource.CHECK
                sighting.last_check_outcome = ""
                sighting.removed_verified_at = None
                sighting.next_check_at = timezone.now()
                changed += ["url", "host", "platform", "status", "status_source"]
                changed += ["last_check_outcome", "removed_verified_at", "next_check_at"]
            if note != sighting.note:
                sighting.note = note
                changed.append("note")
            if first_seen_on != sighting.first_seen_on:
                sighting.first_seen_on = first_seen_on
                changed.append("first_seen_on")
            if not changed:
                return sighting
            sighting.save(update_fields=changed)
            event_record(
                case=sighting.case,
                actor=acting_user,
                kind=EventKind.SIGHTING_CORRECTED,
                target=sighting,
                old_value=old,
                new_value={**new, "changed": [c for c in changed if c in _CORRECTABLE]},
            )
    except IntegrityError as exc:
        raise ValidationError({"url": _same_address()}) from exc
    return sighting


_CORRECTABLE = ("url", "note", "first_seen_on")


def _same_address() -> str:
    return gettext("Another of your links already has this address.")


def sighting_withdraw(*, sighting: Sighting, acting_user: User) -> Sighting:
    """She removes a link from her list. Nothing is deleted: the row, its evidence and any
    request that named it stay (a sent notice is a record of what was sent); it is no longer
    shown to her, drafted, counted or rechecked. Call inside casework.services'
    sighting_withdraw, which also takes it out of draft requests."""
    locked(sighting)
    if sighting.withdrawn_at is not None:
        return sighting
    sighting.withdrawn_at = timezone.now()
    sighting.withdrawn_by = acting_user
    sighting.next_check_at = None
    sighting.action_due_at = None
    sighting.save(update_fields=["withdrawn_at", "withdrawn_by", "next_check_at", "action_due_at"])
    event_record(
        case=sighting.case,
        actor=acting_user,
        kind=EventKind.SIGHTING_WITHDRAWN,
        target=sighting,
        new_value={"link": link_label(sighting.url)},
    )
    return sighting

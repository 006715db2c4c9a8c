"""Writes for sightings and evidence, each with its CaseEvent in the same transaction."""

import contextlib
import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, Min, OuterRef
from django.utils import timezone

from accounts.models import User
from cases.models import Case, CaseStatus, EventKind, action_due_at
from cases.services import case_change_status, event_build, event_record, events_record
from evidence import recheck, vault
from evidence.hashing import chunks16, hashes_of, hashes_of_bytes, open_for_hashing
from evidence.imaging import (
    ImageRejected,
    ProcessedImage,
    check_image,
    process_upload,
    too_big_message,
)
from evidence.matching import matches_in_image, matches_in_picture, references_matching
from evidence.models import (
    AccessAction,
    EvidenceAccess,
    EvidenceFile,
    EvidenceKind,
    EvidenceMatch,
    EvidenceOrigin,
    Outcome,
    ReferenceHash,
    Sighting,
    SightingStatus,
    UrlCheck,
    to_signed64,
)
from evidence.sighting_urls import InvalidSightingUrl, normalise_url
from leakcase.locking import locked
from platforms.selectors import platforms_for_hosts
from takedowns.models import WAITING_STATUSES, TakedownRequest, TakedownStatus
from takedowns.services import due_hours

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
    try:
        normalised = normalise_url(url)
    except InvalidSightingUrl as exc:
        raise ValidationError({"url": str(exc)}) from exc
    if case.sightings.filter(url=normalised).exists():
        raise ValidationError({"url": "This address is already logged on this case."})
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
            {"urls": f"Please paste at most {MAX_PASTED_LINES} addresses at a time."}
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
                PasteProblem(number, shown, f"Same address as line {candidates[normalised]}.")
            )
            continue
        candidates[normalised] = number

    already = set(case.sightings.filter(url__in=candidates).values_list("url", flat=True))
    for url in already:
        number = candidates.pop(url)
        result.problems.append(
            PasteProblem(number, lines[number - 1].strip()[:120], "Already logged on this case.")
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
            {"url": "One of these addresses was logged at the same moment; please try again."}
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
        raise ValidationError({"sighting": "That sighting belongs to another case."})
    try:
        image = process_upload(upload.read(), max_bytes=max_bytes)
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
            f"The area must lie inside the picture ({evidence.width} by {evidence.height} "
            "pixels), with left < right and top < bottom."
        )
    if right - left < MIN_CROP_PIXELS or bottom - top < MIN_CROP_PIXELS:
        raise ValidationError(f"Mark an area at least {MIN_CROP_PIXELS} pixels on each side.")
    image = open_for_hashing(vault.read(evidence))
    # A large JPEG is decoded at reduced size: scale the box to the decoded picture.
    scale = image.width / evidence.width
    scaled = tuple(round(v * scale) for v in box)
    found = references_matching(hashes_of(image.crop(scaled)), evidence.case.references.all())
    matches = []
    with transaction.atomic():
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
    return matches


# --- rechecks ------------------------------------------------------------------------------

# How soon to look again, by what we found. Near a takedown's due time we look hourly, so
# a removal is seen soon after the platform acts; long-removed links back off to weekly.
RECHECK_LIVE = dt.timedelta(hours=6)
RECHECK_NEAR_DUE = dt.timedelta(hours=1)
RECHECK_UNREACHABLE = dt.timedelta(hours=2)
RECHECK_REMOVED_FIRST = dt.timedelta(days=1)
RECHECK_REMOVED_MAX = dt.timedelta(days=7)
RECHECK_WALLED = dt.timedelta(hours=12)
# Spread checks of one host so it is not hit in bursts.
RECHECK_JITTER = 0.1

# Outcome -> the sighting's status.
SIGHTING_STATUS_FOR = {
    Outcome.LIVE: SightingStatus.LIVE,
    Outcome.REAPPEARED: SightingStatus.LIVE,
    Outcome.REMOVED: SightingStatus.REMOVED,
    Outcome.SOFT_REMOVED: SightingStatus.REMOVED,
    Outcome.UNREACHABLE: SightingStatus.UNREACHABLE,
    Outcome.LOGIN_WALLED: SightingStatus.UNKNOWN,
    Outcome.GEO_BLOCKED: SightingStatus.UNKNOWN,
    Outcome.BLOCKED: SightingStatus.UNKNOWN,
}


def sighting_recheck(*, sighting: Sighting, fetch=None, now=None) -> UrlCheck:
    """Recheck one sighting: a UrlCheck row, its new status, the next check time, and, when
    every link of a sent request is verified removed, the request and the case move on."""
    now = now or timezone.now()
    references = list(sighting.case.references.all())
    verdict = recheck.check(sighting.url, references, **({"fetch": fetch} if fetch else {}))
    return sighting_checks_record(checks=[(sighting, verdict)], now=now)[0]


def sighting_checks_record(*, checks: list[tuple[Sighting, "recheck.Verdict"]], now=None):
    """Write what rechecks found: per sighting a UrlCheck row, its new status and next check
    time and an event when the status changed; requests whose links are all verified
    removed close and their case moves to monitoring; a reappearance reopens them.

    The one writer for rechecks: `sighting_recheck` hands it one check, the concurrent
    batch path (evidence.recheck_batch) hundreds, in one transaction and a fixed number of
    queries for the common outcomes, so both leave the same rows. Sightings need `case`
    loaded (select_related)."""
    now = now or timezone.now()
    with transaction.atomic():
        _lock_recheck_state([sighting for sighting, _ in checks])
        outcomes = []
        for sighting, verdict in checks:
            outcome = verdict.outcome
            if outcome == Outcome.UNREACHABLE:
                first_failure = _unreachable_since(sighting, now)
                if now - first_failure >= recheck.UNREACHABLE_GRACE:
                    outcome = Outcome.REMOVED  # gone for days: counted as removed at last
            if outcome == Outcome.LIVE and sighting.removed_verified_at is not None:
                outcome = Outcome.REAPPEARED
            outcomes.append(outcome)
        rows = UrlCheck.objects.bulk_create(
            UrlCheck(
                sighting=sighting,
                checked_at=now,
                outcome=outcome,
                http_status=verdict.http_status,
                final_url=verdict.final_url[:2048],
                content_type=verdict.content_type[:120],
                bytes_read=verdict.bytes_read,
                elapsed_ms=verdict.elapsed_ms,
                distance=verdict.distance,
                error=verdict.error[:300],
            )
            for (sighting, verdict), outcome in zip(checks, outcomes, strict=True)
        )
        due = _waiting_due_by_sighting(
            [s for (s, _), o in zip(checks, outcomes, strict=True) if o in _LIVE_OUTCOMES]
        )
        events: dict = {}
        for (sighting, _verdict), outcome in zip(checks, outcomes, strict=True):
            previous = sighting.status
            sighting.status = SIGHTING_STATUS_FOR[outcome]
            sighting.last_checked_at = now
            if sighting.status == SightingStatus.REMOVED and sighting.removed_verified_at is None:
                sighting.removed_verified_at = now
            if outcome == Outcome.REAPPEARED:
                sighting.removed_verified_at = None
            sighting.next_check_at = now + _next_interval(
                sighting, outcome, now, due.get(sighting.pk)
            )
            if sighting.status != previous:
                case_events = events.setdefault(sighting.case_id, (sighting.case, []))[1]
                case_events.append(
                    event_build(
                        case=sighting.case,
                        actor=None,
                        kind=EventKind.SIGHTING_STATUS,
                        target=sighting,
                        old_value={"status": previous},
                        new_value={"status": sighting.status, "outcome": outcome},
                    )
                )
        Sighting.objects.bulk_update(
            [sighting for sighting, _ in checks],
            ["status", "last_checked_at", "removed_verified_at", "next_check_at"],
        )
        for case, case_events in events.values():
            events_record(case, case_events)
        removed = [s for s, _ in checks if s.status == SightingStatus.REMOVED]
        if removed:
            _close_requests_covering(removed, now)
        for (sighting, _verdict), outcome in zip(checks, outcomes, strict=True):
            if outcome == Outcome.REAPPEARED:
                _reopen_after_reappearance(sighting, now)
    for sighting, verdict in checks:
        if verdict.matched_image is not None:
            _keep_fetched_copy(sighting, verdict)
    return rows


_LIVE_OUTCOMES = (Outcome.LIVE, Outcome.REAPPEARED)
# What a recheck reads and writes on a sighting.
_RECHECK_STATE = ("status", "last_checked_at", "removed_verified_at", "next_check_at")


def _lock_recheck_state(sightings: list[Sighting]) -> None:
    """Re-read what a recheck decides on under lock, onto the objects loaded before the
    fetch: the cases' status (staff may have moved a case since) and the sightings' recheck
    state (another check of the same link, a second task or the batch path, may have written
    it, and a removal it verified must not be undone by our older copy). Two queries however
    many sightings; cases first, then sightings, each in key order (leakcase/locking.py), so
    two batches, or a batch and a caseworker, queue instead of deadlocking."""
    case_status = dict(
        Case.objects.select_for_update(no_key=True)
        .filter(pk__in={sighting.case_id for sighting in sightings})
        .order_by("pk")
        .values_list("pk", "status")
    )
    for sighting in sightings:
        sighting.case.status = case_status.get(sighting.case_id, sighting.case.status)
    fresh = {
        row.pk: row
        for row in Sighting.objects.select_for_update(no_key=True)
        .filter(pk__in=[sighting.pk for sighting in sightings])
        .order_by("pk")
        .only("pk", *_RECHECK_STATE)
    }
    for sighting in sightings:
        row = fresh.get(sighting.pk)
        if row is None:
            continue  # erased meanwhile: its check row fails like before
        for name in _RECHECK_STATE:
            setattr(sighting, name, getattr(row, name))


def _waiting_due_by_sighting(sightings: list[Sighting]) -> dict:
    """The earliest due time of a request still waiting on each sighting, in one query."""
    if not sightings:
        return {}
    through = Sighting.takedowns.through
    return dict(
        through.objects.filter(
            sighting__in=sightings,
            takedownrequest__status__in=WAITING_STATUSES,
            takedownrequest__due_at__isnull=False,
        )
        .values("sighting_id")
        .annotate(due=Min("takedownrequest__due_at"))
        .values_list("sighting_id", "due")
    )


def _keep_fetched_copy(sighting: Sighting, verdict) -> None:
    """A matching image found online is kept, sealed, as evidence with its source; the same
    bytes are kept once per sighting."""
    sha = hashlib.sha256(verdict.matched_image).hexdigest()
    if sighting.evidence_files.filter(sha256=sha).exists():
        return
    # An image we would refuse as an upload (too big, odd format) is not kept.
    with contextlib.suppress(ValidationError):
        evidence_add(
            case=sighting.case,
            upload=SimpleUploadedFile("fetched", verdict.matched_image),
            acting_user=None,
            sighting=sighting,
            kind=EvidenceKind.FETCHED_COPY,
            origin=EvidenceOrigin.FETCH,
            source_url=verdict.matched_image_url or sighting.url,
        )


def _reopen_after_reappearance(sighting: Sighting, now) -> None:
    """Back after a verified removal: the request that removed it is on the clock again and
    the case is worked again. The event is what the caseworker's queue shows."""
    # Locked and filtered on the fresh rows: a request a caseworker moved meanwhile is left be.
    removed = sighting.takedowns.select_for_update(no_key=True, of=("self",)).filter(
        status=TakedownStatus.REMOVED
    )
    for request in removed.order_by("pk"):
        request.status = TakedownStatus.SENT
        request.due_at = now + dt.timedelta(hours=due_hours(request))
        request.removed_at = None
        request.save(update_fields=["status", "due_at", "removed_at", "updated_at"])
        event_record(
            case=request.case,
            actor=None,
            kind=EventKind.TAKEDOWN_REPLY,
            target=request,
            old_value={"status": TakedownStatus.REMOVED},
            new_value={"status": TakedownStatus.SENT, "reason": "reappeared"},
        )
    case = locked(sighting.case)  # its status now (this batch may have moved it already)
    if case.status in (CaseStatus.MONITORING, CaseStatus.RESOLVED):
        case_change_status(case=case, to=CaseStatus.ACTIVE, acting_user=None)


def _unreachable_since(sighting: Sighting, now):
    """When the current run of unreachable checks began (now, if it begins with this one)."""
    last_reached = (
        sighting.checks.exclude(outcome=Outcome.UNREACHABLE).values_list("checked_at", flat=True)
    ).first()
    run = sighting.checks.filter(outcome=Outcome.UNREACHABLE)
    if last_reached is not None:
        run = run.filter(checked_at__gt=last_reached)
    first = run.order_by("checked_at").values_list("checked_at", flat=True).first()
    return first or now


def _next_interval(sighting: Sighting, outcome: str, now, due) -> dt.timedelta:
    """`due`: the earliest due time of a request waiting on the sighting (None if none)."""
    if outcome in (Outcome.REMOVED, Outcome.SOFT_REMOVED):
        removed_for = now - (sighting.removed_verified_at or now)
        base = min(RECHECK_REMOVED_MAX, max(RECHECK_REMOVED_FIRST, removed_for))
    elif outcome == Outcome.UNREACHABLE:
        base = RECHECK_UNREACHABLE
    elif outcome in (Outcome.LOGIN_WALLED, Outcome.GEO_BLOCKED, Outcome.BLOCKED):
        base = RECHECK_WALLED
    else:
        base = RECHECK_NEAR_DUE if due and due - now < dt.timedelta(hours=24) else RECHECK_LIVE
    return base * (1 + random.uniform(-RECHECK_JITTER, RECHECK_JITTER))


def _close_requests_covering(removed: list[Sighting], now) -> None:
    """Requests waiting on these removed sightings close when all their links are removed;
    their case moves to monitoring when none of its links is left."""
    waiting = TakedownRequest.objects.filter(
        sightings__in=removed, status__in=WAITING_STATUSES
    ).values("pk")
    # Locked, and the status filter applied again to the rows as they are once locked: a
    # reply recorded meanwhile (rejected, removed) is not overwritten with our older view.
    requests = (
        TakedownRequest.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk__in=waiting, status__in=WAITING_STATUSES)
        .select_related("case")
        .order_by("pk")
    )
    for request in requests:
        if request.sightings.exclude(status=SightingStatus.REMOVED).exists():
            continue
        old = request.status
        request.status = TakedownStatus.REMOVED
        request.removed_at = request.removed_at or now
        request.save(update_fields=["status", "removed_at", "updated_at"])
        event_record(
            case=request.case,
            actor=None,
            kind=EventKind.TAKEDOWN_REPLY,
            target=request,
            old_value={"status": old},
            new_value={"status": TakedownStatus.REMOVED, "verified_by": "recheck"},
        )
    # The cases' status was read again, under lock, at the start (_lock_recheck_state).
    cases = {s.case_id: s.case for s in removed if s.case.status == CaseStatus.ACTIVE}
    if not cases:
        return
    still_up = Sighting.objects.filter(case=OuterRef("pk")).exclude(status=SightingStatus.REMOVED)
    done = Case.objects.filter(pk__in=cases).exclude(Exists(still_up)).values_list("pk", flat=True)
    for pk in done:
        case_change_status(case=cases[pk], to=CaseStatus.MONITORING, acting_user=None)

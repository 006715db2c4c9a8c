"""A case's images to find, in the hash-exchange format of ThreatExchange and
Hasher-Matcher-Actioner: one `signal_type value` line per hash, as the threatexchange
library's own command line prints them (`threatexchange hash photo ...` writes `pdq <hex>`).
Only with her recorded consent (Case.consent_to_share_hashes), only for staff, and recorded
twice in the transaction that makes the file: on her timeline (CaseEvent) and in the audit
trail (AuditEvent), each with counts only, never a hash.

The names and checks are the threatexchange library's (1.2.x): its PdqSignal is "pdq", 64
lower-case hex digits, and it drops PDQ hashes of quality under 50 as too unreliable to
match on (PdqSignal.QUALITY_THRESHOLD). Its MD5 signal type is for videos only
(VideoMD5Signal, "video_md5", 32 hex digits); a photo's MD5 has no type of its own there, so
it is written "md5", the name Hasher-Matcher-Actioner's exchanges use for a file's MD5.
The library itself is not a dependency: it installs faiss, pdqhash (compiled) and
weighted-levenshtein to give us two names and two regular expressions.

What is stored today (evidence.models.ReferenceHash): PDQ without its quality, and no MD5.
The quality (`pdq_quality`) and the file's MD5 (`md5`) are read where a reference has them,
so the export carries them as soon as they are stored; a PDQ without a known quality is
left out, and counted.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.models import User
from audit.models import AuditKind
from audit.services import audit_record
from cases.models import Case, EventKind
from cases.services import event_record
from leakcase.locking import locked

PDQ = "pdq"
MD5 = "md5"
PDQ_MIN_QUALITY = 50
SIGNAL_SHAPES = {PDQ: re.compile(r"^[0-9a-f]{64}$"), MD5: re.compile(r"^[0-9a-f]{32}$")}

NO_CONSENT = (
    "Nothing was exported: she has not consented to her images' fingerprints being shared. "
    "Record her consent under “Programmes that can help” first."
)


@dataclass(frozen=True)
class HashExport:
    text: str
    pdq: int  # PDQ lines
    md5: int  # MD5 lines
    pdq_unknown_quality: int  # PDQ hashes left out: their quality is not known
    pdq_low_quality: int  # PDQ hashes left out: quality under PDQ_MIN_QUALITY

    @property
    def counts(self) -> dict:
        return {
            "pdq": self.pdq,
            "md5": self.md5,
            "pdq_unknown_quality": self.pdq_unknown_quality,
            "pdq_low_quality": self.pdq_low_quality,
        }


def exchange_file(references) -> HashExport:
    """The exchange file for these references (ReferenceHash rows), with what it holds and
    what it left out. Each hash appears once, however many references share it."""
    lines: dict[str, None] = {}  # ordered and without repeats
    unknown = low = 0
    for reference in references:
        pdq = (reference.pdq or "").lower()
        if pdq:
            quality = getattr(reference, "pdq_quality", None)
            if quality is None:
                unknown += 1
            elif quality < PDQ_MIN_QUALITY:
                low += 1
            elif SIGNAL_SHAPES[PDQ].match(pdq):
                lines[f"{PDQ} {pdq}"] = None
        md5 = (getattr(reference, "md5", "") or "").lower()
        if SIGNAL_SHAPES[MD5].match(md5):
            lines[f"{MD5} {md5}"] = None
    return HashExport(
        text="".join(f"{line}\n" for line in lines),
        pdq=sum(1 for line in lines if line.startswith(f"{PDQ} ")),
        md5=sum(1 for line in lines if line.startswith(f"{MD5} ")),
        pdq_unknown_quality=unknown,
        pdq_low_quality=low,
    )


def hashes_export(*, case: Case, acting_user: User) -> HashExport:
    """The case's exchange file for staff to hand to a platform or a hash-sharing programme.
    Refused (nothing recorded) without her consent, or when no hash can go in it."""
    if not acting_user.is_support_staff:
        raise PermissionDenied("Only support staff export hashes.")
    with transaction.atomic():
        locked(case)  # her withdrawal, arriving now, is either before this or after it
        if not case.consent_to_share_hashes:
            raise ValidationError(NO_CONSENT, code="no_consent")
        export = exchange_file(case.references.all())
        if not export.text:
            raise ValidationError(_nothing_to_export(export), code="empty")
        event_record(
            case=case,
            actor=acting_user,
            kind=EventKind.HASHES_EXPORTED,
            new_value=export.counts,
        )
        audit_record(
            kind=AuditKind.EXPORT,
            actor=acting_user,
            # The case by database id, as the audit middleware names it: never its reference.
            target=f"evidence:hash_export case={case.pk}",
            detail=export.counts,
        )
    return export


def _nothing_to_export(export: HashExport) -> str:
    text = "Nothing was exported: no image to find has a hash that can be shared."
    if export.pdq_unknown_quality:
        text += (
            f" {_hashes(export.pdq_unknown_quality)} made before LeakCase kept a PDQ"
            f" hash's quality, and the exchange takes only those of quality {PDQ_MIN_QUALITY}"
            " or more: register the image again to include it."
        )
    if export.pdq_low_quality:
        text += (
            f" {_hashes(export.pdq_low_quality)} of quality under {PDQ_MIN_QUALITY}"
            " (too plain an image to match on)."
        )
    return text


def _hashes(count: int) -> str:
    return "1 PDQ hash was" if count == 1 else f"{count} PDQ hashes were"

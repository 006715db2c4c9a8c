"""evidence/hash_exchange.py: the exchange file, read back as ThreatExchange reads it, and the
export: only for staff, only with her consent, recorded with counts and never a hash."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent, AuditKind
from cases.models import CaseEvent, EventKind
from cases.services import case_set_hash_sharing
from casework.selectors import case_timeline
from evidence.demo_images import make_image
from evidence.hash_exchange import exchange_file, hashes_export
from evidence.models import ReferenceHash
from evidence.services import reference_register

# What the threatexchange library (1.2.17) accepts, written out here from its source rather
# than imported from ours: PdqSignal.validate_signal_str and VideoMD5Signal's pattern.
THREATEXCHANGE_SHAPES = {"pdq": r"^[0-9a-f]{64}$", "md5": r"^[0-9a-f]{32}$"}


def read_back(text: str) -> list[tuple[str, str]]:
    """Each line "signal_type value", as `threatexchange hash` prints it; anything else fails."""
    assert text.endswith("\n")
    signals = []
    for line in text.splitlines():
        signal_type, value = line.split(" ")
        assert re.match(THREATEXCHANGE_SHAPES[signal_type], value), line
        signals.append((signal_type, value))
    return signals


def _reference(pdq="", quality=None, md5=None):
    """A reference as the fields are read; `md5` is set only when given (evidence.hash_exchange
    reads it where a reference has one)."""
    reference = ReferenceHash(phash=0, dhash=0, pdq=pdq, p0=0, p1=0, p2=0, p3=0)
    if quality is not None:
        reference.pdq_quality = quality
    if md5 is not None:
        reference.md5 = md5
    return reference


def test_the_file_holds_pdq_of_quality_50_or_more_and_md5_one_per_line():
    good, plain, unknown = "ab" * 32, "cd" * 32, "ef" * 32
    md5 = "0123456789abcdef" * 2
    export = exchange_file(
        [
            _reference(good.upper(), quality=50, md5=md5.upper()),
            _reference(plain, quality=49),
            _reference(unknown),  # made before the quality was kept
            _reference(good, quality=100, md5=md5),  # the same image registered twice
            _reference("", md5="not an md5"),
        ]
    )
    assert read_back(export.text) == [("pdq", good), ("md5", md5)]
    assert export.counts == {"pdq": 1, "md5": 1, "pdq_unknown_quality": 1, "pdq_low_quality": 1}


def test_nothing_to_share_is_an_empty_file():
    export = exchange_file([_reference("ab" * 32)])
    assert export.text == ""
    assert (export.pdq, export.md5, export.pdq_unknown_quality) == (0, 0, 1)


@pytest.fixture
def her_references(case, survivor):
    return [
        reference_register(case=case, data=make_image(seed=seed), acting_user=survivor)
        # Pictures detailed enough for a PDQ quality of 50 or more (quality_known checks it).
        for seed in (41, 51)
    ]


@pytest.fixture
def quality_known(her_references):
    """Her references as registered now: PDQ with its quality, good enough to share."""
    assert all(r.pdq_quality >= 50 for r in her_references)


def _nothing_recorded(case):
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.HASHES_EXPORTED).exists()
    assert not AuditEvent.objects.filter(kind=AuditKind.EXPORT).exists()


def test_without_her_consent_nothing_is_exported_or_recorded(
    case, caseworker, her_references, quality_known
):
    with pytest.raises(ValidationError, match="she has not consented"):
        hashes_export(case=case, acting_user=caseworker)
    _nothing_recorded(case)


def test_only_staff_export(case, survivor, her_references, quality_known):
    case_set_hash_sharing(case=case, given=True, acting_user=survivor)
    with pytest.raises(PermissionDenied):
        hashes_export(case=case, acting_user=survivor)
    _nothing_recorded(case)


def test_a_file_with_nothing_in_it_is_refused_with_the_reason(
    case, survivor, caseworker, her_references
):
    # Registered before LeakCase kept a PDQ's quality: nothing in them may be shared.
    ReferenceHash.objects.filter(case=case).update(pdq_quality=None, md5="")
    case_set_hash_sharing(case=case, given=True, acting_user=survivor)
    with pytest.raises(ValidationError, match="2 PDQ hashes were made before LeakCase kept"):
        hashes_export(case=case, acting_user=caseworker)
    _nothing_recorded(case)


def test_the_export_is_on_her_timeline_and_in_the_audit_trail_with_counts_only(
    case, survivor, caseworker, her_references, quality_known
):
    case_set_hash_sharing(case=case, given=True, acting_user=survivor)
    export = hashes_export(case=case, acting_user=caseworker)
    assert read_back(export.text) == [
        signal for r in her_references for signal in (("pdq", r.pdq), ("md5", r.md5))
    ]
    counts = {"pdq": 2, "md5": 2, "pdq_unknown_quality": 0, "pdq_low_quality": 0}
    (event,) = CaseEvent.objects.filter(case=case, kind=EventKind.HASHES_EXPORTED)
    assert (event.actor, event.new_value, event.internal) == (caseworker, counts, False)
    # She sees it on her timeline, in counts.
    (entry,) = [e for e in case_timeline(case, survivor) if e.event == event]
    assert (entry.event.get_kind_display(), entry.text) == (
        "Image fingerprints exported for hash sharing",
        "2 PDQ, 2 MD5",
    )
    (audit,) = AuditEvent.objects.filter(kind=AuditKind.EXPORT)
    assert (audit.actor_id, audit.target, audit.detail) == (
        caseworker.pk,
        f"evidence:hash_export case={case.pk}",
        counts,
    )
    recorded = str(event.new_value) + audit.target + str(audit.detail)
    assert not any(r.pdq[:16] in recorded or r.md5[:16] in recorded for r in her_references)
    assert case.reference not in recorded

    # Withdrawn: nothing more goes out.
    case_set_hash_sharing(case=case, given=False, acting_user=survivor)
    with pytest.raises(ValidationError, match="she has not consented"):
        hashes_export(case=case, acting_user=caseworker)
    assert CaseEvent.objects.filter(case=case, kind=EventKind.HASHES_EXPORTED).count() == 1

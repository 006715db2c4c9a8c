"""Reads for sightings and evidence. Children are always fetched through a case the user may
see (cases.selectors.case_for_user), so a guessed id on someone else's case is a 404."""

from django.db.models import F, Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from cases.models import Case
from cases.selectors import case_for_user
from evidence.models import EvidenceFile, Sighting
from takedowns.models import TakedownRequest


def sighting_for_user(user: User, reference: str, sighting_id) -> Sighting:
    case = case_for_user(user, reference)
    return get_object_or_404(
        Sighting.objects.select_related("platform", "case"), pk=sighting_id, case=case
    )


def evidence_for_user(user: User, reference: str, evidence_id) -> EvidenceFile:
    case = case_for_user(user, reference)
    return get_object_or_404(
        EvidenceFile.objects.select_related("case", "sighting"), pk=evidence_id, case=case
    )


def case_sightings(case: Case) -> QuerySet[Sighting]:
    # Grouped by platform on the case page: one takedown goes to each platform.
    # Each sighting's requests, newest first, for "which request covers it" in plain words.
    requests = TakedownRequest.objects.select_related("platform").order_by("-created_at")
    return (
        case.sightings.select_related("platform")
        .prefetch_related(Prefetch("takedowns", queryset=requests))
        .order_by(F("platform__name").asc(nulls_last=True), "created_at")
    )


def case_evidence(case: Case) -> QuerySet[EvidenceFile]:
    return case.evidence_files.select_related("sighting").order_by("-created_at")

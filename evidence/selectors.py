"""Reads for sightings and evidence. Each one by its id is access.permissions' to fetch
(sighting_for_user, evidence_for_user, ...: always through a case the user may see)."""

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, Min, QuerySet

from accounts.models import User
from cases.models import Case
from evidence import vault
from evidence.matching import references_matching
from evidence.matching.hashing import ImageHashes
from evidence.models import EvidenceFile, EvidenceMatch, ReferenceHash, Sighting


def evidence_original_name_for(user: User, evidence: EvidenceFile) -> str:
    """The upload's own name, for the survivor whose case it is: it helps her tell her
    screenshots apart without revealing them. Staff work from the image, the sighting and
    the hashes; the name can name her or others, so they are not shown it."""
    if evidence.case.survivor_id is None or evidence.case.survivor_id != user.pk:
        return ""
    return vault.original_name(evidence)


def case_sightings(case: Case) -> QuerySet[Sighting]:
    # Grouped by platform on the case page: one takedown goes to each platform. Which request
    # covers each one the case page takes from the case's requests (cases.views).
    return case.sightings.select_related("platform").order_by(
        F("platform__name").asc(nulls_last=True), "created_at"
    )


@dataclass(frozen=True)
class LinkListed:
    """A link as the case page lists every one of them (its upload form offers each, its
    platform groups count them): no more than that, so a case of hundreds of links does not
    build hundreds of full rows to show a page of 25 (bench/RESULTS.md, `pages`)."""

    pk: uuid.UUID
    url: str
    platform_id: int | None


def case_links_listed(case: Case, *, with_withdrawn: bool) -> list[LinkListed]:
    """The case's links in case_sightings' order; without the ones she removed from her
    list unless `with_withdrawn` (staff keep them: casework.link_views)."""
    rows = case_sightings(case)
    if not with_withdrawn:
        rows = rows.filter(withdrawn_at__isnull=True)
    return [LinkListed(*row) for row in rows.values_list("pk", "url", "platform_id")]


def sightings_in_order(case: Case, pks: list) -> list[Sighting]:
    """The case's sightings with these ids, in full, in the order given (one erased since
    it was listed is left out)."""
    found = {s.pk: s for s in case.sightings.select_related("platform").filter(pk__in=pks)}
    return [found[pk] for pk in pks if pk in found]


def case_evidence(case: Case) -> QuerySet[EvidenceFile]:
    return case.evidence_files.select_related("sighting").order_by("-created_at")


def evidence_suggestions(
    evidence: EvidenceFile, user: User, *, visible_cases: QuerySet[Case]
) -> list:
    """Possible copies for this evidence: the stored matches in its case, and for staff the
    references of the other cases they may see, `visible_cases`
    (access.permissions.cases_visible_to; recomputed, never stored across cases)."""
    own = list(evidence.matches.select_related("reference", "confirmed_by"))
    others = []
    if user.is_support_staff:
        hashes = ImageHashes.from_hex(evidence.phash, evidence.dhash)
        elsewhere = (
            ReferenceHash.objects.filter(case__in=visible_cases)
            .exclude(case=evidence.case)
            .select_related("case")
        )
        others = references_matching(hashes, elsewhere)
    return own, others


@dataclass(frozen=True)
class CopyGroup:
    reference: ReferenceHash
    urls: list[str]


def copy_groups(case: Case) -> list[CopyGroup]:
    """Sightings whose evidence was confirmed as a copy of the same reference image: one
    image, many addresses. A notice can list them as known identical copies."""
    groups: dict = {}
    confirmed = (
        EvidenceMatch.objects.filter(evidence__case=case, confirmed_at__isnull=False)
        .select_related("reference", "evidence__sighting")
        .order_by("reference__created_at")
    )
    for match in confirmed:
        group = groups.setdefault(match.reference_id, CopyGroup(match.reference, []))
        sighting = match.evidence.sighting
        if sighting is not None and sighting.url not in group.urls:
            group.urls.append(sighting.url)
    return [group for group in groups.values() if group.urls]


# --- for machines: /healthz and /metrics (counts and times, never whose or what) ----------


@dataclass(frozen=True)
class DueChecks:
    count: int
    oldest: dt.datetime | None  # when the longest-waiting one fell due


def due_checks(*, now: dt.datetime) -> DueChecks:
    """How many rechecks are due and since when: how far the workers are behind. One query,
    on the partial index of next_check_at."""
    figures = Sighting.objects.filter(next_check_at__lte=now).aggregate(
        count=Count("pk"), oldest=Min("next_check_at")
    )
    return DueChecks(**figures)


@dataclass(frozen=True)
class ReferenceHashFigures:
    rows: int
    newest_at: dt.datetime | None  # when the newest reference hash was added
    added: int  # the generation counter (evidence/migrations/0008_reference_hash_generation.py)
    removed: int


# One statement, one snapshot: the rows and the counter the in-process index compares with.
_REFERENCE_HASH_FIGURES_SQL = """
SELECT count(*), max(created_at),
       (SELECT added FROM evidence_referencehash_generation WHERE id = 1),
       (SELECT removed FROM evidence_referencehash_generation WHERE id = 1)
FROM evidence_referencehash
"""


def reference_hash_figures() -> ReferenceHashFigures:
    with connection.cursor() as cursor:
        cursor.execute(_REFERENCE_HASH_FIGURES_SQL)
        rows, newest_at, added, removed = cursor.fetchone()
    return ReferenceHashFigures(rows, newest_at, added or 0, removed or 0)

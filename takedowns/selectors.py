import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Min
from django.utils import timezone

from cases.models import NoticeContact
from platforms.models import Platform
from takedowns.models import (
    TAKE_IT_DOWN_HOURS,
    WAITING_STATUSES,
    AnonymousOutcome,
    LegalBasis,
    TakedownRequest,
    TakedownStatus,
)
from takedowns.notices import Notice, reply_address

# --- takedown requests -------------------------------------------------------------------

# EU member states plus the EEA countries that apply the DSA (ISO 3166-1 alpha-2).
DSA_COUNTRIES = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
})  # fmt: skip


def bases_offered(case, platform: Platform | None) -> list[str]:
    """The legal routes that fit this case and platform, the likeliest first. An unknown
    platform is offered every route the case's jurisdiction allows."""
    answers = set(platform.legal_bases) if platform else set(LegalBasis.values)
    offered = []
    if LegalBasis.TAKE_IT_DOWN in answers:
        offered.append(LegalBasis.TAKE_IT_DOWN)
    if LegalBasis.DSA in answers and (not case.jurisdiction or case.jurisdiction in DSA_COUNTRIES):
        offered.append(LegalBasis.DSA)
    offered.append(LegalBasis.PLATFORM_POLICY)
    if LegalBasis.DMCA in answers:
        offered.append(LegalBasis.DMCA)
    return offered


def case_takedowns(case) -> list[TakedownRequest]:
    return list(
        case.takedowns.select_related("platform")
        .prefetch_related("sightings")
        .order_by("status", "-created_at")
    )


def notice_for(takedown: TakedownRequest) -> Notice:
    urls = [s.url for s in sorted(takedown.sightings.all(), key=lambda s: s.created_at)]
    evidence_count = takedown.case.evidence_files.count()
    return Notice(
        request=takedown,
        urls=urls,
        evidence_count=evidence_count,
        default_contact=default_notice_contact(takedown),
    )


def default_notice_contact(takedown: TakedownRequest) -> str:
    """The email a notice gives when its draft names none: the service's reply address for
    this request, or hers if she chose that on her case."""
    case = takedown.case
    if case.notice_contact == NoticeContact.OWN_EMAIL:
        return case.contact_email
    return reply_address(takedown)


def her_email_addresses(case) -> set[str]:
    """The addresses we know are hers, lowercased: the case's contact and her login."""
    found = {case.contact_email}
    if case.survivor_id is not None:
        found.add(case.survivor.email)
    return {address.strip().lower() for address in found if address and address.strip()}


def recipient_in_directory(address: str) -> bool:
    """The platform directory's addresses need no caseworker's approval: supervisors keep
    them, each with its source."""
    address = address.strip()
    return bool(address) and Platform.objects.filter(abuse_email__iexact=address).exists()


def recipient_needs_approval(takedown: TakedownRequest) -> bool:
    """An address typed into the request (not the platform's own from the directory) that no
    caseworker has approved yet."""
    if not takedown.recipient_email.strip():
        return False
    return not takedown.recipient_approved and not recipient_in_directory(takedown.recipient_email)


def waiting_due_by_sighting(sightings) -> dict:
    """The earliest due time of a request still waiting on each sighting, in one query
    (rechecks look hourly at a link whose request is due within a day)."""
    if not sightings:
        return {}
    through = TakedownRequest.sightings.through
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


@dataclass(frozen=True)
class Suggestion:
    route: str
    why: str


def escalation_suggestions(takedown: TakedownRequest, now=None) -> list[Suggestion]:
    """Where to go next when a platform says no or lets the clock run out."""
    now = now or timezone.now()
    overdue = takedown.status in WAITING_STATUSES and takedown.due_at and takedown.due_at < now
    if (
        takedown.status not in (TakedownStatus.REJECTED, TakedownStatus.PARTIALLY_REMOVED)
        and not overdue
    ):
        return []
    why = (
        "the platform refused"
        if takedown.status == TakedownStatus.REJECTED
        else (
            "only part was removed"
            if takedown.status == TakedownStatus.PARTIALLY_REMOVED
            else "the platform missed its deadline"
        )
    )
    suggestions = [
        Suggestion(
            "Hosting provider",
            f"Because {why}: the company hosting the site can remove it for breach of its "
            "terms; look up the host's abuse contact for the site's address.",
        )
    ]
    platform = takedown.platform
    if platform is None or not platform.is_search_engine:
        suggestions.append(
            Suggestion(
                "Search delisting",
                "Ask Google and Bing to drop the addresses from search results, so fewer "
                "people find them while the removal goes on.",
            )
        )
    regulators = {
        LegalBasis.TAKE_IT_DOWN: "The US Federal Trade Commission enforces the TAKE IT DOWN "
        f"Act against platforms that fail to remove within {TAKE_IT_DOWN_HOURS} hours.",
        LegalBasis.DSA: "A complaint through the platform's internal system (free, for 6 "
        "months after its decision), then the Digital Services Coordinator of the country.",
        LegalBasis.DMCA: "The platform loses its safe harbour for material it keeps up after "
        "a valid notice; a lawyer can advise on a claim.",
        LegalBasis.PLATFORM_POLICY: "Re-file under a legal route (TAKE IT DOWN Act or DSA) "
        "if one fits; platforms must answer those.",
    }
    suggestions.append(Suggestion("Regulator or legal route", regulators[takedown.legal_basis]))
    return suggestions


# --- figures per platform --------------------------------------------------------------


@dataclass(frozen=True)
class PlatformFigures:
    platform: str
    sent: int
    removed: int
    rejected: int
    removal_rate: float | None  # removed / sent
    median_hours: float | None  # sent -> removed, over removed requests
    p90_hours: float | None
    within_48h_share: float | None  # removed within 48 h / sent


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default 'linear' method)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


# In PostgreSQL, grouped by platform name as the figures show it: counts over every sent
# request (a hash aggregate), hours to removal over removed ones only. percentile_cont
# interpolates linearly between closest ranks, as `percentile` above does. Requests of
# erased accounts (AnonymousOutcome) still count, anonymously. An outcome the survivor
# recorded herself counts as none yet (sent) until staff confirm it, as
# TakedownRequest.outcome_for_figures says.
_FIGURES_SQL = """
WITH outcomes AS NOT MATERIALIZED (
    SELECT COALESCE(platform.name, %(unknown)s) AS platform, status, sent_at, removed_at
    FROM (
        SELECT platform_id,
            CASE WHEN {unconfirmed} THEN %(sent)s ELSE status END AS status,
            sent_at,
            CASE WHEN {unconfirmed} THEN NULL ELSE removed_at END AS removed_at
        FROM {requests}
        WHERE sent_at IS NOT NULL
        UNION ALL
        SELECT platform_id, status, sent_at, removed_at FROM {anonymous}
    ) sent
    LEFT JOIN {platforms} platform ON platform.id = sent.platform_id
), counted AS (
    SELECT platform,
        count(*) AS sent,
        count(*) FILTER (WHERE status = %(removed)s AND removed_at IS NOT NULL) AS removed,
        count(*) FILTER (WHERE status = %(rejected)s) AS rejected,
        count(*) FILTER (
            WHERE status = %(removed)s AND removed_at - sent_at <= %(within)s
        ) AS within
    FROM outcomes GROUP BY platform
), timed AS (
    SELECT platform,
        percentile_cont(ARRAY[0.5, 0.9])
            WITHIN GROUP (ORDER BY date_part('epoch', removed_at - sent_at) / 3600) AS hours
    FROM outcomes WHERE status = %(removed)s AND removed_at IS NOT NULL
    GROUP BY platform
)
SELECT counted.platform, sent, removed, rejected, within, hours
FROM counted LEFT JOIN timed ON timed.platform = counted.platform
"""


def platform_figures() -> list[PlatformFigures]:
    """How each platform answers: one row per platform that has been sent a request."""
    sql = _FIGURES_SQL.format(
        requests=TakedownRequest._meta.db_table,
        anonymous=AnonymousOutcome._meta.db_table,
        platforms=Platform._meta.db_table,
        unconfirmed="decision_by_survivor AND decision_confirmed_at IS NULL",
    )
    params = {
        "unknown": "Unknown platforms",
        "sent": TakedownStatus.SENT.value,
        "removed": TakedownStatus.REMOVED.value,
        "rejected": TakedownStatus.REJECTED.value,
        "within": dt.timedelta(hours=TAKE_IT_DOWN_HOURS),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # Sorted here, by name as Python compares them, whatever the database's collation.
    return [
        PlatformFigures(
            platform=name,
            sent=sent,
            removed=removed,
            rejected=rejected,
            removal_rate=removed / sent,
            median_hours=hours[0] if hours else None,
            p90_hours=hours[1] if hours else None,
            within_48h_share=within / sent,
        )
        for name, sent, removed, rejected, within, hours in sorted(rows)
    ]


def sighting_in_sent_request(sighting) -> bool:
    """Was this link's address given to a platform (a request past its draft)? Then the
    address stays as sent: the request and its evidence must name what the platform got."""
    return sighting.takedowns.exclude(status=TakedownStatus.DRAFT).exists()


def requests_naming(sighting) -> list[TakedownRequest]:
    """The requests that name this link, newest first, for its page."""
    return list(sighting.takedowns.select_related("platform").order_by("-created_at"))

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
    Channel,
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
    WHERE (%(since)s::timestamptz IS NULL OR sent.sent_at >= %(since)s)
        AND (%(before)s::timestamptz IS NULL OR sent.sent_at < %(before)s)
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


def platform_figures_from_requests(
    *, sent_since: dt.datetime | None = None, sent_before: dt.datetime | None = None
) -> list[PlatformFigures]:
    """How each platform answers, worked out from every request (what the summary read by
    platform_figures must equal; its tests and the benchmark's baseline): one row per
    platform that has been sent a request, of the requests sent within [sent_since,
    sent_before) when they are given (a request's removal counts with the request, whenever
    it came)."""
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
        "since": sent_since,
        "before": sent_before,
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


# The summary's days in the range, summed per platform: per bucket of hours to removal,
# the removals and their hours ({counts}, {hours}: one sum a bucket). Table names and
# bucket numbers only go into the text.
_SUMMARY_READ_SQL = """
SELECT COALESCE(platform.name, %(unknown)s) AS name,
    sum(s.sent), sum(s.removed), sum(s.rejected), sum(s.removed_within_48h),
    ARRAY[{counts}], ARRAY[{hours}],
    max(s.worked_out_at)
FROM {days} s
LEFT JOIN {platforms} platform ON platform.id = s.platform_id
WHERE (%(since)s::date IS NULL OR s.day >= %(since)s)
    AND (%(before)s::date IS NULL OR s.day < %(before)s)
GROUP BY 1
"""


def _summary_sql() -> str:
    from takedowns.models import REMOVAL_HOUR_EDGES, PlatformFigureDay

    buckets = range(1, len(REMOVAL_HOUR_EDGES) + 2)  # PostgreSQL arrays count from 1

    def each(column):
        return ", ".join(f"sum(s.{column}[{i}])" for i in buckets)

    return _SUMMARY_READ_SQL.format(
        counts=each("removal_counts"),
        hours=each("removal_hours"),
        days=PlatformFigureDay._meta.db_table,
        platforms=Platform._meta.db_table,
    )


def _utc_day(moment: dt.datetime | None) -> dt.date | None:
    if moment is None:
        return None
    utc = moment.astimezone(dt.UTC)
    if utc.time() != dt.time(0):
        raise ValueError("The figures' summary is by UTC day: give midnights (UTC).")
    return utc.date()


def bucket_percentile(counts, hours, fraction: float) -> float | None:
    """The percentile of the removals in buckets of REMOVAL_HOUR_EDGES (how many in each,
    and their hours added up), interpolated between closest ranks as `percentile` does. A
    bucket's removals are taken as spread evenly around their mean, as widely as the bucket
    allows on both sides: a bucket of one removal (or of equal ones) gives it exactly."""
    from takedowns.models import REMOVAL_HOUR_EDGES

    total = sum(counts)
    if not total:
        return None
    # Bucket b holds [edges[b - 1], edges[b]); bucket 0 is below the first edge and the
    # last is open: their far side is unknown, so their removals are all taken at the mean.
    lower_edges = [None, *REMOVAL_HOUR_EDGES]
    upper_edges = [*REMOVAL_HOUR_EDGES, None]

    def value(rank: int) -> float:
        before = 0
        for bucket, count in enumerate(counts):
            if rank < before + count:
                mean = hours[bucket] / count
                low, high = lower_edges[bucket], upper_edges[bucket]
                spread = 0.0 if low is None or high is None else min(mean - low, high - mean)
                return mean + spread * ((2 * (rank - before) + 1) / count - 1)
            before += count
        raise AssertionError("rank beyond the counts")

    position = (total - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, total - 1)
    return value(lower) + (value(upper) - value(lower)) * (position - lower)


@dataclass(frozen=True)
class FiguresAsOf:
    figures: list[PlatformFigures]
    as_of: dt.datetime | None  # when the newest day of the summary read was worked out


def platform_figures_summary(
    *, sent_since: dt.datetime | None = None, sent_before: dt.datetime | None = None
) -> FiguresAsOf:
    """platform_figures, with when the summary they were read from was last worked out."""
    params = {
        "unknown": "Unknown platforms",
        "since": _utc_day(sent_since),
        "before": _utc_day(sent_before),
    }
    with connection.cursor() as cursor:
        cursor.execute(_summary_sql(), params)
        rows = cursor.fetchall()
    figures = [
        PlatformFigures(
            platform=name,
            sent=sent,
            removed=removed,
            rejected=rejected,
            removal_rate=removed / sent,
            median_hours=bucket_percentile(counts, hours, 0.5),
            p90_hours=bucket_percentile(counts, hours, 0.9),
            within_48h_share=within / sent,
        )
        for name, sent, removed, rejected, within, counts, hours, _ in sorted(rows)
        if sent
    ]
    return FiguresAsOf(figures, max((row[-1] for row in rows), default=None))


def platform_figures(
    *, sent_since: dt.datetime | None = None, sent_before: dt.datetime | None = None
) -> list[PlatformFigures]:
    """How each platform answers: one row per platform that has been sent a request, of
    the requests sent within [sent_since, sent_before) (UTC midnights) when they are given;
    a request's removal counts with the request, whenever it came. Read in one query from
    the summary (PlatformFigureDay), summed over the days: as of its last refresh
    (services.platform_figures_refresh, which the figures page runs first). Counts equal
    platform_figures_from_requests; hours to removal are within their bucket of it."""
    return platform_figures_summary(sent_since=sent_since, sent_before=sent_before).figures


# --- her request, in her words ---------------------------------------------------------

# What each route asks for, said to her (the product gives no legal advice: it says which
# route was taken and what it obliges the platform to do). {hours} is the request's clock.
ROUTE_FOR_HER = {
    LegalBasis.TAKE_IT_DOWN: (
        "A removal request under the US TAKE IT DOWN Act, which gives the platform "
        f"{TAKE_IT_DOWN_HOURS} hours to remove the images and known copies of them."
    ),
    LegalBasis.DMCA: (
        "A copyright notice under the US DMCA, because you own the pictures (for example, "
        "you took them). The platform must remove them quickly; the person who posted them "
        "may object with a counter-notice."
    ),
    LegalBasis.DSA: (
        "A notice of illegal content under the EU Digital Services Act. The platform must "
        "confirm it received it and give a decision with its reasons; you may complain, free "
        "of charge, for 6 months after that decision."
    ),
    LegalBasis.PLATFORM_POLICY: (
        "A report under {platform}'s own rules against sharing intimate images without "
        "consent. We usually hear back within {hours} hours."
    ),
}
SEARCH_DELISTING_FOR_HER = (
    "A request to {platform} to drop the links from its search results, so fewer people find "
    "them. We usually hear back within {hours} hours."
)
# The status of a request, said to her. {who} is the platform.
STATUS_FOR_HER = {
    TakedownStatus.DRAFT: "Being prepared. Nothing has been sent yet.",
    TakedownStatus.SENT: "Sent. {who} has not answered yet.",
    TakedownStatus.ACKNOWLEDGED: "{who} confirmed it received the request.",
    TakedownStatus.REMOVED: "{who} removed it.",
    TakedownStatus.PARTIALLY_REMOVED: "{who} removed some of it, not all.",
    TakedownStatus.REJECTED: "{who} refused to remove it.",
    TakedownStatus.ESCALATED: "We have taken it further.",
}


def route_for_her(takedown: TakedownRequest, hours: int) -> str:
    platform = takedown.recipient
    if (
        takedown.legal_basis == LegalBasis.PLATFORM_POLICY
        and takedown.platform
        and takedown.platform.is_search_engine
    ):
        return SEARCH_DELISTING_FOR_HER.format(platform=platform, hours=hours)
    return ROUTE_FOR_HER[takedown.legal_basis].format(platform=platform, hours=hours)


@dataclass(frozen=True)
class HerRequest:
    """What her request page says: each part a sentence or a list, worked out here so the
    template only lays it out."""

    status: str
    route: str
    sent: str  # when and how, or "" for a draft
    links: list
    replies: list  # the platform's messages (Correspondence rows, direction in)
    next_steps: list[str]
    suggestions: list[Suggestion]
    next_check_at: dt.datetime | None


def request_for_her(
    takedown: TakedownRequest, *, hours: int, sightings: list, correspondence: list, now=None
) -> HerRequest:
    """Her request in her words. `hours` is its clock (takedowns.services.due_hours);
    sightings and correspondence are the request's, already fetched."""
    now = now or timezone.now()
    who = takedown.recipient
    status = takedown.status
    checks = [s.next_check_at for s in sightings if s.next_check_at]
    next_check_at = min(checks) if checks else None

    def when(value):
        local = timezone.localtime(value)
        return f"{local.day} {local:%b %Y}, {local:%H:%M}"

    sent = ""
    if takedown.sent_at:
        if takedown.channel == "email":
            how = f"by email to {takedown.recipient_address}"
        elif takedown.channel == "web_form":
            how = f"through {who}'s own report form"
        else:
            how = "to " + who
        ticket = f" (its reference: {takedown.ticket_number})" if takedown.ticket_number else ""
        sent = f"Sent {when(takedown.sent_at)}, {how}{ticket}."

    steps = []
    if status == TakedownStatus.DRAFT:
        steps.append(f"Once it is sent, {who} has {hours} hours to answer.")
    elif status in WAITING_STATUSES and takedown.due_at:
        # Reminders go by email only (takedowns_due_a_reminder): a request sent through a
        # web form is followed up by her caseworker, and her page must not promise otherwise.
        by_email = takedown.channel == Channel.EMAIL
        if takedown.due_at >= now:
            steps.append(f"{who}'s answer is due by {when(takedown.due_at)}.")
            steps.append(
                "If it has not answered by then, we send it a reminder and your caseworker "
                "looks at the next step."
                if by_email
                else "If it has not answered by then, your caseworker follows it up and looks "
                "at the next step."
            )
        else:
            steps.append(
                f"{who}'s answer was due {when(takedown.due_at)} and is late. We send it a "
                "reminder (at most one a day, three in all), and your caseworker looks at the "
                "next step with you."
                if by_email
                else f"{who}'s answer was due {when(takedown.due_at)} and is late. Your "
                "caseworker follows it up and looks at the next step with you."
            )
    elif status == TakedownStatus.REMOVED:
        steps.append(
            "We keep checking that the links stay down. If one comes back, we reopen the "
            "request and tell you."
        )
    elif status in (TakedownStatus.REJECTED, TakedownStatus.PARTIALLY_REMOVED):
        steps.append("Your caseworker will talk the next step through with you.")
    if takedown.restore_window_from:
        steps.append(
            "The person who posted them sent a counter-notice; the platform may put the "
            f"material back between {takedown.restore_window_from:%-d %b %Y} and "
            f"{takedown.restore_window_to:%-d %b %Y} unless a lawsuit is filed."
        )
    if takedown.complaint_deadline:
        steps.append(
            "You can complain about the decision, free of charge, until "
            f"{takedown.complaint_deadline:%-d %b %Y}."
        )
    if next_check_at and status != TakedownStatus.DRAFT:
        if next_check_at > now:
            steps.append(f"We'll check the links again on {when(next_check_at)}.")
        else:  # due now: the dispatcher hands it to a worker within the minute
            steps.append("We're checking the links again now.")

    return HerRequest(
        status=STATUS_FOR_HER[status].format(who=who),
        route=route_for_her(takedown, hours),
        sent=sent,
        links=sightings,
        replies=[c for c in correspondence if c.direction == "in"],
        next_steps=steps,
        suggestions=escalation_suggestions(takedown, now),
        next_check_at=next_check_at,
    )


def requests_by_sighting(case) -> dict:
    """Every request of the case that covers each of its sightings, newest first: the draft
    page marks links already asked about, so nobody notices a link twice by mistake."""
    found: dict = {}
    through = TakedownRequest.sightings.through
    rows = (
        through.objects.filter(takedownrequest__case=case)
        .select_related("takedownrequest__platform")
        .order_by("-takedownrequest__created_at")
    )
    for row in rows:
        found.setdefault(row.sighting_id, []).append(row.takedownrequest)
    return found


def sighting_in_sent_request(sighting) -> bool:
    """Was this link's address given to a platform (a request past its draft)? Then the
    address stays as sent: the request and its evidence must name what the platform got."""
    return sighting.takedowns.exclude(status=TakedownStatus.DRAFT).exists()


def any_sent(requests: list[TakedownRequest]) -> bool:
    """sighting_in_sent_request's rule on requests already read (a link's page has them)."""
    return any(request.status != TakedownStatus.DRAFT for request in requests)


def requests_naming(sighting) -> list[TakedownRequest]:
    """The requests that name this link, newest first, for its page."""
    return list(sighting.takedowns.select_related("platform").order_by("-created_at"))


def requests_overdue_count(*, now: dt.datetime) -> int:
    """How many sent requests are waiting past their due time (the caseload's overdue flag,
    the daily overdue email): one count, for /metrics."""
    return TakedownRequest.objects.filter(status__in=WAITING_STATUSES, due_at__lt=now).count()

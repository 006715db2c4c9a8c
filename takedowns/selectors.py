import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Min, Prefetch
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy

from cases.models import NoticeContact
from evidence.models import Sighting
from platforms.models import Platform
from takedowns import ladder
from takedowns.models import (
    TAKE_IT_DOWN_HOURS,
    WAITING_STATUSES,
    AnonymousOutcome,
    Channel,
    LadderRungSetting,
    LegalBasis,
    Rung,
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


_CASE_PAGE_COLUMNS = (
    "id",
    "case_id",
    "platform",
    "recipient_name",
    "host",
    "status",
    "created_at",
    "sent_at",
    "due_at",
)


def case_takedowns(case) -> list[TakedownRequest]:
    """The case's requests, each with `covered`: the links it covers as far as the case page
    reads them (their ids, to count them and find each link's newest request, and whether
    each was verified removed, for the request's plain words); the links themselves are on
    the page already, so not built again in full here."""
    covered = Sighting.objects.only("id", "removed_verified_at")
    return list(
        # Of a request's 54 columns, what the page shows: where it went, where it stands; of
        # its platform, the name. A list of its own (to_attr), not `sightings.all()`: each
        # request's related manager made and its queryset copied cost 0.1 ms a request.
        case.takedowns.only(*_CASE_PAGE_COLUMNS, "platform__name")
        .select_related("platform")
        .prefetch_related(Prefetch("sightings", queryset=covered, to_attr="covered"))
        .order_by("status", "-created_at")
    )


def notice_for(takedown: TakedownRequest) -> Notice:
    urls = [s.url for s in sorted(takedown.sightings.all(), key=lambda s: s.created_at)]
    evidence_count = takedown.case.evidence_files.count()
    earlier = tuple(earlier_requests(takedown))
    return Notice(
        request=takedown,
        urls=urls,
        evidence_count=evidence_count,
        default_contact=default_notice_contact(takedown),
        earlier=earlier,
        regulator=_regulator_for(takedown, earlier),
    )


def _regulator_for(takedown: TakedownRequest, earlier) -> ladder.Regulator | None:
    site = next((e for e in earlier if e.rung == Rung.SITE), None)
    return ladder.regulator_for(
        takedown.rung,
        country=takedown.case.jurisdiction or "",
        site=site.recipient if site else "",
        site_form=site.form_url if site else "",
    )


# --- the ladder ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EarlierRequest:
    """An earlier request as a later rung's notice quotes it."""

    rung: str
    what: str
    recipient: str
    sent_at: dt.datetime | None
    ticket_number: str
    outcome: str
    form_url: str = ""


def _day(value) -> str:
    return f"{value:%-d %B %Y, %H:%M} UTC" if value else ""


def _outcome_words(request: TakedownRequest, now) -> str:
    status = request.status
    if status == TakedownStatus.REJECTED:
        reasons = f" Its reasons: {request.decision_reasons}" if request.decision_reasons else ""
        return f"Refused on {_day(request.decided_at)}.{reasons}"
    if status == TakedownStatus.PARTIALLY_REMOVED:
        return f"Only part was removed ({_day(request.decided_at)}); the rest is still up."
    if status == TakedownStatus.REMOVED:
        return (
            f"Removed on {_day(request.removed_at)}; the same images were later found again "
            "elsewhere."
        )
    acknowledged = (
        f"Receipt acknowledged on {_day(request.acknowledged_at)}, but n"
        if request.acknowledged_at
        else "N"
    )
    if request.due_at and request.due_at < now:
        return f"{acknowledged}o answer and no removal by {_day(request.due_at)}, when it was due."
    if request.due_at:
        return f"{acknowledged}o answer yet; it is due by {_day(request.due_at)}."
    return f"{acknowledged}o answer."


def ladder_chain(takedown: TakedownRequest) -> list[TakedownRequest]:
    """The requests of this request's ladder, from the site rung up to the highest prepared
    (each rung at most one request: escalated_from is unique)."""
    bottom = takedown
    seen = {bottom.pk}
    while bottom.escalated_from_id and bottom.escalated_from_id not in seen:
        bottom = TakedownRequest.objects.select_related("platform").get(
            pk=bottom.escalated_from_id
        )
        seen.add(bottom.pk)
    chain = [bottom]
    while True:
        above = (
            TakedownRequest.objects.select_related("platform")
            .filter(escalated_from=chain[-1])
            .first()
        )
        if above is None or above.pk in {r.pk for r in chain}:
            return chain
        chain.append(above)


def earlier_requests(takedown: TakedownRequest, now=None) -> list[EarlierRequest]:
    """What this request follows up, oldest first: the rungs below it on its ladder, and,
    when the images came back on a new host, the earlier ladder (reappeared_after and the
    rungs below that). Only requests that went out are quoted."""
    now = now or timezone.now()
    found: list[TakedownRequest] = []
    seen = {takedown.pk}
    current = takedown
    while True:
        below_id = current.escalated_from_id or current.reappeared_after_id
        if not below_id or below_id in seen:
            break
        current = TakedownRequest.objects.select_related("platform").get(pk=below_id)
        seen.add(current.pk)
        found.append(current)
    quoted = []
    for request in reversed(found):
        if request.sent_at is None:
            continue
        what = (
            f"A request under {request.get_legal_basis_display()}"
            if request.rung == Rung.SITE
            else f"A report to the {request.get_rung_display().lower()}"
        )
        quoted.append(
            EarlierRequest(
                rung=request.rung,
                what=what,
                recipient=request.recipient,
                sent_at=request.sent_at,
                ticket_number=request.ticket_number,
                outcome=_outcome_words(request, now),
                form_url=request.platform.report_form_url if request.platform else "",
            )
        )
    return quoted


def earlier_ladder_for_copies(case, sightings) -> TakedownRequest | None:
    """The last request sent about the same images on another host: sightings whose
    evidence a person confirmed as matching the same reference image as these sightings'
    evidence. A request for a copy on a new host quotes that ladder."""
    from evidence.models import EvidenceMatch

    references = EvidenceMatch.objects.filter(
        confirmed_at__isnull=False, evidence__sighting__in=sightings
    ).values("reference_id")
    hosts = {s.host for s in sightings}
    copies = (
        Sighting.objects.filter(
            case=case,
            evidence_files__matches__reference_id__in=references,
            evidence_files__matches__confirmed_at__isnull=False,
        )
        .exclude(pk__in=[s.pk for s in sightings])
        .exclude(host__in=hosts)
    )
    return (
        TakedownRequest.objects.filter(case=case, sightings__in=copies, sent_at__isnull=False)
        .order_by("-sent_at")
        .first()
    )


def ladder_settings() -> dict[str, LadderRungSetting]:
    return {row.rung: row for row in LadderRungSetting.objects.all()}


def rung_wait_hours(rung: str, settings: dict | None = None) -> int | None:
    """How long a rung's recipient is given: the service's choice, else the default in
    takedowns/ladder.py (with its source). None: the request's own clock (the site) or no
    clock (a last rung)."""
    settings = ladder_settings() if settings is None else settings
    chosen = settings.get(rung)
    if chosen is not None and chosen.wait_hours:
        return chosen.wait_hours
    return ladder.RUNGS[rung].default_wait_hours


@dataclass(frozen=True)
class LadderSettingRow:
    rung: str
    label: str
    who: str
    default_hours: int | None
    source: str
    chosen_hours: int | None
    send_automatically: bool
    web_form_only: bool
    changed_by: object
    changed_at: dt.datetime | None


def ladder_settings_rows() -> list[LadderSettingRow]:
    """Every rung with its default wait and source, and the service's own choice."""
    chosen = ladder_settings()
    rows = []
    for rung in Rung.values:
        spec = ladder.RUNGS[rung]
        setting = chosen.get(rung)
        rows.append(
            LadderSettingRow(
                rung=rung,
                label=Rung(rung).label,
                who=spec.who,
                default_hours=spec.default_wait_hours,
                source=spec.wait_source,
                chosen_hours=setting.wait_hours if setting else None,
                send_automatically=bool(setting and setting.send_automatically),
                web_form_only=spec.web_form_only,
                changed_by=setting.changed_by if setting else None,
                changed_at=setting.changed_at if setting else None,
            )
        )
    return rows


def rung_sends_automatically(rung: str) -> bool:
    return LadderRungSetting.objects.filter(rung=rung, send_automatically=True).exists()


@dataclass(frozen=True)
class LadderStep:
    rung: str
    who: str
    state: str  # done, current, next (a draft prepared), ahead, skipped
    request: TakedownRequest | None
    wait_hours: int | None
    wait_source: str
    sends_automatically: bool
    outcome: str = ""


@dataclass(frozen=True)
class LadderView:
    steps: list[LadderStep]
    current: TakedownRequest | None  # the highest rung sent
    next_draft: TakedownRequest | None
    no_contact: bool  # the next draft has no one to send it to
    beyond: str  # where the ladder ends with no regulator (DMCA, platform policy)
    climbs: bool  # search engines' requests do not climb (their search tracking is apart)
    lapsed: bool = False  # the current rung's wait is over


def ladder_view(takedown: TakedownRequest, now=None) -> LadderView:
    now = now or timezone.now()
    chain = ladder_chain(takedown)
    basis = chain[0].legal_basis
    by_rung = {request.rung: request for request in chain}
    skipped = {rung for request in chain for rung in request.rungs_skipped}
    settings = ladder_settings()
    sent = [r for r in chain if r.sent_at is not None]
    current = sent[-1] if sent else None
    top = chain[-1]
    next_draft = top if top.status == TakedownStatus.DRAFT and top.rung != Rung.SITE else None
    steps = []
    for rung in ladder.ladder_for(basis):
        spec = ladder.RUNGS[rung]
        request = by_rung.get(rung)
        if request is None:
            state = "skipped" if rung in skipped else "ahead"
        elif request.status == TakedownStatus.DRAFT:
            state = "next"
        elif request is current:
            state = "current"
        else:
            state = "done"
        chosen = settings.get(rung)
        steps.append(
            LadderStep(
                rung=rung,
                who=spec.who,
                state=state,
                request=request,
                wait_hours=rung_wait_hours(rung, settings),
                wait_source=spec.wait_source,
                sends_automatically=bool(chosen and chosen.send_automatically),
                outcome=_outcome_words(request, now) if request and request.sent_at else "",
            )
        )
    platform = chain[0].platform
    return LadderView(
        steps=steps,
        current=current,
        next_draft=next_draft,
        no_contact=bool(
            next_draft and not next_draft.recipient_address and not next_draft.recipient_form_url
        ),
        beyond=ladder.BEYOND_THE_LADDER[basis],
        climbs=not (platform and platform.is_search_engine),
        lapsed=bool(current and current.due_at and current.due_at < now),
    )


def ladder_line_for_her(takedown: TakedownRequest) -> str:
    """Where her request stands on the ladder, in her words: the highest rung that was sent
    (translated: the rungs' sentences are marked in takedowns/ladder.py)."""
    sent = [r for r in ladder_chain(takedown) if r.sent_at is not None]
    if not sent:
        return ""
    return str(ladder.RUNGS[sent[-1].rung].for_her)


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
    """Where to go next when a platform says no or lets the clock run out: the next rung of
    the ladder (takedowns/ladder.py; its draft is prepared by the ladder's dispatcher), or,
    at the top of a route with no regulator, what fits beyond it."""
    now = now or timezone.now()
    overdue = takedown.status in WAITING_STATUSES and takedown.due_at and takedown.due_at < now
    if (
        takedown.status not in (TakedownStatus.REJECTED, TakedownStatus.PARTIALLY_REMOVED)
        and not overdue
    ):
        return []
    if takedown.platform is not None and takedown.platform.is_search_engine:
        return []  # delisting is tracked apart from removal; it has no ladder
    why = (
        "the recipient refused"
        if takedown.status == TakedownStatus.REJECTED
        else (
            "only part was removed"
            if takedown.status == TakedownStatus.PARTIALLY_REMOVED
            else "the recipient missed its deadline"
        )
    )
    suggestions = []
    # The rung prepared already (it may have passed one over), else the next on the ladder.
    above = takedown.escalations.first() if takedown.pk else None
    following = above.rung if above else ladder.next_rung(takedown.legal_basis, takedown.rung)
    if following is not None:
        suggestions.append(
            Suggestion(
                ladder.RUNGS[following].who,
                f"Because {why}: the next rung of the ladder. Its draft is prepared for "
                "staff to check and send (see the ladder on this request).",
            )
        )
    elif ladder.BEYOND_THE_LADDER[takedown.legal_basis]:
        suggestions.append(
            Suggestion(
                "Beyond the ladder",
                f"Because {why}: {ladder.BEYOND_THE_LADDER[takedown.legal_basis]}",
            )
        )
    # Removal and search are apart: a page still up can be dropped from search meanwhile.
    suggestions.append(
        Suggestion(
            "Search delisting",
            "Ask Google and Bing to drop the addresses from search results, so fewer people "
            "find them while the removal goes on.",
        )
    )
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
        WHERE sent_at IS NOT NULL AND rung = %(site)s
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
        # A platform's figures are of the requests to the site itself; the rungs above it
        # (its host, registrar, regulators) are counted by rung (rung_figures).
        "site": Rung.SITE.value,
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


@dataclass(frozen=True)
class RungFigures:
    rung: str
    label: str
    sent: int
    removed: int  # removed while this was the highest rung sent
    median_hours: float | None  # this rung's sending -> removal


# Each request of {requests} (the table) as the rung figures count it: its rung, when it
# was sent, its hours from sending to removal, and whether its removal counts at its rung
# (`counted`): a removal counts at the highest rung that had been sent when it came; her own
# recorded outcome once staff confirm it. Read by rung_figures_from_requests and by the
# summary's refresh (services.platform_figures_refresh), so both count alike.
RUNG_ROWS_SQL = """
    SELECT t.rung, t.sent_at, date_part('epoch', t.removed_at - t.sent_at) / 3600 AS hours,
        (t.status = %(removed)s AND t.removed_at IS NOT NULL
            AND NOT (t.decision_by_survivor AND t.decision_confirmed_at IS NULL)
            AND NOT EXISTS (
                SELECT 1 FROM {requests} above
                WHERE above.escalated_from_id = t.id AND above.sent_at IS NOT NULL
                    AND above.sent_at <= t.removed_at
            )) AS counted
    FROM {requests} t
"""

# Grouped by rung in PostgreSQL (a Python loop over every sent request of the range was
# the figures page's slowest part at ten times the data).
_RUNG_FIGURES_SQL = """
SELECT rung, count(*), count(*) FILTER (WHERE counted),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) FILTER (WHERE counted)
FROM ({rows}
    WHERE t.sent_at IS NOT NULL
        AND (%(since)s::timestamptz IS NULL OR t.sent_at >= %(since)s)
        AND (%(before)s::timestamptz IS NULL OR t.sent_at < %(before)s)
) sent
GROUP BY rung
"""


def _rung_rows(counts: dict) -> list[RungFigures]:
    """RungFigures in the ladder's order from {rung: (sent, removed, median hours)}, the
    rungs sent to only."""
    return [
        RungFigures(
            rung=rung,
            label=Rung(rung).label,
            sent=counts[rung][0],
            removed=counts[rung][1],
            median_hours=counts[rung][2],
        )
        for rung in Rung.values
        if rung in counts and counts[rung][0]
    ]


def rung_figures(
    *, sent_since: dt.datetime | None = None, sent_before: dt.datetime | None = None
) -> list[RungFigures]:
    """Removals by rung, of the requests sent within [sent_since, sent_before) (UTC
    midnights): a removal counts at the highest rung that had been sent when it came (the
    site, its host, ...), so a ladder's one removal counts once, where it worked. Outcomes
    she recorded herself count once staff confirm them, as in platform_figures. Read from
    the summary (RungFigureDay), as of its last refresh, as platform_figures are; counts
    equal rung_figures_from_requests, the median hours are within their bucket of it."""
    from takedowns.models import REMOVAL_HOUR_EDGES, RungFigureDay

    buckets = range(1, len(REMOVAL_HOUR_EDGES) + 2)  # PostgreSQL arrays count from 1
    sums = ", ".join(f"sum(s.removal_counts[{i}])" for i in buckets)
    hour_sums = ", ".join(f"sum(s.removal_hours[{i}])" for i in buckets)
    sql = (
        f"SELECT s.rung, sum(s.sent), sum(s.removed), ARRAY[{sums}], ARRAY[{hour_sums}] "  # noqa: S608 - table and bucket numbers only
        f"FROM {RungFigureDay._meta.db_table} s "
        "WHERE (%(since)s::date IS NULL OR s.day >= %(since)s) "
        "AND (%(before)s::date IS NULL OR s.day < %(before)s) GROUP BY s.rung"
    )
    params = {"since": _utc_day(sent_since), "before": _utc_day(sent_before)}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        counts = {
            rung: (sent, removed, bucket_percentile(counts, hours, 0.5))
            for rung, sent, removed, counts, hours in cursor
        }
    return _rung_rows(counts)


def rung_figures_from_requests(
    *, sent_since: dt.datetime | None = None, sent_before: dt.datetime | None = None
) -> list[RungFigures]:
    """rung_figures worked out from every sent request of the range (the summary's check,
    `rebuild_platform_figures --check`; the figures page read this before issue 21), with
    the exact median."""
    params = {
        "removed": TakedownStatus.REMOVED.value,
        "since": sent_since,
        "before": sent_before,
    }
    with connection.cursor() as cursor:
        rows = RUNG_ROWS_SQL.format(requests=TakedownRequest._meta.db_table)
        cursor.execute(_RUNG_FIGURES_SQL.format(rows=rows), params)
        counts = {rung: (sent, removed, median) for rung, sent, removed, median in cursor}
    return _rung_rows(counts)


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
# route was taken and what it obliges the platform to do). %(hours)s is the request's clock,
# %(law_hours)s the TAKE IT DOWN Act's, %(platform)s the platform.
ROUTE_FOR_HER = {
    LegalBasis.TAKE_IT_DOWN: gettext_lazy(
        "A removal request under the US TAKE IT DOWN Act. It gives the platform "
        "%(law_hours)s hours to remove the images and the copies it knows of."
    ),
    LegalBasis.DMCA: gettext_lazy(
        "A copyright notice under the US DMCA, because you own the pictures (for example, "
        "you took them). The platform must remove them quickly. The person who posted them "
        "can object with a counter-notice."
    ),
    LegalBasis.DSA: gettext_lazy(
        "A notice of illegal content under the EU Digital Services Act. The platform must "
        "say it got the notice and give a decision with its reasons. You can complain about "
        "the decision for free, for 6 months after it."
    ),
    LegalBasis.PLATFORM_POLICY: gettext_lazy(
        "A report under %(platform)s's own rules against sharing intimate images without "
        "consent. We usually hear back within %(hours)s hours."
    ),
}
SEARCH_DELISTING_FOR_HER = gettext_lazy(
    "A request to %(platform)s to drop the links from its search results, so fewer people "
    "find them. We usually hear back within %(hours)s hours."
)
# The status of a request, said to her. %(who)s is the platform.
STATUS_FOR_HER = {
    TakedownStatus.DRAFT: gettext_lazy("Being prepared. Nothing has been sent yet."),
    TakedownStatus.SENT: gettext_lazy("Sent. %(who)s has not answered yet."),
    TakedownStatus.ACKNOWLEDGED: gettext_lazy("%(who)s confirmed it received the request."),
    TakedownStatus.REMOVED: gettext_lazy("%(who)s removed it."),
    TakedownStatus.PARTIALLY_REMOVED: gettext_lazy("%(who)s removed some of it, not all."),
    TakedownStatus.REJECTED: gettext_lazy("%(who)s refused to remove it."),
    TakedownStatus.ESCALATED: gettext_lazy("We have taken it further."),
}


def route_for_her(takedown: TakedownRequest, hours: int | None) -> str:
    if takedown.rung != Rung.SITE:
        # A rung of the ladder: whom it asks, in her words (takedowns/ladder.py).
        return str(ladder.RUNGS[takedown.rung].for_her)
    platform = takedown.recipient
    if (
        takedown.legal_basis == LegalBasis.PLATFORM_POLICY
        and takedown.platform
        and takedown.platform.is_search_engine
    ):
        return SEARCH_DELISTING_FOR_HER % {"platform": platform, "hours": hours}
    return ROUTE_FOR_HER[takedown.legal_basis] % {
        "platform": platform,
        "hours": hours,
        "law_hours": TAKE_IT_DOWN_HOURS,
    }


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
    ladder_line: str = ""  # where it stands on the ladder (ladder_line_for_her)


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
        return date_format(timezone.localtime(value), "j M Y, H:i")

    def day(value):
        return date_format(value, "j M Y")

    sent = ""
    if takedown.sent_at:
        values = {
            "when": when(takedown.sent_at),
            "who": who,
            "address": takedown.recipient_address,
            "ticket": takedown.ticket_number,
        }
        ticket = bool(takedown.ticket_number)
        if takedown.channel == "email" and ticket:
            sent = gettext("Sent %(when)s, by email to %(address)s (its reference: %(ticket)s).")
        elif takedown.channel == "email":
            sent = gettext("Sent %(when)s, by email to %(address)s.")
        elif takedown.channel == "web_form" and ticket:
            sent = gettext(
                "Sent %(when)s, through %(who)s's own report form (its reference: %(ticket)s)."
            )
        elif takedown.channel == "web_form":
            sent = gettext("Sent %(when)s, through %(who)s's own report form.")
        elif ticket:
            sent = gettext("Sent %(when)s, to %(who)s (its reference: %(ticket)s).")
        else:
            sent = gettext("Sent %(when)s, to %(who)s.")
        sent %= values

    steps = []
    if status == TakedownStatus.DRAFT and hours:
        steps.append(
            gettext("Once it is sent, %(who)s has %(hours)s hours to answer.")
            % {"who": who, "hours": hours}
        )
    elif status in WAITING_STATUSES and takedown.due_at:
        # Reminders go by email only (takedowns_due_a_reminder): a request sent through a
        # web form is followed up by her caseworker, and her page must not promise otherwise.
        # Nor to a request taken further up the ladder: the next rung is followed up instead.
        by_email = takedown.channel == Channel.EMAIL and status != TakedownStatus.ESCALATED
        due = {"who": who, "when": when(takedown.due_at)}
        if takedown.due_at >= now:
            steps.append(gettext("%(who)s's answer is due by %(when)s.") % due)
            steps.append(
                gettext(
                    "If it has not answered by then, we send it a reminder and your caseworker "
                    "looks at the next step."
                )
                if by_email
                else gettext(
                    "If it has not answered by then, your caseworker follows it up and looks "
                    "at the next step."
                )
            )
        else:
            steps.append(
                gettext(
                    "%(who)s's answer was due %(when)s and is late. We send it a reminder (at "
                    "most one a day, three in all), and your caseworker looks at the next step "
                    "with you."
                )
                % due
                if by_email
                else gettext(
                    "%(who)s's answer was due %(when)s and is late. Your caseworker follows it "
                    "up and looks at the next step with you."
                )
                % due
            )
    elif status == TakedownStatus.REMOVED:
        steps.append(
            gettext(
                "We keep checking that the links stay down. If one comes back, we reopen the "
                "request and tell you."
            )
        )
    elif status in (TakedownStatus.REJECTED, TakedownStatus.PARTIALLY_REMOVED):
        steps.append(gettext("Your caseworker will talk the next step through with you."))
    if takedown.restore_window_from:
        steps.append(
            gettext(
                "The person who posted them sent a counter-notice. The platform may put the "
                "images back between %(start)s and %(end)s, unless someone files a lawsuit."
            )
            % {
                "start": day(takedown.restore_window_from),
                "end": day(takedown.restore_window_to),
            }
        )
    if takedown.complaint_deadline:
        steps.append(
            gettext("You can complain about the decision, free of charge, until %(day)s.")
            % {"day": day(takedown.complaint_deadline)}
        )
    if next_check_at and status != TakedownStatus.DRAFT:
        if next_check_at > now:
            steps.append(
                gettext("We'll check the links again on %(when)s.") % {"when": when(next_check_at)}
            )
        else:  # due now: the dispatcher hands it to a worker within the minute
            steps.append(gettext("We're checking the links again now."))

    return HerRequest(
        status=STATUS_FOR_HER[status] % {"who": who},
        route=route_for_her(takedown, hours),
        sent=sent,
        links=sightings,
        replies=[c for c in correspondence if c.direction == "in"],
        next_steps=steps + _next_rung_for_her(takedown, now),
        # The ladder's next rung is said to her in her words (next_steps); the staff's
        # wording of it stays on the staff page.
        suggestions=[],
        next_check_at=next_check_at,
        ladder_line=ladder_line_for_her(takedown),
    )


def _next_rung_for_her(takedown: TakedownRequest, now) -> list[str]:
    if not escalation_suggestions(takedown, now):
        return []
    above = takedown.escalations.first()
    if above is not None and above.sent_at is not None:
        return []  # asked already: the ladder line says so
    following = above.rung if above else ladder.next_rung(takedown.legal_basis, takedown.rung)
    if following is None:
        return []
    return [
        gettext("If it still does not act, the next step is to ask: %(who)s.")
        % {"who": ladder.RUNGS[following].who.lower()}
    ]


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

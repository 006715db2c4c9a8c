import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Min
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy

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
    if takedown.status == TakedownStatus.REJECTED:
        hosting = gettext(
            "The platform refused. The company that hosts the site can also remove it, "
            "because it breaks their rules. Find the host's abuse contact for the site's "
            "address."
        )
    elif takedown.status == TakedownStatus.PARTIALLY_REMOVED:
        hosting = gettext(
            "Only part was removed. The company that hosts the site can also remove it, "
            "because it breaks their rules. Find the host's abuse contact for the site's "
            "address."
        )
    else:
        hosting = gettext(
            "The platform missed its deadline. The company that hosts the site can also "
            "remove it, because it breaks their rules. Find the host's abuse contact for the "
            "site's address."
        )
    suggestions = [Suggestion(gettext("Hosting provider"), hosting)]
    platform = takedown.platform
    if platform is None or not platform.is_search_engine:
        suggestions.append(
            Suggestion(
                gettext("Search delisting"),
                gettext(
                    "Ask Google and Bing to drop the addresses from search results, so fewer "
                    "people find them while the removal goes on."
                ),
            )
        )
    regulators = {
        LegalBasis.TAKE_IT_DOWN: gettext(
            "The US Federal Trade Commission (FTC) can act against a platform that does not "
            "remove the images within %(hours)s hours. This is part of the TAKE IT DOWN Act."
        )
        % {"hours": TAKE_IT_DOWN_HOURS},
        LegalBasis.DSA: gettext(
            "First, a complaint through the platform's own system. It is free, for 6 months "
            "after its decision. Then, the Digital Services Coordinator of the country."
        ),
        LegalBasis.DMCA: gettext(
            "If the platform keeps the images up after a valid notice, it loses its legal "
            "protection (its safe harbour). A lawyer can advise you on a claim."
        ),
        LegalBasis.PLATFORM_POLICY: gettext(
            "Re-file under a legal route (TAKE IT DOWN Act or DSA) if one fits; platforms must "
            "answer those."
        ),
    }
    suggestions.append(
        Suggestion(gettext("Regulator or legal route"), regulators[takedown.legal_basis])
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


def platform_figures(
    *, sent_since: dt.datetime | None = None, sent_before: dt.datetime | None = None
) -> list[PlatformFigures]:
    """How each platform answers: one row per platform that has been sent a request, of
    the requests sent within [sent_since, sent_before) when they are given (a request's
    removal counts with the request, whenever it came)."""
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


def route_for_her(takedown: TakedownRequest, hours: int) -> str:
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
    if status == TakedownStatus.DRAFT:
        steps.append(
            gettext("Once it is sent, %(who)s has %(hours)s hours to answer.")
            % {"who": who, "hours": hours}
        )
    elif status in WAITING_STATUSES and takedown.due_at:
        # Reminders go by email only (takedowns_due_a_reminder): a request sent through a
        # web form is followed up by her caseworker, and her page must not promise otherwise.
        by_email = takedown.channel == Channel.EMAIL
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

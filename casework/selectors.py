"""Reads that compose the case file with its sightings and takedowns: her dashboard's
counts, the caseload, a case's next due date and its timeline in words. Which cases a user
may see is access.permissions' to answer (cases_visible_to, case_for_user): the lists here
are given the cases she may see."""

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least, NullIf
from django.http import Http404
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy, ngettext

from accounts.models import Role, User
from cases.models import (
    Case,
    CaseEvent,
    CaseStatus,
    EventKind,
    NoteVisibility,
    NoticeContact,
    Priority,
    Programme,
)
from cases.selectors import OPEN_STATUSES
from cases.thread_selectors import unread_messages
from digests.selectors import survivor_counts
from evidence.models import Sighting, SightingStatus, StatusSource, still_up_q
from evidence.status_words import label_for
from takedowns.models import WAITING_STATUSES, LegalBasis, TakedownRequest, TakedownStatus


def cases_for_dashboard(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Her dashboard's rows: the cases she may see (access.permissions.cases_visible_to)
    with their counts of links."""
    return cases.annotate(
        sighting_count=Count(
            "sightings", filter=Q(sightings__withdrawn_at__isnull=True), distinct=True
        ),
        live_count=Count("sightings", filter=still_up_q("sightings__"), distinct=True),
        removed_count=Count(
            "sightings", filter=Q(sightings__status=SightingStatus.REMOVED), distinct=True
        ),
    )


@dataclass(frozen=True)
class ThingThatNeedsHer:
    count: int
    text: str  # the whole phrase, its count in bold (safe HTML)


def things_that_need_her(user: User) -> list[ThingThatNeedsHer]:
    """ "Things that need you" on her dashboard: the same counts, from the same selector, as
    her weekly email's (digests.selectors.survivor_counts), so the two never disagree."""
    if user.is_support_staff:
        return []
    counts = survivor_counts([user], now=timezone.now())[user.pk]
    if not counts:
        return []

    def thing(count, words):
        # Each phrase is one message, count included, so that each language puts the number
        # where its grammar wants it; the number is shown in bold.
        before, _placeholder, after = words.partition("%(count)s")
        return ThingThatNeedsHer(
            count, format_html("{}<strong>{}</strong>{}", before, count, after)
        )

    drafts, counter_notices, copies = (
        counts["drafts_to_send"],
        counts["counter_notices"],
        counts["copies_to_check"],
    )
    things = [
        thing(
            drafts,
            ngettext(
                "%(count)s takedown request you started and have not sent yet",
                "%(count)s takedown requests you started and have not sent yet",
                drafts,
            ),
        ),
        thing(
            counter_notices,
            ngettext(
                "%(count)s counter-notice: a platform may put a removed image back unless you act",
                "%(count)s counter-notices: a platform may put removed images back unless you act",
                counter_notices,
            ),
        ),
        thing(
            copies,
            ngettext(
                "%(count)s possible copy of your images to check",
                "%(count)s possible copies of your images to check",
                copies,
            ),
        ),
    ]
    return [thing for thing in things if thing.count]


# --- the caseload ---------------------------------------------------------------------

CASELOAD_TABS = {
    "mine": "Mine",
    "unassigned": "Unassigned",
    "overdue": "Overdue",
    "all": "All cases",
}
# Sort keys offered on the caseload: name -> ordering, ascending (prefix "-" to reverse).
CASELOAD_SORTS = {
    "reference": "reference",
    "priority": "priority_rank",
    "status": "status_rank",
    "live": "live_count",
    "due": "next_due_at",
    "activity": "last_activity_at",
}
DEFAULT_SORT = ("priority_rank", F("next_due_at").asc(nulls_last=True), "-last_activity_at")
# Least() over NULLs differs between databases (PostgreSQL skips them, SQLite returns NULL),
# so missing dates stand in as the far future and are turned back into NULL.
_FAR_FUTURE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class CaseloadQuery:
    tab: str = "mine"
    status: str = ""
    priority: str = ""
    platform: str = ""
    q: str = ""
    sort: str = ""


def caseload_tabs_for(user: User) -> dict[str, str]:
    if user.is_supervisor:
        return CASELOAD_TABS
    return {key: label for key, label in CASELOAD_TABS.items() if key != "all"}


def caseload_for(user: User, query: CaseloadQuery, *, cases: QuerySet[Case]) -> QuerySet[Case]:
    """The rows of one caseload tab, filtered and sorted, out of `cases`: the cases the user
    may see (access.permissions.cases_visible_to). Raises Http404 for a tab the user does not
    have (a caseworker asking for "all")."""
    if not user.is_support_staff:
        raise Http404("Not staff")
    if query.tab not in caseload_tabs_for(user):
        raise Http404("No such tab")
    now = timezone.now()
    cases = _with_caseload_columns(cases)
    if query.tab == "mine":
        cases = cases.filter(assigned_to=user, status__in=OPEN_STATUSES)
    elif query.tab == "unassigned":
        cases = cases.filter(assigned_to=None, status__in=OPEN_STATUSES)
    elif query.tab == "overdue":
        cases = cases.filter(next_due_at__lt=now)

    if query.status:
        cases = cases.filter(status=query.status)
    if query.priority:
        cases = cases.filter(priority=query.priority)
    if query.platform:
        cases = cases.filter(
            Exists(Sighting.objects.filter(case=OuterRef("pk"), platform__slug=query.platform))
        )
    if query.q:
        text = query.q.strip()
        cases = cases.filter(
            Q(reference__iexact=text)
            | Q(reference__icontains=text)
            | Exists(
                Sighting.objects.filter(case=OuterRef("pk")).filter(
                    Q(url__icontains=text) | Q(host__icontains=text)
                )
            )
        )
    cases = cases.annotate(unread_messages=unread_messages(user))
    return cases.select_related("assigned_to").order_by(*_ordering(query.sort), "pk")


def _ordering(sort: str):
    descending = sort.startswith("-")
    field = CASELOAD_SORTS.get(sort.removeprefix("-"))
    if field is None:
        return DEFAULT_SORT
    expression = F(field)
    return (expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True),)


def _with_caseload_columns(cases: QuerySet[Case]) -> QuerySet[Case]:
    def sighting_count(links):
        return Coalesce(
            Subquery(
                links.filter(case=OuterRef("pk"))
                .values("case")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            0,
        )

    return cases.annotate(
        live_count=sighting_count(Sighting.objects.still_up()),
        removed_count=sighting_count(
            Sighting.objects.in_workflow().filter(status=SightingStatus.REMOVED)
        ),
        priority_rank=models.Case(
            When(priority=Priority.URGENT, then=0),
            When(priority=Priority.HIGH, then=1),
            default=2,
            output_field=IntegerField(),
        ),
        status_rank=models.Case(
            *(When(status=status, then=rank) for rank, status in enumerate(CaseStatus.values)),
            output_field=IntegerField(),
        ),
    )


def case_next_due(case: Case):
    """The same "next due" the caseload shows, for one case page (the triggers keep it)."""
    return Case.objects.filter(pk=case.pk).values_list("next_due_at", flat=True)[0]


def next_due_computed(case_ids) -> dict:
    """case id -> the earliest of its waiting requests' due times and its still-up links'
    action due times, worked out from the rows: what the triggers keep in
    Case.next_due_at (takedowns migration 0016), for the tests that check they agree."""
    takedown_due = Subquery(
        TakedownRequest.objects.filter(
            case=OuterRef("pk"), status__in=WAITING_STATUSES, due_at__isnull=False
        )
        .order_by("due_at")
        .values("due_at")[:1],
        output_field=DateTimeField(),
    )
    action_due = Subquery(
        Sighting.objects.still_up()
        .filter(case=OuterRef("pk"), action_due_at__isnull=False)
        .order_by("action_due_at")
        .values("action_due_at")[:1],
        output_field=DateTimeField(),
    )
    far = Value(_FAR_FUTURE, output_field=DateTimeField())
    return dict(
        Case.objects.filter(pk__in=case_ids)
        .annotate(due=NullIf(Least(Coalesce(takedown_due, far), Coalesce(action_due, far)), far))
        .values_list("pk", "due")
    )


# --- the timeline ---------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    event: CaseEvent
    text: str
    by: str = ""  # who did it, as the reader should see it
    when_iso: str = ""  # the event's local time as the template's date:"c" writes it
    when_text: str = ""  # ... and as date:"j M Y, H:i" does
    advice: str = ""  # what she should do about it, if anything (her timeline only)


def case_timeline(case: Case, user: User, *, limit: int = 200) -> list[TimelineEntry]:
    """The case's story, newest first, in words fit for the reader: a survivor does not see
    internal events (triage reasons, internal notes) nor staff names."""
    return timeline_entries(list(case_events_for(case, user)[:limit]), user)


def case_events_for(case: Case, user: User):
    """The events of the case this reader may see, newest first (a query, to page)."""
    events = case.events.select_related("actor")
    if not user.is_support_staff:
        events = events.filter(internal=False)
    return events


def timeline_entries(events: list, user: User) -> list[TimelineEntry]:
    """These events (one page of case_events_for) in the reader's words."""
    for_staff = user.is_support_staff
    staff_names = {}
    if for_staff:
        ids = {
            value.get("assigned_to")
            for event in events
            if event.kind == EventKind.ASSIGNED
            for value in (event.old_value or {}, event.new_value or {})
        } - {None}
        staff_names = {u.pk: str(u) for u in User.objects.filter(pk__in=ids)} if ids else {}
    return [
        TimelineEntry(
            event,
            _describe(event, for_staff, staff_names),
            _done_by(event, user, for_staff),
            *timeline_time(event.created_at),
            advice="" if for_staff else _advice(event, user),
        )
        for event in events
    ]


def timeline_time(moment: dt.datetime) -> tuple[str, str]:
    """The same text as the date filter's "c" and "j M Y, H:i" in the current time zone,
    written directly: the filter cost 30 microseconds a call, and a timeline of 200 events
    called it 400 times, a sixth of the case page."""
    local = timezone.localtime(moment)
    month = MONTHS_3[local.month].title()
    return (
        local.isoformat(),
        f"{local.day} {month} {local.year:04d}, {local.hour:02d}:{local.minute:02d}",
    )


def _done_by(event: CaseEvent, user: User, for_staff: bool) -> str:
    if event.actor_id is None:
        if event.kind == EventKind.SIGHTING_STATUS:
            return gettext("our automatic check")
        return gettext("the service")
    if event.actor_id == user.pk:
        return gettext("you")
    if for_staff:
        return str(event.actor)
    # Her timeline names staff by what they are to her, never by name or job title.
    if event.actor.role == Role.CASEWORKER:
        return gettext("your caseworker")
    if event.actor.is_support_staff:
        return gettext("a supervisor")
    return event.actor.get_role_display().lower()


def _link_status_change(event: CaseEvent) -> str:
    """ "forum.example/t/123…: Up, as far as we know → Removed", with the person's reason."""
    new, old = event.new_value or {}, event.old_value or {}
    link = new.get("link") or gettext("A link")
    before, after = label_for(old.get("status", "")), label_for(new.get("status", ""))
    reason = new.get("reason")
    if reason:
        return gettext("%(link)s: %(before)s → %(after)s (“%(reason)s”)") % {
            "link": link,
            "before": before,
            "after": after,
            "reason": reason,
        }
    return gettext("%(link)s: %(before)s → %(after)s") % {
        "link": link,
        "before": before,
        "after": after,
    }


def _advice(event: CaseEvent, user: User) -> str:
    """What she should do after a change to one of her links, if anything."""
    if event.kind != EventKind.SIGHTING_STATUS or event.actor_id == user.pk:
        return ""
    new, old = event.new_value or {}, event.old_value or {}
    status = new.get("status")
    if status == SightingStatus.REMOVED:
        return gettext("Nothing to do. If you can still see it, tell us on the link's page.")
    if old.get("status") == SightingStatus.REMOVED:
        return gettext(
            "It is back online. Nothing to do: your caseworker is told and the request is "
            "followed up. A screenshot of it helps."
        )
    if status != SightingStatus.LIVE:
        return gettext(
            "Nothing to do. If you look and it is gone, or still there, you can tell us "
            "on the link's page."
        )
    if new.get("source") == StatusSource.STAFF:
        return gettext("Nothing to do.")
    return ""


def _describe(event: CaseEvent, for_staff: bool, staff_names: dict) -> str:
    new, old = event.new_value or {}, event.old_value or {}
    if event.kind == EventKind.SIGHTING_LOGGED:
        return new.get("url", "")
    if event.kind == EventKind.SIGHTING_STATUS:
        return _link_status_change(event)
    if event.kind == EventKind.SIGHTING_CORRECTED:
        if old.get("link") != new.get("link"):
            return f"{old.get('link')} → {new.get('link')}"
        changed = {"note": gettext("where"), "first_seen_on": gettext("when first seen")}
        names = [changed[name] for name in new.get("changed", []) if name in changed]
        # Translators: "%(what)s" is a list such as "where, when first seen".
        return gettext("%(link)s: %(what)s corrected") % {
            "link": new.get("link"),
            "what": ", ".join(names),
        }
    if event.kind == EventKind.SIGHTING_WITHDRAWN:
        if for_staff:
            return gettext("%(link)s (kept with its evidence)") % {"link": new.get("link")}
        return f"{new.get('link')}"
    if event.kind == EventKind.STATUS_CHANGED:
        return f"{CaseStatus(old['status']).label} → {CaseStatus(new['status']).label}"
    if event.kind == EventKind.ASSIGNED:
        if not for_staff:
            return gettext("A caseworker is on your case.") if new.get("assigned_to") else ""
        return "to " + staff_names.get(new.get("assigned_to"), "the queue")
    if event.kind == EventKind.TRIAGED:
        reasons = [
            label
            for key, label in (
                ("involves_minor", "a minor is involved"),
                ("threats_or_extortion", "threats or extortion"),
            )
            if new.get(key)
        ]
        parts = []
        if old.get("priority") != new.get("priority"):
            parts.append(f"{Priority(old['priority']).label} → {Priority(new['priority']).label}")
        if reasons:
            parts.append(f"({', '.join(reasons)})")
        if old.get("jurisdiction", "") != new.get("jurisdiction", ""):
            parts.append(f"country: {new.get('jurisdiction') or 'not said'}")
        return " ".join(parts)
    if event.kind == EventKind.NOTE_ADDED:
        # She sees only shared notes, which are messages to her (in Messages on this page).
        if for_staff:
            return NoteVisibility(new["visibility"]).label
        return gettext("A message for you")
    if event.kind in (
        EventKind.CONSENT_GIVEN,
        EventKind.CONSENT_WITHDRAWN,
        EventKind.HASH_SHARING_GIVEN,
        EventKind.HASH_SHARING_WITHDRAWN,
    ):
        return new.get("note", "")
    if event.kind == EventKind.PROGRAMME_RECORDED:
        return _programme_change(new)
    if event.kind == EventKind.HASHES_EXPORTED:
        return f"{new.get('pdq', 0)} PDQ, {new.get('md5', 0)} MD5"
    if event.kind == EventKind.NOTICE_CONTACT:
        text = NoticeContact(new["notice_contact"]).label
        return f"{text}: {new['note']}" if new.get("note") else text
    if event.kind == EventKind.RECIPIENT_APPROVED:
        return new.get("recipient_email", "")
    if event.kind == EventKind.DECISION_CONFIRMED:
        return TakedownStatus(new["status"]).label
    if event.kind == EventKind.TICKET_NOTED:
        return f"{new.get('ticket_number', '')} (from its automatic acknowledgement)"
    if event.kind == EventKind.LETTER_UNDELIVERED:
        letter = "reminder" if new.get("letter") == "reminder" else "notice"
        return f"The {letter} came back undelivered: another channel is needed."
    if event.kind == EventKind.TAKEDOWN_EDITED:
        return _draft_changes(old, new)
    if event.kind == EventKind.HOST_CHANGED:
        if new.get("reason") == "host_changed":
            return f"{new.get('host', '')}: request due again, to write to the new host"
        before = ", ".join(old.get("owners", [])) or "unknown"
        after = ", ".join(new.get("owners", [])) or "unknown"
        return f"{new.get('host', '')}: {before} → {after}"
    if event.kind == EventKind.CROP_SEARCHED:
        found = len(new.get("matches", []))
        return ngettext(
            "%(count)s possible copy found", "%(count)s possible copies found", found
        ) % {"count": found}
    return ""


def _programme_change(new: dict) -> str:
    """ "StopNCII.org: made 3 Nov 2026, withdrawn 5 Nov 2026". Never the case number."""
    values = {
        "programme": Programme(new["programme"]).label,
        "made": _day(new["registered_on"]),
    }
    if new.get("withdrawn_on"):
        values["withdrawn"] = _day(new["withdrawn_on"])
        text = gettext("%(programme)s: made %(made)s, withdrawn %(withdrawn)s") % values
    else:
        text = gettext("%(programme)s: made %(made)s") % values
    if new.get("case_number_changed"):
        text = gettext("%(change)s (case number saved)") % {"change": text}
    return text


def _day(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {MONTHS_3[day.month].title()} {day.year}"


def _draft_changes(old: dict, new: dict) -> str:
    """A draft edit in words: the route as it was and is, the other fields by name only (the
    event keeps no values of hers: takedowns.services.DRAFT_FIELDS_KEPT_IN_EVENTS)."""
    parts = []
    if "legal_basis" in old and "legal_basis" in new:
        before, after = LegalBasis(old["legal_basis"]).label, LegalBasis(new["legal_basis"]).label
        parts.append(gettext("route: %(before)s → %(after)s") % {"before": before, "after": after})
    names = [
        str(_DRAFT_FIELD_WORDS.get(name) or TakedownRequest._meta.get_field(name).verbose_name)
        for name in new.get("changed", [])
        if name != "legal_basis"
    ]
    if names:
        # Translators: %(fields)s is a list such as "contact email, contact phone".
        parts.append(gettext("changed: %(fields)s") % {"fields": ", ".join(names)})
    return "; ".join(parts)


# A draft's fields as the timeline names them (the same words as the model's).
_DRAFT_FIELD_WORDS = {
    "recipient_name": gettext_lazy("recipient name"),
    "recipient_email": gettext_lazy("recipient email"),
    "signer_name": gettext_lazy("signature (full name)"),
    "signer_capacity": gettext_lazy("signer capacity"),
    "contact_email": gettext_lazy("contact email"),
    "contact_phone": gettext_lazy("contact phone"),
    "contact_address": gettext_lazy("contact address"),
    "content_description": gettext_lazy("description of the images"),
    "copyright_work": gettext_lazy("the copyrighted work"),
    "illegality_explanation": gettext_lazy("why the content is illegal"),
    "search_result_urls": gettext_lazy("search result addresses"),
    "confirms_no_consent": gettext_lazy("confirms no consent"),
    "confirms_good_faith": gettext_lazy("confirms good faith"),
    "confirms_accuracy": gettext_lazy("confirms accuracy"),
    "confirms_perjury": gettext_lazy("confirms perjury"),
    "confirms_copyright_owner": gettext_lazy("confirms copyright owner"),
    "confirms_not_paid": gettext_lazy("confirms not paid"),
}


# How long after a link came back the case page keeps offering someone to talk to.
REAPPEARED_SUPPORT_DAYS = 14


def case_link_reappeared(case: Case) -> bool:
    """Did a link of hers come back after its removal, lately? One query; the case page
    then offers the support contacts prominently."""
    since = timezone.now() - dt.timedelta(days=REAPPEARED_SUPPORT_DAYS)
    return case.events.filter(
        kind=EventKind.SIGHTING_STATUS,
        new_value__outcome="reappeared",
        created_at__gte=since,
    ).exists()

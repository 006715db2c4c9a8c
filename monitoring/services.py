"""Writes for rechecks: what a check found, on its sighting, with its CaseEvent in the same
transaction; and handing due checks out to workers (scheduling and dispatch)."""

import contextlib
import datetime as dt
import hashlib
import random
import time
from collections import Counter
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from audit.models import AuditKind
from audit.services import audit_record
from cases.models import Case, CaseStatus, EventKind
from cases.services import case_change_status, event_build, events_record_for_cases
from evidence.models import EvidenceKind, EvidenceOrigin, Sighting, SightingStatus, StatusSource
from evidence.services import evidence_add
from evidence.sighting_urls import link_label
from hosting.services import hosts_addresses_seen
from leakcase.locking import locked
from monitoring import recheck
from monitoring.models import Outcome, SitePace, UrlCheck
from platforms.models import DEFAULT_CHECKS_PER_MINUTE, Platform
from takedowns.selectors import waiting_due_by_sighting
from takedowns.services import (
    takedowns_close_for_removed_sightings,
    takedowns_reopen_for_reappeared,
)

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
# Checks that could not see the page: they say nothing about whether her image is up. They
# never replace a person's word ("I checked: still up", "removed") nor a verified removal;
# the link stays where it was, up as far as we know (evidence.models.STILL_UP_STATUSES).
INCONCLUSIVE_OUTCOMES = frozenset(
    {Outcome.UNREACHABLE, Outcome.LOGIN_WALLED, Outcome.GEO_BLOCKED, Outcome.BLOCKED}
)


def sighting_recheck(*, sighting: Sighting, fetch=None, now=None) -> UrlCheck:
    """Recheck one sighting: a UrlCheck row, its new status, the next check time, and, when
    every link of a sent request is verified removed, the request and the case move on."""
    now = now or timezone.now()
    references = list(sighting.case.references.all())
    verdict = recheck.check(sighting.url, references, **({"fetch": fetch} if fetch else {}))
    return sighting_checks_record(checks=[(sighting, verdict)], now=now)[0]


# What a recheck writes on a sighting; what it reads under lock before deciding is that and
# whether the link was withdrawn since (_lock_recheck_state), so the two lists cannot drift.
_RECHECK_WRITES = (
    "status",
    "status_source",
    "last_check_outcome",
    "last_checked_at",
    "removed_verified_at",
    "next_check_at",
)
_RECHECK_STATE = (*_RECHECK_WRITES, "withdrawn_at")


def sighting_checks_record(*, checks: list[tuple[Sighting, "recheck.Verdict"]], now=None):
    """Write what rechecks found: per sighting a UrlCheck row, its new status and next check
    time and an event when the status changed; requests whose links are all verified
    removed close and their case moves to monitoring; a reappearance reopens them.

    The one writer for rechecks: `sighting_recheck` hands it one check, the concurrent
    batch path (monitoring.recheck_batch) hundreds, in one transaction and a fixed number of
    queries for the common outcomes, so both leave the same rows. Sightings need `case`
    loaded (select_related)."""
    now = now or timezone.now()
    with transaction.atomic():
        _lock_recheck_state([sighting for sighting, _ in checks])
        outcomes = []
        for sighting, verdict in checks:
            outcome = verdict.outcome
            # DESIGN.md: unreachable for days counts as removed at last; but not against a
            # person who has looked since and said it is up (her word is newer evidence).
            if outcome == Outcome.UNREACHABLE and sighting.status_source == StatusSource.CHECK:
                first_failure = _unreachable_since(sighting, now)
                if now - first_failure >= recheck.UNREACHABLE_GRACE:
                    outcome = Outcome.REMOVED  # gone for days: counted as removed at last
            if outcome == Outcome.LIVE and sighting.removed_verified_at is not None:
                outcome = Outcome.REAPPEARED
            outcomes.append(outcome)
        rows = _url_checks_insert(
            [
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
            ]
        )
        due = waiting_due_by_sighting(
            [s for (s, _), o in zip(checks, outcomes, strict=True) if o in _LIVE_OUTCOMES]
        )
        events: dict = {}
        for (sighting, _verdict), outcome in zip(checks, outcomes, strict=True):
            previous = sighting.status
            stands = sighting.status_source != StatusSource.CHECK or (
                previous == SightingStatus.REMOVED
            )
            if not (outcome in INCONCLUSIVE_OUTCOMES and stands):
                sighting.status = SIGHTING_STATUS_FOR[outcome]
                sighting.status_source = StatusSource.CHECK
            sighting.last_check_outcome = outcome
            sighting.last_checked_at = now
            if sighting.status == SightingStatus.REMOVED and sighting.removed_verified_at is None:
                sighting.removed_verified_at = now
            if outcome == Outcome.REAPPEARED:
                sighting.removed_verified_at = None
            sighting.next_check_at = (
                None  # removed from her list meanwhile: not checked again
                if sighting.withdrawn_at is not None
                else now + _next_interval(sighting, outcome, now, due.get(sighting.pk))
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
                        new_value={
                            "status": sighting.status,
                            "outcome": outcome,
                            "link": link_label(sighting.url),
                        },
                    )
                )
        _sightings_update([sighting for sighting, _ in checks])
        if events:
            events_record_for_cases(list(events.values()))
        # What a verified removal or a reappearance means for the requests covering the
        # links is takedowns' to write; the cases' own status is ours, written after.
        removed = [s for s, _ in checks if s.status == SightingStatus.REMOVED]
        if removed:
            takedowns_close_for_removed_sightings(sightings=removed, now=now)
            _cases_done_to_monitoring(removed)
        for (sighting, _verdict), outcome in zip(checks, outcomes, strict=True):
            if outcome == Outcome.REAPPEARED:
                takedowns_reopen_for_reappeared(sighting=sighting, now=now)
                _reopen_case(sighting)
    for sighting, verdict in checks:
        if verdict.matched_image is not None:
            _keep_fetched_copy(sighting, verdict)
    # What addresses each host had: one read for the batch, a write only for a host whose
    # networks changed, which makes it due a lookup of who hosts it (hosting.services).
    hosts_addresses_seen(
        seen={s.host: verdict.addresses for s, verdict in checks if verdict.addresses}, now=now
    )
    return rows


_LIVE_OUTCOMES = (Outcome.LIVE, Outcome.REAPPEARED)


# The rows of a batch go in as arrays, one statement each: Django's bulk_create and
# bulk_update build a placeholder per value (bulk_update a CASE per column), which cost this
# process more than the database's own work, most of a recheck's time in the batch path
# (py-spy, issue 21: 2/3 of the writing thread's samples were in bulk_update).
_URL_CHECK_COLUMNS = (
    ("sighting_id", "uuid"),
    ("checked_at", "timestamptz"),
    ("outcome", "text"),
    ("http_status", "integer"),
    ("final_url", "text"),
    ("content_type", "text"),
    ("bytes_read", "bigint"),
    ("elapsed_ms", "bigint"),
    ("distance", "integer"),
    ("error", "text"),
)
_SIGHTING_WRITE_TYPES = {
    "status": "text",
    "status_source": "text",
    "last_check_outcome": "text",
    "last_checked_at": "timestamptz",
    "removed_verified_at": "timestamptz",
    "next_check_at": "timestamptz",
}


def _url_checks_insert(rows: list[UrlCheck]) -> list[UrlCheck]:
    """INSERT ... SELECT FROM unnest(arrays) RETURNING id: the rows get their ids, in order
    (WITH ORDINALITY), as bulk_create gives them."""
    table = UrlCheck._meta.db_table
    names = ", ".join(name for name, _ in _URL_CHECK_COLUMNS)
    arrays = ", ".join(f"%s::{kind}[]" for _, kind in _URL_CHECK_COLUMNS)
    values = [_column(rows, name, kind) for name, kind in _URL_CHECK_COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(
            # Column names and types are the constants above, never input.
            f"INSERT INTO {table} ({names}) SELECT {names} FROM unnest({arrays}) "  # noqa: S608
            f"WITH ORDINALITY AS v({names}, n) ORDER BY n RETURNING id",
            values,
        )
        ids = [pk for (pk,) in cursor.fetchall()]
    for row, pk in zip(rows, ids, strict=True):
        row.pk = pk
        row._state.adding, row._state.db = False, connection.alias
    return rows


def _column(rows, name: str, kind: str) -> list:
    """One column's values as an array parameter; choices as their plain values (psycopg
    would send an Enum by its name)."""
    values = [getattr(row, name) for row in rows]
    if kind == "text":
        return [None if value is None else str(value) for value in values]
    return values


def _sightings_update(sightings: list[Sighting]) -> None:
    """What a recheck writes on each sighting (_RECHECK_WRITES), as UPDATE ... FROM
    unnest(arrays): one statement however many."""
    table = Sighting._meta.db_table
    kinds = [_SIGHTING_WRITE_TYPES[name] for name in _RECHECK_WRITES]
    arrays = ", ".join(["%s::uuid[]", *(f"%s::{kind}[]" for kind in kinds)])
    assignments = ", ".join(f"{name} = v.{name}" for name in _RECHECK_WRITES)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS s SET {assignments} FROM unnest({arrays}) "  # noqa: S608
            f"AS v(id, {', '.join(_RECHECK_WRITES)}) WHERE s.id = v.id",
            [
                [s.pk for s in sightings],
                *(
                    _column(sightings, name, _SIGHTING_WRITE_TYPES[name])
                    for name in _RECHECK_WRITES
                ),
            ],
        )


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
    # As tuples: model instances (with deferred fields) cost more here than the query did.
    fresh = {
        pk: state
        for pk, *state in Sighting.objects.select_for_update(no_key=True)
        .filter(pk__in=[sighting.pk for sighting in sightings])
        .order_by("pk")
        .values_list("pk", *_RECHECK_STATE)
    }
    for sighting in sightings:
        state = fresh.get(sighting.pk)
        if state is None:
            continue  # erased meanwhile: its check row fails like before
        for name, value in zip(_RECHECK_STATE, state, strict=True):
            setattr(sighting, name, value)


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


def _reopen_case(sighting: Sighting) -> None:
    """Back after a verified removal: the case is worked again. Its requests are reopened
    first, by takedowns (takedowns_reopen_for_reappeared)."""
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


def _cases_done_to_monitoring(removed: list[Sighting]) -> None:
    """A case none of whose links is left up moves to monitoring (its requests were closed
    first, by takedowns: takedowns_close_for_removed_sightings)."""
    # The cases' status was read again, under lock, at the start (_lock_recheck_state).
    cases = {s.case_id: s.case for s in removed if s.case.status == CaseStatus.ACTIVE}
    if not cases:
        return
    still_up = Sighting.objects.still_up().filter(case=OuterRef("pk"))
    done = Case.objects.filter(pk__in=cases).exclude(Exists(still_up)).values_list("pk", flat=True)
    for pk in done:
        case_change_status(case=cases[pk], to=CaseStatus.MONITORING, acting_user=None)


# --- handing due checks out ----------------------------------------------------------------
# The database is the ledger: `rechecks_dispatch` (the beat task dispatch_rechecks, every
# minute) claims due sightings with SELECT ... FOR UPDATE SKIP LOCKED, leases them by moving
# next_check_at a little into the future and hands them out in small batches, so two
# dispatchers never hand out the same sighting, and a lost message or a killed worker only
# delays a check: the lease runs out and the sighting is claimed again.
#
# One run claims round after round until nothing more is due, or the workers already have
# enough handed out and not yet checked (backpressure), or the run has taken most of its
# minute. So how many checks a day it hands out follows the workers, not a constant; what
# bounds it per site is the site's pace (Platform.checks_per_minute, kept in SitePace
# across runs).

# Sightings claimed in one round: one short transaction each, so leases commit and batches go
# out while the run goes on.
CLAIM_BATCH = 200
# Sightings per recheck_sightings task: checked side by side in one worker process
# (monitoring.recheck_batch, hundreds a second where one at a time manages a few), and no
# more than PER_HOST_AT_ONCE of one site in a task, so a site never gets a burst from us.
RECHECK_CHUNK = 25
PER_HOST_AT_ONCE = 4
# Longer than a recheck can take (fetch total time limit plus page images), so a sighting
# being checked is not handed out again; short enough that a lost one is retried soon.
RECHECK_LEASE = dt.timedelta(minutes=10)
# Backpressure: stop handing out while this many sightings or more are handed out and not
# yet checked (in_flight: waiting in the broker or being checked). The workers' own pace
# sets it: what they checked in the last QUEUE_WINDOW (more workers check more, so more may
# wait), never less than QUEUE_TARGET_MIN (a start, or workers that were idle because
# nothing was due). Two minutes of their work waiting is checked long before the lease
# (RECHECK_LEASE) runs out, so waiting does not make a sighting handed out twice; and a
# stalled worker pool stops the handing out within a round.
QUEUE_WINDOW = dt.timedelta(minutes=2)
QUEUE_TARGET_MIN = 1_000
# A run stops claiming after this long: the next beat's run takes over (beat sends one a
# minute; two at once are safe, SKIP LOCKED and the SitePace rows keep them apart).
DISPATCH_MAX_SECONDS = 50
# A site's pace is counted in minutes, each beginning at the first hand-out after the last
# one ended. Beat runs the dispatch once a minute, give or take its tick; a window a little
# shorter than that means a run a few seconds early still finds the site's minute over.
PACE_WINDOW = dt.timedelta(seconds=55)


def rechecks_dispatch(*, send: Callable[[list[str]], object], now=None) -> int:
    """Claim and lease the sightings whose check is due, at most each site's pace a minute,
    and hand each batch of ids to `send` (the recheck_sightings task's delay) once its claim
    has committed; round after round while fewer than queue_target are handed out and not
    yet checked (in_flight). Returns how many were handed out."""
    now = now or timezone.now()
    started = time.monotonic()
    target = queue_target(now)
    pace = dict(Platform.objects.values_list("pk", "checks_per_minute"))
    full: set[str] = set()  # sites whose pace this minute is used up
    hosts: dict[str, str] = {}  # host -> its site, for hosts no platform claims
    handed_out = 0
    while time.monotonic() - started < DISPATCH_MAX_SECONDS:
        if in_flight(now) >= target:
            break  # the workers have enough to do: the next run looks again
        claimed = _claim_round(send=send, now=now, pace=pace, full=full, hosts=hosts)
        if claimed is None:
            break  # nothing more is due (or only on sites that had their minute)
        handed_out += claimed
    return handed_out


def in_flight(now) -> int:
    """Sightings handed out and not yet checked: their lease is running. A lease is the only
    next_check_at between now and now + RECHECK_LEASE: a check schedules the next one at
    least RECHECK_NEAR_DUE less the jitter ahead, and everything else sets it to now or none
    (a link logged, her word, withdrawn). One range of the next_check_at index, whatever the
    broker; a lost message stops counting when its lease runs out."""
    return Sighting.objects.filter(
        next_check_at__gt=now, next_check_at__lte=now + RECHECK_LEASE
    ).count()


def queue_target(now) -> int:
    """How many sightings may wait in the broker: the workers' checks of the last
    QUEUE_WINDOW, at least QUEUE_TARGET_MIN (see QUEUE_WINDOW)."""
    recent = UrlCheck.objects.filter(checked_at__gt=now - QUEUE_WINDOW).count()
    return max(QUEUE_TARGET_MIN, recent)


def _site(platform_id, host: str) -> str:
    """What a pace is kept for: a platform (all its domains), or a host it does not know,
    by a digest of its name: a host can name her (rose-leaks.example), and SitePace rows
    outlive her erasure."""
    if platform_id is not None:
        return f"platform:{platform_id}"
    return f"host:{hashlib.sha256(host.encode()).hexdigest()[:40]}"


def _claim_round(*, send, now, pace: dict, full: set[str], hosts: dict) -> int | None:
    """One claim: how many were handed out, or None when nothing due is left but on sites in
    `full`. A claim may hand out none when every candidate's site had its minute: those
    sites join `full`, so the next claim reaches the links behind them."""
    with transaction.atomic():
        candidates = Sighting.objects.select_for_update(skip_locked=True).filter(
            next_check_at__lte=now
        )
        # Sites that had their minute are left out of the query, so a case with thousands of
        # links on one slow site does not hide the links of the others behind them.
        platforms_full = [int(s.split(":", 1)[1]) for s in full if s.startswith("platform:")]
        hosts_full = [host for host, site in hosts.items() if site in full]
        if platforms_full:
            candidates = candidates.exclude(platform_id__in=platforms_full)
        if hosts_full:
            candidates = candidates.exclude(platform__isnull=True, host__in=hosts_full)
        rows = list(
            candidates.order_by("next_check_at").values_list("pk", "host", "platform_id")[
                : CLAIM_BATCH * 2
            ]
        )
        if not rows:
            return None
        sites = {_site(platform, host): platform for _, host, platform in rows}
        hosts.update((host, _site(None, host)) for _, host, platform in rows if platform is None)
        left = _pace_left(now, sites, pace)
        due = []
        for pk, host, platform in rows:
            site = _site(platform, host)
            if left[site] > 0 and len(due) < CLAIM_BATCH:
                left[site] -= 1
                due.append((pk, host, site))
        used = Counter(site for _, _, site in due)
        for site, count in used.items():
            SitePace.objects.filter(site=site).update(handed_out=F("handed_out") + count)
        full.update(site for site, n in left.items() if n <= 0)
        Sighting.objects.filter(pk__in=[pk for pk, _, _ in due]).update(
            next_check_at=now + RECHECK_LEASE
        )
        # Sent once the claim has committed (when this round ends, run from a task), so a
        # worker finds the lease in place, and in_flight counts them before the next round.
        for chunk in _chunks([(pk, host) for pk, host, _ in due]):
            transaction.on_commit(lambda ids=chunk: send(ids))
    return len(due)


def _pace_left(now, sites: dict[str, int | None], pace: dict) -> Counter:
    """Checks each site may still be handed this minute, its SitePace row locked until the
    round commits, so a second dispatcher waits for it and counts what this one handed out.
    Rows are locked in key order (leakcase/locking.py), so two dispatchers queue instead of
    deadlocking. A row's minute starts at the first hand-out after the last one ended."""
    SitePace.objects.bulk_create(
        [SitePace(site=site, minute_started_at=now) for site in sites], ignore_conflicts=True
    )
    left = Counter()
    for row in SitePace.objects.select_for_update().filter(site__in=sites).order_by("site"):
        if row.minute_started_at <= now - PACE_WINDOW:
            row.minute_started_at, row.handed_out = now, 0
            row.save(update_fields=["minute_started_at", "handed_out"])
        platform = sites[row.site]
        rate = pace.get(platform, DEFAULT_CHECKS_PER_MINUTE)
        left[row.site] = max(0, rate - row.handed_out)
    return left


def _chunks(due: list[tuple]) -> list[list[str]]:
    """(id, host) pairs into tasks of at most RECHECK_CHUNK ids and PER_HOST_AT_ONCE of a host."""
    chunks: list[tuple[list[str], Counter]] = []
    for pk, host in due:
        for ids, hosts in chunks:
            if len(ids) < RECHECK_CHUNK and hosts[host] < PER_HOST_AT_ONCE:
                break
        else:
            ids, hosts = [], Counter()
            chunks.append((ids, hosts))
        ids.append(str(pk))
        hosts[host] += 1
    return [ids for ids, _ in chunks]


# --- how long the history of checks is kept --------------------------------------------------
# One UrlCheck a recheck, for as long as a link is watched, would be almost all of the
# database (bench/benchmarks/sizing.py: 84 GB a year for a national service). What a check's
# history is for: showing when a link was up, when it went down and when it came back (to
# her, to a caseworker, to a platform disputing a removal or a time to removal), and the
# details of recent checks (HTTP status, bytes, hash distance, errors) while a request is
# being worked. Nothing in the code reads more: the only reader of old rows is
# _unreachable_since, which needs the first check of the current run of unreachable ones
# and the last one before it that reached the site, and the rule below keeps its answer the
# same (the run's first check is a change of outcome; the last reaching check before it, if
# pruned, has an earlier one of the same outcome kept, with nothing unreachable between).
#
# The rule, per sighting, by checked_at (then id): a check is KEPT when it is
# - the first check of the sighting (where its record begins), or
# - a change: its outcome differs from the check before it (up, down, back, unreachable), or
# - the last check (what the sighting's last_checked_at and last_check_outcome say), or
# - younger than CHECKS_KEPT_FOR;
# every other check (older, and saying the same as the check before it) is deleted.
# Deleting such a check changes nothing the rule says of the others (the check after it now
# follows one with the same outcome), so the prune is safe to run twice, or two at once.
CHECKS_KEPT_FOR = dt.timedelta(days=30)
# Sightings whose history one transaction prunes: a short delete, so the table is never held
# up for long (each batch is a few thousand rows at most).
PRUNE_BATCH = 500

_PRUNE_SQL = """
DELETE FROM evidence_urlcheck WHERE id IN (
    SELECT id FROM (
        SELECT id, checked_at, outcome,
               LAG(outcome) OVER history AS outcome_before,
               LEAD(id) OVER history AS later_check
          FROM evidence_urlcheck
         WHERE sighting_id = ANY(%s)
        WINDOW history AS (PARTITION BY sighting_id ORDER BY checked_at, id)
    ) AS checks
     WHERE checked_at < %s AND outcome = outcome_before AND later_check IS NOT NULL
)
"""


def url_checks_prune(*, now=None, batch: int = PRUNE_BATCH) -> dict:
    """Delete the checks the rule above does not keep, a batch of sightings per transaction,
    and record the counts (never which links) in the audit trail. Returns the counts."""
    now = now or timezone.now()
    cutoff = now - CHECKS_KEPT_FOR
    deleted = batches = 0
    after = None
    while True:
        sightings = Sighting.objects.order_by("pk")
        if after is not None:
            sightings = sightings.filter(pk__gt=after)
        ids = list(sightings.values_list("pk", flat=True)[:batch])
        if not ids:
            break
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_PRUNE_SQL, [ids, cutoff])
            deleted += cursor.rowcount
        batches += 1
        after = ids[-1]
    # The dispatch's memory of each site's minute (SitePace) is only read for the minute it
    # is in: rows of sites not handed a check for a day go, so hosts seen once do not pile up.
    paces, _ = SitePace.objects.filter(minute_started_at__lt=now - dt.timedelta(days=1)).delete()
    counts = {
        "deleted": deleted,
        "batches": batches,
        "kept_days": CHECKS_KEPT_FOR.days,
        "site_paces_cleared": paces,
    }
    # Once, at the end, with the counts: one row a day, not one per batch. Each batch's
    # deletes stand on their own (the rule is the same for every run), so a run stopped
    # half-way is finished by the next one, which records it.
    audit_record(kind=AuditKind.CHECKS_PRUNED, target="url checks", detail=counts)
    return counts

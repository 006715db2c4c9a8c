import datetime as dt

import pytest
import time_machine

from cases.models import Case
from evidence.services import sighting_log
from platforms.models import Platform
from takedowns.models import AnonymousOutcome, LegalBasis, TakedownRequest
from takedowns.selectors import (
    bases_offered,
    bucket_percentile,
    percentile,
    platform_figures_from_requests,
)
from takedowns.selectors import platform_figures as figures_from_summary
from takedowns.services import (
    platform_figures_rebuild,
    platform_figures_refresh,
    takedown_confirm_decision,
    takedown_mark_submitted,
    takedown_record_reply,
    takedown_update_draft,
    takedowns_draft,
)

# --- which routes are offered ----------------------------------------------------------


def test_routes_offered_follow_jurisdiction_and_platform(db):
    reddit = Platform.objects.get(slug="reddit")
    google = Platform.objects.get(slug="google-search")
    us, de, unknown = Case(jurisdiction="US"), Case(jurisdiction="DE"), Case(jurisdiction="")
    assert "dsa" not in bases_offered(us, reddit)
    assert "dsa" in bases_offered(de, reddit)
    assert "dsa" in bases_offered(unknown, reddit)
    assert bases_offered(us, reddit)[0] == "take_it_down"
    assert "take_it_down" not in bases_offered(us, google)  # delisting is policy, not the Act
    assert set(bases_offered(unknown, None)) == set(LegalBasis.values)


# --- figures per platform --------------------------------------------------------------


def platform_figures(**kwargs):
    """The figures as the page reads them: the summary refreshed (the rows below are
    written with bulk_create, past the services; the triggers mark their days), then read."""
    platform_figures_refresh()
    return figures_from_summary(**kwargs)


def _sent(case, platform, *, status, hours_to_removal=None, sent_at):
    removed_at = sent_at + dt.timedelta(hours=hours_to_removal) if hours_to_removal else None
    return TakedownRequest(
        case=case, platform=platform, status=status, sent_at=sent_at, removed_at=removed_at
    )


def test_figures_match_a_hand_computation(db, case):
    reddit = Platform.objects.get(slug="reddit")
    imgur = Platform.objects.get(slug="imgur")
    start = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    # Reddit: removed after 10, 20, 30, 40 and 100 hours; one rejected; one still waiting.
    rows = [
        _sent(case, reddit, status="removed", hours_to_removal=h, sent_at=start)
        for h in (10, 20, 30, 40, 100)
    ]
    rows += [
        _sent(case, reddit, status="rejected", sent_at=start),
        _sent(case, reddit, status="sent", sent_at=start),
        _sent(case, imgur, status="removed", hours_to_removal=5, sent_at=start),
        TakedownRequest(case=case, platform=imgur, status="draft"),  # never sent: not counted
    ]
    TakedownRequest.objects.bulk_create(rows)

    figures = {row.platform: row for row in platform_figures()}
    r = figures["Reddit"]
    assert (r.sent, r.removed, r.rejected) == (7, 5, 1)
    assert r.removal_rate == pytest.approx(5 / 7)
    # Sorted 10, 20, 30, 40, 100: the median is the middle one.
    assert r.median_hours == pytest.approx(30)
    # p90, linear between ranks: position 0.9 * 4 = 3.6, so 40 + 0.6 * (100 - 40) = 76.
    assert r.p90_hours == pytest.approx(76)
    # Within 48 h: 10, 20, 30, 40 of the 7 sent.
    assert r.within_48h_share == pytest.approx(4 / 7)
    i = figures["Imgur"]
    assert (i.sent, i.median_hours, i.p90_hours, i.within_48h_share) == (1, 5, 5, 1)


def test_the_figures_yardstick_is_the_clock_of_a_take_it_down_request(db, case):
    """One window, TAKE_IT_DOWN_HOURS: a request under the Act removed at its due time
    counts as removed within the window in the figures, and one removed a minute later does
    not."""
    from takedowns.models import TAKE_IT_DOWN_HOURS
    from takedowns.services import due_hours

    reddit = Platform.objects.get(slug="reddit")
    start = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    on_time, late = (
        TakedownRequest(
            case=case,
            platform=reddit,
            legal_basis=LegalBasis.TAKE_IT_DOWN,
            status="removed",
            sent_at=start,
        )
        for _ in range(2)
    )
    due = start + dt.timedelta(hours=due_hours(on_time))
    on_time.removed_at, late.removed_at = due, due + dt.timedelta(minutes=1)
    TakedownRequest.objects.bulk_create([on_time, late])
    assert due_hours(on_time) == TAKE_IT_DOWN_HOURS == 48  # 47 U.S.C. 223a(a)(3)
    (row,) = platform_figures()
    assert row.within_48h_share == pytest.approx(1 / 2)


def test_percentile_on_an_even_count():
    # 1, 2, 3, 4: median at position 1.5 -> 2.5; p90 at 2.7 -> 3.7.
    assert percentile([4, 1, 3, 2], 0.5) == pytest.approx(2.5)
    assert percentile([4, 1, 3, 2], 0.9) == pytest.approx(3.7)
    assert percentile([], 0.5) is None


def _figures_in_python(rows):
    """The figures worked out row by row in Python, as they were before PostgreSQL did it."""
    by_platform = {}
    for name, status, sent_at, removed_at in rows:
        by_platform.setdefault(name or "Unknown platforms", []).append(
            (status, sent_at, removed_at)
        )
    figures = {}
    for name, requests in by_platform.items():
        hours = [
            (removed_at - sent_at).total_seconds() / 3600
            for status, sent_at, removed_at in requests
            if status == "removed" and removed_at
        ]
        figures[name] = (
            len(requests),
            len(hours),
            sum(1 for status, _, _ in requests if status == "rejected"),
            percentile(hours, 0.5),
            percentile(hours, 0.9),
            sum(1 for h in hours if h <= 48) / len(requests),
        )
    return figures


def test_figures_in_sql_equal_the_python_computation_on_varied_data(db, case):
    """Many platforms, odd and even counts, minutes as well as hours, exactly 48 hours,
    a request with no platform, removals without a time, drafts, and the anonymous
    outcomes an erased survivor leaves: PostgreSQL's figures equal the Python ones."""
    import random

    from takedowns.models import AnonymousOutcome

    rng = random.Random(7)
    platforms = list(Platform.objects.order_by("pk")[:6])
    start = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    statuses = ["sent", "acknowledged", "removed", "removed", "rejected", "escalated"]
    requests, anonymous, expected_rows = [], [], []
    for n in range(300):
        platform = rng.choice([*platforms, None])
        status = rng.choice(statuses)
        sent_at = start + dt.timedelta(minutes=rng.randrange(60 * 24 * 30))
        removed_at = None
        if status == "removed" and rng.random() < 0.9:
            minutes = rng.choice([48 * 60, 48 * 60 + 1, rng.randrange(1, 60 * 24 * 10)])
            removed_at = sent_at + dt.timedelta(minutes=minutes)
        if n % 5 == 0:
            anonymous.append(
                AnonymousOutcome(
                    platform=platform,
                    legal_basis="platform_policy",
                    status=status,
                    sent_at=sent_at,
                    removed_at=removed_at,
                )
            )
        else:
            requests.append(
                TakedownRequest(
                    case=case,
                    platform=platform,
                    status=status,
                    sent_at=sent_at,
                    removed_at=removed_at,
                )
            )
        expected_rows.append((platform.name if platform else None, status, sent_at, removed_at))
    requests.append(TakedownRequest(case=case, platform=platforms[0], status="draft"))
    TakedownRequest.objects.bulk_create(requests)
    AnonymousOutcome.objects.bulk_create(anonymous)

    expected = _figures_in_python(expected_rows)
    figures = platform_figures_from_requests()
    assert [row.platform for row in figures] == sorted(expected)
    for row in figures:
        sent, removed, rejected, median, p90, within = expected[row.platform]
        assert (row.sent, row.removed, row.rejected) == (sent, removed, rejected)
        assert row.removal_rate == pytest.approx(removed / sent)
        assert row.median_hours == pytest.approx(median)
        assert row.p90_hours == pytest.approx(p90)
        assert row.within_48h_share == pytest.approx(within)


def test_figures_take_one_query_whatever_the_number_of_requests(
    db, case, django_assert_num_queries
):
    reddit = Platform.objects.get(slug="reddit")
    start = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    TakedownRequest.objects.bulk_create(
        _sent(case, reddit, status="removed", hours_to_removal=h, sent_at=start)
        for h in range(1, 201)
    )
    platform_figures_refresh()
    with django_assert_num_queries(1):
        figures = figures_from_summary()
    assert figures[0].sent == 200
    with django_assert_num_queries(1):
        assert platform_figures_from_requests()[0].sent == 200


def _submitted_to_reddit(case, survivor, caseworker, n, sent_at):
    sighting = sighting_log(
        case=case, url=f"https://www.reddit.com/r/x/comments/{n}/", acting_user=survivor
    )
    (draft,) = takedowns_draft(case=case, sightings=[sighting], acting_user=caseworker)
    takedown_update_draft(
        takedown=draft,
        acting_user=caseworker,
        signer_name="Rose",
        content_description="Photos",
        confirms_no_consent=True,
        confirms_good_faith=True,
    )
    with time_machine.travel(sent_at, tick=False):
        return takedown_mark_submitted(
            takedown=draft, ticket_number=f"R-{n}", acting_user=caseworker
        )


def test_outcomes_she_recorded_count_in_the_figures_once_staff_confirm_them(
    case, survivor, caseworker, consent
):
    start = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)
    removed = _submitted_to_reddit(case, survivor, caseworker, 1, start)
    rejected = _submitted_to_reddit(case, survivor, caseworker, 2, start)
    with time_machine.travel(start + dt.timedelta(hours=5), tick=False):
        for request, decision in ((removed, "removed"), (rejected, "rejected")):
            takedown_record_reply(
                takedown=request, body="They wrote back.", decision=decision, acting_user=survivor
            )
    (row,) = platform_figures()
    assert (row.platform, row.sent, row.removed, row.rejected) == ("Reddit", 2, 0, 0)
    assert row.median_hours is None

    takedown_confirm_decision(takedown=removed, acting_user=caseworker)
    takedown_confirm_decision(takedown=rejected, acting_user=caseworker)
    (row,) = platform_figures()
    assert (row.sent, row.removed, row.rejected) == (2, 1, 1)
    assert row.median_hours == pytest.approx(5)


def _random_outcomes(case, rng, n=400):
    """Requests and erased survivors' outcomes over five weeks: six platforms and none, every
    legal basis, minutes as well as hours to removal, exactly 48 hours, removals without a
    time, outcomes she recorded herself (some confirmed by staff, some awaiting them), and
    drafts. Written past the services (bulk_create): the triggers mark their days."""
    platforms = list(Platform.objects.order_by("pk")[:6])
    start = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    statuses = ["sent", "acknowledged", "removed", "removed", "rejected", "escalated"]
    requests, anonymous = [], []
    for index in range(n):
        status = rng.choice(statuses)
        sent_at = start + dt.timedelta(minutes=rng.randrange(60 * 24 * 35))
        removed_at = None
        if status == "removed" and rng.random() < 0.9:
            minutes = rng.choice([48 * 60, 48 * 60 + 1, rng.randrange(1, 60 * 24 * 20)])
            removed_at = sent_at + dt.timedelta(minutes=minutes)
        fields = {
            "platform": rng.choice([*platforms, None]),
            "legal_basis": rng.choice(LegalBasis.values),
            "status": status,
            "sent_at": sent_at,
            "removed_at": removed_at,
        }
        if index % 5 == 0:
            anonymous.append(AnonymousOutcome(**fields))
            continue
        if status in ("removed", "rejected") and rng.random() < 0.3:
            fields["decision_by_survivor"] = True  # she recorded it...
            if rng.random() < 0.5:  # ...and staff confirmed it, or not yet
                fields["decision_confirmed_at"] = sent_at + dt.timedelta(days=30)
        requests.append(TakedownRequest(case=case, **fields))
    requests.append(TakedownRequest(case=case, platform=platforms[0], status="draft"))
    TakedownRequest.objects.bulk_create(requests)
    AnonymousOutcome.objects.bulk_create(anonymous)


def _bucket_width(hours: float) -> float:
    import bisect

    from takedowns.models import REMOVAL_HOUR_EDGES

    index = bisect.bisect_right(REMOVAL_HOUR_EDGES, hours)
    assert 0 < index < len(REMOVAL_HOUR_EDGES), "the test keeps removals in closed buckets"
    return REMOVAL_HOUR_EDGES[index] - REMOVAL_HOUR_EDGES[index - 1]


def _removal_hours(platform_name, since=None, before=None) -> list[float]:
    """Every removal's hours as the figures count them, for one platform (or unknown)."""
    rows = [
        (t.platform.name if t.platform else None, *t.outcome_for_figures(), t.sent_at)
        for t in TakedownRequest.objects.filter(sent_at__isnull=False).select_related("platform")
    ] + [
        (a.platform.name if a.platform else None, a.status, a.removed_at, a.sent_at)
        for a in AnonymousOutcome.objects.select_related("platform")
    ]
    return sorted(
        (removed_at - sent_at).total_seconds() / 3600
        for name, status, removed_at, sent_at in rows
        if (name or "Unknown platforms") == platform_name
        and status == "removed"
        and removed_at
        and (since is None or sent_at >= since)
        and (before is None or sent_at < before)
    )


def _within_the_bucket(summary, exact, hours, fraction):
    """The summary's percentile is within the bucket(s) of the ranks it interpolates."""
    if exact is None:
        return summary is None
    position = (len(hours) - 1) * fraction
    lower, upper = int(position), min(int(position) + 1, len(hours) - 1)
    return abs(summary - exact) <= max(_bucket_width(hours[lower]), _bucket_width(hours[upper]))


@pytest.mark.parametrize(
    "days",
    [
        (None, None),
        (dt.datetime(2026, 9, 8, tzinfo=dt.UTC), dt.datetime(2026, 9, 29, tzinfo=dt.UTC)),
    ],
)
def test_the_summary_equals_the_figures_worked_out_from_every_request(case, days):
    """On random data (erased survivors' outcomes and her own awaiting confirmation
    included), the summary the triggers and the refresh keep, and the summary rebuilt from
    scratch, give the same counts, rates and shares as the figures worked out from every
    request; hours to removal equal them to within the bucket their ranks fall in."""
    import random

    since, before = days
    _random_outcomes(case, random.Random(11))
    live = platform_figures_from_requests(sent_since=since, sent_before=before)
    kept = platform_figures(sent_since=since, sent_before=before)
    platform_figures_rebuild()
    rebuilt = figures_from_summary(sent_since=since, sent_before=before)
    assert kept == rebuilt
    assert [r.platform for r in rebuilt] == [r.platform for r in live] and len(live) == 7
    for summary, exact in zip(rebuilt, live, strict=True):
        counts = ("sent", "removed", "rejected", "removal_rate", "within_48h_share")
        assert [getattr(summary, c) for c in counts] == [getattr(exact, c) for c in counts]
        hours = _removal_hours(exact.platform, since, before)
        assert _within_the_bucket(summary.median_hours, exact.median_hours, hours, 0.5)
        assert _within_the_bucket(summary.p90_hours, exact.p90_hours, hours, 0.9)


def test_a_change_made_past_the_services_reaches_the_figures_on_the_next_refresh(case):
    """The triggers mark the day of whatever statement touched a request (a queryset
    update here, no service, no signal), the day it was sent before and after a change."""
    reddit = Platform.objects.get(slug="reddit")
    sent_at = dt.datetime(2026, 10, 1, 12, tzinfo=dt.UTC)
    request = _sent(case, reddit, status="sent", sent_at=sent_at)
    request.save()
    (row,) = platform_figures()
    assert (row.sent, row.removed) == (1, 0)
    TakedownRequest.objects.filter(pk=request.pk).update(
        status="removed", removed_at=sent_at + dt.timedelta(hours=7)
    )
    assert figures_from_summary()[0].removed == 0  # not yet refreshed
    (row,) = platform_figures()
    assert (row.removed, row.median_hours) == (1, pytest.approx(7))
    moved = sent_at - dt.timedelta(days=3)
    TakedownRequest.objects.filter(pk=request.pk).update(sent_at=moved)
    october = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    assert platform_figures(sent_since=october) == []  # its old day holds nothing now
    assert platform_figures(sent_before=october)[0].sent == 1
    TakedownRequest.objects.filter(pk=request.pk).delete()
    assert platform_figures() == []


def test_the_summary_is_read_by_utc_day():
    with pytest.raises(ValueError, match="UTC day"):
        figures_from_summary(sent_since=dt.datetime(2026, 10, 1, 9, tzinfo=dt.UTC))


def _buckets(values):
    import bisect

    from takedowns.models import REMOVAL_HOUR_EDGES

    counts, hours = [0] * (len(REMOVAL_HOUR_EDGES) + 1), [0.0] * (len(REMOVAL_HOUR_EDGES) + 1)
    for value in values:
        bucket = bisect.bisect_right(REMOVAL_HOUR_EDGES, value)
        counts[bucket] += 1
        hours[bucket] += value
    return counts, hours


def test_bucket_percentiles_are_exact_for_one_in_a_bucket_and_inside_it_otherwise():
    # 5 alone in [4, 6); 10.5 and 11.5 in [10, 12), even around their mean; 13, 14, 15 in
    # [12, 16): taken as 12.67, 14 and 15.33, around their mean as widely as the bucket allows.
    counts, hours = _buckets([5, 10.5, 11.5, 13, 14, 15])
    assert bucket_percentile(counts, hours, 0.0) == 5
    assert bucket_percentile(counts, hours, 0.2) == pytest.approx(10.5)
    assert bucket_percentile(counts, hours, 0.4) == pytest.approx(11.5)
    assert bucket_percentile(counts, hours, 0.6) == pytest.approx(12 + 2 / 3)
    assert bucket_percentile(counts, hours, 0.8) == pytest.approx(14)
    assert bucket_percentile(counts, hours, 1.0) == pytest.approx(15 + 1 / 3)
    # Past 90 days (the open bucket) and before sending (bad data): at their mean.
    assert bucket_percentile(*_buckets([3000, 5000]), 0.5) == 4000
    assert bucket_percentile(*_buckets([-2]), 0.5) == -2
    assert bucket_percentile(*_buckets([]), 0.5) is None


def test_figures_count_the_requests_sent_within_the_range_erased_ones_included(case):
    reddit = Platform.objects.get(slug="reddit")
    inside = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
    for sent_at in (inside, dt.datetime(2026, 3, 20, tzinfo=dt.UTC)):  # the end is open
        TakedownRequest.objects.create(
            case=case,
            platform=reddit,
            status="removed",
            sent_at=sent_at,
            removed_at=sent_at + dt.timedelta(hours=4),
        )
    AnonymousOutcome.objects.create(
        platform=reddit, legal_basis="take_it_down", status="rejected", sent_at=inside
    )
    AnonymousOutcome.objects.create(
        platform=reddit,
        legal_basis="take_it_down",
        status="rejected",
        sent_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC) - dt.timedelta(microseconds=1),
    )
    (row,) = platform_figures(
        sent_since=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        sent_before=dt.datetime(2026, 3, 20, tzinfo=dt.UTC),
    )
    assert (row.sent, row.removed, row.rejected) == (2, 1, 1)
    assert [r.sent for r in platform_figures()] == [4]


@pytest.mark.parametrize(
    ("channel", "promised"),
    [
        ("email", "we send it a reminder"),
        ("web_form", "your caseworker follows it up"),
    ],
)
def test_her_next_steps_promise_a_reminder_only_where_one_is_sent(
    case, caseworker, channel, promised
):
    """Reminders go by email only (takedowns_due_a_reminder): a request sent through a web
    form must not tell her one will go."""
    from takedowns.selectors import request_for_her
    from tests.helpers.takedowns import sent_request

    sighting = sighting_log(case=case, url="https://x.com/a/status/1", acting_user=case.survivor)
    request = sent_request(case, sighting, caseworker)
    request.channel = channel
    for now in (request.due_at - dt.timedelta(hours=1), request.due_at + dt.timedelta(hours=1)):
        steps = " ".join(
            request_for_her(
                request, hours=48, sightings=[sighting], correspondence=[], now=now
            ).next_steps
        )
        assert promised in steps.lower()
        other = {"email": "follows it up", "web_form": "reminder"}[channel]
        assert other not in steps.lower()


# --- the ladder: its view on a request, and removals by rung ------------------------------


def _climbed_to_registrar(case, survivor, caseworker):
    """A site's request, its host's and its registrar's, each sent (through forms) after
    the one below lapsed; returns the three."""
    import time_machine

    from evidence.services import sightings_log_pasted
    from takedowns.ladder_services import ladders_climb_due
    from takedowns.services import takedown_mark_submitted, takedown_update_draft, takedowns_draft
    from tests.helpers.ladder import hosted

    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    sightings = sightings_log_pasted(
        case=case, text="https://leaks.example/1.jpg", acting_user=survivor
    ).saved
    (site,) = takedowns_draft(case=case, sightings=sightings, acting_user=caseworker)
    hosted("leaks.example", at=start)  # looked up after the site's draft was made
    takedown_update_draft(
        takedown=site,
        acting_user=caseworker,
        signer_name="Rose",
        contact_email="r@example.test",
        content_description="photos",
        confirms_no_consent=True,
        confirms_good_faith=True,
    )
    chain = [site]
    at = start
    for _ in range(3):
        with time_machine.travel(at, tick=False):
            takedown_mark_submitted(takedown=chain[-1], ticket_number="T", acting_user=caseworker)
        chain[-1].refresh_from_db()
        if len(chain) == 3:
            break
        at = chain[-1].due_at + dt.timedelta(hours=1)
        with time_machine.travel(at, tick=False):
            assert ladders_climb_due() == 1
        chain.append(TakedownRequest.objects.get(escalated_from=chain[-1]))
    return chain, at


def test_the_ladder_view_shows_each_rung_done_current_and_ahead(
    case, survivor, caseworker, consent
):
    from takedowns.selectors import ladder_line_for_her, ladder_view

    (site, _host, registrar), _at = _climbed_to_registrar(case, survivor, caseworker)
    view = ladder_view(site)
    states = [(step.rung, step.state) for step in view.steps]
    assert states == [
        ("site", "done"),
        ("host", "done"),
        ("registrar", "current"),
        ("cdn", "ahead"),
        ("ftc", "ahead"),
    ]
    assert view.current == registrar and view.next_draft is None
    assert [step.wait_hours for step in view.steps] == [None, 72, 120, 72, None]
    assert ladder_line_for_her(site) == (
        "We have now asked the company the site's name is registered with."
    )


def test_removals_count_at_the_rung_that_was_sent_last(case, survivor, caseworker, consent):
    from takedowns.selectors import platform_figures, rung_figures, rung_figures_from_requests
    from takedowns.services import (
        platform_figures_refresh,
        takedowns_close_for_removed_sightings,
    )

    (site, _host, registrar), at = _climbed_to_registrar(case, survivor, caseworker)
    sighting = site.sightings.get()
    sighting.status = "removed"
    sighting.save(update_fields=["status"])
    removed_at = at + dt.timedelta(hours=10)
    takedowns_close_for_removed_sightings(sightings=[sighting], now=removed_at)
    # Read from their summary, worked out first as the figures page does.
    platform_figures_refresh()
    rows = {row.rung: row for row in rung_figures()}
    assert [(r.rung, r.sent, r.removed) for r in rows.values()] == [
        ("site", 1, 0),
        ("host", 1, 0),
        ("registrar", 1, 1),
    ]
    assert rows["registrar"].median_hours == 10
    assert [(r.rung, r.sent, r.removed, r.median_hours) for r in rung_figures()] == [
        (r.rung, r.sent, r.removed, r.median_hours) for r in rung_figures_from_requests()
    ]
    # The platform figures are of requests to the sites themselves.
    assert [(f.platform, f.sent) for f in platform_figures()] == [("Unknown platforms", 1)]
    # The registrar's request as if never sent (written behind the services' back): the
    # host's removal now counts at the host's rung. The host's request was sent on another
    # day than the registrar's, so the triggers must make that day stale too.
    assert site.sent_at.date() != registrar.sent_at.date() != _host.sent_at.date()
    TakedownRequest.objects.filter(pk=registrar.pk).update(sent_at=None)
    platform_figures_refresh()
    assert [(r.rung, r.sent, r.removed) for r in rung_figures()] == [
        ("site", 1, 0),
        ("host", 1, 1),
    ]
    assert [(r.rung, r.sent, r.removed) for r in rung_figures()] == [
        (r.rung, r.sent, r.removed) for r in rung_figures_from_requests()
    ]

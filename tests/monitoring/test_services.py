import datetime as dt
import uuid
from collections import Counter

import pytest
from django.utils import timezone

from cases.models import Case
from evidence.models import Sighting
from evidence.services import sighting_log, sightings_log_pasted
from monitoring.models import Outcome, SitePace, UrlCheck
from monitoring.recheck import Verdict
from monitoring.services import (
    PER_HOST_AT_ONCE,
    RECHECK_CHUNK,
    RECHECK_LEASE,
    rechecks_dispatch,
    sighting_checks_record,
    sighting_recheck,
)
from monitoring.tasks import dispatch_rechecks
from platforms.models import DEFAULT_CHECKS_PER_MINUTE as PER_HOST
from takedowns.models import TakedownRequest
from tests.helpers.takedowns import sent_request

# The rechecks here fetch from the local stand-in server (conftest.py).
pytestmark = pytest.mark.usefixtures("allow_local")


class TestRechecksWriteOnTheRowsAsTheyAreNow:
    """A recheck reads its sighting before the fetch and writes after it. What another
    connection wrote in between (a second check of the same link, a caseworker) stands."""

    @pytest.fixture
    def watched(self, case, survivor, caseworker):
        from cases.services import case_assign
        from tests.helpers.takedowns import sent_request

        case_assign(case=case, to=caseworker, acting_user=caseworker)  # active
        sighting = sighting_log(case=case, url="https://leak.example/1", acting_user=survivor)
        request = sent_request(case, sighting, caseworker)
        return sighting, request

    @staticmethod
    def _record(sighting_pk, outcome):
        sighting = Sighting.objects.select_related("case").get(pk=sighting_pk)
        sighting_checks_record(checks=[(sighting, Verdict(outcome=outcome))])

    @pytest.mark.django_db(transaction=True)
    def test_a_check_read_before_another_verified_the_removal_sees_a_reappearance(
        self, watched, in_another_connection
    ):
        sighting, request = watched
        read_before = Sighting.objects.select_related("case").get(pk=sighting.pk)
        in_another_connection(self._record, sighting.pk, Outcome.REMOVED)
        request.refresh_from_db()
        assert request.status == "removed"
        # Ours found the link up again: back after a verified removal, not merely "live".
        sighting_checks_record(checks=[(read_before, Verdict(outcome=Outcome.LIVE))])
        sighting.refresh_from_db()
        request.refresh_from_db()
        assert (sighting.status, sighting.removed_verified_at) == ("live", None)
        assert list(sighting.checks.order_by("checked_at").values_list("outcome", flat=True)) == [
            "removed",
            "reappeared",
        ]
        assert (request.status, request.removed_at) == ("sent", None)
        assert Case.objects.get(pk=sighting.case_id).status == "active"

    @pytest.mark.django_db(transaction=True)
    def test_a_case_closed_by_staff_during_a_recheck_does_not_lose_the_recheck(
        self, watched, supervisor, in_another_connection
    ):
        from cases.services import case_change_status

        sighting, request = watched
        read_before = Sighting.objects.select_related("case").get(pk=sighting.pk)  # active
        in_another_connection(
            lambda: case_change_status(
                case=Case.objects.get(pk=sighting.case_id), to="closed", acting_user=supervisor
            )
        )
        sighting_checks_record(checks=[(read_before, Verdict(outcome=Outcome.REMOVED))])
        sighting.refresh_from_db()
        request.refresh_from_db()
        assert sighting.status == "removed" and sighting.checks.count() == 1
        assert request.status == "removed"
        assert Case.objects.get(pk=sighting.case_id).status == "closed"  # staff's word stands


class TestRechecksClaimDue:
    """Beat's dispatcher claims due sightings here; the task only hands it its own delay."""

    NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)

    def _due(self, case, survivor, urls):
        saved = sightings_log_pasted(case=case, text="\n".join(urls), acting_user=survivor).saved
        Sighting.objects.filter(pk__in=[s.pk for s in saved]).update(
            next_check_at=self.NOW - dt.timedelta(minutes=1)
        )
        return saved

    @pytest.fixture
    def rechecks_claim_due(self, django_capture_on_commit_callbacks):
        """The batches one dispatch hands out, once its claim has committed."""

        def claim(*, now):
            sent = []
            with django_capture_on_commit_callbacks(execute=True):
                rechecks_dispatch(send=sent.append, now=now)
            return sent

        return claim

    def test_due_sightings_are_leased_and_handed_out_once(
        self, case, survivor, rechecks_claim_due
    ):
        due = self._due(case, survivor, ["https://a.example/1", "https://b.example/2"])
        later = sighting_log(case=case, url="https://c.example/3", acting_user=survivor)
        Sighting.objects.filter(pk=later.pk).update(next_check_at=self.NOW + dt.timedelta(hours=1))
        (batch,) = rechecks_claim_due(now=self.NOW)
        assert sorted(batch) == sorted(str(s.pk) for s in due)
        leased = dict(Sighting.objects.values_list("pk", "next_check_at"))
        assert [leased[s.pk] for s in due] == [self.NOW + RECHECK_LEASE] * 2
        assert leased[later.pk] == self.NOW + dt.timedelta(hours=1)  # not due: untouched
        assert rechecks_claim_due(now=self.NOW) == []  # leased: not handed out twice
        # The lease runs out: what was never checked is claimed again.
        assert len(rechecks_claim_due(now=self.NOW + RECHECK_LEASE)[0]) == 2

    def test_a_site_gets_at_most_its_share_of_a_claim_and_of_each_batch(
        self, case, survivor, rechecks_claim_due
    ):
        self._due(
            case,
            survivor,
            [f"https://one.example/{n}" for n in range(PER_HOST + 5)]
            + [f"https://site{n}.example/x" for n in range(RECHECK_CHUNK)],
        )
        batches = rechecks_claim_due(now=self.NOW)
        hosts = dict(Sighting.objects.values_list("pk", "host"))
        claimed = [hosts[uuid.UUID(pk)] for ids in batches for pk in ids]
        assert claimed.count("one.example") == PER_HOST
        assert len(claimed) == PER_HOST + RECHECK_CHUNK
        for ids in batches:
            assert len(ids) <= RECHECK_CHUNK
            assert [hosts[uuid.UUID(pk)] for pk in ids].count("one.example") <= PER_HOST_AT_ONCE
        # The rest of that site waits for its next minute: a second run in this one (a second
        # beat, a task sent twice) hands none of it out.
        assert rechecks_claim_due(now=self.NOW + dt.timedelta(seconds=30)) == []
        next_minute = self.NOW + dt.timedelta(minutes=1)
        assert [len(ids) for ids in rechecks_claim_due(now=next_minute)] == [PER_HOST_AT_ONCE, 1]


def test_a_removal_closes_the_request_and_moves_the_case_to_monitoring(
    server, case, survivor, caseworker, her_references
):
    from cases.services import case_assign

    case_assign(case=case, to=caseworker, acting_user=caseworker)
    sighting = sighting_log(case=case, url=server + "/image", acting_user=survivor)
    request = sent_request(case, sighting, caseworker)
    live = sighting_recheck(sighting=sighting)
    assert live.outcome == "live" and sighting.status == "live"
    Sighting.objects.filter(pk=sighting.pk).update(url=server + "/gone")
    sighting.refresh_from_db()
    check = sighting_recheck(sighting=sighting)
    sighting.refresh_from_db()
    request.refresh_from_db()
    case.refresh_from_db()
    assert (check.outcome, check.http_status) == ("removed", 410)
    assert sighting.status == "removed" and sighting.removed_verified_at is not None
    assert request.status == "removed" and request.removed_at is not None
    assert case.status == "monitoring"
    assert UrlCheck.objects.filter(sighting=sighting).count() == 2
    # Backs off once removed.
    assert sighting.next_check_at - sighting.last_checked_at >= dt.timedelta(hours=21)


def test_unreachable_counts_as_removed_only_after_three_days(case, survivor, her_references):
    sighting = sighting_log(case=case, url="http://127.0.0.1:1/x", acting_user=survivor)
    start = timezone.now()
    for hours in (0, 24, 48):
        check = sighting_recheck(sighting=sighting, now=start + dt.timedelta(hours=hours))
        assert check.outcome == "unreachable"
    assert sighting.status == "unreachable"
    check = sighting_recheck(sighting=sighting, now=start + dt.timedelta(hours=73))
    assert check.outcome == "removed"


def test_a_removed_link_that_comes_back_is_reappeared(server, case, survivor, her_references):
    sighting = sighting_log(case=case, url=server + "/missing", acting_user=survivor)
    sighting_recheck(sighting=sighting)
    Sighting.objects.filter(pk=sighting.pk).update(url=server + "/image")
    sighting.refresh_from_db()
    check = sighting_recheck(sighting=sighting)
    assert check.outcome == "reappeared"
    assert sighting.status == "live" and sighting.removed_verified_at is None


def test_the_dispatcher_leases_due_sightings_once(
    case, survivor, django_capture_on_commit_callbacks
):
    for n in range(3):
        sighting_log(case=case, url=f"https://example.com/{n}", acting_user=survivor)
    Sighting.objects.filter(pk=Sighting.objects.first().pk).update(
        next_check_at=timezone.now() + dt.timedelta(hours=1)
    )
    from unittest import mock

    with mock.patch("monitoring.tasks.recheck_sightings.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            assert dispatch_rechecks() == 2
        ((ids,), _) = delay.call_args  # one task for both
        assert len(ids) == 2 and delay.call_count == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert dispatch_rechecks() == 0  # leased: not handed out twice
    # The two handed out are leased into the future, no further than the lease.
    now = timezone.now()
    leased = Sighting.objects.filter(next_check_at__gt=now, next_check_at__lte=now + RECHECK_LEASE)
    assert leased.count() == 2
    assert not TakedownRequest.objects.exists()


def test_a_live_match_is_kept_as_fetched_evidence_once(server, case, survivor, her_references):
    from evidence import vault
    from evidence.models import EvidenceFile

    sighting = sighting_log(case=case, url=server + "/page-with-her-image", acting_user=survivor)
    sighting_recheck(sighting=sighting)
    sighting_recheck(sighting=sighting)
    (copy,) = EvidenceFile.objects.filter(kind="fetched_copy")
    assert (copy.origin, copy.source_url, copy.sighting) == ("fetch", server + "/image", sighting)
    assert copy.uploaded_by is None
    assert vault.read(copy)  # sealed like every evidence file


def test_a_reappearance_reopens_the_request_and_the_case(
    server, case, survivor, caseworker, her_references
):
    from cases.services import case_assign

    case_assign(case=case, to=caseworker, acting_user=caseworker)
    sighting = sighting_log(case=case, url=server + "/gone", acting_user=survivor)
    request = sent_request(case, sighting, caseworker)
    sighting_recheck(sighting=sighting)
    request.refresh_from_db()
    case.refresh_from_db()
    assert (request.status, case.status) == ("removed", "monitoring")
    Sighting.objects.filter(pk=sighting.pk).update(url=server + "/image")
    sighting.refresh_from_db()
    assert sighting_recheck(sighting=sighting).outcome == "reappeared"
    request.refresh_from_db()
    case.refresh_from_db()
    assert (request.status, case.status) == ("sent", "active")
    assert request.due_at > timezone.now()


def test_the_dispatcher_limits_each_host(case, survivor, django_capture_on_commit_callbacks):
    from unittest import mock

    from evidence.services import sightings_log_pasted
    from monitoring.services import PER_HOST_AT_ONCE

    text = "\n".join(f"https://one.example/{n}" for n in range(PER_HOST + 5))
    sightings_log_pasted(case=case, text=text + "\nhttps://two.example/1", acting_user=survivor)
    with (
        mock.patch("monitoring.tasks.recheck_sightings.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert dispatch_rechecks() == PER_HOST + 1
    # Each task holds no more than PER_HOST_AT_ONCE of a site: no bursts at one host.
    tasks = [call.args[0] for call in delay.call_args_list]
    assert sum(len(ids) for ids in tasks) == PER_HOST + 1
    hosts = dict(Sighting.objects.values_list("pk", "host"))
    for ids in tasks:
        per_task = [hosts[uuid.UUID(pk)] for pk in ids]
        assert per_task.count("one.example") <= PER_HOST_AT_ONCE


def test_a_batch_ends_before_its_sightings_lease_does():
    from monitoring.tasks import recheck_sightings

    assert recheck_sightings.soft_time_limit < recheck_sightings.time_limit
    assert recheck_sightings.time_limit < RECHECK_LEASE.total_seconds()


class TestAPersonsWordStandsAgainstChecksThatCannotSee:
    """DESIGN.md, "The life of a case", 5: unreachable, walled and blocked links stay up as
    far as we know; a person's word is undone only by a check that can see the page."""

    @pytest.fixture
    def watched(self, case, survivor, caseworker):
        from cases.services import case_assign

        case_assign(case=case, to=caseworker, acting_user=caseworker)  # active
        sighting = sighting_log(
            case=case, url="https://blocks-robots.example/p/1", acting_user=survivor
        )
        return sighting

    @staticmethod
    def _check(sighting, outcome, now=None):
        sighting = Sighting.objects.select_related("case").get(pk=sighting.pk)
        sighting_checks_record(checks=[(sighting, Verdict(outcome=outcome))], now=now)
        sighting.refresh_from_db()
        return sighting

    @pytest.mark.parametrize(
        "outcome",
        [Outcome.UNREACHABLE, Outcome.LOGIN_WALLED, Outcome.GEO_BLOCKED, Outcome.BLOCKED],
    )
    def test_her_still_up_survives_a_check_that_cannot_reach_the_site(
        self, watched, survivor, outcome
    ):
        from casework.services import sighting_status_set

        sighting_status_set(sighting=watched, status="live", acting_user=survivor)
        after = self._check(watched, outcome)
        assert (after.status, after.status_source, after.last_check_outcome) == (
            "live",
            "survivor",
            outcome,
        )
        assert Sighting.objects.still_up().filter(pk=watched.pk).exists()

    def test_days_unreachable_do_not_turn_a_persons_still_up_into_removed(
        self, watched, caseworker
    ):
        from casework.services import sighting_status_set

        sighting_status_set(
            sighting=watched, status="live", acting_user=caseworker, reason="Seen it myself."
        )
        start = timezone.now()
        for day in range(5):
            after = self._check(watched, Outcome.UNREACHABLE, now=start + dt.timedelta(days=day))
        assert (after.status, after.status_source, after.removed_verified_at) == (
            "live",
            "staff",
            None,
        )

    def test_without_a_persons_word_a_blocked_link_is_up_as_far_as_we_know(self, watched):
        after = self._check(watched, Outcome.LOGIN_WALLED)
        assert (after.status, after.status_source) == ("unknown", "check")
        assert Sighting.objects.still_up().filter(pk=watched.pk).exists()
        event = watched.case.events.filter(kind="sighting_status").get()
        assert event.new_value["link"] == "blocks-robots.example/p/1"

    def test_a_verified_removal_replaces_her_still_up(self, watched, survivor):
        from casework.services import sighting_status_set

        sighting_status_set(sighting=watched, status="live", acting_user=survivor)
        after = self._check(watched, Outcome.REMOVED)
        assert (after.status, after.status_source) == ("removed", "check")
        assert after.removed_verified_at is not None

    def test_a_check_that_cannot_see_leaves_a_removed_link_removed(self, watched):
        self._check(watched, Outcome.REMOVED)
        after = self._check(watched, Outcome.UNREACHABLE)
        assert (after.status, after.last_check_outcome) == ("removed", "unreachable")
        assert not Sighting.objects.still_up().filter(pk=watched.pk).exists()

    def test_a_reappearance_reopens_what_staff_marked_removed(self, watched, caseworker):
        from casework.services import sighting_status_set

        request = sent_request(watched.case, watched, caseworker)
        sighting_status_set(
            sighting=watched, status="removed", acting_user=caseworker, reason="Gone."
        )
        request.refresh_from_db()
        assert request.status == "removed"
        self._check(watched, Outcome.UNREACHABLE)  # a person's word stands
        assert Sighting.objects.get(pk=watched.pk).status == "removed"
        after = self._check(watched, Outcome.LIVE)
        request.refresh_from_db()
        assert (after.status, after.last_check_outcome) == ("live", "reappeared")
        assert request.status == "sent"

    def test_a_withdrawn_link_checked_meanwhile_is_not_checked_again(self, watched, survivor):
        from casework.services import sighting_withdraw

        read_before = Sighting.objects.select_related("case").get(pk=watched.pk)
        sighting_withdraw(sighting=watched, acting_user=survivor)
        sighting_checks_record(checks=[(read_before, Verdict(outcome=Outcome.LIVE))])
        assert Sighting.objects.get(pk=watched.pk).next_check_at is None


def _platform(domain: str, pace: int):
    from platforms.models import Platform, PlatformDomain

    platform = Platform.objects.create(name=domain, slug=domain.replace(".", "-"))
    Platform.objects.filter(pk=platform.pk).update(checks_per_minute=pace)
    PlatformDomain.objects.create(platform=platform, domain=domain)
    return platform


def _due_on(case, survivor, urls, *, at):
    """Log these links (500 at most a paste) and make them due at `at`."""
    saved = []
    for start in range(0, len(urls), 500):
        text = "\n".join(urls[start : start + 500])
        saved += sightings_log_pasted(case=case, text=text, acting_user=survivor).saved
    Sighting.objects.filter(pk__in=[s.pk for s in saved]).update(
        next_check_at=at - dt.timedelta(minutes=1)
    )
    return saved


class TestDispatchFollowsTheWorkers:
    """One run hands out all that is due, round after round, while the workers keep up; a
    site gets its pace a minute (Platform.checks_per_minute) whatever the number of runs; too
    much handed out and not yet checked stops the handing out until the workers catch up."""

    NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)

    @staticmethod
    def _checked(ids, now):
        """What a worker does with a batch: each sighting checked, and its next check set."""
        sightings = Sighting.objects.select_related("case").filter(pk__in=ids)
        sighting_checks_record(
            checks=[(s, Verdict(outcome=Outcome.LIVE)) for s in sightings], now=now
        )

    def test_more_than_a_claim_goes_out_in_one_run_when_the_workers_keep_up(
        self, case, survivor, django_capture_on_commit_callbacks
    ):
        from monitoring.services import CLAIM_BATCH

        big = _platform("big.example", 1_000)
        due = _due_on(
            case, survivor, [f"https://big.example/p/{n}" for n in range(450)], at=self.NOW
        )
        assert {s.platform_id for s in Sighting.objects.filter(case=case)} == {big.pk}
        assert len(due) > 2 * CLAIM_BATCH
        sent = []
        with django_capture_on_commit_callbacks(execute=True):
            assert rechecks_dispatch(send=sent.append, now=self.NOW) == 450
        assert sorted(pk for ids in sent for pk in ids) == sorted(str(s.pk) for s in due)
        assert all(len(ids) <= RECHECK_CHUNK for ids in sent)
        assert set(Sighting.objects.values_list("next_check_at", flat=True)) == {
            self.NOW + RECHECK_LEASE
        }

    def test_a_sites_pace_holds_across_runs(
        self, case, survivor, django_capture_on_commit_callbacks
    ):
        _platform("slow.example", 30)
        _due_on(case, survivor, [f"https://slow.example/{n}" for n in range(100)], at=self.NOW)
        _due_on(case, survivor, [f"https://nobody.example/{n}" for n in range(30)], at=self.NOW)

        def run(now):
            sent = []
            with django_capture_on_commit_callbacks(execute=True):
                rechecks_dispatch(send=sent.append, now=now)
            hosts = dict(Sighting.objects.values_list("pk", "host"))
            return Counter(hosts[uuid.UUID(pk)] for ids in sent for pk in ids)

        assert run(self.NOW) == {"slow.example": 30, "nobody.example": PER_HOST}
        # A second run in the same minute (two beats, a task sent twice): nothing more.
        assert run(self.NOW + dt.timedelta(seconds=20)) == {}
        # The next minute, the pace again; a host no platform claims has the default.
        assert run(self.NOW + dt.timedelta(minutes=1)) == {
            "slow.example": 30,
            "nobody.example": 30 - PER_HOST,
        }
        assert run(self.NOW + dt.timedelta(minutes=2)) == {"slow.example": 30}
        assert run(self.NOW + dt.timedelta(minutes=3)) == {"slow.example": 10}
        # A host can name her, and the paces outlive her erasure: kept by a digest.
        assert SitePace.objects.count() == 2
        assert not SitePace.objects.filter(site__contains="nobody").exists()

    def test_links_behind_a_site_that_had_its_minute_still_go_out(
        self, case, survivor, django_capture_on_commit_callbacks
    ):
        from monitoring.services import CLAIM_BATCH

        _platform("slow.example", 30)
        urls = [f"https://slow.example/{n}" for n in range(CLAIM_BATCH * 2 + 50)]
        _due_on(case, survivor, urls, at=self.NOW)
        with django_capture_on_commit_callbacks(execute=True):
            assert rechecks_dispatch(send=list, now=self.NOW) == 30
        # Logged since, due later than all of slow.example's: the oldest due links, a whole
        # claim's worth, are all on a site that had its minute.
        other = sighting_log(case=case, url="https://other.example/1", acting_user=survivor)
        Sighting.objects.filter(pk=other.pk).update(next_check_at=self.NOW)
        sent = []
        with django_capture_on_commit_callbacks(execute=True):
            assert rechecks_dispatch(send=sent.append, now=self.NOW + dt.timedelta(seconds=5))
        assert sent == [[str(other.pk)]]

    @pytest.mark.django_db(transaction=True)  # each round's batches go out as it commits
    def test_too_much_in_flight_stops_the_handing_out_until_the_workers_catch_up(
        self, case, survivor, monkeypatch
    ):
        from monitoring import services

        monkeypatch.setattr(services, "QUEUE_TARGET_MIN", 250)
        _platform("big.example", 1_000)
        _due_on(case, survivor, [f"https://big.example/p/{n}" for n in range(600)], at=self.NOW)
        broker: list[list[str]] = []  # the batches no worker has taken yet

        # Two claims of 200: after the second, 400 are out and not checked, over 250.
        assert rechecks_dispatch(send=broker.append, now=self.NOW) == 400
        assert services.in_flight(self.NOW) == 400
        # No worker took any: the next minute's run hands out nothing.
        a_minute_on = self.NOW + dt.timedelta(minutes=1)
        assert rechecks_dispatch(send=broker.append, now=a_minute_on) == 0
        # The workers check them all; the next run hands out the rest.
        for ids in broker:
            self._checked(ids, a_minute_on)
        assert services.in_flight(a_minute_on) == 0
        assert rechecks_dispatch(send=broker.append, now=self.NOW + dt.timedelta(minutes=2)) == 200
        assert sum(map(len, broker)) == 600

    def test_only_a_lease_counts_as_in_flight(self, case, survivor):
        """A check schedules the next one further ahead than a lease lasts, with its jitter,
        so what in_flight counts is exactly what was handed out and not checked yet."""
        from monitoring.services import RECHECK_JITTER, RECHECK_NEAR_DUE, in_flight

        assert RECHECK_NEAR_DUE * (1 - RECHECK_JITTER) > RECHECK_LEASE
        leased, checked, _still_due = _due_on(
            case, survivor, [f"https://a.example/{n}" for n in range(3)], at=self.NOW
        )
        Sighting.objects.filter(pk=leased.pk).update(next_check_at=self.NOW + RECHECK_LEASE)
        self._checked([checked.pk], self.NOW)
        assert in_flight(self.NOW) == 1
        # The lease runs out (a lost message): no longer in flight, due again.
        assert in_flight(self.NOW + RECHECK_LEASE) == 0

    def test_the_workers_pace_sets_how_much_may_be_in_flight(self, case, survivor):
        from monitoring.services import QUEUE_TARGET_MIN, QUEUE_WINDOW, queue_target

        sighting = sighting_log(case=case, url="https://a.example/1", acting_user=survivor)
        assert queue_target(self.NOW) == QUEUE_TARGET_MIN
        UrlCheck.objects.bulk_create(
            UrlCheck(
                sighting=sighting, checked_at=self.NOW - QUEUE_WINDOW * n / 3000, outcome="live"
            )
            for n in range(3000)
        )
        UrlCheck.objects.create(
            sighting=sighting, checked_at=self.NOW - QUEUE_WINDOW, outcome="live"
        )  # older than the window
        assert queue_target(self.NOW) == 3000


class TestUrlChecksPrune:
    """The retention rule (monitoring.services, CHECKS_KEPT_FOR): the first check, every
    change of outcome, the last check and everything younger than 30 days stay."""

    NOW = dt.datetime(2026, 11, 2, 3, 30, tzinfo=dt.UTC)

    def _history(self, sighting, days_and_outcomes):
        return {
            days: UrlCheck.objects.create(
                sighting=sighting, checked_at=self.NOW - dt.timedelta(days=days), outcome=outcome
            ).pk
            for days, outcome in days_and_outcomes
        }

    def _kept(self, sighting):
        return sorted(
            (self.NOW - checked_at).days
            for checked_at in UrlCheck.objects.filter(sighting=sighting).values_list(
                "checked_at", flat=True
            )
        )

    @pytest.fixture
    def histories(self, case, survivor):
        from evidence.models import SightingStatus

        up, down, back = "live", "removed", "reappeared"
        watched = sighting_log(case=case, url="https://a.example/1", acting_user=survivor)
        # up, up, up, down, down, up, across 90 days; then checks of the last 30 days.
        self._history(
            watched,
            [
                (90, up),
                (80, up),
                (70, up),
                (60, down),
                (50, down),
                (40, back),
                (35, back),
                (29, back),
                (10, back),
                (1, back),
            ],
        )
        # Removed long ago and withdrawn: no check in 30 days; its last check stays.
        quiet = sighting_log(case=case, url="https://b.example/2", acting_user=survivor)
        self._history(quiet, [(100, up), (90, down), (80, down), (70, down), (60, down)])
        Sighting.objects.filter(pk=quiet.pk).update(status=SightingStatus.REMOVED)
        young = sighting_log(case=case, url="https://c.example/3", acting_user=survivor)
        self._history(young, [(20, up), (10, up), (5, up)])
        return watched, quiet, young

    def test_exactly_the_first_the_changes_the_last_and_the_last_30_days_stay(self, histories):
        from audit.models import AuditEvent, AuditKind
        from monitoring.services import url_checks_prune

        watched, quiet, young = histories
        for days, site in [(2, "host:old"), (0, "host:busy")]:
            SitePace.objects.create(site=site, minute_started_at=self.NOW - dt.timedelta(days))
        counts = url_checks_prune(now=self.NOW)
        # 90 first, 60 down, 40 back; 29, 10, 1 young. 80, 70 and 50, 35 said it again.
        assert self._kept(watched) == [1, 10, 29, 40, 60, 90]
        # 100 first, 90 down, 60 the last check; 80 and 70 said it again.
        assert self._kept(quiet) == [60, 90, 100]
        assert self._kept(young) == [5, 10, 20]
        assert counts["deleted"] == 6
        # The dispatch's memory of sites not handed a check for a day goes too.
        assert list(SitePace.objects.values_list("site", flat=True)) == ["host:busy"]
        assert counts["site_paces_cleared"] == 1
        event = AuditEvent.objects.get(kind=AuditKind.CHECKS_PRUNED)
        assert event.detail == counts
        assert "example" not in str(event.detail) + event.target  # counts, never links

    def test_a_second_run_deletes_nothing_more(self, histories):
        from monitoring.services import url_checks_prune

        url_checks_prune(now=self.NOW)
        before = list(UrlCheck.objects.order_by("pk").values_list("pk", flat=True))
        assert url_checks_prune(now=self.NOW)["deleted"] == 0
        assert list(UrlCheck.objects.order_by("pk").values_list("pk", flat=True)) == before

    def test_batches_of_one_sighting_keep_the_same_rows(self, histories):
        from monitoring.services import url_checks_prune

        counts = url_checks_prune(now=self.NOW, batch=1)
        assert counts["batches"] == 3 and counts["deleted"] == 6
        assert [self._kept(s) for s in histories] == [
            [1, 10, 29, 40, 60, 90],
            [60, 90, 100],
            [5, 10, 20],
        ]

    def test_when_a_run_of_unreachable_checks_began_is_read_the_same_after(self, case, survivor):
        from monitoring.services import _unreachable_since, url_checks_prune

        sighting = sighting_log(case=case, url="https://a.example/1", acting_user=survivor)
        self._history(
            sighting,
            [
                (70, "live"),
                (60, "unreachable"),
                (55, "live"),
                (45, "live"),
                (40, "live"),
                (35, "unreachable"),
                (34, "unreachable"),
                (31, "unreachable"),
            ],
        )
        before = _unreachable_since(sighting, self.NOW)
        assert before == self.NOW - dt.timedelta(days=35)
        assert url_checks_prune(now=self.NOW)["deleted"] == 3  # 45, 40 and 34 said it again
        assert _unreachable_since(sighting, self.NOW) == before


def test_a_recheck_tells_hosting_the_addresses_a_site_had(case, survivor):
    from hosting.models import Host

    sighting = sighting_log(
        case=case, url="https://files.locker.example/v/1", acting_user=survivor
    )
    Host.objects.all().delete()
    seen = Verdict(outcome=Outcome.LIVE, http_status=200, addresses=("203.0.113.7",))

    sighting_checks_record(
        checks=[(Sighting.objects.select_related("case").get(pk=sighting.pk), seen)]
    )

    host = Host.objects.get(name="files.locker.example")
    assert host.addresses_seen == ["203.0.113.7"]
    assert host.next_lookup_at <= timezone.now()  # never looked up: due at once

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from cases.models import Case
from evidence.models import Sighting
from evidence.services import sighting_log, sightings_log_pasted
from monitoring.models import Outcome, UrlCheck
from monitoring.recheck import Verdict
from monitoring.services import (
    PER_HOST,
    PER_HOST_AT_ONCE,
    RECHECK_CHUNK,
    RECHECK_LEASE,
    rechecks_dispatch,
    sighting_checks_record,
    sighting_recheck,
)
from monitoring.tasks import dispatch_rechecks
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
        # The rest of that site waits for the next claim.
        assert [len(ids) for ids in rechecks_claim_due(now=self.NOW)] == [PER_HOST_AT_ONCE, 1]


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
    from monitoring.services import PER_HOST, PER_HOST_AT_ONCE

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

import pytest

from cases.models import Case
from evidence.models import Sighting
from evidence.services import sighting_log
from monitoring.models import Outcome
from monitoring.recheck import Verdict
from monitoring.services import sighting_checks_record


class TestRechecksWriteOnTheRowsAsTheyAreNow:
    """A recheck reads its sighting before the fetch and writes after it. What another
    connection wrote in between (a second check of the same link, a caseworker) stands."""

    @pytest.fixture
    def watched(self, case, survivor, caseworker):
        from cases.services import case_assign
        from tests.monitoring.test_recheck import _sent_request

        case_assign(case=case, to=caseworker, acting_user=caseworker)  # active
        sighting = sighting_log(case=case, url="https://leak.example/1", acting_user=survivor)
        request = _sent_request(case, sighting, caseworker)
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

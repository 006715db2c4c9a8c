import datetime as dt

import pytest
import time_machine
from allauth.account.models import EmailAddress

from accounts.models import Role, User
from cases.models import Case
from digests.models import WeeklyStatus
from digests.selectors import digest_counts, service_figures, staff_counts, survivor_counts
from digests.services import digests_claim_due
from evidence.models import Sighting
from takedowns.models import TakedownRequest
from tests.digests.conftest import NOW, Week, ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(survivor, caseworker):
    return Week(survivor, caseworker)


def test_a_generated_week_has_the_right_counts(week, survivor):
    assert survivor_counts([survivor], now=NOW)[survivor.pk] == week.expected


def test_a_survivor_without_an_open_case_gets_nothing(survivor, other_survivor, week):
    counts = survivor_counts([survivor, other_survivor], now=NOW)
    assert counts[other_survivor.pk] is None
    assert counts[survivor.pk] is not None


def test_a_week_with_nothing_new_is_quiet(survivor, caseworker, week):
    counts = survivor_counts([survivor], now=NOW + dt.timedelta(days=30))[survivor.pk]
    assert counts["quiet_week"] is True
    assert counts["links_reported"] == 6  # the standing figures are still there


def test_staff_counts_cover_her_caseload_and_the_queue(caseworker, other_caseworker, week):
    first = week.cases[0]
    Case.objects.filter(pk=first.pk).update(assigned_to=caseworker, last_activity_at=ago(days=8))
    counts = staff_counts([caseworker, other_caseworker], now=NOW)
    assert counts[caseworker.pk] == {
        "cases_assigned": 1,
        "cases_quiet": 1,
        "new_sightings": 2,
        "requests_overdue": 1,  # the acknowledged one, due 7 days ago
        "requests_due_soon": 1,  # the sent one, due in 24 hours
        "unassigned": 1,  # the second open case; the closed one is not in the queue
    }
    assert counts[other_caseworker.pk]["cases_assigned"] == 0
    assert "service" not in counts[caseworker.pk]


def test_supervisors_get_the_service_and_the_platforms_most_overdue(supervisor, week):
    TakedownRequest.objects.filter(status="sent", case=week.cases[2]).update(due_at=ago(days=1))
    service = staff_counts([supervisor], now=NOW)[supervisor.pk]["service"]
    assert service == service_figures(now=NOW)
    assert service["open_cases"] == 2
    assert service["new_sightings"] == 3  # two on the open cases, one on the closed one
    assert service["removed_this_week"] == 1
    assert service["requests_overdue"] == 2
    assert service["most_overdue_platforms"] == [{"platform": "Reddit", "overdue": 2}]
    assert service["other_sites_overdue"] == 0


def test_digests_for_2000_survivors_take_a_bounded_number_of_queries(
    django_assert_max_num_queries,
):
    """Not one query per survivor per count: each 500-person batch costs the same handful."""
    users = User.objects.bulk_create(
        User(email=f"s{i}@example.test", role=Role.SURVIVOR, password="!") for i in range(2000)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users
    )
    cases = Case.objects.bulk_create(Case(survivor=u, pseudonym="P") for u in users)
    Sighting.objects.bulk_create(
        Sighting(case=c, url=f"https://x.example/{c.pk}/{n}", host="x.example")
        for c in cases
        for n in range(3)
    )
    WeeklyStatus.objects.bulk_create(
        WeeklyStatus(user=u, next_digest_at=NOW - dt.timedelta(minutes=1)) for u in users
    )
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(50) as captured:
        written = 0
        while (claim := digests_claim_due()).people:
            written += claim.emails
    assert written == 2000
    # Four batches of 500 and an empty claim: the same few queries per batch, however many
    # people are in it (lock, four grouped counts, open cases, insert, update).
    assert len(captured) <= 5 * 10


def test_counts_for_a_mixed_batch_use_each_persons_role(survivor, caseworker, week):
    counts = digest_counts([survivor, caseworker], now=NOW)
    assert "links_reported" in counts[survivor.pk]
    assert "cases_assigned" in counts[caseworker.pk]


def test_still_up_counts_links_our_check_cannot_reach_but_not_links_she_removed(case, survivor):
    """Her weekly "Still up": a blocked or unreachable link is up as far as we know."""
    from django.utils import timezone

    from evidence.services import sightings_log_pasted

    saved = sightings_log_pasted(
        case=case, text="x.com/1\nx.com/2\nx.com/3\nx.com/4", acting_user=survivor
    ).saved
    statuses = ["unreachable", "unknown", "removed", "live"]
    for sighting, status in zip(saved, statuses, strict=True):
        Sighting.objects.filter(pk=sighting.pk).update(status=status)
    Sighting.objects.filter(pk=saved[3].pk).update(withdrawn_at=timezone.now())
    counts = survivor_counts([survivor], now=timezone.now())[survivor.pk]
    assert (counts["still_live"], counts["links_reported"]) == (2, 3)

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from cases.models import Case
from cases.selectors import case_for_user, cases_for_dashboard, cases_visible_to
from cases.services import case_open
from evidence.models import SightingStatus
from evidence.services import sightings_log_pasted


@pytest.fixture
def cases(survivor, other_survivor, caseworker, other_caseworker):
    mine = case_open(survivor=survivor, pseudonym="A", acting_user=survivor)
    theirs = case_open(survivor=other_survivor, pseudonym="B", acting_user=other_survivor)
    assigned = case_open(survivor=other_survivor, pseudonym="C", acting_user=other_survivor)
    Case.objects.filter(pk=assigned.pk).update(assigned_to=caseworker)
    elsewhere = case_open(survivor=other_survivor, pseudonym="D", acting_user=other_survivor)
    Case.objects.filter(pk=elsewhere.pk).update(assigned_to=other_caseworker)
    return {"mine": mine, "theirs": theirs, "assigned": assigned, "elsewhere": elsewhere}


def _names(user):
    return set(cases_visible_to(user).values_list("pseudonym", flat=True))


def test_who_sees_which_case(cases, survivor, other_survivor, caseworker, supervisor):
    assert _names(survivor) == {"A"}
    assert _names(other_survivor) == {"B", "C", "D"}
    # Her own assigned case and the unassigned queue; not a colleague's case.
    assert _names(caseworker) == {"A", "B", "C"}
    assert _names(supervisor) == {"A", "B", "C", "D"}
    assert _names(AnonymousUser()) == set()


def test_inactive_users_see_nothing(cases, survivor):
    survivor.is_active = False
    assert _names(survivor) == set()


def test_case_for_user_is_404_for_a_case_she_may_not_see(cases, survivor):
    assert case_for_user(survivor, cases["mine"].reference) == cases["mine"]
    with pytest.raises(Http404):
        case_for_user(survivor, cases["theirs"].reference)
    with pytest.raises(Http404):
        case_for_user(survivor, "LC-NOSUCH")


def test_dashboard_counts_sightings_by_status(cases, survivor):
    case = cases["mine"]
    sightings_log_pasted(case=case, text="x.com/1\nx.com/2\nx.com/3", acting_user=survivor)
    case.sightings.filter(url="https://x.com/3").update(status=SightingStatus.REMOVED)
    row = cases_for_dashboard(survivor).get()
    assert (row.sighting_count, row.live_count, row.removed_count) == (3, 2, 1)

"""access.permissions: the role decorators and the object helpers, each child reached only
through a case the user may see. tests/test_access_matrix.py walks every URL with them."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from access.permissions import (
    case_for_user,
    cases_visible_to,
    evidence_for_user,
    listed_sighting_for_user,
    login_required,
    match_for_user,
    reference_for_user,
    role_required,
    sighting_for_user,
    staff_required,
    supervisor_required,
    survivor_required,
    takedown_for_user,
)
from accounts.models import Role, User
from cases.models import Case
from cases.services import case_open
from evidence.models import EvidenceMatch
from evidence.services import evidence_add, reference_register, sighting_log
from takedowns.models import TakedownRequest
from tests.case_world import image

# --- the role decorators ----------------------------------------------------------------


def page(request, reference="LC-X"):
    """A page of ours."""
    return HttpResponse(f"page for {request.user.role} {reference}")


def ask(view, user, **kwargs):
    request = RequestFactory().get("/some/page/?tab=2")
    request.user = user
    return view(request, **kwargs)


@pytest.fixture
def admin(db):
    return User.objects.create_user(email="admin@example.test", role=Role.ADMIN)


def test_anonymous_goes_to_the_login_page_first_and_comes_back(db):
    response = ask(role_required(Role.SUPERVISOR)(page), AnonymousUser())
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=/some/page/%3Ftab%3D2"


def test_a_user_of_the_role_gets_the_page(caseworker):
    response = ask(role_required(Role.CASEWORKER)(page), caseworker, reference="LC-ABC")
    assert (response.status_code, response.content) == (200, b"page for caseworker LC-ABC")


def test_a_user_of_another_role_gets_a_404_never_a_403(survivor, caseworker):
    with pytest.raises(Http404):
        ask(role_required(Role.CASEWORKER)(page), survivor)
    with pytest.raises(Http404):
        ask(role_required(Role.SURVIVOR)(page), caseworker)


def test_the_named_decorators(survivor, caseworker, supervisor, admin):
    everyone = (survivor, caseworker, supervisor, admin)
    allowed = {
        login_required: everyone,
        staff_required: (caseworker, supervisor, admin),
        supervisor_required: (supervisor, admin),
        survivor_required: (survivor,),
    }
    for decorator, users in allowed.items():
        view = decorator(page)
        for user in everyone:
            if user in users:
                assert ask(view, user).status_code == 200, (decorator, user.role)
            else:
                with pytest.raises(Http404):
                    ask(view, user)


def test_the_view_keeps_its_name_module_and_doc():
    """The audit trail records refusals of views whose module is one of ours
    (audit/middleware.py), and URL tests find our views by module: a decorated view must
    still say where it lives."""
    view = staff_required(page)
    assert (view.__name__, view.__module__, view.__doc__) == (
        "page",
        __name__,
        "A page of ours.",
    )
    assert view.__wrapped__.__wrapped__ is page  # login_required around the role check


def test_a_role_that_does_not_exist_fails_when_the_view_is_declared():
    with pytest.raises(ValueError, match="roles"):
        role_required("superuser")
    with pytest.raises(ValueError, match="roles"):
        role_required()


# --- which cases ------------------------------------------------------------------------


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


def test_case_for_user_is_404_for_a_case_she_may_not_see(cases, survivor, caseworker):
    assert case_for_user(survivor, cases["mine"].reference) == cases["mine"]
    with pytest.raises(Http404):
        case_for_user(survivor, cases["theirs"].reference)
    with pytest.raises(Http404):
        case_for_user(survivor, "LC-NOSUCH")
    with pytest.raises(Http404):
        case_for_user(caseworker, cases["elsewhere"].reference)  # a colleague's case


# --- what belongs to a case -------------------------------------------------------------


class Children:
    """One of each child on a case: a sighting, an evidence file, an image to find, a
    possible copy and a takedown request."""

    def __init__(self, case, survivor, seed):
        self.case = case
        self.sighting = sighting_log(case=case, url=f"https://x.com/{seed}", acting_user=survivor)
        self.evidence = evidence_add(case=case, upload=image(seed=seed), acting_user=survivor)
        self.reference = reference_register(
            case=case, data=image(seed=seed + 50).read(), acting_user=survivor
        )
        self.match = EvidenceMatch.objects.create(
            evidence=self.evidence, reference=self.reference, phash_distance=0, dhash_distance=0
        )
        self.takedown = TakedownRequest.objects.create(case=case)

    def fetch(self, user, reference):
        """Each child of this case, asked for by its id under `reference`."""
        return {
            "sighting": lambda: sighting_for_user(user, reference, self.sighting.pk),
            "evidence": lambda: evidence_for_user(user, reference, self.evidence.pk),
            "reference": lambda: reference_for_user(user, reference, self.reference.pk),
            "match": lambda: match_for_user(user, reference, self.evidence.pk, self.match.pk),
            "takedown": lambda: takedown_for_user(user, reference, self.takedown.pk),
        }


@pytest.fixture
def hers(survivor):
    return Children(case_open(survivor=survivor, pseudonym="A", acting_user=survivor), survivor, 1)


@pytest.fixture
def theirs(other_survivor):
    case = case_open(survivor=other_survivor, pseudonym="B", acting_user=other_survivor)
    return Children(case, other_survivor, 2)


def test_each_child_is_found_through_its_own_case(hers, survivor, supervisor):
    for user in (survivor, supervisor):
        found = {name: get() for name, get in hers.fetch(user, hers.case.reference).items()}
        assert found == {
            "sighting": hers.sighting,
            "evidence": hers.evidence,
            "reference": hers.reference,
            "match": hers.match,
            "takedown": hers.takedown,
        }


def test_a_child_of_another_case_is_404_under_her_own_reference(hers, theirs, survivor):
    """Her own case's reference does not open another case's sighting, file or request by
    its id (for someone who may see both cases: the supervisor's test below)."""
    for get in theirs.fetch(survivor, hers.case.reference).values():
        with pytest.raises(Http404):
            get()


def test_a_child_of_a_case_she_may_not_see_is_404(hers, theirs, survivor):
    for get in theirs.fetch(survivor, theirs.case.reference).values():
        with pytest.raises(Http404):
            get()


def test_a_match_of_another_evidence_file_of_the_same_case_is_404(hers, survivor):
    other_file = evidence_add(case=hers.case, upload=image(seed=9), acting_user=survivor)
    with pytest.raises(Http404):
        match_for_user(survivor, hers.case.reference, other_file.pk, hers.match.pk)


def test_a_supervisor_who_sees_both_cases_still_reaches_a_child_only_through_its_own(
    hers, theirs, supervisor
):
    for get in theirs.fetch(supervisor, hers.case.reference).values():
        with pytest.raises(Http404):
            get()


def test_a_link_she_removed_from_her_list_is_gone_for_her_and_kept_for_staff(
    case, survivor, supervisor
):
    from casework.services import sighting_withdraw

    sighting = sighting_log(case=case, url="https://x.com/a/status/9", acting_user=survivor)
    assert listed_sighting_for_user(survivor, case.reference, sighting.pk) == sighting
    sighting_withdraw(sighting=sighting, acting_user=survivor)
    with pytest.raises(Http404):
        listed_sighting_for_user(survivor, case.reference, sighting.pk)
    assert listed_sighting_for_user(supervisor, case.reference, sighting.pk) == sighting

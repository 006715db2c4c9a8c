import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from cases.services import case_assign
from casework.services import case_triage, sighting_correct, sighting_status_set, sighting_withdraw
from evidence.models import Sighting
from evidence.services import sighting_log
from leakcase.locking import StateChanged
from takedowns.services import takedowns_draft
from tests.helpers.takedowns import sent_request


def test_raising_priority_brings_live_links_due_sooner_never_later(case, survivor, supervisor):
    sighting = sighting_log(case=case, url="https://x.com/a", acting_user=survivor)
    normal_due = sighting.action_due_at
    assert normal_due - sighting.created_at == dt.timedelta(hours=72)
    case_triage(
        case=case,
        priority="urgent",
        involves_minor=True,
        threats_or_extortion=False,
        acting_user=supervisor,
    )
    sighting.refresh_from_db()
    assert sighting.action_due_at - sighting.created_at == dt.timedelta(hours=12)
    case_triage(
        case=case,
        priority="normal",
        involves_minor=False,
        threats_or_extortion=False,
        acting_user=supervisor,
    )
    sighting.refresh_from_db()
    assert sighting.action_due_at - sighting.created_at == dt.timedelta(hours=12)


# --- a person's word on a link, her own links ------------------------------------------------


@pytest.fixture
def worked(case, survivor, caseworker):
    """An active case with one link in a sent request."""
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    sighting = sighting_log(case=case, url="https://blocks.example/t/1", acting_user=survivor)
    return sighting, sent_request(case, sighting, caseworker)


def test_staff_mark_a_link_removed_with_a_reason_and_its_request_closes(worked, caseworker):
    sighting, request = worked
    sighting_status_set(
        sighting=sighting, status="removed", acting_user=caseworker, reason="Checked it myself."
    )
    sighting.refresh_from_db()
    request.refresh_from_db()
    assert (sighting.status, sighting.status_source) == ("removed", "staff")
    assert (request.status, request.decision_by_survivor) == ("removed", False)
    assert sighting.case.status == "monitoring"
    event = sighting.case.events.filter(kind="sighting_status").get()
    assert (event.actor, event.old_value, event.new_value) == (
        caseworker,
        {"status": "live"},
        {
            "status": "removed",
            "source": "staff",
            "reason": "Checked it myself.",
            "link": "blocks.example/t/1",
        },
    )
    reply = request.case.events.filter(kind="takedown_reply").latest("created_at")
    assert reply.new_value == {"status": "removed", "verified_by": "staff"}


def test_staff_must_say_why_and_nothing_changes_without_it(worked, caseworker):
    sighting, _request = worked
    with pytest.raises(ValidationError, match="Say why"):
        sighting_status_set(sighting=sighting, status="removed", acting_user=caseworker)
    sighting.refresh_from_db()
    assert sighting.status == "live"
    assert not sighting.case.events.filter(kind="sighting_status").exists()


def test_her_its_gone_closes_the_request_as_her_word_and_is_checked_again_at_once(
    worked, survivor
):
    sighting, request = worked
    sighting_status_set(sighting=sighting, status="removed", acting_user=survivor)
    sighting.refresh_from_db()
    request.refresh_from_db()
    assert (sighting.status, sighting.status_source) == ("removed", "survivor")
    assert sighting.next_check_at <= sighting.removed_verified_at
    # The platform figures wait for staff to confirm a removal only she saw.
    assert (request.status, request.decision_awaits_confirmation) == ("removed", True)


def test_her_still_up_on_a_removed_link_reopens_its_request(worked, survivor, caseworker):
    sighting, request = worked
    sighting_status_set(sighting=sighting, status="removed", acting_user=caseworker, reason="x")
    sighting_status_set(sighting=sighting, status="live", acting_user=survivor, reason="It's back")
    request.refresh_from_db()
    sighting.refresh_from_db()
    assert (sighting.status, sighting.removed_verified_at) == ("live", None)
    assert request.status == "sent"
    assert sighting.case.status == "active"


def test_withdrawing_a_link_keeps_it_and_its_sent_request_but_drops_it_from_drafts(
    case, survivor, caseworker
):
    in_draft = sighting_log(case=case, url="https://x.com/draft", acting_user=survivor)
    other = sighting_log(case=case, url="https://x.com/other", acting_user=survivor)
    (draft,) = takedowns_draft(case=case, sightings=[in_draft, other], acting_user=caseworker)
    sighting_withdraw(sighting=in_draft, acting_user=survivor)
    in_draft.refresh_from_db()
    assert in_draft.withdrawn_by == survivor
    assert (in_draft.next_check_at, in_draft.action_due_at) == (None, None)
    assert list(draft.sightings.all()) == [other]
    assert list(Sighting.objects.still_up().filter(case=case)) == [other]
    event = case.events.filter(kind="sighting_withdrawn").get()
    assert event.new_value == {"link": "x.com/draft"}


def test_a_sent_link_keeps_its_request_when_she_removes_it(worked, survivor):
    sighting, request = worked
    sighting_withdraw(sighting=sighting, acting_user=survivor)
    assert list(request.sightings.all()) == [sighting]


def test_correcting_a_link_normalises_it_and_checks_the_new_address(case, survivor):
    sighting = sighting_log(case=case, url="https://x.com/typo", acting_user=survivor)
    sighting_correct(
        sighting=sighting,
        acting_user=survivor,
        url="  WWW.Reddit.com/r/x/1?utm_source=share ",
        note="Second post",
        first_seen_on=dt.date(2026, 12, 1),
    )
    sighting.refresh_from_db()
    assert (sighting.url, sighting.host, sighting.note) == (
        "https://www.reddit.com/r/x/1",
        "www.reddit.com",
        "Second post",
    )
    assert sighting.next_check_at is not None
    event = case.events.filter(kind="sighting_corrected").get()
    assert (event.old_value, event.new_value) == (
        {"link": "x.com/typo"},
        {"link": "reddit.com/r/x/1", "changed": ["url", "note", "first_seen_on"]},
    )


def test_a_correction_may_not_copy_another_of_her_links(case, survivor):
    sighting_log(case=case, url="https://x.com/1", acting_user=survivor)
    second = sighting_log(case=case, url="https://x.com/2", acting_user=survivor)
    with pytest.raises(ValidationError, match="Another of your links already has this address"):
        sighting_correct(
            sighting=second, acting_user=survivor, url="x.com/1", note="", first_seen_on=None
        )
    second.refresh_from_db()
    assert second.url == "https://x.com/2"


def test_an_address_sent_to_a_platform_cannot_change(worked, survivor):
    sighting, _request = worked
    with pytest.raises(ValidationError, match="already sent to the platform"):
        sighting_correct(
            sighting=sighting, acting_user=survivor, url="x.com/new", note="", first_seen_on=None
        )
    # Where and when can still be corrected.
    sighting_correct(
        sighting=sighting,
        acting_user=survivor,
        url=sighting.url,
        note="Top of the thread",
        first_seen_on=None,
    )
    sighting.refresh_from_db()
    assert (sighting.url, sighting.note) == ("https://blocks.example/t/1", "Top of the thread")


def test_her_its_gone_twice_is_one_event(worked, survivor):
    sighting, _request = worked
    for _tap in range(2):
        sighting_status_set(
            sighting=Sighting.objects.get(pk=sighting.pk), status="removed", acting_user=survivor
        )
    assert sighting.case.events.filter(kind="sighting_status").count() == 1


def test_a_correction_from_a_tab_opened_before_she_removed_the_link_is_refused(case, survivor):
    sighting = sighting_log(case=case, url="https://x.com/1", acting_user=survivor)
    stale = Sighting.objects.select_related("case").get(pk=sighting.pk)
    sighting_withdraw(sighting=sighting, acting_user=survivor)
    with pytest.raises(StateChanged, match="removed from the list meanwhile"):
        sighting_correct(
            sighting=stale, acting_user=survivor, url="x.com/2", note="", first_seen_on=None
        )
    assert Sighting.objects.get(pk=sighting.pk).url == "https://x.com/1"

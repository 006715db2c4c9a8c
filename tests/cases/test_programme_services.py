import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cases.models import CaseEvent, EventKind, Programme, ProgrammeCase
from cases.programme_services import programme_case_record
from casework.selectors import case_timeline

DAY = dt.date(2026, 11, 3)


def _record(case, user, **changes):
    values = {
        "programme": Programme.STOPNCII,
        "case_number": "SN-48213-XQ",
        "registered_on": DAY,
        "withdrawn_on": None,
    }
    return programme_case_record(case=case, acting_user=user, **{**values, **changes})


def _events(case):
    return list(
        CaseEvent.objects.filter(case=case, kind=EventKind.PROGRAMME_RECORDED).order_by("id")
    )


def test_she_records_her_case_number_and_the_timeline_never_carries_it(case, survivor):
    record = _record(case, survivor, case_number="  SN-48213-XQ ")
    assert (record.case_number, record.registered_on, record.recorded_by) == (
        "SN-48213-XQ",
        DAY,
        survivor,
    )
    (event,) = _events(case)
    assert (event.actor, event.old_value) == (survivor, None)
    assert event.new_value == {
        "programme": "stopncii",
        "registered_on": "2026-11-03",
        "withdrawn_on": None,
        "case_number_changed": True,
    }
    assert not event.internal  # her own record, on her timeline
    (entry,) = [e for e in case_timeline(case, survivor) if e.event == event]
    assert entry.text == "StopNCII.org: made 3 Nov 2026 (case number saved)"
    assert "48213" not in str(event.new_value) + entry.text


def test_the_same_values_again_record_nothing_and_a_withdrawal_updates_the_one_row(
    case, survivor, caseworker
):
    _record(case, survivor)
    _record(case, survivor)  # a second tab: nothing new
    assert len(_events(case)) == 1
    withdrawn = _record(case, caseworker, withdrawn_on=DAY + dt.timedelta(days=2))
    assert ProgrammeCase.objects.get(case=case) == withdrawn
    assert (withdrawn.withdrawn_on, withdrawn.recorded_by) == (dt.date(2026, 11, 5), caseworker)
    _first, second = _events(case)
    assert second.actor == caseworker
    assert second.old_value == {
        "programme": "stopncii",
        "registered_on": "2026-11-03",
        "withdrawn_on": None,
    }
    assert second.new_value["withdrawn_on"] == "2026-11-05"
    assert second.new_value["case_number_changed"] is False
    (entry,) = [e for e in case_timeline(case, survivor) if e.event == second]
    assert entry.text == "StopNCII.org: made 3 Nov 2026, withdrawn 5 Nov 2026"


def test_each_programme_has_its_own_record(case, survivor):
    _record(case, survivor)
    _record(case, survivor, programme=Programme.TAKE_IT_DOWN, case_number="TID 7781 22")
    assert sorted(ProgrammeCase.objects.values_list("programme", "case_number")) == [
        ("stopncii", "SN-48213-XQ"),
        ("take_it_down", "TID 7781 22"),
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"programme": "ncmec"}, "programme", "Choose the programme."),
        ({"case_number": "#1"}, "case_number", "3 to 40 letters or digits"),
        ({"case_number": "ab"}, "case_number", "3 to 40 letters or digits"),
        ({"registered_on": "tomorrow"}, "registered_on", "still to come"),
        ({"withdrawn_on": "tomorrow"}, "withdrawn_on", "still to come"),
        ({"withdrawn_on": DAY - dt.timedelta(days=1)}, "withdrawn_on", "before the date"),
    ],
)
def test_values_that_make_no_sense_are_refused_and_nothing_is_saved(
    case, survivor, changes, field, message
):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    changes = {k: tomorrow if v == "tomorrow" else v for k, v in changes.items()}
    with pytest.raises(ValidationError) as refused:
        _record(case, survivor, **changes)
    assert message in " ".join(refused.value.message_dict[field])
    assert not ProgrammeCase.objects.exists()
    assert not _events(case)


def test_another_survivor_may_not_record_on_her_case(case, other_survivor):
    with pytest.raises(PermissionDenied):
        _record(case, other_survivor)
    assert not ProgrammeCase.objects.exists()

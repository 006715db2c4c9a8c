import datetime as dt
import re
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from cases.models import REFERENCE_ALPHABET, Case, CaseEvent, EventKind
from cases.services import (
    case_open,
    case_open_for_caller,
    case_set_consent,
    case_set_hash_sharing,
    case_set_notice_contact,
)
from casework.selectors import case_timeline

REFERENCE = re.compile(rf"^LC-[{REFERENCE_ALPHABET}]{{6}}$")


def test_case_open_gives_a_random_reference_and_records_the_event(survivor):
    case = case_open(survivor=survivor, pseudonym="  Rose  ", acting_user=survivor)
    assert REFERENCE.match(case.reference)
    assert case.pseudonym == "Rose"
    assert case.status == "new"
    assert case.survivor == survivor
    assert case.contact_email == survivor.email
    event = CaseEvent.objects.get(case=case)
    assert event.kind == EventKind.CASE_OPENED
    assert event.actor == survivor
    assert event.new_value == {"pseudonym": "Rose", "status": "new"}


def test_references_are_not_sequential(survivor):
    refs = {
        case_open(survivor=survivor, pseudonym=str(n), acting_user=survivor).reference
        for n in range(20)
    }
    assert len(refs) == 20
    assert not any(ch in "".join(r[3:] for r in refs) for ch in "01ILOU")


def test_a_reference_clash_draws_again(survivor):
    taken = case_open(survivor=survivor, pseudonym="first", acting_user=survivor).reference
    with mock.patch("cases.services.new_reference", side_effect=[taken, "LC-NEW234"]):
        case = case_open(survivor=survivor, pseudonym="second", acting_user=survivor)
    assert case.reference == "LC-NEW234"
    assert Case.objects.count() == 2
    assert CaseEvent.objects.count() == 2


def test_gives_up_after_repeated_clashes_and_saves_nothing(survivor):
    taken = case_open(survivor=survivor, pseudonym="first", acting_user=survivor).reference
    with (
        mock.patch("cases.services.new_reference", return_value=taken),
        pytest.raises(IntegrityError),
    ):
        case_open(survivor=survivor, pseudonym="second", acting_user=survivor)
    assert Case.objects.count() == 1
    assert CaseEvent.objects.count() == 1


# --- her consent to writing to platforms, and her address in notices --------------------


def _events(case, kind):
    return list(CaseEvent.objects.filter(case=case, kind=kind).order_by("created_at", "id"))


def test_she_gives_and_withdraws_her_consent_and_the_timeline_says_so(case, survivor):
    assert not case.consent_to_contact_platforms  # nobody writes for her by default
    case_set_consent(case=case, given=True, acting_user=survivor)
    case.refresh_from_db()
    assert case.consent_to_contact_platforms
    case_set_consent(case=case, given=True, acting_user=survivor)  # again: nothing new
    (given,) = _events(case, EventKind.CONSENT_GIVEN)
    assert (given.actor, given.old_value, given.new_value) == (
        survivor,
        {"consent": False},
        {"consent": True, "note": ""},
    )
    assert not given.internal
    case_set_consent(case=case, given=False, acting_user=survivor)
    case.refresh_from_db()
    assert not case.consent_to_contact_platforms
    (withdrawn,) = _events(case, EventKind.CONSENT_WITHDRAWN)
    assert withdrawn.actor == survivor
    timeline = [entry.event.get_kind_display() for entry in case_timeline(case, survivor)]
    assert timeline[:2] == [
        "Consent to write to platforms withdrawn",
        "Consent to write to platforms given",
    ]


def test_staff_record_consent_given_by_phone_only_for_a_helpline_case_with_a_note(
    case, caseworker, other_survivor
):
    caller = case_open_for_caller(
        pseudonym="Caller", contact_email="c@example.test", acting_user=caseworker
    )
    with pytest.raises(ValidationError, match="Say who told you and when"):
        case_set_consent(case=caller, given=True, acting_user=caseworker)
    note = "She said yes on the helpline call of 3 Nov, 14:10."
    case_set_consent(case=caller, given=True, acting_user=caseworker, note=note)
    caller.refresh_from_db()
    assert caller.consent_to_contact_platforms
    (event,) = _events(caller, EventKind.CONSENT_GIVEN)
    assert (event.actor, event.new_value) == (caseworker, {"consent": True, "note": note})
    (entry,) = [e for e in case_timeline(caller, caseworker) if e.event == event]
    assert (entry.text, entry.by) == (note, "you")

    # A survivor with an account gives it herself; nobody else may, nor may another survivor.
    with pytest.raises(ValidationError, match="she gives this herself"):
        case_set_consent(case=case, given=True, acting_user=caseworker, note=note)
    with pytest.raises(PermissionDenied):
        case_set_consent(case=case, given=True, acting_user=other_survivor)
    case.refresh_from_db()
    assert not case.consent_to_contact_platforms
    assert not _events(case, EventKind.CONSENT_GIVEN)


def test_staff_record_her_withdrawal_on_any_case(case, survivor, caseworker):
    case_set_consent(case=case, given=True, acting_user=survivor)
    case_set_consent(
        case=case, given=False, acting_user=caseworker, note="She rang to say stop, 4 Nov."
    )
    case.refresh_from_db()
    assert not case.consent_to_contact_platforms
    (event,) = _events(case, EventKind.CONSENT_WITHDRAWN)
    assert event.actor == caseworker


def test_notices_give_the_services_address_unless_she_chooses_her_own(case, survivor, caseworker):
    assert case.notice_contact == "service"
    with pytest.raises(ValidationError, match="she gives this herself"):
        case_set_notice_contact(
            case=case, notice_contact="own_email", acting_user=caseworker, note="asked"
        )
    with pytest.raises(ValidationError, match="Choose which address"):
        case_set_notice_contact(case=case, notice_contact="postcard", acting_user=survivor)
    case_set_notice_contact(case=case, notice_contact="own_email", acting_user=survivor)
    case.refresh_from_db()
    assert case.notice_contact == "own_email"
    (event,) = _events(case, EventKind.NOTICE_CONTACT)
    assert (event.old_value, event.new_value) == (
        {"notice_contact": "service"},
        {"notice_contact": "own_email", "note": ""},
    )
    # Back to the service's address: staff may do that for her, saying who asked and when.
    case_set_notice_contact(
        case=case, notice_contact="service", acting_user=caseworker, note="She asked, 5 Nov."
    )
    case.refresh_from_db()
    assert case.notice_contact == "service"


# --- her consent to sharing her images' fingerprints ---------------------------------------


def test_consent_to_share_hashes_is_its_own_question_with_its_own_events(case, survivor):
    case_set_consent(case=case, given=True, acting_user=survivor)
    case.refresh_from_db()
    assert not case.consent_to_share_hashes  # writing to platforms is not sharing hashes
    case_set_hash_sharing(case=case, given=True, acting_user=survivor)
    case_set_hash_sharing(case=case, given=True, acting_user=survivor)  # again: nothing new
    case.refresh_from_db()
    assert case.consent_to_share_hashes
    (given,) = _events(case, EventKind.HASH_SHARING_GIVEN)
    assert (given.actor, given.old_value, given.new_value) == (
        survivor,
        {"consent": False},
        {"consent": True, "note": ""},
    )
    case_set_hash_sharing(case=case, given=False, acting_user=survivor)
    case.refresh_from_db()
    assert not case.consent_to_share_hashes
    assert case.consent_to_contact_platforms
    (withdrawn,) = _events(case, EventKind.HASH_SHARING_WITHDRAWN)
    assert withdrawn.actor == survivor


def test_staff_record_hash_sharing_consent_only_for_a_helpline_case_and_withdrawal_anywhere(
    case, caseworker, other_survivor, survivor
):
    caller = case_open_for_caller(
        pseudonym="Caller", contact_email="c@example.test", acting_user=caseworker
    )
    with pytest.raises(ValidationError, match="Say who told you and when"):
        case_set_hash_sharing(case=caller, given=True, acting_user=caseworker)
    note = "Said yes to sharing hashes on the call of 3 Nov, 14:10."
    case_set_hash_sharing(case=caller, given=True, acting_user=caseworker, note=note)
    caller.refresh_from_db()
    assert caller.consent_to_share_hashes
    (event,) = _events(caller, EventKind.HASH_SHARING_GIVEN)
    assert event.new_value == {"consent": True, "note": note}

    with pytest.raises(ValidationError, match="she gives this herself"):
        case_set_hash_sharing(case=case, given=True, acting_user=caseworker, note=note)
    with pytest.raises(PermissionDenied):
        case_set_hash_sharing(case=case, given=True, acting_user=other_survivor)
    case_set_hash_sharing(case=case, given=True, acting_user=survivor)
    # She may ask on the phone to stop: staff record a withdrawal on any case.
    case_set_hash_sharing(case=case, given=False, acting_user=caseworker, note="Call, 4 Nov")
    case.refresh_from_db()
    assert not case.consent_to_share_hashes


def test_events_for_many_cases_are_recorded_in_one_insert_and_one_update(
    survivor, django_assert_num_queries
):
    """events_record_for_cases (a batch of rechecks): the same rows as one events_record a
    case, each case marked active, in two queries however many cases."""
    from cases.services import event_build, events_record_for_cases

    cases = [
        case_open(survivor=survivor, pseudonym=name, acting_user=survivor)
        for name in ("Ash", "Birch", "Cedar")
    ]
    long_ago = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(last_activity_at=long_ago)
    batch = [
        (case, [event_build(case=case, actor=None, kind=EventKind.SIGHTING_STATUS) for _ in "ab"])
        for case in cases
    ]
    with django_assert_num_queries(2):
        saved = events_record_for_cases(batch)
    assert len(saved) == 6
    for case in cases:
        assert CaseEvent.objects.filter(case=case, kind=EventKind.SIGHTING_STATUS).count() == 2
        case.refresh_from_db()
        assert case.last_activity_at > long_ago

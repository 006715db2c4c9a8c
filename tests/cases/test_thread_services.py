"""The conversation's writes: posting, the read marker, correcting and withdrawing, and who
is told (cases.thread_services, with cases.update_notices)."""

import datetime as dt
import threading
import uuid

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError

from cases.models import CaseEvent, CaseNote, EventKind, ThreadRead
from cases.services import case_assign, case_open_for_caller, note_add
from cases.thread_services import (
    message_edit,
    message_post,
    message_withdraw,
    thread_mark_read,
)
from cases.update_notices import update_notice_set
from leakcase.locking import StateChanged
from outbox.models import EmailKind, OutgoingEmail
from tests.conftest import tables_holding

HER_WORDS = "He posted them again on the forum, I am scared"
T0 = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def assigned(case, caseworker):
    return case_assign(case=case, to=caseworker, acting_user=caseworker)


def notices_to(user):
    return list(OutgoingEmail.objects.filter(user=user, kind=EmailKind.UPDATE_NOTICE))


def test_her_message_is_in_the_thread_with_an_event_that_keeps_no_text(assigned, survivor):
    note, created = message_post(case=assigned, body=f"  {HER_WORDS}  ", acting_user=survivor)
    assert created
    assert (note.body, note.visibility, note.from_survivor, note.author) == (
        HER_WORDS,
        "shared",
        True,
        survivor,
    )
    event = CaseEvent.objects.get(case=assigned, kind=EventKind.MESSAGE_SENT)
    assert (event.actor, event.internal, event.target_id) == (survivor, False, str(note.pk))
    assert event.new_value == {"from_survivor": True}
    # Her words are in her message and nowhere else: not the event, not the email.
    assert tables_holding(HER_WORDS) == ["cases_casenote"]


def test_her_message_tells_the_assigned_caseworker(assigned, survivor, caseworker):
    message_post(case=assigned, body=HER_WORDS, acting_user=survivor)
    (email,) = notices_to(caseworker)
    assert email.recipient == caseworker.email
    assert notices_to(survivor) == []


def test_her_message_on_an_unassigned_case_emails_nobody(case, survivor):
    message_post(case=case, body=HER_WORDS, acting_user=survivor)
    assert not OutgoingEmail.objects.filter(kind=EmailKind.UPDATE_NOTICE).exists()


def test_a_staff_reply_tells_her(assigned, survivor, caseworker):
    note, _ = message_post(case=assigned, body="We sent the request.", acting_user=caseworker)
    assert note.from_survivor is False
    assert len(notices_to(survivor)) == 1


def test_a_shared_note_is_a_message_to_her_and_tells_her_an_internal_one_does_not(
    assigned, survivor, caseworker
):
    note_add(case=assigned, body="Internal only", visibility="internal", acting_user=caseworker)
    assert notices_to(survivor) == []
    note_add(case=assigned, body="Shared with her", visibility="shared", acting_user=caseworker)
    assert len(notices_to(survivor)) == 1


def test_no_email_to_an_unconfirmed_address_nor_to_a_helpline_case_without_account(
    assigned, survivor, caseworker, supervisor
):
    EmailAddress.objects.filter(user=survivor).update(verified=False)
    message_post(case=assigned, body="Reply", acting_user=caseworker)
    assert notices_to(survivor) == []

    caller_case = case_open_for_caller(
        pseudonym="Caller", contact_email="caller@example.test", acting_user=supervisor
    )
    message_post(case=caller_case, body="Reply", acting_user=supervisor)
    assert not OutgoingEmail.objects.filter(to_address="caller@example.test").exists()


def test_two_quick_messages_make_one_email_and_the_next_hour_another(
    assigned, survivor, caseworker
):
    with time_machine.travel(T0, tick=False):
        message_post(case=assigned, body="First", acting_user=survivor)
    with time_machine.travel(T0 + dt.timedelta(seconds=1), tick=False):
        message_post(case=assigned, body="Second", acting_user=survivor)
    with time_machine.travel(T0 + dt.timedelta(minutes=59), tick=False):
        message_post(case=assigned, body="Third", acting_user=survivor)
    assert len(notices_to(caseworker)) == 1
    with time_machine.travel(T0 + dt.timedelta(hours=1, seconds=1), tick=False):
        message_post(case=assigned, body="Fourth", acting_user=survivor)
    assert len(notices_to(caseworker)) == 2


def test_whoever_turned_the_emails_off_gets_none(assigned, survivor, caseworker):
    update_notice_set(user=caseworker, enabled=False)
    update_notice_set(user=survivor, enabled=False)
    message_post(case=assigned, body="Hello", acting_user=survivor)
    message_post(case=assigned, body="Hello back", acting_user=caseworker)
    assert not OutgoingEmail.objects.filter(kind=EmailKind.UPDATE_NOTICE).exists()
    update_notice_set(user=survivor, enabled=True)
    message_post(case=assigned, body="And again", acting_user=caseworker)
    assert len(notices_to(survivor)) == 1


def test_the_same_form_twice_makes_one_message_one_event_one_email(assigned, survivor, caseworker):
    key = uuid.uuid4()
    first, created = message_post(case=assigned, body="Hello", acting_user=survivor, key=key)
    again, created_again = message_post(case=assigned, body="Hello", acting_user=survivor, key=key)
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert CaseNote.objects.filter(case=assigned).count() == 1
    assert CaseEvent.objects.filter(case=assigned, kind=EventKind.MESSAGE_SENT).count() == 1
    assert len(notices_to(caseworker)) == 1


def test_a_key_of_someone_elses_form_is_refused(assigned, survivor, caseworker):
    key = uuid.uuid4()
    message_post(case=assigned, body="Hello", acting_user=survivor, key=key)
    with pytest.raises(ValidationError):
        message_post(case=assigned, body="Hi", acting_user=caseworker, key=key)
    assert CaseNote.objects.filter(case=assigned).count() == 1


@pytest.mark.parametrize("body", ["", "   \n ", "x" * 5001])
def test_an_empty_or_too_long_message_is_refused_and_nothing_is_saved(assigned, survivor, body):
    with pytest.raises(ValidationError):
        message_post(case=assigned, body=body, acting_user=survivor)
    assert not CaseNote.objects.exists()
    assert not CaseEvent.objects.filter(kind=EventKind.MESSAGE_SENT).exists()


def test_another_survivor_cannot_write_on_her_case(assigned, other_survivor):
    with pytest.raises(PermissionDenied):
        message_post(case=assigned, body="Hi", acting_user=other_survivor)
    assert not CaseNote.objects.exists()


def test_its_author_corrects_a_staff_message_and_the_event_keeps_no_text(assigned, caseworker):
    note, _ = message_post(case=assigned, body="We sent it on Monday", acting_user=caseworker)
    message_edit(note=note, body="We sent it on Tuesday", revision=0, acting_user=caseworker)
    note.refresh_from_db()
    assert (note.body, note.revision) == ("We sent it on Tuesday", 1)
    assert note.edited_at is not None
    event = CaseEvent.objects.get(kind=EventKind.MESSAGE_EDITED)
    assert (event.actor, event.internal, event.new_value) == (caseworker, False, {"revision": 1})
    assert tables_holding("Monday") == []


def test_a_correction_from_an_older_tab_overwrites_nothing(assigned, caseworker, supervisor):
    note, _ = message_post(case=assigned, body="Original", acting_user=caseworker)
    message_edit(note=note, body="Supervisor's fix", revision=0, acting_user=supervisor)
    with pytest.raises(StateChanged):
        message_edit(note=note, body="Author's older fix", revision=0, acting_user=caseworker)
    note.refresh_from_db()
    assert note.body == "Supervisor's fix"
    assert CaseEvent.objects.filter(kind=EventKind.MESSAGE_EDITED).count() == 1


def test_only_the_author_or_a_supervisor_changes_a_staff_message_and_nobody_rewrites_hers(
    assigned, survivor, caseworker, other_caseworker, supervisor
):
    staff_note, _ = message_post(case=assigned, body="Ours", acting_user=caseworker)
    her_note, _ = message_post(case=assigned, body="Mine", acting_user=survivor)
    internal = note_add(
        case=assigned, body="Internal", visibility="internal", acting_user=caseworker
    )
    for user, note in (
        (other_caseworker, staff_note),
        (survivor, staff_note),
        (caseworker, her_note),
        (supervisor, her_note),
        (survivor, her_note),
        (caseworker, internal),
    ):
        with pytest.raises(PermissionDenied):
            message_edit(note=note, body="Changed", revision=0, acting_user=user)
    for user, note in (
        (caseworker, her_note),
        (supervisor, her_note),
        (other_caseworker, staff_note),
    ):
        with pytest.raises(PermissionDenied):
            message_withdraw(note=note, acting_user=user)
    assert sorted(CaseNote.objects.values_list("body", flat=True)) == ["Internal", "Mine", "Ours"]


def test_she_withdraws_her_message_its_text_goes_and_twice_is_once(assigned, survivor):
    note, _ = message_post(case=assigned, body=HER_WORDS, acting_user=survivor)
    message_withdraw(note=note, acting_user=survivor)
    message_withdraw(note=note, acting_user=survivor)
    note.refresh_from_db()
    assert note.withdrawn_at is not None
    assert note.body == ""
    (event,) = CaseEvent.objects.filter(kind=EventKind.MESSAGE_WITHDRAWN)
    assert (event.actor, event.new_value) == (survivor, {"from_survivor": True})
    assert tables_holding(HER_WORDS) == []


def test_a_supervisor_withdraws_a_caseworkers_message_and_it_can_no_longer_be_corrected(
    assigned, caseworker, supervisor
):
    note, _ = message_post(case=assigned, body="Wrong date", acting_user=caseworker)
    message_withdraw(note=note, acting_user=supervisor)
    with pytest.raises(StateChanged):
        message_edit(note=note, body="Right date", revision=note.revision, acting_user=caseworker)
    note.refresh_from_db()
    assert (note.body, note.withdrawn_at is not None) == ("", True)


def test_the_read_marker_only_moves_forward(case, survivor):
    thread_mark_read(case=case, user=survivor, up_to=T0)
    thread_mark_read(case=case, user=survivor, up_to=T0 - dt.timedelta(hours=1))
    assert ThreadRead.objects.get(case=case, user=survivor).read_up_to == T0
    thread_mark_read(case=case, user=survivor, up_to=T0 + dt.timedelta(minutes=5))
    assert ThreadRead.objects.get(case=case, user=survivor).read_up_to == T0 + dt.timedelta(
        minutes=5
    )
    assert ThreadRead.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_tabs_posting_at_once_make_one_email(survivor, caseworker):
    """Her second tab posts while the first tab's transaction is still open: the second
    waits on the first's row locks, then finds the hour taken, and owes one for later."""
    from django.db import connection, transaction

    from cases.models import UpdateNotice
    from cases.services import case_open

    case = case_open(survivor=survivor, pseudonym="Rose", acting_user=survivor)
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    outcome = {}

    def second_tab():
        try:
            outcome["note"] = message_post(case=case, body="Second tab", acting_user=survivor)
        finally:
            connection.close()

    with transaction.atomic():
        message_post(case=case, body="First tab", acting_user=survivor)
        other = threading.Thread(target=second_tab)
        other.start()
        # Whether it is already waiting or has not started yet, it cannot pass our locks
        # until we commit: either way it must see the hour taken.
    other.join()
    assert CaseNote.objects.filter(case=case).count() == 2
    assert len(notices_to(caseworker)) == 1
    assert UpdateNotice.objects.get(user=caseworker).due_at is not None

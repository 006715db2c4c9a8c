"""The conversation as each reader sees it, and what is new to whom (cases.thread_selectors)."""

import datetime as dt

import pytest
import time_machine

from cases.models import Case
from cases.services import case_assign, note_add
from cases.thread_selectors import thread_for, with_unread_messages
from cases.thread_services import message_post, message_withdraw, thread_mark_read

T0 = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def assigned(case, caseworker):
    return case_assign(case=case, to=caseworker, acting_user=caseworker)


def unread(user, case):
    return with_unread_messages(Case.objects.filter(pk=case.pk), user).get().unread_messages


def test_internal_notes_are_never_in_her_thread_and_she_sees_you_and_your_caseworker(
    assigned, survivor, caseworker
):
    note_add(
        case=assigned,
        body="Internal: she sounded unsure",
        visibility="internal",
        acting_user=caseworker,
    )
    message_post(case=assigned, body="Can you help?", acting_user=survivor)
    note_add(case=assigned, body="We are on it", visibility="shared", acting_user=caseworker)
    hers = thread_for(survivor, assigned)
    assert [(m.who, m.note.body) for m in hers.messages] == [
        ("You", "Can you help?"),
        ("Your caseworker", "We are on it"),
    ]
    staff = thread_for(caseworker, assigned)
    # Staff see names; internal notes are listed apart from the thread, never in it.
    assert [(m.who, m.note.body) for m in staff.messages] == [
        ("Rose (survivor)", "Can you help?"),
        ("You", "We are on it"),
    ]


def test_staff_see_colleagues_by_name(assigned, caseworker, supervisor):
    message_post(case=assigned, body="Noted", acting_user=caseworker)
    (message,) = thread_for(supervisor, assigned).messages
    assert message.who == "Casey"
    assert (message.can_edit, message.can_withdraw) == (True, True)


def test_what_is_new_to_her_until_she_reads_it(assigned, survivor, caseworker):
    with time_machine.travel(T0, tick=False):
        message_post(case=assigned, body="Mine", acting_user=survivor)
        message_post(case=assigned, body="Reply 1", acting_user=caseworker)
    thread = thread_for(survivor, assigned)
    assert [m.new for m in thread.messages] == [False, True]  # her own is never new to her
    assert (thread.new_count, unread(survivor, assigned)) == (1, 1)

    thread_mark_read(case=assigned, user=survivor, up_to=thread.newest_at)
    assert (thread_for(survivor, assigned).new_count, unread(survivor, assigned)) == (0, 0)

    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        message_post(case=assigned, body="Reply 2", acting_user=caseworker)
        withdrawn, _ = message_post(case=assigned, body="Oops", acting_user=caseworker)
    message_withdraw(note=withdrawn, acting_user=caseworker)
    assert (thread_for(survivor, assigned).new_count, unread(survivor, assigned)) == (1, 1)


def test_each_staff_reader_has_her_own_marker_and_counts_only_survivors_messages(
    assigned, survivor, caseworker, supervisor
):
    message_post(case=assigned, body="From her 1", acting_user=survivor)
    message_post(case=assigned, body="From her 2", acting_user=survivor)
    message_post(case=assigned, body="From a colleague", acting_user=supervisor)
    assert unread(caseworker, assigned) == 2
    thread_mark_read(
        case=assigned, user=caseworker, up_to=thread_for(caseworker, assigned).newest_at
    )
    assert (unread(caseworker, assigned), unread(supervisor, assigned)) == (0, 2)

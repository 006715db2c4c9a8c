"""cases.services: triage, lifecycle, assignment, notes, cases opened for callers."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from accounts.models import User
from accounts.selectors import email_is_verified
from cases.models import Case, CaseEvent, CaseNote, EventKind
from cases.services import (
    INVITATION_MAX_AGE,
    InvitationInvalid,
    case_assign,
    case_change_status,
    case_file_triage,
    case_open_for_caller,
    cases_assign_from_queue,
    invitation_claim,
    invitation_email_send,
    invitation_issue,
    note_add,
)
from leakcase.locking import StateChanged


def _events(case, kind):
    return list(CaseEvent.objects.filter(case=case, kind=kind))


class TestTriage:
    def test_threats_make_a_case_urgent_and_the_event_keeps_old_and_new(self, case, caseworker):
        case_file_triage(
            case=case,
            priority="normal",
            involves_minor=False,
            threats_or_extortion=True,
            acting_user=caseworker,
        )
        case.refresh_from_db()
        assert case.priority == "urgent"
        (event,) = _events(case, EventKind.TRIAGED)
        assert event.actor == caseworker
        assert event.internal is True
        assert event.old_value == {
            "priority": "normal",
            "involves_minor": False,
            "threats_or_extortion": False,
            "jurisdiction": "",
        }
        assert event.new_value == {
            "priority": "urgent",
            "involves_minor": False,
            "threats_or_extortion": True,
            "jurisdiction": "",
        }

    def test_no_change_writes_no_event(self, case, caseworker):
        case_file_triage(
            case=case,
            priority="normal",
            involves_minor=False,
            threats_or_extortion=False,
            acting_user=caseworker,
        )
        assert _events(case, EventKind.TRIAGED) == []

    def test_survivors_cannot_triage(self, case, survivor):
        with pytest.raises(PermissionDenied):
            case_file_triage(
                case=case,
                priority="urgent",
                involves_minor=False,
                threats_or_extortion=False,
                acting_user=survivor,
            )
        case.refresh_from_db()
        assert case.priority == "normal"

    @pytest.mark.django_db(transaction=True)
    def test_a_triage_read_before_a_colleagues_cannot_undo_it(
        self, case, caseworker, supervisor, in_another_connection
    ):
        her_page = Case.objects.get(pk=case.pk)
        in_another_connection(
            lambda: case_file_triage(
                case=Case.objects.get(pk=case.pk),
                priority="normal",
                involves_minor=True,
                threats_or_extortion=False,
                acting_user=supervisor,
            )
        )
        with pytest.raises(StateChanged, match="changed this case's priority"):
            case_file_triage(
                case=her_page,
                priority="high",
                involves_minor=False,
                threats_or_extortion=False,
                acting_user=caseworker,
                jurisdiction="DE",
            )
        case.refresh_from_db()
        assert (case.priority, case.involves_minor, case.jurisdiction) == ("urgent", True, "")
        (event,) = _events(case, EventKind.TRIAGED)
        assert event.actor == supervisor


class TestStatus:
    def test_allowed_moves_follow_the_lifecycle(self, case, caseworker):
        for status in ("active", "monitoring", "resolved", "closed", "active"):
            case_change_status(case=case, to=status, acting_user=caseworker)
        case.refresh_from_db()
        assert case.status == "active"
        events = _events(case, EventKind.STATUS_CHANGED)
        assert [(e.old_value["status"], e.new_value["status"]) for e in reversed(events)] == [
            ("new", "active"),
            ("active", "monitoring"),
            ("monitoring", "resolved"),
            ("resolved", "closed"),
            ("closed", "active"),
        ]

    @pytest.mark.parametrize(
        ("start", "to", "reason"),
        [
            ("new", "resolved", "A new case can go to Active or Closed, not to Resolved."),
            ("new", "monitoring", "A new case can go to Active or Closed, not to Monitoring."),
            ("closed", "resolved", "A closed case can go to Active, not to Resolved."),
            (
                "monitoring",
                "closed",
                "A monitoring case can go to Active or Resolved, not to Closed.",
            ),
        ],
    )
    def test_a_wrong_move_is_refused_with_a_reason_and_changes_nothing(
        self, case, caseworker, start, to, reason
    ):
        Case.objects.filter(pk=case.pk).update(status=start)
        case.refresh_from_db()
        with pytest.raises(ValidationError) as excinfo:
            case_change_status(case=case, to=to, acting_user=caseworker)
        assert excinfo.value.message_dict["status"] == [reason]
        case.refresh_from_db()
        assert case.status == start
        assert _events(case, EventKind.STATUS_CHANGED) == []

    def test_an_unknown_status_is_refused(self, case, caseworker):
        with pytest.raises(ValidationError, match="not a case status"):
            case_change_status(case=case, to="deleted", acting_user=caseworker)

    def test_a_stale_page_cannot_overwrite_a_newer_status(self, case, caseworker):
        stale = Case.objects.get(pk=case.pk)
        case_change_status(case=case, to="active", acting_user=caseworker)
        with pytest.raises(ValidationError, match="a moment ago"):
            case_change_status(case=stale, to="closed", acting_user=caseworker)
        case.refresh_from_db()
        assert case.status == "active"


class TestAssign:
    def test_a_caseworker_takes_an_unassigned_case(self, case, caseworker):
        case_assign(case=case, to=caseworker, acting_user=caseworker)
        case.refresh_from_db()
        assert case.assigned_to == caseworker
        assert case.status == "active"  # somebody is working on it now
        (event,) = _events(case, EventKind.ASSIGNED)
        assert (event.old_value, event.new_value) == (
            {"assigned_to": None},
            {"assigned_to": caseworker.pk},
        )

    def test_a_caseworker_cannot_take_a_colleagues_case_or_give_cases_away(
        self, case, caseworker, other_caseworker
    ):
        case_assign(case=case, to=other_caseworker, acting_user=other_caseworker)
        with pytest.raises(PermissionDenied):
            case_assign(case=case, to=caseworker, acting_user=caseworker)
        with pytest.raises(PermissionDenied):
            case_assign(case=case, to=caseworker, acting_user=other_caseworker)
        case.refresh_from_db()
        assert case.assigned_to == other_caseworker

    def test_a_caseworker_may_return_her_own_case_to_the_queue(self, case, caseworker):
        case_assign(case=case, to=caseworker, acting_user=caseworker)
        case_assign(case=case, to=None, acting_user=caseworker)
        case.refresh_from_db()
        assert case.assigned_to is None

    def test_a_supervisor_reassigns(self, case, caseworker, other_caseworker, supervisor):
        case_assign(case=case, to=caseworker, acting_user=caseworker)
        case_assign(case=case, to=other_caseworker, acting_user=supervisor)
        case.refresh_from_db()
        assert case.assigned_to == other_caseworker

    @pytest.mark.parametrize("target", ["survivor", "other_survivor", "inactive_caseworker"])
    def test_only_active_staff_can_be_assigned(
        self, request, case, supervisor, caseworker, target
    ):
        if target == "inactive_caseworker":
            caseworker.is_active = False
            caseworker.save()
            to = caseworker
        else:
            to = request.getfixturevalue(target)
        with pytest.raises(ValidationError, match="active caseworker or supervisor"):
            case_assign(case=case, to=to, acting_user=supervisor)
        case.refresh_from_db()
        assert case.assigned_to is None
        assert _events(case, EventKind.ASSIGNED) == []

    def test_two_takers_one_winner(self, case, caseworker, other_caseworker):
        seen_by_second = Case.objects.get(pk=case.pk)
        case_assign(case=case, to=caseworker, acting_user=caseworker)
        with pytest.raises(ValidationError, match="a moment ago"):
            # Her page still shows the case as unassigned, but it is not any more.
            case_assign(case=seen_by_second, to=other_caseworker, acting_user=other_caseworker)
        case.refresh_from_db()
        assert case.assigned_to == caseworker

    @pytest.mark.django_db(transaction=True)
    def test_two_caseworkers_taking_one_case_at_once_one_wins(
        self, case, caseworker, other_caseworker
    ):
        both_loaded = threading.Barrier(2)
        said = {}

        def take(user):
            try:
                queue_page = Case.objects.get(pk=case.pk)
                both_loaded.wait(timeout=30)
                case_assign(case=queue_page, to=user, acting_user=user)
                said[user.pk] = "taken"
            except ValidationError as error:
                said[user.pk] = error.messages
            finally:
                connection.close()

        takers = [threading.Thread(target=take, args=(u,)) for u in (caseworker, other_caseworker)]
        for thread in takers:
            thread.start()
        for thread in takers:
            thread.join()
        case.refresh_from_db()
        winner = case.assigned_to_id
        loser = ({caseworker.pk, other_caseworker.pk} - {winner}).pop()
        assert said == {winner: "taken", loser: ["Someone else assigned this case a moment ago."]}
        (event,) = _events(case, EventKind.ASSIGNED)
        assert event.actor_id == winner
        assert case.status == "active"
        assert len(_events(case, EventKind.STATUS_CHANGED)) == 1

    @pytest.mark.django_db(transaction=True)
    def test_taking_a_case_a_supervisor_moved_meanwhile_still_takes_it(
        self, case, caseworker, supervisor, in_another_connection
    ):
        queue_page = Case.objects.get(pk=case.pk)  # new, unassigned
        in_another_connection(
            lambda: case_change_status(
                case=Case.objects.get(pk=case.pk), to="active", acting_user=supervisor
            )
        )
        case_assign(case=queue_page, to=caseworker, acting_user=caseworker)
        case.refresh_from_db()
        assert (case.assigned_to, case.status) == (caseworker, "active")
        (moved,) = _events(case, EventKind.STATUS_CHANGED)
        assert moved.actor == supervisor


def test_bulk_assign_takes_what_is_still_in_the_queue(survivor, caseworker, other_caseworker):
    from cases.services import case_open

    cases = [
        case_open(survivor=survivor, pseudonym=str(n), acting_user=survivor) for n in range(3)
    ]
    case_assign(case=cases[0], to=other_caseworker, acting_user=other_caseworker)
    refs = [c.reference for c in cases] + ["LC-NOSUCH"]
    assigned, skipped = cases_assign_from_queue(
        references=refs, to=caseworker, acting_user=caseworker
    )
    assert {c.reference for c in assigned} == {cases[1].reference, cases[2].reference}
    assert set(skipped) == {cases[0].reference, "LC-NOSUCH"}
    assert Case.objects.filter(assigned_to=caseworker).count() == 2


class TestNotes:
    @pytest.mark.parametrize("visibility", ["internal", "shared"])
    def test_a_note_and_its_event(self, case, caseworker, visibility):
        note = note_add(
            case=case,
            body="  Called the survivor.  ",
            visibility=visibility,
            acting_user=caseworker,
        )
        assert note.body == "Called the survivor."
        (event,) = _events(case, EventKind.NOTE_ADDED)
        assert event.internal is (visibility == "internal")
        assert "Called" not in str(event.new_value)  # the timeline never copies the text

    def test_empty_notes_and_survivor_notes_are_refused(self, case, caseworker, survivor):
        with pytest.raises(ValidationError):
            note_add(case=case, body="   ", visibility="shared", acting_user=caseworker)
        with pytest.raises(PermissionDenied):
            note_add(case=case, body="hi", visibility="shared", acting_user=survivor)
        assert not CaseNote.objects.exists()


class TestCallerCases:
    def test_open_for_a_caller_assigns_the_caseworker(self, caseworker):
        case = case_open_for_caller(
            pseudonym="Caller 1",
            contact_email="Caller@Example.test",
            acting_user=caseworker,
            involves_minor=True,
        )
        assert case.survivor is None
        assert case.contact_email == "caller@example.test"
        assert case.assigned_to == caseworker
        assert case.priority == "urgent"
        assert case.status == "active"

    def test_survivors_cannot_open_for_callers(self, survivor):
        with pytest.raises(PermissionDenied):
            case_open_for_caller(
                pseudonym="x", contact_email="a@example.test", acting_user=survivor
            )

    def test_a_survivor_claims_the_case_once(self, caseworker, survivor, other_survivor):
        case = case_open_for_caller(
            pseudonym="Caller", contact_email="c@example.test", acting_user=caseworker
        )
        token = invitation_issue(case=case, acting_user=caseworker)
        claimed = invitation_claim(token=token, user=survivor)
        assert claimed.survivor == survivor
        assert _events(case, EventKind.CLAIMED)[0].actor == survivor
        with pytest.raises(InvitationInvalid, match="already been used"):
            invitation_claim(token=token, user=other_survivor)
        case.refresh_from_db()
        assert case.survivor == survivor

    def test_claiming_with_the_invited_address_confirms_it(self, caseworker, db):
        """The link went to the contact address: following it proves she reads it there.
        Signing up with another address proves nothing about that one."""
        invited = User.objects.create_user(email="caller@example.test")
        other = User.objects.create_user(email="someone-else@example.test")
        for user in (invited, other):
            case = case_open_for_caller(
                pseudonym="Caller", contact_email="Caller@Example.test", acting_user=caseworker
            )
            invitation_claim(token=invitation_issue(case=case, acting_user=caseworker), user=user)
        assert email_is_verified(invited)
        assert not email_is_verified(other)

    def test_a_new_link_voids_the_old_one(self, caseworker, survivor):
        case = case_open_for_caller(
            pseudonym="Caller", contact_email="c@example.test", acting_user=caseworker
        )
        old = invitation_issue(case=case, acting_user=caseworker)
        invitation_issue(case=case, acting_user=caseworker)
        with pytest.raises(InvitationInvalid, match="replaced"):
            invitation_claim(token=old, user=survivor)

    def test_links_expire(self, caseworker, survivor):
        case = case_open_for_caller(
            pseudonym="Caller", contact_email="c@example.test", acting_user=caseworker
        )
        with time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tick=False):
            token = invitation_issue(case=case, acting_user=caseworker)
        later = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
            seconds=INVITATION_MAX_AGE + 60
        )
        with (
            time_machine.travel(later, tick=False),
            pytest.raises(InvitationInvalid, match="expired"),
        ):
            invitation_claim(token=token, user=survivor)

    def test_altered_links_and_staff_claims_are_refused(self, caseworker, survivor):
        case = case_open_for_caller(
            pseudonym="Caller", contact_email="c@example.test", acting_user=caseworker
        )
        token = invitation_issue(case=case, acting_user=caseworker)
        forged = signing.dumps({"case": case.reference, "nonce": "guess"}, salt="wrong-salt")
        with pytest.raises(InvitationInvalid, match="not valid"):
            invitation_claim(token=forged, user=survivor)
        with pytest.raises(InvitationInvalid, match="not valid"):
            invitation_claim(token=token[:-2] + "xx", user=survivor)
        with pytest.raises(PermissionDenied):
            invitation_claim(token=token, user=caseworker)
        case.refresh_from_db()
        assert case.survivor is None

    def test_the_invitation_is_an_email_in_the_outbox_sent_at_once(self, caseworker, mailoutbox):
        from outbox.models import EmailKind, EmailStatus

        case = case_open_for_caller(
            pseudonym="Caller", contact_email="c@example.test", acting_user=caseworker
        )
        link = "https://leakcase.example/invitations/token/"
        email = invitation_email_send(case=case, link=link)
        assert (email.kind, email.status, email.to_address) == (
            EmailKind.INVITATION,
            EmailStatus.SENT,
            "c@example.test",
        )
        (message,) = mailoutbox
        assert message.to == ["c@example.test"] and link in message.body
        assert message.extra_headers["Message-ID"] == email.message_id
        assert "Caller" not in message.subject + message.body  # not the case's name

    def test_no_invitation_for_a_case_that_has_an_account(self, case, caseworker):
        with pytest.raises(ValidationError, match="already belongs"):
            invitation_issue(case=case, acting_user=caseworker)


def test_triage_sets_the_country_that_decides_legal_routes(case, caseworker):
    from platforms.models import Platform
    from takedowns.selectors import bases_offered

    reddit = Platform.objects.get(slug="reddit")
    case_file_triage(
        case=case,
        priority="normal",
        involves_minor=False,
        threats_or_extortion=False,
        jurisdiction="US",
        acting_user=caseworker,
    )
    case.refresh_from_db()
    assert case.jurisdiction == "US"
    assert "dsa" not in bases_offered(case, reddit)
    (event,) = _events(case, EventKind.TRIAGED)
    assert (event.old_value["jurisdiction"], event.new_value["jurisdiction"]) == ("", "US")

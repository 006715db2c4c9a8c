import datetime as dt
import smtplib
import threading
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from cases.models import Case, CaseEvent, EventKind
from evidence.models import Sighting
from evidence.services import sighting_log, sightings_log_pasted
from leakcase.locking import StateChanged
from monitoring.models import Outcome
from monitoring.recheck import Verdict
from monitoring.services import sighting_checks_record
from platforms.models import Platform
from takedowns import notices
from takedowns.models import Correspondence, TakedownRequest
from takedowns.selectors import notice_for, recipient_needs_approval
from takedowns.services import (
    SURVIVOR_NOTICES_PER_HOUR,
    add_business_days,
    add_months,
    takedown_approve_recipient,
    takedown_confirm_decision,
    takedown_escalate,
    takedown_mark_submitted,
    takedown_record_counter_notice,
    takedown_record_reply,
    takedown_send_email,
    takedown_update_draft,
    takedowns_close_for_removed_sightings,
    takedowns_draft,
    takedowns_host_changed,
    takedowns_reopen_for_reappeared,
)

# What the outbox's delivery hands each email to (tests run on the locmem backend).
MAIL_SERVER = "django.core.mail.backends.locmem.EmailBackend.send_messages"
COMPLETE = {
    "signer_name": "Rose Example",
    "contact_email": "rose@example.test",
    "content_description": "Two intimate photos.",
    "confirms_no_consent": True,
    "confirms_good_faith": True,
}


@pytest.fixture
def three_platforms(case, survivor):
    text = "\n".join(
        [
            "https://www.dropbox.com/s/one/a.jpg",
            "https://www.dropbox.com/s/two/b.jpg",
            "https://x.com/someone/status/1",
            "https://files.locker.example/d/1",
            "https://files.locker.example/d/2",
            "https://other.example/leak",
        ]
    )
    return sightings_log_pasted(case=case, text=text, acting_user=survivor).saved


def _by_recipient(drafts):
    return {d.recipient: sorted(s.url for s in d.sightings.all()) for d in drafts}


def test_one_draft_per_platform_and_one_per_unknown_host(case, caseworker, three_platforms):
    drafts = takedowns_draft(case=case, sightings=three_platforms, acting_user=caseworker)
    assert _by_recipient(drafts) == {
        "Dropbox": ["https://www.dropbox.com/s/one/a.jpg", "https://www.dropbox.com/s/two/b.jpg"],
        "X (Twitter)": ["https://x.com/someone/status/1"],
        "Unknown platform (files.locker.example)": [
            "https://files.locker.example/d/1",
            "https://files.locker.example/d/2",
        ],
        "Unknown platform (other.example)": ["https://other.example/leak"],
    }
    assert CaseEvent.objects.filter(kind=EventKind.TAKEDOWN_DRAFTED).count() == 4
    # Drafting again adds to the open drafts instead of making new ones.
    again = takedowns_draft(case=case, sightings=three_platforms[:1], acting_user=caseworker)
    assert again[0] in drafts
    assert TakedownRequest.objects.count() == 4


@pytest.mark.parametrize("status", ["unreachable", "unknown"])
def test_a_link_our_check_cannot_reach_can_be_drafted(case, caseworker, three_platforms, status):
    """Up, as far as we know: a site that blocks robots or times out is still asked."""
    Sighting.objects.filter(pk=three_platforms[0].pk).update(status=status)
    three_platforms[0].refresh_from_db()
    (draft,) = takedowns_draft(case=case, sightings=three_platforms[:1], acting_user=caseworker)
    assert list(draft.sightings.all()) == [three_platforms[0]]


def test_a_link_she_removed_from_her_list_cannot_be_drafted(case, caseworker, three_platforms):
    Sighting.objects.filter(pk=three_platforms[0].pk).update(withdrawn_at=timezone.now())
    three_platforms[0].refresh_from_db()
    with pytest.raises(ValidationError, match="Only links that are up"):
        takedowns_draft(case=case, sightings=three_platforms[:1], acting_user=caseworker)


def test_only_live_sightings_of_this_case(case, caseworker, three_platforms, other_survivor):
    Sighting.objects.filter(pk=three_platforms[0].pk).update(status="removed")
    three_platforms[0].refresh_from_db()
    with pytest.raises(ValidationError, match="Only links that are up, or up as far as we know"):
        takedowns_draft(case=case, sightings=three_platforms[:1], acting_user=caseworker)
    from cases.services import case_open

    other = case_open(survivor=other_survivor, pseudonym="B", acting_user=other_survivor)
    foreign = sighting_log(case=other, url="https://x.com/b", acting_user=other_survivor)
    with pytest.raises(ValidationError, match="at least one"):
        takedowns_draft(case=case, sightings=[foreign], acting_user=caseworker)
    assert not TakedownRequest.objects.exists()


@pytest.fixture
def dropbox_draft(case, caseworker, three_platforms, consent):
    drafts = takedowns_draft(case=case, sightings=three_platforms[:2], acting_user=caseworker)
    return drafts[0]


def test_an_incomplete_notice_cannot_be_sent(dropbox_draft, caseworker, mailoutbox):
    with pytest.raises(ValidationError) as excinfo:
        takedown_send_email(takedown=dropbox_draft, acting_user=caseworker)
    assert any("Signature" in m for m in excinfo.value.messages)
    assert mailoutbox == []
    dropbox_draft.refresh_from_db()
    assert dropbox_draft.status == "draft"
    assert not Correspondence.objects.exists()


def test_sending_by_email_freezes_the_notice_and_starts_the_48_hour_clock(
    dropbox_draft, caseworker, mailoutbox
):
    takedown_update_draft(takedown=dropbox_draft, acting_user=caseworker, **COMPLETE)
    sent_at = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
    with time_machine.travel(sent_at, tick=False):
        takedown_send_email(takedown=dropbox_draft, acting_user=caseworker)
    dropbox_draft.refresh_from_db()
    (message,) = mailoutbox
    assert message.to == [Platform.objects.get(slug="dropbox").abuse_email]
    for sighting in dropbox_draft.sightings.all():
        assert sighting.url in message.body
        assert sighting.action_due_at is None  # covered now
    assert message.reply_to == [f"replies+{dropbox_draft.pk.hex}@leakcase.invalid"]
    letter = Correspondence.objects.get()
    assert letter.status == "sent"
    assert message.extra_headers["Message-ID"] == letter.message_id
    assert dropbox_draft.status == "sent"
    assert dropbox_draft.notice_text == message.body == letter.body
    assert dropbox_draft.notice_template == "take_it_down-v1"
    assert dropbox_draft.due_at == sent_at + dt.timedelta(hours=48)
    event = CaseEvent.objects.get(kind=EventKind.TAKEDOWN_SENT)
    assert event.old_value == {"status": "draft"} and event.new_value["status"] == "sent"
    # Frozen: the draft can no longer change.
    with pytest.raises(ValidationError, match="already sent"):
        takedown_update_draft(takedown=dropbox_draft, acting_user=caseworker, signer_name="X")


def test_the_notice_is_an_email_in_the_outbox_that_its_letter_points_at(
    dropbox_draft, caseworker, mailoutbox
):
    from outbox.models import EmailKind, EmailStatus

    takedown_update_draft(takedown=dropbox_draft, acting_user=caseworker, **COMPLETE)
    takedown_send_email(takedown=dropbox_draft, acting_user=caseworker)
    letter = Correspondence.objects.select_related("email").get()
    email = letter.email
    assert (email.kind, email.status, email.attempts) == (EmailKind.NOTICE, EmailStatus.SENT, 1)
    assert (email.to_address, email.message_id, email.subject) == (
        "abuse@dropbox.com",
        letter.message_id,
        letter.subject,
    )
    assert email.body_text == ""  # its text is the letter's, kept there
    assert letter.sent_at == email.sent_at


def test_a_notice_whose_page_stopped_before_sending_is_sent_and_settled_later(
    dropbox_draft, caseworker, mailoutbox
):
    """The web process stopped after writing the letter and its email, before sending it:
    the outbox's periodic run sends it once its writer's moment has passed, and the next
    reminder run settles the letter, which marks the request sent, by her caseworker."""
    from outbox.services import AT_ONCE_GRACE, outgoing_deliver
    from takedowns.tasks import send_reminders

    takedown_update_draft(takedown=dropbox_draft, acting_user=caseworker, **COMPLETE)
    written = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
    with (
        time_machine.travel(written, tick=False),
        mock.patch("takedowns.services.outgoing_send_now"),  # stopped here
        pytest.raises(StateChanged, match="already being sent"),
    ):
        takedown_send_email(takedown=dropbox_draft, acting_user=caseworker)
    assert mailoutbox == []
    with time_machine.travel(written + AT_ONCE_GRACE, tick=False):
        assert outgoing_deliver().sent == 1
        send_reminders()
    dropbox_draft.refresh_from_db()
    assert (dropbox_draft.status, dropbox_draft.sent_at) == ("sent", written + AT_ONCE_GRACE)
    assert dropbox_draft.notice_text == mailoutbox[0].body
    assert Correspondence.objects.get().status == "sent"
    event = CaseEvent.objects.get(kind=EventKind.TAKEDOWN_SENT)
    assert event.actor == caseworker and event.new_value["channel"] == "email"


def test_a_failed_email_is_recorded_and_nothing_is_marked_sent(dropbox_draft, caseworker):
    takedown_update_draft(takedown=dropbox_draft, acting_user=caseworker, **COMPLETE)
    refused = smtplib.SMTPRecipientsRefused({"abuse@dropbox.com": (550, b"no such user")})
    with (
        mock.patch(MAIL_SERVER, side_effect=refused),
        pytest.raises(ValidationError, match="could not be sent"),
    ):
        takedown_send_email(takedown=dropbox_draft, acting_user=caseworker)
    dropbox_draft.refresh_from_db()
    assert dropbox_draft.status == "draft" and dropbox_draft.sent_at is None
    letter = Correspondence.objects.get()
    assert letter.status == "failed"
    assert "SMTPRecipientsRefused" in letter.error


def test_web_form_submission_keeps_the_ticket_and_uses_the_platforms_hours(
    case, caseworker, three_platforms, consent
):
    x_draft = takedowns_draft(case=case, sightings=[three_platforms[2]], acting_user=caseworker)[0]
    Platform.objects.filter(slug="x-twitter").update(expected_response_hours=72)
    x_draft.platform.refresh_from_db()
    takedown_update_draft(
        takedown=x_draft, acting_user=caseworker, legal_basis="platform_policy", **COMPLETE
    )
    with pytest.raises(ValidationError, match="ticket"):
        takedown_mark_submitted(takedown=x_draft, ticket_number="  ", acting_user=caseworker)
    takedown_mark_submitted(takedown=x_draft, ticket_number="X-12345", acting_user=caseworker)
    x_draft.refresh_from_db()
    assert (x_draft.status, x_draft.channel, x_draft.ticket_number) == (
        "sent",
        "web_form",
        "X-12345",
    )
    assert x_draft.due_at - x_draft.sent_at == dt.timedelta(hours=72)


@pytest.fixture
def sent(dropbox_draft, caseworker):
    takedown_update_draft(takedown=dropbox_draft, acting_user=caseworker, **COMPLETE)
    return takedown_mark_submitted(
        takedown=dropbox_draft, ticket_number="T1", acting_user=caseworker
    )


def test_replies_move_the_request_along(sent, caseworker):
    takedown_record_reply(
        takedown=sent, body="We got it.", decision="acknowledged", acting_user=caseworker
    )
    assert sent.acknowledged_at is not None
    takedown_record_reply(
        takedown=sent,
        body="Removed.",
        decision="removed",
        reasons="Policy breach",
        acting_user=caseworker,
    )
    sent.refresh_from_db()
    assert (
        sent.status == "removed" and sent.removed_at and sent.decision_reasons == "Policy breach"
    )
    with pytest.raises(ValidationError, match="cannot become"):
        takedown_record_reply(
            takedown=sent, body="?", decision="acknowledged", acting_user=caseworker
        )
    assert Correspondence.objects.filter(direction="in").count() == 2


def test_a_dsa_decision_opens_a_six_month_complaint_window(sent, caseworker):
    TakedownRequest.objects.filter(pk=sent.pk).update(legal_basis="dsa")
    sent.refresh_from_db()
    with time_machine.travel(dt.datetime(2026, 8, 31, 12, tzinfo=dt.UTC), tick=False):
        takedown_record_reply(
            takedown=sent, body="No.", decision="rejected", acting_user=caseworker
        )
    assert sent.complaint_deadline == dt.date(2027, 2, 28)


def test_a_dmca_counter_notice_sets_the_restore_window(sent, caseworker):
    with pytest.raises(ValidationError, match="only for DMCA"):
        takedown_record_counter_notice(
            takedown=sent, received_on=dt.date(2026, 11, 2), body="", acting_user=caseworker
        )
    TakedownRequest.objects.filter(pk=sent.pk).update(legal_basis="dmca")
    sent.refresh_from_db()
    # Monday 2 Nov 2026: 10 business days -> Monday 16 Nov; 14 -> Friday 20 Nov.
    takedown_record_counter_notice(
        takedown=sent, received_on=dt.date(2026, 11, 2), body="I object.", acting_user=caseworker
    )
    assert (sent.restore_window_from, sent.restore_window_to) == (
        dt.date(2026, 11, 16),
        dt.date(2026, 11, 20),
    )


def test_escalation(sent, caseworker):
    with pytest.raises(ValidationError, match="Say where"):
        takedown_escalate(takedown=sent, to=" ", acting_user=caseworker)
    takedown_escalate(
        takedown=sent, to="Hosting provider (Example Hosting)", acting_user=caseworker
    )
    assert sent.status == "escalated"
    takedown_record_reply(takedown=sent, body="Done", decision="removed", acting_user=caseworker)
    with pytest.raises(ValidationError, match="cannot be escalated"):
        takedown_escalate(takedown=sent, to="Regulator", acting_user=caseworker)


def test_date_helpers():
    assert add_business_days(dt.date(2026, 11, 6), 1) == dt.date(2026, 11, 9)  # Fri -> Mon
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 11, 15), 6) == dt.date(2027, 5, 15)


def test_a_second_send_of_the_same_notice_is_refused(dropbox_draft, caseworker, mailoutbox):
    takedown_update_draft(takedown=dropbox_draft, acting_user=caseworker, **COMPLETE)
    # Another tab's attempt is in flight: its pending row is already there.
    Correspondence.objects.create(
        takedown=dropbox_draft, direction="out", kind="notice", channel="email", status="pending"
    )
    with pytest.raises(ValidationError, match="already being sent"):
        takedown_send_email(takedown=dropbox_draft, acting_user=caseworker)
    assert mailoutbox == []


def test_a_failed_attempt_does_not_block_a_retry(dropbox_draft, caseworker, mailoutbox):
    takedown_update_draft(takedown=dropbox_draft, acting_user=caseworker, **COMPLETE)
    with (
        mock.patch(MAIL_SERVER, side_effect=OSError("down")),
        pytest.raises(ValidationError),
    ):
        takedown_send_email(takedown=dropbox_draft, acting_user=caseworker)
    takedown_send_email(takedown=dropbox_draft, acting_user=caseworker)
    assert len(mailoutbox) == 1
    assert sorted(Correspondence.objects.values_list("status", flat=True)) == ["failed", "sent"]


# --- no mail relay: addresses outside the directory, and a limit per account -------------

VICTIM = "victim@example.org"


def _unknown_site_draft(case, survivor, host="leak-site.example", recipient=VICTIM):
    """A survivor's own draft for a site with no directory entry, naming her recipient."""
    sighting = sighting_log(case=case, url=f"https://{host}/p/1", acting_user=survivor)
    (draft,) = takedowns_draft(case=case, sightings=[sighting], acting_user=survivor)
    return takedown_update_draft(
        takedown=draft, acting_user=survivor, recipient_email=recipient, **COMPLETE
    )


def test_an_address_outside_the_directory_is_not_emailed_until_a_caseworker_approves_it(
    case, survivor, caseworker, consent, mailoutbox
):
    draft = _unknown_site_draft(case, survivor)
    with pytest.raises(ValidationError, match="A caseworker must approve this address first"):
        takedown_send_email(takedown=draft, acting_user=survivor)
    assert mailoutbox == []
    assert not Correspondence.objects.exists()
    draft.refresh_from_db()
    assert draft.status == "draft"

    with pytest.raises(PermissionDenied):
        takedown_approve_recipient(takedown=draft, acting_user=survivor)
    approved_at = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(approved_at, tick=False):
        takedown_approve_recipient(takedown=draft, acting_user=caseworker)
    draft.refresh_from_db()
    assert (draft.recipient_approved_email, draft.recipient_approved_by) == (VICTIM, caseworker)
    assert draft.recipient_approved_at == approved_at
    event = CaseEvent.objects.get(kind=EventKind.RECIPIENT_APPROVED)
    assert (event.actor, event.new_value) == (caseworker, {"recipient_email": VICTIM})

    takedown_send_email(takedown=draft, acting_user=survivor)
    (message,) = mailoutbox
    assert message.to == [VICTIM]


def test_an_approval_holds_for_the_address_approved_only(case, survivor, caseworker, consent):
    draft = _unknown_site_draft(case, survivor)
    takedown_approve_recipient(takedown=draft, acting_user=caseworker)
    takedown_update_draft(takedown=draft, acting_user=survivor, recipient_email="else@example.org")
    with pytest.raises(ValidationError, match="A caseworker must approve this address first"):
        takedown_send_email(takedown=draft, acting_user=survivor)
    assert not Correspondence.objects.exists()


def test_a_directory_address_needs_no_approval(case, survivor, caseworker, consent, mailoutbox):
    # The site's host turns out to be Dropbox: its abuse desk is in the directory.
    draft = _unknown_site_draft(case, survivor, recipient="Abuse@Dropbox.com")
    with pytest.raises(ValidationError, match="needs no approval"):
        takedown_approve_recipient(takedown=draft, acting_user=caseworker)
    takedown_send_email(takedown=draft, acting_user=survivor)
    assert mailoutbox[0].to == ["Abuse@Dropbox.com"]


def test_emailed_notices_are_limited_per_account(case, survivor, caseworker, consent, mailoutbox):
    drafts = [
        _unknown_site_draft(
            case, survivor, host=f"site{n}.example", recipient=f"abuse@{n}.example"
        )
        for n in range(SURVIVOR_NOTICES_PER_HOUR + 2)
    ]
    for draft in drafts:
        takedown_approve_recipient(takedown=draft, acting_user=caseworker)
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    for minute, draft in enumerate(drafts[:SURVIVOR_NOTICES_PER_HOUR]):
        with time_machine.travel(start + dt.timedelta(minutes=minute), tick=False):
            takedown_send_email(takedown=draft, acting_user=survivor)
    over = drafts[SURVIVOR_NOTICES_PER_HOUR]
    with (
        time_machine.travel(start + dt.timedelta(minutes=30), tick=False),
        pytest.raises(ValidationError, match="in the last hour") as refused,
    ):
        takedown_send_email(takedown=over, acting_user=survivor)
    # Her first notice left at 09:00: a place frees at 10:00.
    assert refused.value.messages == [
        f"{SURVIVOR_NOTICES_PER_HOUR} notices have been emailed from this account in the last "
        "hour, the most one account may send. The next can go at 10:00 UTC."
    ]
    assert len(mailoutbox) == SURVIVOR_NOTICES_PER_HOUR
    assert not Correspondence.objects.filter(takedown=over).exists()
    over.refresh_from_db()
    assert over.status == "draft"
    # The limit is hers: her caseworker's sending is counted apart.
    with time_machine.travel(start + dt.timedelta(minutes=31), tick=False):
        takedown_send_email(takedown=over, acting_user=caseworker)
    # An hour after her first notice, her own next one goes.
    with time_machine.travel(start + dt.timedelta(hours=1, seconds=1), tick=False):
        takedown_send_email(takedown=drafts[-1], acting_user=survivor)
    assert len(mailoutbox) == SURVIVOR_NOTICES_PER_HOUR + 2
    assert Correspondence.objects.filter(created_by=survivor).count() == (
        SURVIVOR_NOTICES_PER_HOUR + 1
    )


# --- her consent, and her address ---------------------------------------------------------


def test_nothing_is_emailed_or_marked_submitted_for_her_without_her_consent(
    case, caseworker, three_platforms, mailoutbox
):
    (draft,) = takedowns_draft(case=case, sightings=three_platforms[:2], acting_user=caseworker)
    takedown_update_draft(takedown=draft, acting_user=caseworker, **COMPLETE)
    with pytest.raises(ValidationError, match="her consent to LeakCase writing to platforms"):
        takedown_send_email(takedown=draft, acting_user=caseworker)
    with pytest.raises(ValidationError, match="her consent to LeakCase writing to platforms"):
        takedown_mark_submitted(takedown=draft, ticket_number="T-1", acting_user=caseworker)
    assert mailoutbox == []
    assert not Correspondence.objects.exists()
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert not CaseEvent.objects.filter(kind=EventKind.TAKEDOWN_SENT).exists()


def test_she_needs_her_own_consent_for_an_email_but_not_to_record_her_own_submission(
    case, survivor, three_platforms, mailoutbox
):
    """An email goes from LeakCase's address, reminders after it: only with her consent,
    even when she presses the button. A web form she filled in herself was her own act."""
    x_draft, dropbox_draft = (
        takedowns_draft(case=case, sightings=[s], acting_user=survivor)[0]
        for s in (three_platforms[2], three_platforms[0])
    )
    for draft in (x_draft, dropbox_draft):
        takedown_update_draft(takedown=draft, acting_user=survivor, **COMPLETE)
    with pytest.raises(ValidationError, match="only with your consent"):
        takedown_send_email(takedown=dropbox_draft, acting_user=survivor)
    assert mailoutbox == []
    takedown_mark_submitted(takedown=x_draft, ticket_number="X-9", acting_user=survivor)
    assert x_draft.status == "sent"


def test_a_notice_gives_the_services_address_unless_she_chose_her_own(
    case, survivor, caseworker, three_platforms, consent, mailoutbox
):
    from cases.services import case_set_notice_contact

    (draft,) = takedowns_draft(case=case, sightings=three_platforms[:2], acting_user=caseworker)
    assert draft.contact_email == ""
    takedown_update_draft(
        takedown=draft,
        acting_user=caseworker,
        **{**COMPLETE, "contact_email": ""},
    )
    service_address = f"replies+{draft.pk.hex}@leakcase.invalid"
    preview = notices.render(notice_for(draft))
    assert f"Email: {service_address}" in preview
    assert survivor.email not in preview

    # Her own address typed in by hand is refused while she has not chosen it.
    takedown_update_draft(takedown=draft, acting_user=caseworker, contact_email=survivor.email)
    with pytest.raises(ValidationError, match="the survivor's own address"):
        takedown_send_email(takedown=draft, acting_user=caseworker)
    assert mailoutbox == []

    case_set_notice_contact(case=case, notice_contact="own_email", acting_user=survivor)
    takedown_update_draft(takedown=draft, acting_user=caseworker, contact_email="")
    draft.case.refresh_from_db()
    takedown_send_email(takedown=draft, acting_user=caseworker)
    assert f"Email: {survivor.email}" in mailoutbox[0].body
    assert service_address not in mailoutbox[0].body


# --- outcomes she records herself ---------------------------------------------------------


def test_an_outcome_she_records_is_marked_hers_until_staff_confirm_it(sent, survivor, caseworker):
    takedown_record_reply(
        takedown=sent, body="Your report: removed.", decision="removed", acting_user=survivor
    )
    sent.refresh_from_db()
    assert sent.status == "removed"
    assert sent.decision_by_survivor and sent.decision_awaits_confirmation
    reply = Correspondence.objects.get(direction="in")
    assert reply.created_by == survivor
    assert CaseEvent.objects.get(kind=EventKind.TAKEDOWN_REPLY).new_value == {
        "status": "removed",
        "by_survivor": True,
    }

    with pytest.raises(PermissionDenied):
        takedown_confirm_decision(takedown=sent, acting_user=survivor)
    confirmed_at = dt.datetime(2026, 11, 3, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(confirmed_at, tick=False):
        takedown_confirm_decision(takedown=sent, acting_user=caseworker)
    sent.refresh_from_db()
    assert (sent.decision_confirmed_by, sent.decision_confirmed_at) == (caseworker, confirmed_at)
    assert not sent.decision_awaits_confirmation
    event = CaseEvent.objects.get(kind=EventKind.DECISION_CONFIRMED)
    assert (event.actor, event.new_value) == (caseworker, {"status": "removed"})
    with pytest.raises(ValidationError, match="no outcome she recorded"):
        takedown_confirm_decision(takedown=sent, acting_user=caseworker)


def test_an_outcome_staff_record_needs_no_confirmation(sent, caseworker):
    takedown_record_reply(takedown=sent, body="Gone.", decision="removed", acting_user=caseworker)
    sent.refresh_from_db()
    assert not sent.decision_by_survivor and not sent.decision_awaits_confirmation


@pytest.mark.django_db(transaction=True)
def test_two_tabs_at_the_limit_send_one_notice_between_them(
    platform_directory, case, survivor, caseworker, consent
):
    """Her last place in the hour, taken from two tabs at once: her account's row is locked
    while the notices are counted, so exactly one goes."""
    import threading

    from django.core import mail
    from django.db import connection

    drafts = [
        _unknown_site_draft(case, survivor, host=f"tab{n}.example", recipient=f"a@{n}.example")
        for n in range(SURVIVOR_NOTICES_PER_HOUR + 1)
    ]
    for draft in drafts:
        takedown_approve_recipient(takedown=draft, acting_user=caseworker)
    for draft in drafts[: SURVIVOR_NOTICES_PER_HOUR - 1]:
        takedown_send_email(takedown=draft, acting_user=survivor)
    mail.outbox.clear()
    barrier = threading.Barrier(2)
    outcomes = []

    def send(draft):
        try:
            barrier.wait()
            takedown_send_email(takedown=draft, acting_user=survivor)
            outcomes.append("sent")
        except ValidationError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(d,)) for d in drafts[-2:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["sending_limit", "sent"]
    assert len(mail.outbox) == 1
    assert Correspondence.objects.filter(created_by=survivor).count() == SURVIVOR_NOTICES_PER_HOUR


def _complete_draft(case, caseworker, sightings):
    (draft,) = takedowns_draft(case=case, sightings=sightings, acting_user=caseworker)
    takedown_update_draft(takedown=draft, acting_user=caseworker, **COMPLETE)
    return draft


def _send_by_email(pk, user):
    return takedown_send_email(takedown=TakedownRequest.objects.get(pk=pk), acting_user=user)


def _submit_by_form(pk, user):
    return takedown_mark_submitted(
        takedown=TakedownRequest.objects.get(pk=pk), ticket_number="T-77", acting_user=user
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("send", [_send_by_email, _submit_by_form])
def test_a_draft_edit_read_before_a_send_cannot_put_the_request_back_to_draft(
    platform_directory, case, consent, caseworker, other_caseworker, three_platforms,
    in_another_connection, mailoutbox, send,
):  # fmt: skip
    draft = _complete_draft(case, caseworker, three_platforms[:2])
    stale = TakedownRequest.objects.get(pk=draft.pk)  # her edit page
    in_another_connection(send, draft.pk, other_caseworker)
    sent = TakedownRequest.objects.get(pk=draft.pk)
    with pytest.raises(StateChanged, match="changed meanwhile: it is now sent"):
        takedown_update_draft(
            takedown=stale, acting_user=caseworker, content_description="Something else"
        )
    row = TakedownRequest.objects.get(pk=draft.pk)
    assert (row.status, row.notice_text, row.sent_at, row.due_at, row.ticket_number) == (
        "sent",
        sent.notice_text,
        sent.sent_at,
        sent.due_at,
        sent.ticket_number,
    )
    assert row.notice_text and row.sent_at and row.content_description == "Two intimate photos."
    assert row.ticket_number == ("T-77" if send is _submit_by_form else "")
    # Still sent, so it cannot go out a second time.
    with pytest.raises(ValidationError, match="already sent"):
        _send_by_email(draft.pk, caseworker)
    assert Correspondence.objects.filter(kind="notice").count() == 1


def test_a_draft_cannot_change_while_its_notice_is_being_sent(dropbox_draft, caseworker):
    takedown_update_draft(takedown=dropbox_draft, acting_user=caseworker, **COMPLETE)
    Correspondence.objects.create(
        takedown=dropbox_draft, direction="out", kind="notice", channel="email", status="pending"
    )  # another tab's send, on its way to the mail server
    with pytest.raises(StateChanged, match="being sent right now"):
        takedown_update_draft(takedown=dropbox_draft, acting_user=caseworker, signer_name="X")
    dropbox_draft.refresh_from_db()
    assert dropbox_draft.signer_name == "Rose Example"


@pytest.mark.django_db(transaction=True)
def test_two_sends_of_one_draft_at_once_send_one_notice(
    platform_directory, case, consent, caseworker, other_caseworker, three_platforms,
    mailoutbox, monkeypatch,
):  # fmt: skip
    """The first send is at the mail server when the second click (and a colleague's
    web-form submission) arrive: they are refused plainly, one notice goes out."""
    from django.core.mail.backends import locmem

    draft = _complete_draft(case, caseworker, three_platforms[:2])
    second_tab = TakedownRequest.objects.get(pk=draft.pk)
    colleague = TakedownRequest.objects.get(pk=draft.pk)
    at_the_mail_server, go_on = threading.Event(), threading.Event()
    deliver = locmem.EmailBackend.send_messages

    def held(backend, messages):
        at_the_mail_server.set()
        go_on.wait(timeout=30)
        return deliver(backend, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", held)
    first = threading.Thread(target=_send_in_thread, args=(draft.pk, caseworker))
    first.start()
    try:
        assert at_the_mail_server.wait(timeout=30)
        with pytest.raises(ValidationError, match="already being sent"):
            takedown_send_email(takedown=second_tab, acting_user=caseworker)
        # Before, the web form's notice row hit the one-notice constraint: a 500.
        with pytest.raises(StateChanged, match="already being sent"):
            takedown_mark_submitted(
                takedown=colleague, ticket_number="T-1", acting_user=other_caseworker
            )
    finally:
        go_on.set()
        first.join()
    assert len(mailoutbox) == 1
    (letter,) = Correspondence.objects.filter(kind="notice")
    assert (letter.status, letter.channel) == ("sent", "email")
    row = TakedownRequest.objects.get(pk=draft.pk)
    assert (row.status, row.channel, row.ticket_number) == ("sent", "email", "")
    assert row.notice_text == mailoutbox[0].body
    assert CaseEvent.objects.filter(kind=EventKind.TAKEDOWN_SENT).count() == 1


def _send_in_thread(pk, user):
    try:
        _send_by_email(pk, user)
    finally:
        connection.close()


def _recheck_finds_removed(sighting_pks):
    """A recheck worker: every link of the request is gone."""
    sightings = Sighting.objects.select_related("case").filter(pk__in=sighting_pks)
    sighting_checks_record(checks=[(s, Verdict(outcome=Outcome.REMOVED)) for s in sightings])


def _acknowledge(stale, user):
    takedown_record_reply(
        takedown=stale, body="We got it.", decision="acknowledged", acting_user=user
    )


def _note_a_reply(stale, user):
    takedown_record_reply(takedown=stale, body="Still looking.", decision="", acting_user=user)


def _escalate(stale, user):
    takedown_escalate(takedown=stale, to="Hosting provider", acting_user=user)


def _counter_notice(stale, user):
    takedown_record_counter_notice(
        takedown=stale, received_on=dt.date(2026, 11, 2), body="I object.", acting_user=user
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("act", [_acknowledge, _note_a_reply, _escalate, _counter_notice])
def test_a_reply_read_before_a_recheck_closed_the_request_does_not_undo_the_removal(
    platform_directory, case, consent, caseworker, three_platforms, in_another_connection, act
):
    draft = _complete_draft(case, caseworker, three_platforms[:2])
    sent = _submit_by_form(draft.pk, caseworker)
    TakedownRequest.objects.filter(pk=sent.pk).update(legal_basis="dmca")  # counter-notices
    stale = TakedownRequest.objects.get(pk=sent.pk)  # her reply page, still "sent"
    in_another_connection(_recheck_finds_removed, [s.pk for s in three_platforms[:2]])
    closed = TakedownRequest.objects.get(pk=sent.pk)
    assert closed.status == "removed" and closed.removed_at is not None
    with pytest.raises(StateChanged, match="changed meanwhile: it is now removed"):
        act(stale, caseworker)
    row = TakedownRequest.objects.get(pk=sent.pk)
    assert (row.status, row.removed_at, row.escalated_to, row.counter_notice_on) == (
        "removed",
        closed.removed_at,
        "",
        None,
    )
    assert not Correspondence.objects.filter(direction="in").exists()


# --- a draft's edits on the timeline ----------------------------------------------------


def test_a_draft_edit_records_which_fields_changed_and_the_route_with_its_values(
    dropbox_draft, caseworker
):
    takedown_update_draft(
        takedown=dropbox_draft,
        acting_user=caseworker,
        legal_basis="platform_policy",
        confirms_good_faith=True,
        **{k: v for k, v in COMPLETE.items() if k != "confirms_good_faith"},
    )
    event = CaseEvent.objects.get(kind=EventKind.TAKEDOWN_EDITED)
    assert (event.actor, event.target_id) == (caseworker, str(dropbox_draft.pk))
    assert event.old_value == {
        "legal_basis": "take_it_down",
        "confirms_no_consent": False,
        "confirms_good_faith": False,
    }
    assert event.new_value == {
        "changed": [
            "legal_basis",
            "signer_name",
            "contact_email",
            "content_description",
            "confirms_no_consent",
            "confirms_good_faith",
        ],
        "legal_basis": "platform_policy",
        "confirms_no_consent": True,
        "confirms_good_faith": True,
    }


def test_a_draft_edits_event_keeps_none_of_her_details(dropbox_draft, caseworker):
    """Her name, email, phone, postal address and what the images show are named as changed,
    never copied: the timeline is read by every caseworker on the case and goes into the
    evidence bundle; the values are on the request itself."""
    details = {
        "signer_name": "Rose Example",
        "contact_email": "rose@example.test",
        "contact_phone": "+44 7700 900123",
        "contact_address": "1 Example Street, Exampletown",
        "content_description": "Two intimate photos taken in 2024.",
        "illegality_explanation": "Shared without her consent.",
        "search_result_urls": "https://search.example/?q=rose",
    }
    takedown_update_draft(takedown=dropbox_draft, acting_user=caseworker, **details)
    takedown_update_draft(
        takedown=dropbox_draft, acting_user=caseworker, contact_phone="+44 7700 900999"
    )
    first, second = CaseEvent.objects.filter(kind=EventKind.TAKEDOWN_EDITED).order_by("id")
    assert first.new_value == {"changed": list(details)} and first.old_value == {}
    assert second.new_value == {"changed": ["contact_phone"]}
    kept = f"{first.old_value} {first.new_value} {second.old_value} {second.new_value}"
    for value in [*details.values(), "900999"]:
        assert value not in kept


def test_a_draft_saved_without_a_change_records_no_event(dropbox_draft, caseworker):
    takedown_update_draft(
        takedown=dropbox_draft, acting_user=caseworker, legal_basis=dropbox_draft.legal_basis
    )
    assert not CaseEvent.objects.filter(kind=EventKind.TAKEDOWN_EDITED).exists()


def test_a_draft_edit_refused_records_no_event(dropbox_draft, caseworker):
    with pytest.raises(ValidationError):
        takedown_update_draft(
            takedown=dropbox_draft, acting_user=caseworker, legal_basis="no_such_route"
        )
    assert not CaseEvent.objects.filter(kind=EventKind.TAKEDOWN_EDITED).exists()


# --- what rechecks found (called by monitoring.services.sighting_checks_record) --------------


def test_a_request_closes_once_every_link_it_covers_is_verified_removed(case, sent):
    first, second = sent.sightings.order_by("url")
    now = timezone.now()
    Sighting.objects.filter(pk=first.pk).update(status="removed")
    first.refresh_from_db()
    takedowns_close_for_removed_sightings(sightings=[first], now=now)
    sent.refresh_from_db()
    assert (sent.status, sent.removed_at) == ("sent", None)  # its other link is still up
    Sighting.objects.filter(pk=second.pk).update(status="removed")
    second.refresh_from_db()
    takedowns_close_for_removed_sightings(sightings=[first, second], now=now)
    sent.refresh_from_db()
    assert (sent.status, sent.removed_at) == ("removed", now)
    (event,) = CaseEvent.objects.filter(kind=EventKind.TAKEDOWN_REPLY)
    assert (event.actor, event.target_id, event.old_value, event.new_value) == (
        None,
        str(sent.pk),
        {"status": "sent"},
        {"status": "removed", "verified_by": "recheck"},
    )
    # The case's own status is the recheck's to move (monitoring), not this service's.
    assert Case.objects.get(pk=case.pk).status == case.status


def test_a_link_back_after_its_removal_puts_its_request_on_the_clock_again(case, sent):
    TakedownRequest.objects.filter(pk=sent.pk).update(
        status="removed", removed_at=timezone.now() - dt.timedelta(days=2)
    )
    link = sent.sightings.first()
    now = timezone.now()
    takedowns_reopen_for_reappeared(sighting=link, now=now)
    sent.refresh_from_db()
    assert (sent.status, sent.removed_at) == ("sent", None)
    assert sent.due_at == now + dt.timedelta(hours=sent.platform.expected_response_hours)
    (event,) = CaseEvent.objects.filter(kind=EventKind.TAKEDOWN_REPLY)
    assert (event.actor, event.old_value, event.new_value) == (
        None,
        {"status": "removed"},
        {"status": "sent", "reason": "reappeared"},
    )
    assert Case.objects.get(pk=case.pk).status == case.status


# --- who hosts it: unknown sites' drafts ----------------------------------------------------


def _hosted(host, *networks, registrar="Example Registrar, Inc.", at=None):
    from hosting.services import HostFacts, host_facts_record

    return host_facts_record(
        facts=HostFacts(
            host=host,
            looked_up_at=at or timezone.now(),
            registrar_name=registrar,
            registrar_abuse_email="abuse@registrar.example",
            registrar_source="RDAP rdap.verisign.com 2026-12-05T11:40Z",
            networks=list(networks),
        )
    )


def _network(address, owner, email):
    from hosting.services import NetworkFound

    return NetworkFound(
        address=address,
        owner=owner,
        abuse_email=email,
        source="RDAP rdap.arin.net 2026-12-05T11:40Z",
    )


def test_an_unknown_sites_draft_is_addressed_to_its_host_for_staff_to_confirm(
    case, caseworker, three_platforms
):
    _hosted(
        "files.locker.example",
        _network("203.0.113.7", "Bulletproof Hosting Ltd", "abuse@bulletproof.example"),
    )
    unknown = [s for s in three_platforms if s.host == "files.locker.example"]

    (draft,) = takedowns_draft(case=case, sightings=unknown, acting_user=caseworker)

    assert (draft.recipient_name, draft.recipient_email) == (
        "Bulletproof Hosting Ltd",
        "abuse@bulletproof.example",
    )
    # Addressed, not approved: nothing goes to it until a caseworker approves it.
    assert not draft.recipient_approved and draft.recipient_approved_email == ""
    assert draft.recipient_approved_by is None and draft.recipient_approved_at is None
    assert recipient_needs_approval(draft)
    event = CaseEvent.objects.get(case=case, kind=EventKind.TAKEDOWN_DRAFTED, target_id=draft.pk)
    assert event.new_value["recipient_from"] == "host: RDAP rdap.arin.net 2026-12-05T11:40Z"


def test_a_host_without_an_abuse_contact_leaves_the_draft_to_the_registrars(
    case, caseworker, three_platforms
):
    _hosted("files.locker.example", _network("203.0.113.7", "Quiet Hosting", ""))
    unknown = [s for s in three_platforms if s.host == "files.locker.example"]

    (draft,) = takedowns_draft(case=case, sightings=unknown, acting_user=caseworker)

    assert (draft.recipient_name, draft.recipient_email) == (
        "Example Registrar, Inc.",
        "abuse@registrar.example",
    )


def test_a_site_never_looked_up_is_drafted_unaddressed_and_looked_up_now(
    case, caseworker, three_platforms
):
    from hosting.models import Host

    unknown = [s for s in three_platforms if s.host == "other.example"]

    (draft,) = takedowns_draft(case=case, sightings=unknown, acting_user=caseworker)

    assert draft.recipient_email == ""
    assert Host.objects.get(name="other.example").next_lookup_at <= timezone.now()


def test_a_move_readdresses_an_unapproved_draft_and_leaves_an_approved_one(
    case, caseworker, three_platforms
):
    _hosted(
        "files.locker.example",
        _network("203.0.113.7", "Bulletproof Hosting Ltd", "abuse@bulletproof.example"),
    )
    unknown = [s for s in three_platforms if s.host == "files.locker.example"]
    (draft,) = takedowns_draft(case=case, sightings=unknown, acting_user=caseworker)
    moved = _hosted(
        "files.locker.example",
        _network("185.220.100.5", "New Host B.V.", "abuse@newhost.example"),
        at=timezone.now() + dt.timedelta(minutes=1),
    )
    assert moved.host_changed

    takedowns_host_changed(host="files.locker.example", now=timezone.now())

    draft.refresh_from_db()
    assert (draft.recipient_name, draft.recipient_email) == (
        "New Host B.V.",
        "abuse@newhost.example",
    )
    assert not draft.recipient_approved
    takedown_approve_recipient(takedown=draft, acting_user=caseworker)
    _hosted(
        "files.locker.example",
        _network("198.51.100.9", "Third Host", "abuse@third.example"),
        at=timezone.now() + dt.timedelta(minutes=2),
    )
    takedowns_host_changed(host="files.locker.example", now=timezone.now())
    draft.refresh_from_db()
    assert draft.recipient_email == "abuse@newhost.example"  # approved: staff's word stands


def test_look_up_again_is_for_unknown_sites_only(case, caseworker, three_platforms):
    from takedowns.services import NOT_AN_UNKNOWN_SITE, takedown_host_lookup_request

    drafts = takedowns_draft(case=case, sightings=three_platforms, acting_user=caseworker)
    dropbox = next(d for d in drafts if d.platform_id)
    with pytest.raises(ValidationError) as refused:
        takedown_host_lookup_request(takedown=dropbox, acting_user=caseworker)
    assert refused.value.messages == [NOT_AN_UNKNOWN_SITE]

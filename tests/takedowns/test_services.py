import datetime as dt
import smtplib
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import ValidationError

from cases.models import CaseEvent, EventKind
from evidence.models import Sighting
from evidence.services import sighting_log, sightings_log_pasted
from takedowns.models import Correspondence, Platform, TakedownRequest
from takedowns.services import (
    add_business_days,
    add_months,
    takedown_escalate,
    takedown_mark_submitted,
    takedown_record_counter_notice,
    takedown_record_reply,
    takedown_send_email,
    takedown_update_draft,
    takedowns_draft,
)

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


def test_only_live_sightings_of_this_case(case, caseworker, three_platforms, other_survivor):
    Sighting.objects.filter(pk=three_platforms[0].pk).update(status="removed")
    three_platforms[0].refresh_from_db()
    with pytest.raises(ValidationError, match="Only live sightings"):
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


def test_a_failed_email_is_recorded_and_nothing_is_marked_sent(dropbox_draft, caseworker):
    takedown_update_draft(takedown=dropbox_draft, acting_user=caseworker, **COMPLETE)
    refused = smtplib.SMTPRecipientsRefused({"abuse@dropbox.com": (550, b"no such user")})
    with (
        mock.patch("django.core.mail.EmailMessage.send", side_effect=refused),
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
        mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("down")),
        pytest.raises(ValidationError),
    ):
        takedown_send_email(takedown=dropbox_draft, acting_user=caseworker)
    takedown_send_email(takedown=dropbox_draft, acting_user=caseworker)
    assert len(mailoutbox) == 1
    assert sorted(Correspondence.objects.values_list("status", flat=True)) == ["failed", "sent"]

import datetime as dt
import json
import threading
import zoneinfo

import pytest
import time_machine
from django.db import connection

from accounts.models import Role, User
from cases.services import case_assign, case_open
from digests.models import WeeklyStatus
from digests.services import (
    digests_claim_due,
    weekly_status_run,
    weekly_status_unsubscribe,
    weekly_status_update,
    weekly_statuses_ensure,
)
from evidence.services import sighting_log
from outbox.models import EmailStatus, OutgoingEmail
from outbox.services import outgoing_deliver, outgoing_send_again
from takedowns.models import TakedownRequest
from tests.conftest import confirm_email
from tests.digests.conftest import NOW, due


@pytest.mark.django_db
class TestClaiming:
    def test_a_due_digest_is_claimed_once_and_moves_a_week_on(self, survivor, her_case):
        due(survivor)
        with time_machine.travel(NOW, tick=False):
            assert digests_claim_due() == (1, 1)
            assert digests_claim_due() == (0, 0)
        (email,) = OutgoingEmail.objects.all()
        assert email.counts["links_reported"] == 1
        assert email.status == EmailStatus.PENDING
        status = WeeklyStatus.objects.get(user=survivor)
        assert status.last_digest_at == NOW - dt.timedelta(minutes=1)
        assert status.next_digest_at == dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC)

    def test_no_open_case_means_no_email_but_the_week_moves_on(self, survivor):
        due(survivor)
        with time_machine.travel(NOW, tick=False):
            assert digests_claim_due() == (1, 0)
        assert not OutgoingEmail.objects.exists()
        assert WeeklyStatus.objects.get(user=survivor).next_digest_at > NOW

    def test_an_unconfirmed_address_gets_no_email_but_the_week_moves_on(
        self, survivor, mailoutbox
    ):
        """An address nobody confirmed may be mistyped, or someone else's."""
        unconfirmed = User.objects.create_user(email="unconfirmed@example.test")
        for person in (survivor, unconfirmed):
            case = case_open(survivor=person, pseudonym="Rose", acting_user=person)
            sighting_log(case=case, url="https://x.example/a", acting_user=person)
            due(person)
        with time_machine.travel(NOW, tick=False):
            report = weekly_status_run()
        assert report.sent == 1
        assert [m.to for m in mailoutbox] == [[survivor.email]]
        assert not OutgoingEmail.objects.filter(user=unconfirmed).exists()
        assert WeeklyStatus.objects.get(user=unconfirmed).next_digest_at > NOW

    def test_a_quiet_week_is_sent_unless_she_opted_out(self, survivor, other_survivor):
        for person in (survivor, other_survivor):
            case_open(survivor=person, pseudonym="P", acting_user=person)
        due(survivor)
        due(other_survivor, quiet_weeks=False)
        with time_machine.travel(NOW + dt.timedelta(days=30), tick=False):
            assert digests_claim_due() == (2, 1)
        (email,) = OutgoingEmail.objects.all()
        assert email.user == survivor and email.counts["quiet_week"] is True

    def test_off_and_inactive_people_are_not_due(self, survivor, other_survivor, her_case):
        due(survivor, enabled=False)
        case_open(survivor=other_survivor, pseudonym="P", acting_user=other_survivor)
        due(other_survivor)
        User.objects.filter(pk=other_survivor.pk).update(is_active=False)
        with time_machine.travel(NOW, tick=False):
            assert digests_claim_due() == (0, 0)

    def test_everyone_active_gets_a_default_schedule(self, survivor, caseworker):
        User.objects.create_user(email="gone@example.test", is_active=False)
        with time_machine.travel(NOW, tick=False):
            assert weekly_statuses_ensure() == 2
            assert weekly_statuses_ensure() == 0
        hers = WeeklyStatus.objects.get(user=survivor)
        staff = WeeklyStatus.objects.get(user=caseworker)
        assert (hers.weekday, hers.hour, hers.enabled) == (0, 9, True)
        assert staff.hour == 8
        # Monday 09:00 UTC exactly is now, so hers is next Monday.
        assert hers.next_digest_at == dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC)

    def test_settings_move_the_next_digest_and_off_clears_it(self, survivor):
        with time_machine.travel(NOW, tick=False):
            status = weekly_status_update(
                user=survivor,
                enabled=True,
                weekday=2,
                hour=18,
                time_zone="Europe/Berlin",
                quiet_weeks=False,
            )
            assert status.next_digest_at == dt.datetime(2026, 12, 2, 17, tzinfo=dt.UTC)
            status = weekly_status_update(
                user=survivor,
                enabled=False,
                weekday=2,
                hour=18,
                time_zone="Europe/Berlin",
                quiet_weeks=False,
            )
        assert status.next_digest_at is None

    def test_unsubscribe_turns_it_off_and_is_idempotent(self, survivor, other_survivor):
        due(survivor)
        assert weekly_status_unsubscribe(user_id=survivor.pk) is True
        assert weekly_status_unsubscribe(user_id=survivor.pk) is False
        status = WeeklyStatus.objects.get(user=survivor)
        assert (status.enabled, status.next_digest_at) == (False, None)
        # Someone the dispatcher has not seen yet is turned off too, before her first one.
        weekly_status_unsubscribe(user_id=other_survivor.pk)
        assert WeeklyStatus.objects.get(user=other_survivor).enabled is False


@pytest.mark.django_db
def test_each_survivor_gets_hers_at_her_monday_nine(mailoutbox):
    """Auckland and Los Angeles, both Monday 09:00: time frozen at each five-minute beat
    across a whole week, and each digest goes at her own 09:00."""
    people = {}
    start = dt.datetime(2026, 11, 25, 0, 0, tzinfo=dt.UTC)  # a Wednesday
    with time_machine.travel(start, tick=False):
        for zone in ("Pacific/Auckland", "America/Los_Angeles"):
            person = confirm_email(
                User.objects.create_user(email=f"{zone.split('/')[1].lower()}@example.test")
            )
            case_open(survivor=person, pseudonym="P", acting_user=person)
            weekly_status_update(
                user=person, enabled=True, weekday=0, hour=9, time_zone=zone, quiet_weeks=True
            )
            people[person.email] = zone
    sent_at = {}
    beat = start
    while beat < start + dt.timedelta(days=7):
        with time_machine.travel(beat, tick=False):
            before = len(mailoutbox)
            weekly_status_run()
            for message in mailoutbox[before:]:
                sent_at.setdefault(message.to[0], []).append(beat)
        beat += dt.timedelta(minutes=5)
    assert sent_at == {
        "auckland@example.test": [dt.datetime(2026, 11, 29, 20, 0, tzinfo=dt.UTC)],
        "los_angeles@example.test": [dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC)],
    }
    for email, (moment,) in sent_at.items():
        local = moment.astimezone(zoneinfo.ZoneInfo(people[email]))
        assert (local.strftime("%A"), local.hour, local.minute) == ("Monday", 9, 0)


@pytest.mark.django_db(transaction=True)
def test_two_beats_at_once_make_and_send_each_digest_once(mailoutbox):
    people = User.objects.bulk_create(
        User(email=f"p{i}@example.test", role=Role.SURVIVOR, password="!") for i in range(40)
    )
    for person in people:
        confirm_email(person)
        case_open(survivor=person, pseudonym="P", acting_user=person)
        due(person)
    errors = []
    start = threading.Barrier(2)

    def beat():
        try:
            start.wait()
            with time_machine.travel(NOW, tick=False):
                while digests_claim_due(batch=7).people:
                    pass
                outgoing_deliver()
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert OutgoingEmail.objects.count() == 40
    assert sorted(m.to[0] for m in mailoutbox) == sorted(p.email for p in people)


@pytest.mark.django_db
def test_every_change_to_weekly_emails_is_in_the_audit_trail(survivor, supervisor, her_case):
    from audit.models import AuditEvent, AuditKind

    weekly_status_update(
        user=survivor, enabled=True, weekday=1, hour=7, time_zone="Asia/Tokyo", quiet_weeks=True
    )
    weekly_status_unsubscribe(user_id=survivor.pk)
    email = OutgoingEmail.objects.create(
        user=survivor, kind="survivor_weekly", scheduled_for=NOW, status=EmailStatus.FAILED
    )
    outgoing_send_again(email=email, acting_user=supervisor)
    events = list(AuditEvent.objects.order_by("id").values("kind", "actor", "target", "detail"))
    assert events[-3:] == [
        {
            "kind": AuditKind.WEEKLY_EMAIL_SET,
            "actor": survivor.pk,
            "target": "",
            "detail": {"on": True},
        },
        {
            "kind": AuditKind.WEEKLY_EMAIL_SET,
            "actor": None,
            "target": f"user {survivor.pk}",
            "detail": {"on": False, "by": "unsubscribe link"},
        },
        {
            "kind": AuditKind.WEEKLY_EMAIL_RESENT,
            "actor": supervisor.pk,
            "target": f"user {survivor.pk}",
            "detail": {},
        },
    ]
    assert "Tokyo" not in str(events)  # where she lives is not the audit trail's business


def test_staff_digests_never_name_a_site_a_survivor_reported(
    survivor, caseworker, supervisor, mailoutbox
):
    """A platform from the directory is named; a site outside it is known only by the host
    she typed (which can name her, or the leak), so it is only counted."""
    case = case_open(survivor=survivor, pseudonym="Rose", acting_user=survivor)
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    url = "https://leak-site-xyz.example/u/rose-private/1"
    sighting = sighting_log(case=case, url=url, acting_user=survivor)
    reddit = sighting_log(case=case, url="https://www.reddit.com/r/x/1", acting_user=survivor)
    for platform, host in ((None, sighting.host), (reddit.platform, reddit.host)):
        TakedownRequest.objects.create(
            case=case,
            platform=platform,
            host=host,
            status="sent",
            created_by=caseworker,
            sent_at=NOW - dt.timedelta(days=5),
            due_at=NOW - dt.timedelta(days=3),
        )
    due(caseworker)
    due(supervisor)
    with time_machine.travel(NOW, tick=False):
        report = weekly_status_run()

    assert report.sent == 2
    for message in mailoutbox:
        html = message.alternatives[0][0]
        for shown in (message.subject, message.body, html):
            assert "leak-site-xyz" not in shown and "rose-private" not in shown
    for email in OutgoingEmail.objects.all():  # kept, and shown on the outbox and preview
        assert "leak-site-xyz" not in json.dumps(email.counts)
    (to_supervisor,) = [m for m in mailoutbox if m.to == [supervisor.email]]
    assert "Reddit: 1" in to_supervisor.body
    assert "Other sites, not in the directory: 1" in to_supervisor.body

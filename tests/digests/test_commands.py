import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from accounts.models import User
from cases.services import case_open
from digests.models import WeeklyStatus
from outbox.models import OutgoingEmail
from tests.digests.conftest import NOW, Week

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("send_weekly_status", *args, stdout=out)
    return out.getvalue().strip().splitlines()


@pytest.fixture
def due_week(survivor, caseworker, supervisor, other_survivor):
    week = Week(survivor, caseworker)
    for person in (survivor, caseworker, supervisor, other_survivor):
        WeeklyStatus.objects.create(user=person, next_digest_at=NOW - dt.timedelta(minutes=1))
    return week


def test_dry_run_prints_who_and_the_counts_and_sends_nothing(due_week, mailoutbox):
    lines = run("--dry-run")
    assert lines[-1] == "3 digest(s) would go out."
    assert (
        "survivor@example.test (survivor): 6 links, 1 removed this week, 2 removed in all, "
        "4 still up, 2 waiting on platforms, 3 for her to do"
    ) in lines
    assert "other@example.test (survivor): skipped, no open case" in lines
    assert any(line.startswith("caseworker@example.test (caseworker): 0 cases") for line in lines)
    assert any(
        "supervisor@example.test" in line and "service: 1 overdue" in line for line in lines
    )
    assert mailoutbox == []
    assert not OutgoingEmail.objects.exists()
    assert WeeklyStatus.objects.filter(next_digest_at__lte=NOW).count() == 4  # nothing claimed


def test_to_limits_the_run_to_one_person(due_week, survivor, mailoutbox):
    assert run("--dry-run", "--to", survivor.email)[-1] == "1 digest(s) would go out."
    lines = run("--to", survivor.email.upper())
    assert lines[-1].startswith("1 digest(s) claimed; 1 sent")
    assert [m.to for m in mailoutbox] == [[survivor.email]]
    # Now she is not due; the others still are.
    assert run("--dry-run", "--to", survivor.email)[-2] == (
        f"{survivor.email} is not due until 2026-12-07 09:00 UTC."
    )
    assert run("--dry-run")[-1] == "2 digest(s) would go out."


def test_an_unknown_address_is_a_clear_error(db):
    with pytest.raises(CommandError, match=r"No account has the email address nobody@x\.test"):
        run("--to", "nobody@x.test")


def test_dry_run_says_an_unconfirmed_address_is_skipped(due_week, mailoutbox):
    unconfirmed = User.objects.create_user(email="unconfirmed@example.test")
    case_open(survivor=unconfirmed, pseudonym="P", acting_user=unconfirmed)
    WeeklyStatus.objects.create(user=unconfirmed, next_digest_at=NOW - dt.timedelta(minutes=1))
    lines = run("--dry-run")
    assert "unconfirmed@example.test (survivor): skipped, email address not confirmed" in lines
    assert lines[-1] == "3 digest(s) would go out."

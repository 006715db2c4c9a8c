from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Role, User
from cases.models import Case
from casework.management.commands.seed_demo import DEMO_USERS
from evidence.models import EvidenceFile, Sighting


@pytest.fixture
def debug(settings):
    """bin/demo runs with DEBUG on (the test settings have it off, as production does)."""
    settings.DEBUG = True


def test_seed_demo_creates_users_and_a_case_and_prints_the_logins(db, debug):
    out = StringIO()
    call_command("seed_demo", "--password", "demo-pass-123456", stdout=out)
    text = out.getvalue()
    assert {u.role for u in User.objects.all()} == {
        Role.SURVIVOR,
        Role.CASEWORKER,
        Role.SUPERVISOR,
    }
    for user in User.objects.all():
        assert user.email in text
        assert user.check_password("demo-pass-123456")
        # Demo staff have the known second-factor key printed with the logins.
        has_totp = user.authenticator_set.filter(type="totp").exists()
        assert has_totp == (user.role != Role.SURVIVOR)
    assert "DEMOKEYDEMOKEYDEMOKEYDEMOKEYDEMO" in text
    case = Case.objects.get(survivor__email="survivor@demo.leakcase.test")
    assert case.reference in text
    assert case.assigned_to.role == Role.CASEWORKER
    # A conversation under way: the caseworker's message, her answer; and an internal note.
    assert case.notes.count() == 3
    assert case.notes.filter(from_survivor=True).count() == 1
    assert case.takedowns.count() == 4  # X, Reddit, Imgur and the unknown locker
    assert case.takedowns.get(status="sent").ticket_number == "DEMO-0001"
    # She consented, so the demo can send for her; the timeline says when and by whom.
    assert case.consent_to_contact_platforms
    assert case.events.get(kind="consent_given").actor == case.survivor
    # Her address stays out of the demo notice: it gives the service's reply address.
    sent = case.takedowns.get(status="sent")
    assert case.contact_email not in sent.notice_text
    assert f"replies+{sent.pk.hex}@" in sent.notice_text
    queued = Case.objects.get(survivor=None)
    assert queued.assigned_to is None and queued.priority == "urgent"
    assert Sighting.objects.filter(case=case).count() == 6
    # Made-up links: never handed to a worker that would go out on the internet.
    assert not Sighting.objects.filter(next_check_at__isnull=False).exists()
    assert Sighting.objects.filter(case=case, platform__name="X (Twitter)").count() == 2
    assert EvidenceFile.objects.filter(case=case).count() == 2


def test_seed_demo_runs_twice_without_doubling(db, debug):
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    assert User.objects.count() == 3
    assert Case.objects.count() == 2
    assert Sighting.objects.count() == 8


def test_seed_demo_refuses_to_run_with_debug_off_and_creates_nothing(db, settings):
    settings.DEBUG = False
    out = StringIO()
    with pytest.raises(CommandError, match=r"runs only with DEBUG on .* Nothing was created\."):
        call_command("seed_demo", stdout=out)
    assert not User.objects.exists()
    assert not Case.objects.exists()
    assert "DEMOKEY" not in out.getvalue()


def test_demo_addresses_count_as_confirmed(db, debug):
    """Weekly emails go only to confirmed addresses, and nobody can open a link sent to the
    demo domain: the demo's people are confirmed, so the demo shows its weekly emails."""
    from allauth.account.models import EmailAddress

    from accounts.selectors import email_is_verified

    call_command("seed_demo", stdout=StringIO())
    for email, _role, _name in DEMO_USERS:
        user = User.objects.get(email=email)
        assert email_is_verified(user), email
    assert EmailAddress.objects.filter(verified=True).count() == len(DEMO_USERS)

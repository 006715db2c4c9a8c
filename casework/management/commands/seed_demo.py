"""Demo users and a demo case, so a fresh checkout has something to look at.

Safe to run again: existing demo users and their case are left as they are. Runs only with
DEBUG on: the demo logins are printed in the README.
"""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import STAFF_ROLES, Role, User
from cases.models import Case, NoteVisibility
from cases.services import (
    case_assign,
    case_open,
    case_open_for_caller,
    case_set_consent,
    note_add,
)
from cases.thread_services import message_post
from evidence.demo_images import make_image, screenshot_of
from evidence.models import Sighting
from evidence.services import evidence_add, sightings_log_pasted
from takedowns.services import takedown_mark_submitted, takedown_update_draft, takedowns_draft

DEMO_USERS = [
    ("survivor@demo.leakcase.test", Role.SURVIVOR, ""),
    ("caseworker@demo.leakcase.test", Role.CASEWORKER, "Casey (caseworker)"),
    ("supervisor@demo.leakcase.test", Role.SUPERVISOR, "Sam (supervisor)"),
]
# Demo staff log in with a second factor like real staff; this known key (base32) goes into
# any authenticator app, or `python manage.py demo_login_code EMAIL` prints the current code.
DEMO_TOTP_SECRET = "DEMOKEYDEMOKEYDEMOKEYDEMOKEYDEMO"  # noqa: S105  (a demo key, printed)
DEMO_SIGHTINGS = """\
https://x.com/leaker_account/status/1790000000000000001?utm_source=share
https://twitter.com/leaker_account/status/1790000000000000002
https://www.reddit.com/r/example_forum/comments/abc123/post_title/
https://old.reddit.com/r/example_forum/comments/def456/another/
https://imgur.com/gallery/Zx9Yq2a
https://files.example-locker.net/d/8f2k1
"""


class Command(BaseCommand):
    help = "Create demo users (survivor, caseworker, supervisor) and a demo case."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo-password-2026")

    def handle(self, *args, password, **options):
        # Demo accounts have a published password and login key: on a real deployment they
        # would be a way in for anyone. bin/demo runs with DEBUG on; production never does.
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo makes accounts with a published password, so it runs only with "
                "DEBUG on (bin/demo sets DEBUG=true). Nothing was created."
            )
        with transaction.atomic():
            users = {}
            for email, role, name in DEMO_USERS:
                user = User.objects.filter(email=email).first()
                if user is None:
                    user = User.objects.create_user(
                        email=email, password=password, role=role, display_name=name
                    )
                users[role] = user
                if role in STAFF_ROLES and not user.authenticator_set.exists():
                    from allauth.mfa.totp.internal.auth import TOTP

                    TOTP.activate(user, DEMO_TOTP_SECRET)
                # Demo addresses count as confirmed: nobody can open a link sent to
                # demo.leakcase.test, and the weekly emails (printed to the worker's log)
                # go only to confirmed addresses.
                EmailAddress.objects.update_or_create(
                    user=user, email=email, defaults={"verified": True, "primary": True}
                )
            survivor = users[Role.SURVIVOR]
            case = Case.objects.filter(survivor=survivor).first()
            if case is None:
                case = case_open(survivor=survivor, pseudonym="Demo case", acting_user=survivor)
                # She has agreed that LeakCase writes to platforms for her: the demo can send.
                case_set_consent(case=case, given=True, acting_user=survivor)
                result = sightings_log_pasted(case=case, text=DEMO_SIGHTINGS, acting_user=survivor)
                for seed, sighting in enumerate(result.saved[:2], start=1):
                    screenshot = screenshot_of(make_image(seed=seed), seed=seed)
                    evidence_add(
                        case=case,
                        upload=SimpleUploadedFile(f"screenshot-{seed}.png", screenshot),
                        acting_user=survivor,
                        sighting=sighting,
                    )
                self._staff_demo(users)
                # The demo's links are made up: no worker should go out looking for them.
                Sighting.objects.filter(
                    case__survivor__email__endswith="@demo.leakcase.test"
                ).update(next_check_at=None)
                Sighting.objects.filter(
                    case__contact_email__endswith="@demo.leakcase.test"
                ).update(next_check_at=None)
        self.stdout.write(self.style.SUCCESS(f"Demo case {case.reference} is ready."))
        self.stdout.write(f"Log in with any of these (password: {password}):")
        for email, role, _ in DEMO_USERS:
            self.stdout.write(f"  {role.label:<11} {email}")
        self.stdout.write(
            f"Staff also enter a login code: add the key {DEMO_TOTP_SECRET} to an authenticator"
            " app, or run: python manage.py demo_login_code caseworker@demo.leakcase.test"
        )

    def _staff_demo(self, users):
        """Something for staff to work: the survivor's case taken by the caseworker with a
        shared note, an urgent case in the queue, and a case opened for a caller."""
        caseworker, supervisor = users[Role.CASEWORKER], users[Role.SUPERVISOR]
        case = Case.objects.get(survivor=users[Role.SURVIVOR])
        case_assign(case=case, to=caseworker, acting_user=caseworker)
        note_add(
            case=case,
            body="We have your links and are preparing the requests to each site.",
            visibility=NoteVisibility.SHARED,
            acting_user=caseworker,
        )
        # Her answer: the caseworker's caseload shows it as a new message from her.
        message_post(
            case=case,
            body="Thank you. Will you tell me when the first one is down?",
            acting_user=users[Role.SURVIVOR],
        )
        note_add(
            case=case,
            body="Survivor prefers email contact only; no phone calls.",
            visibility=NoteVisibility.INTERNAL,
            acting_user=caseworker,
        )
        # Requests for every live link, one per platform; the one to X already submitted.
        drafts = takedowns_draft(
            case=case, sightings=list(case.sightings.all()), acting_user=caseworker
        )
        x_request = next(d for d in drafts if d.platform and d.platform.slug == "x-twitter")
        takedown_update_draft(
            takedown=x_request,
            acting_user=caseworker,
            signer_name="Demo Survivor",
            signer_capacity="self",
            content_description="Intimate photos of me, posted without my consent.",
            confirms_no_consent=True,
            confirms_good_faith=True,
        )
        takedown_mark_submitted(
            takedown=x_request, ticket_number="DEMO-0001", acting_user=caseworker
        )
        queued = case_open_for_caller(
            pseudonym="Helpline caller (demo)",
            contact_email="caller@demo.leakcase.test",
            acting_user=supervisor,
            threats_or_extortion=True,
        )
        sightings_log_pasted(
            case=queued,
            text="https://t.me/some_channel/1234\nhttps://forum.example-board.net/t/5678",
            acting_user=supervisor,
        )
        case_assign(case=queued, to=None, acting_user=supervisor)

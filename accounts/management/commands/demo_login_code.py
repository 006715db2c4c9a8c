"""Print the current second-factor code of a demo account (seed_demo), so the demo can be
tried without an authenticator app. Refuses every account that is not a demo one."""

import time

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.core.management.base import BaseCommand, CommandError

DEMO_DOMAIN = "@demo.leakcase.test"
PERIOD = 30  # seconds, allauth's MFA_TOTP_PERIOD default


class Command(BaseCommand):
    help = "Print the current login code of a demo staff account."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        email = email.strip().lower()
        if not email.endswith(DEMO_DOMAIN):
            raise CommandError("Only demo accounts (seed_demo) have codes printed.")
        authenticator = Authenticator.objects.filter(
            user__email=email, type=Authenticator.Type.TOTP
        ).first()
        if authenticator is None:
            raise CommandError("That demo account has no second factor.")
        secret = decrypt(authenticator.data["secret"])
        self.stdout.write(format_hotp_value(hotp_value(secret, int(time.time()) // PERIOD)))

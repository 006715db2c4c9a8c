"""Reads about accounts."""

from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.models import User, UserSession


def sessions_for(user: User):
    """Her sessions that are still alive, most recently used first: the session row exists
    and neither the idle nor the absolute limit has passed (a session past them ends at its
    next request; until then it is no longer shown)."""
    now = timezone.now()
    alive = Session.objects.filter(expire_date__gt=now).values("session_key")
    return UserSession.objects.filter(
        user=user,
        session_key__in=alive,
        # Last seen is written once a minute: allow for that.
        last_seen_at__gt=now - timedelta(seconds=settings.SESSION_IDLE_TIMEOUT + 60),
        started_at__gt=now - timedelta(seconds=settings.SESSION_ABSOLUTE_LIFETIME),
    )


def has_second_factor(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def email_is_verified(user: User) -> bool:
    """Her login address is confirmed: she opened a link we sent to it (or accepted an
    invitation sent to it). Weekly emails go only to a confirmed address."""
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()

"""Reads about accounts."""

from allauth.mfa.models import Authenticator
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.models import User, UserSession


def sessions_for(user: User):
    """Her sessions that are still alive, most recently used first."""
    alive = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    return UserSession.objects.filter(user=user, session_key__in=alive)


def has_second_factor(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

"""Writes about accounts: the account's own part of her erasure; confirming her email
address; the sessions of a user (recorded at login, seen, ended); deactivation; her
language."""

import time
from datetime import UTC, datetime
from importlib import import_module

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts import signals
from accounts.browsers import describe_browser
from accounts.models import User, UserSession

# What a logged-in session carries about itself (epoch seconds; accounts/middleware.py).
SESSION_STARTED = "leakcase.started"
SESSION_SEEN = "leakcase.seen"
SESSION_RECORD = "leakcase.user_session"  # the UserSession id
SESSION_RECORD_KEY = "leakcase.session_key"  # the key that row was last told about
SESSION_SECOND_FACTOR = "leakcase.second_factor"  # the user has a TOTP authenticator


def account_delete(*, user: User) -> None:
    """The account's own part of her erasure (data_rights.services.account_erase), inside its
    transaction: her sessions, django-axes' records of her login, and her user row (allauth's
    addresses and her authenticators go with it by cascade)."""
    _sessions_of(user).delete()
    _erase_login_records(user)
    user.delete()


def _erase_login_records(user: User) -> None:
    """django-axes' rows that name her login (failed attempts, lockouts)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username=user.email.lower()).delete()


def _sessions_of(user: User):
    """Her session rows: those recorded at login, and any older one that names her."""
    keys = set(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    keys.update(
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now())
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    )
    return Session.objects.filter(session_key__in=keys)


# --- her email address ---------------------------------------------------------------------


def _login_address(user: User) -> EmailAddress:
    """allauth's record of her login address. Accounts made in the admin or by a command
    have none until it is needed."""
    address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
    if address is None:
        address = EmailAddress.objects.create(
            user=user,
            email=user.email.lower(),
            primary=not EmailAddress.objects.filter(user=user, primary=True).exists(),
        )
    return address


def email_verification_send(*, request, user: User) -> bool:
    """Send her a link that confirms her login address (allauth's own confirmation email and
    page). False when it is confirmed already, or a link went out in the last few minutes
    (allauth's limit: that link still works)."""
    from allauth.account.internal.flows.email_verification import (
        send_verification_email_to_address,
    )

    address = _login_address(user)
    if address.verified:
        return False
    return send_verification_email_to_address(request, address)


def email_verify_by_invitation(*, user: User, invited_email: str) -> bool:
    """She followed a claim link that was emailed to `invited_email`: if that is her login
    address, the link has proven she reads it, as a confirmation link would. True if her
    address is confirmed now."""
    if user.email.lower() != invited_email.strip().lower():
        return False
    # set_verified refuses when another account has this address confirmed already.
    return _login_address(user).set_verified()


# --- sessions ------------------------------------------------------------------------------


def session_record_login(*, request, user: User) -> UserSession:
    """At login (the session key is new by then): start the clocks and record the session."""
    now = time.time()
    session = request.session
    if not session.session_key:
        session.save()
    # Rows of her sessions that are gone (expired, cleared) go now, so they never pile up.
    alive = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    UserSession.objects.filter(user=user).exclude(session_key__in=alive).delete()
    record = UserSession.objects.create(
        user=user,
        session_key=session.session_key,
        started_at=datetime.fromtimestamp(now, tz=UTC),
        last_seen_at=datetime.fromtimestamp(now, tz=UTC),
        browser=describe_browser(request.META.get("HTTP_USER_AGENT", "")),
    )
    session[SESSION_STARTED] = now
    session[SESSION_SEEN] = now
    session[SESSION_RECORD] = str(record.pk)
    session[SESSION_RECORD_KEY] = session.session_key
    return record


def session_record_seen(*, request, now: float) -> None:
    """A request in a live session: move last seen on (the caller writes once a minute)."""
    session = request.session
    session[SESSION_SEEN] = now
    record_id = session.get(SESSION_RECORD)
    if record_id:
        # The key changes at a password change (cycle_key); the row follows it.
        UserSession.objects.filter(pk=record_id).update(
            last_seen_at=datetime.fromtimestamp(now, tz=UTC), session_key=session.session_key
        )
        session[SESSION_RECORD_KEY] = session.session_key


def session_record_logout(*, session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def _end(keys: list[str]) -> int:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    for key in keys:
        store.delete(key)
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def session_end(*, user: User, session_id, acting_user: User) -> None:
    """End one session of hers (not the one she is using: that is logging out)."""
    record = UserSession.objects.get(pk=session_id, user=user)
    _end([record.session_key])
    signals.sessions_ended.send(UserSession, user=user, acting_user=acting_user, count=1)


def sessions_end_others(*, user: User, current_key: str | None, acting_user: User) -> int:
    """End every session of hers but the one she is using now."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    count = _end([key for key in keys if key != current_key])
    signals.sessions_ended.send(UserSession, user=user, acting_user=acting_user, count=count)
    return count


def sessions_end_all(*, user: User, acting_user: User | None) -> int:
    """End every session of hers, wherever it is."""
    count = _end(list(_sessions_of(user).values_list("session_key", flat=True)))
    signals.sessions_ended.send(UserSession, user=user, acting_user=acting_user, count=count)
    return count


def user_deactivate(*, user: User, acting_user: User | None) -> int:
    """Close an account: she can no longer log in, and every session of hers ends now.
    Returns the number of sessions ended. Used by the admin's form and action."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        count = _end(list(_sessions_of(user).values_list("session_key", flat=True)))
    signals.user_deactivated.send(User, user=user, acting_user=acting_user, sessions_ended=count)
    return count


# --- language ------------------------------------------------------------------------------


def user_language_set(*, user: User, language: str) -> bool:
    """Keep `language` (a code of settings.LANGUAGES) as her language: her pages follow it
    from her next request on, and her emails from the next one written. Returns whether it
    changed. An unknown code is refused (ValidationError) and nothing changes."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(gettext("Choose one of the languages in the list."), code="language")
    changed = User.objects.filter(pk=user.pk).exclude(language=language).update(language=language)
    user.language = language
    return bool(changed)


def user_language_keep_first(*, user: User, language: str) -> bool:
    """At login or signup: an account with no language yet takes the one she is reading in
    (picked, or her browser's), so the emails a worker writes later are in it. An account
    that has one keeps it. The default language is not kept: a blank account already gets
    it, and her next login from a browser in her own language can still set that one.
    Returns whether it was set."""
    if user.language or language == settings.LANGUAGE_CODE:
        return False
    if language not in dict(settings.LANGUAGES):
        return False
    changed = User.objects.filter(pk=user.pk, language="").update(language=language)
    if changed:
        user.language = language
    return bool(changed)

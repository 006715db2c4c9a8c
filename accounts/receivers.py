"""Session bookkeeping on Django's and allauth's own signals (connected in apps.py)."""

from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import translation

from accounts import services


@receiver(user_logged_in, dispatch_uid="accounts.session_login")
def _record_login(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    services.session_record_login(request=request, user=user)
    # Her account's language, if it has none yet, is the one she logged in reading.
    services.user_language_keep_first(user=user, language=translation.get_language() or "")
    if Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists():
        request.session[services.SESSION_SECOND_FACTOR] = True


@receiver(user_logged_out, dispatch_uid="accounts.session_logout")
def _record_logout(sender, request, user, **kwargs):
    # Runs before Django flushes the session, so the key is still the old one.
    if request is not None and hasattr(request, "session"):
        services.session_record_logout(session_key=request.session.session_key)


@receiver(authenticator_added, dispatch_uid="accounts.second_factor_added")
def _second_factor_added(sender, request, user, authenticator, **kwargs):
    if authenticator.type == Authenticator.Type.TOTP and request is not None:
        request.session[services.SESSION_SECOND_FACTOR] = True


@receiver(authenticator_removed, dispatch_uid="accounts.second_factor_removed")
def _second_factor_removed(sender, request, user, authenticator, **kwargs):
    if authenticator.type == Authenticator.Type.TOTP and request is not None:
        request.session.pop(services.SESSION_SECOND_FACTOR, None)


@receiver(post_delete, sender=Authenticator, dispatch_uid="accounts.staff_second_factor_reset")
def _staff_second_factor_reset(sender, instance, **kwargs):
    """An admin removing a staff member's TOTP (a lost phone) ends all her sessions: each
    remembers that she had a second factor, and she must log in and enrol again."""
    if instance.type != Authenticator.Type.TOTP:
        return
    user = instance.user
    if user.is_support_staff:
        transaction.on_commit(lambda: services.sessions_end_all(user=user, acting_user=None))

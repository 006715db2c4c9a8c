"""Authentication, lockout and second-factor events into the audit trail.

Connected from AuditConfig.ready(). django-axes and allauth.mfa are connected only when
installed, so this app does not depend on the order in which they arrive.
"""

from django.apps import apps
from django.contrib.auth import signals as auth_signals

from audit.models import AuditKind
from audit.services import audit_record


def _on_login(sender, request, user, **kwargs):
    audit_record(kind=AuditKind.LOGIN, actor=user)


def _on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(kind=AuditKind.LOGOUT, actor=user)


def _on_login_failed(sender, credentials, request=None, **kwargs):
    # The typed email is not kept: it may be a survivor's, or a stranger's guess.
    audit_record(kind=AuditKind.LOGIN_FAILED)


def _on_locked_out(sender, request, username=None, ip_address=None, **kwargs):
    audit_record(kind=AuditKind.LOCKED_OUT)


def _authenticator_event(kind):
    def receiver(sender, request, user=None, authenticator=None, **kwargs):
        user = user if user is not None else getattr(authenticator, "user", None)
        detail = {"type": getattr(authenticator, "type", "")} if authenticator else {}
        audit_record(kind=kind, actor=user, detail=detail)

    return receiver


_mfa_added = _authenticator_event(AuditKind.MFA_ADDED)
_mfa_removed = _authenticator_event(AuditKind.MFA_REMOVED)
_mfa_reset = _authenticator_event(AuditKind.MFA_RESET)
_mfa_failed = _authenticator_event(AuditKind.MFA_FAILED)


def connect():
    uid = "audit"
    auth_signals.user_logged_in.connect(_on_login, dispatch_uid=f"{uid}-login")
    auth_signals.user_logged_out.connect(_on_logout, dispatch_uid=f"{uid}-logout")
    auth_signals.user_login_failed.connect(_on_login_failed, dispatch_uid=f"{uid}-failed")
    if apps.is_installed("axes"):
        from axes.signals import user_locked_out

        user_locked_out.connect(_on_locked_out, dispatch_uid=f"{uid}-locked-out")
    if apps.is_installed("allauth.mfa"):
        from allauth.mfa import signals as mfa_signals

        mfa_signals.authenticator_added.connect(_mfa_added, dispatch_uid=f"{uid}-mfa-added")
        mfa_signals.authenticator_removed.connect(_mfa_removed, dispatch_uid=f"{uid}-mfa-rm")
        mfa_signals.authenticator_reset.connect(_mfa_reset, dispatch_uid=f"{uid}-mfa-reset")
        mfa_signals.authentication_failed.connect(_mfa_failed, dispatch_uid=f"{uid}-mfa-fail")

from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm as MFAAuthenticateForm
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.utils.translation import gettext_lazy as _


class LockableAuthenticateForm(MFAAuthenticateForm):
    """allauth's login-code form, with wrong codes counted by django-axes like wrong passwords:
    five from one address lock that (account, address) for the cool-off, so the code cannot be
    guessed there, and other addresses are not affected. (allauth's own per-account limit on
    codes is off: it shares a setting with the password limit; see settings.)"""

    def clean_code(self) -> str:
        request = context.request
        credentials = {"email": self.user.email}
        if not AxesProxyHandler.is_allowed(request, credentials):
            raise forms.ValidationError(
                _(
                    "Logging in to this account from this device is paused for a while. "
                    "Logging in from other devices still works."
                )
            )
        try:
            return super().clean_code()
        except forms.ValidationError:
            AxesProxyHandler.user_login_failed(
                sender=LockableAuthenticateForm, credentials=credentials, request=request
            )
            raise

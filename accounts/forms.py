from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm as MFAAuthenticateForm
from axes.handlers.proxy import AxesProxyHandler
from django import forms


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Asked again so nobody else at this device can do this.",
    )


class EraseForm(PasswordConfirmForm):
    confirm = forms.CharField(
        label="Type ERASE to confirm",
        max_length=10,
        help_text="This cannot be undone. Download your data first if you want a copy.",
    )

    def clean_confirm(self):
        if self.cleaned_data["confirm"].strip() != "ERASE":
            raise forms.ValidationError("Type ERASE, in capitals, to confirm.")
        return "ERASE"


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
                "Logging in to this account from this device is paused for a while. "
                "Logging in from other devices still works."
            )
        try:
            return super().clean_code()
        except forms.ValidationError:
            AxesProxyHandler.user_login_failed(
                sender=LockableAuthenticateForm, credentials=credentials, request=request
            )
            raise

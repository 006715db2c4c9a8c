from django import forms
from django.utils.translation import gettext_lazy as _


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Asked again so nobody else at this device can do this."),
    )


class EraseForm(PasswordConfirmForm):
    confirm = forms.CharField(
        # Translators: ERASE is what she types; it stays ERASE in every language.
        label=_("Type ERASE to confirm"),
        max_length=10,
        help_text=_("This cannot be undone. Download your data first if you want a copy."),
    )

    def clean_confirm(self):
        if self.cleaned_data["confirm"].strip() != "ERASE":
            # Translators: ERASE is what she types; it stays ERASE in every language.
            raise forms.ValidationError(_("Type ERASE, in capitals, to confirm."))
        return "ERASE"

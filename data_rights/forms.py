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

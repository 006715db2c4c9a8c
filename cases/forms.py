from django import forms


class CaseOpenForm(forms.Form):
    pseudonym = forms.CharField(
        label="A name for this case",
        max_length=80,
        help_text="Any name you like. It does not need to be your real name.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_pseudonym(self):
        value = self.cleaned_data["pseudonym"].strip()
        if not value:
            raise forms.ValidationError("Please give the case a name.")
        return value

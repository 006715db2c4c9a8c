from django import forms

from inbound.models import Decision


class FileByHandForm(forms.Form):
    takedown = forms.UUIDField(widget=forms.HiddenInput)
    reference = forms.CharField(max_length=20, widget=forms.HiddenInput)


class ConfirmForm(forms.Form):
    # Empty: the suggestion as shown (the one-click button); otherwise staff's own reading.
    decision = forms.ChoiceField(
        label="What the answer says",
        choices=[("", "As suggested"), *Decision.choices],
        required=False,
    )

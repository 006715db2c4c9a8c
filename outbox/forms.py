from django import forms

from outbox.models import EmailKind, EmailStatus

# The list's default: what needs a look. A value of its own, so "Every state" stays a choice.
NEEDS_A_LOOK = "problems"


class OutboxFilterForm(forms.Form):
    """Which emails the outbox lists. The kinds and states are the model's choices, so a kind
    added to EmailKind is offered here without anyone editing this form or the page."""

    kind = forms.ChoiceField(required=False, label="Kind")
    state = forms.ChoiceField(required=False, label="State")

    def __init__(self, *args, other_kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Kinds found in rows but no longer among the choices can still be listed.
        self.fields["kind"].choices = [
            ("", "Every kind"),
            *EmailKind.choices,
            *((kind, f"{kind} (no longer sent)") for kind in other_kinds),
        ]
        self.fields["state"].choices = [
            (NEEDS_A_LOOK, "Not sent, or not confirmed"),
            ("", "Every state"),
            *EmailStatus.choices,
        ]

"""The conversation's forms. Each posting form carries a fresh hidden key, so the same POST
arriving twice makes one message (cases.thread_services.message_post)."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.thread_services import MESSAGE_MAX_LENGTH


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write your message first.")},
    )
    key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, for_staff: bool = False, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("key", uuid.uuid4())
        # Its own ids: the case page also has the note form, whose field is `body` too.
        kwargs.setdefault("auto_id", "message_%s")
        super().__init__(*args, **kwargs)
        if for_staff:
            self.fields["body"].label = _("Reply to her")
            self.fields["body"].help_text = _(
                "She reads this on her case page, from “Your caseworker”."
            )
        else:
            self.fields["body"].help_text = _(
                "Only your caseworker and their supervisors read it. We email you when they "
                "answer (a short email that says only that there is an update)."
            )


class MessageChangeForm(forms.Form):
    """Correct (with a body) or withdraw (without) one message, named by its id through the
    case it belongs to, at the revision the person saw."""

    message = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)
    body = forms.CharField(
        label=_("Corrected message"),
        max_length=MESSAGE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

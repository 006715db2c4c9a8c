from django import forms

from takedowns.models import LegalBasis, TakedownRequest, TakedownStatus
from takedowns.selectors import default_notice_contact
from takedowns.services import DRAFT_FIELDS

STATEMENT_LABELS = {
    "confirms_no_consent": "The images are intimate and were published without her consent",
    "confirms_good_faith": "This is stated in good faith",
    "confirms_accuracy": "The information in this notice is accurate and complete",
    "confirms_perjury": (
        "Under penalty of perjury, the signer is the copyright owner or authorised to act "
        "for the owner"
    ),
    "confirms_copyright_owner": "She owns the copyright (for example, she took the picture)",
    "confirms_not_paid": "She is not being paid for these images",
}
COMMON_FIELDS = [
    "legal_basis",
    "signer_name",
    "signer_capacity",
    "contact_email",
    "contact_phone",
    "contact_address",
]
# The fields each route asks for (takedowns.notices lists what must be in them).
BASIS_FIELDS = {
    LegalBasis.TAKE_IT_DOWN: ["content_description", "confirms_no_consent", "confirms_good_faith"],
    LegalBasis.DMCA: [
        "copyright_work",
        "confirms_copyright_owner",
        "confirms_good_faith",
        "confirms_accuracy",
        "confirms_perjury",
    ],
    LegalBasis.DSA: ["illegality_explanation", "confirms_accuracy", "confirms_good_faith"],
    LegalBasis.PLATFORM_POLICY: ["content_description", "confirms_no_consent"],
}
SEARCH_ENGINE_FIELDS = ["search_result_urls", "confirms_not_paid"]
UNKNOWN_PLATFORM_FIELDS = ["recipient_name", "recipient_email"]


def draft_fields_for(takedown: TakedownRequest, basis: str) -> list[str]:
    fields = list(COMMON_FIELDS)
    if takedown.platform is None:
        fields += UNKNOWN_PLATFORM_FIELDS
    fields += BASIS_FIELDS[basis]
    if (
        basis == LegalBasis.PLATFORM_POLICY
        and takedown.platform
        and takedown.platform.is_search_engine
    ):
        fields += SEARCH_ENGINE_FIELDS
    return fields


class DraftForm(forms.ModelForm):
    """The parts of a notice for the chosen route; the lint on the page says what is missing."""

    class Meta:
        model = TakedownRequest
        fields = list(DRAFT_FIELDS)
        labels = {
            **STATEMENT_LABELS,
            "legal_basis": "Route",
            "recipient_name": "Recipient (the site's hosting provider, if you found it)",
            "recipient_email": "Recipient's abuse email",
            "search_result_urls": "Search result addresses, one per line",
        }
        widgets = {
            "content_description": forms.Textarea(attrs={"rows": 3}),
            "copyright_work": forms.Textarea(attrs={"rows": 3}),
            "illegality_explanation": forms.Textarea(attrs={"rows": 4}),
            "contact_address": forms.Textarea(attrs={"rows": 2}),
            "search_result_urls": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, offered=(), **kwargs):
        super().__init__(*args, **kwargs)
        basis = (
            self.data.get("legal_basis") if self.is_bound else None
        ) or self.instance.legal_basis
        if basis not in offered:
            basis = self.instance.legal_basis
        keep = draft_fields_for(self.instance, basis)
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        self.fields["legal_basis"].choices = [
            (value, LegalBasis(value).label) for value in offered
        ]
        if "contact_email" in self.fields:
            self.fields["contact_email"].help_text = (
                f"Leave empty to give {default_notice_contact(self.instance)}, the address "
                "her case says notices give."
            )
        if "recipient_email" in self.fields:
            self.fields["recipient_email"].help_text = (
                "An address that is not in the platform directory is used only after a "
                "caseworker approves it."
            )


class SightingsChoiceForm(forms.Form):
    sightings = forms.MultipleChoiceField(
        label="Links to include", widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, sightings=(), **kwargs):
        super().__init__(*args, **kwargs)
        # A link our check could not reach is offered too, and says so.
        self.fields["sightings"].choices = [
            (str(s.pk), s.url if s.status == "live" else f"{s.url} (up, as far as we know)")
            for s in sightings
        ]


class SubmittedForm(forms.Form):
    ticket_number = forms.CharField(label="Ticket or reference number", max_length=120)


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="The platform's reply (paste it, or the forwarded email)",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    decision = forms.ChoiceField(
        label="What it decided",
        required=False,
        choices=[
            ("", "Nothing yet (just a message)"),
            (TakedownStatus.ACKNOWLEDGED, "Acknowledged receipt"),
            (TakedownStatus.REMOVED, "Removed"),
            (TakedownStatus.PARTIALLY_REMOVED, "Removed some"),
            (TakedownStatus.REJECTED, "Refused"),
        ],
    )
    reasons = forms.CharField(
        label="Its reasons (optional)",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    ticket_number = forms.CharField(
        label="Ticket number (optional)", required=False, max_length=120
    )


class CounterNoticeForm(forms.Form):
    received_on = forms.DateField(
        label="Counter-notice received on", widget=forms.DateInput(attrs={"type": "date"})
    )
    body = forms.CharField(
        label="The counter-notice (optional)",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class EscalateForm(forms.Form):
    to = forms.CharField(label="Escalated to", max_length=200)

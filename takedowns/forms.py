from django import forms
from django.utils.translation import gettext_lazy as _

from takedowns.models import LegalBasis, Rung, TakedownRequest, TakedownStatus
from takedowns.selectors import default_notice_contact
from takedowns.services import DRAFT_FIELDS

STATEMENT_LABELS = {
    "confirms_no_consent": _("The images are intimate and were published without her consent"),
    "confirms_good_faith": _("This is stated in good faith"),
    "confirms_accuracy": _("The information in this notice is accurate and complete"),
    "confirms_perjury": _(
        "Under penalty of perjury, the signer is the copyright owner or authorised to act "
        "for the owner"
    ),
    "confirms_copyright_owner": _("She owns the copyright (for example, she took the picture)"),
    "confirms_not_paid": _("She is not being paid for these images"),
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
            "legal_basis": _("Route"),
            "recipient_name": _("Recipient (the site's hosting provider, if you found it)"),
            "recipient_email": _("Recipient's abuse email"),
            "search_result_urls": _("Search result addresses, one per line"),
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
            self.fields["contact_email"].help_text = _(
                "Leave empty to give %(address)s, the address her case says notices give."
            ) % {"address": default_notice_contact(self.instance)}
        if "recipient_email" in self.fields:
            self.fields["recipient_email"].help_text = _(
                "An address that is not in the platform directory is used only after a "
                "caseworker approves it."
            )


class SightingsChoiceForm(forms.Form):
    sightings = forms.MultipleChoiceField(
        label=_("Links to include"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, sightings=(), **kwargs):
        super().__init__(*args, **kwargs)
        # A link our check could not reach is offered too, and says so.
        self.fields["sightings"].choices = [
            (
                str(s.pk),
                s.url
                if s.status == "live"
                else _("%(url)s (up, as far as we know)") % {"url": s.url},
            )
            for s in sightings
        ]


class SubmittedForm(forms.Form):
    ticket_number = forms.CharField(label=_("Ticket or reference number"), max_length=120)


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("The platform's reply (paste it, or the forwarded email)"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    decision = forms.ChoiceField(
        label=_("What it decided"),
        required=False,
        choices=[
            ("", _("Nothing yet (just a message)")),
            (TakedownStatus.ACKNOWLEDGED, _("Acknowledged receipt")),
            (TakedownStatus.REMOVED, _("Removed")),
            (TakedownStatus.PARTIALLY_REMOVED, _("Removed some")),
            (TakedownStatus.REJECTED, _("Refused")),
        ],
    )
    reasons = forms.CharField(
        label=_("Its reasons (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    ticket_number = forms.CharField(
        label=_("Ticket number (optional)"), required=False, max_length=120
    )


class CounterNoticeForm(forms.Form):
    received_on = forms.DateField(
        label=_("Counter-notice received on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    body = forms.CharField(
        label=_("The counter-notice (optional)"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class EscalateForm(forms.Form):
    to = forms.CharField(label=_("Escalated to"), max_length=200)


# The send button's second step: only a POST carrying this sends (takedowns.views).
CONFIRM_SEND = "send"

# Her guided form says each thing in the first person.
HER_STATEMENT_LABELS = {
    "confirms_no_consent": _("The images are intimate and were published without my consent"),
    "confirms_good_faith": _("I state this in good faith"),
    "confirms_accuracy": _("The information in this request is accurate and complete"),
    "confirms_perjury": _(
        "Under penalty of perjury, I own the copyright in the pictures or am authorised to "
        "act for the person who does"
    ),
    "confirms_copyright_owner": _("I own the copyright (for example, I took the picture)"),
    "confirms_not_paid": _("I am not being paid for these images"),
}
HER_ROUTE_CHOICES = {
    LegalBasis.TAKE_IT_DOWN: _(
        "The US TAKE IT DOWN Act: the platform has 48 hours to remove them"
    ),
    LegalBasis.DSA: _("The EU Digital Services Act: the platform must decide, with its reasons"),
    LegalBasis.PLATFORM_POLICY: _("The platform's own rules against sharing intimate images"),
    LegalBasis.DMCA: _("Copyright (US DMCA): only if I own the pictures, e.g. I took them"),
}


ANSWERS_TO_US = _("Leave it empty and the platform answers to us; we pass it on to you.")
HER_FIELD_ORDER = [
    "legal_basis",
    "recipient_name",
    "recipient_email",
    "signer_capacity",
    "content_description",
    "copyright_work",
    "illegality_explanation",
    "search_result_urls",
    *HER_STATEMENT_LABELS,
    "signer_name",
    "contact_email",
    "contact_phone",
    "contact_address",
]


class HerDraftForm(DraftForm):
    """The same draft fields (and the same services) as the staff editor, asked of her in
    the first person, in short steps: which platform, "I am the person shown", what the
    images are, her signature."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        words = {
            **HER_STATEMENT_LABELS,
            "legal_basis": _("What kind of request"),
            "signer_capacity": _("Who is asking"),
            "signer_name": _("My signature: my full name"),
            "contact_email": _("Email for the platform's answer (optional)"),
            "contact_phone": _("Phone (optional)"),
            "contact_address": _("Postal address (optional)"),
            "content_description": _("What the images show, briefly (no need for detail)"),
            "copyright_work": _("Which pictures are mine (for example: photos I took of myself)"),
            "illegality_explanation": _("Why these images are illegal to share"),
            "search_result_urls": _("Search result addresses that lead to them, one per line"),
            "recipient_name": _("Who hosts the site (if you know)"),
            "recipient_email": _("The host's abuse email (if you know)"),
        }
        for name, text in words.items():
            if name in self.fields:
                self.fields[name].label = text
        if "legal_basis" in self.fields:
            field = self.fields["legal_basis"]
            field.widget = forms.RadioSelect()
            field.choices = [(v, HER_ROUTE_CHOICES[v]) for v, _label in field.choices]
        if "signer_capacity" in self.fields:
            field = self.fields["signer_capacity"]
            field.widget = forms.RadioSelect()
            field.choices = [
                ("self", _("I am the person shown")),
                ("authorised", _("I act for the person shown, with her permission")),
            ]
        if "contact_email" in self.fields:
            self.fields["contact_email"].help_text = ANSWERS_TO_US
        # Her steps in order: what kind of request, who is asking, what it is about, what
        # she states, her signature; the optional contact details last.
        self.order_fields(HER_FIELD_ORDER)


class HerSightingsForm(SightingsChoiceForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sightings"].label = _("Which of my links should be taken down")
        self.fields["sightings"].label = "Which of my links should be taken down"


class LadderSettingForm(forms.Form):
    rung = forms.ChoiceField(choices=Rung.choices)
    wait_hours = forms.IntegerField(
        label="Wait (hours)",
        required=False,
        min_value=1,
        max_value=24 * 365,
        help_text="Empty: the default, with its source.",
    )
    send_automatically = forms.BooleanField(
        label="Send its drafts by themselves when the recipient is known", required=False
    )

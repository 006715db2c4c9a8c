from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Programme
from cases.programme_services import CASE_NUMBER_MAX


class ProgrammeCaseForm(forms.Form):
    """Her case with StopNCII.org or Take It Down: the case number, never the PIN
    (cases.programme_services.programme_case_record checks the values)."""

    programme = forms.ChoiceField(
        label=_("Programme"), choices=Programme.choices, widget=forms.RadioSelect
    )
    case_number = forms.CharField(
        label=_("Case number (not the PIN)"),
        max_length=CASE_NUMBER_MAX,
        help_text=_(
            "Only the case number the programme showed. Never type the PIN here: "
            "LeakCase does not need it, and nobody from LeakCase will ever ask for it."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    registered_on = forms.DateField(
        label=_("Date the case was made"), widget=forms.DateInput(attrs={"type": "date"})
    )
    withdrawn_on = forms.DateField(
        label=_("Date it was withdrawn (only if it was)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, for_staff=False, **kwargs):
        super().__init__(*args, **kwargs)
        if for_staff:
            self.fields["case_number"].help_text = _(
                "Only the case number. Never ask for or write down her PIN: it lets anyone "
                "who has it check or withdraw her case."
            )
        else:
            self.fields["registered_on"].label = _("Date you made the case")
            self.fields["withdrawn_on"].label = _("Date you withdrew it (only if you did)")

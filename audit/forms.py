from django import forms

from audit.models import AuditKind
from leakcase.forms import DateRangeForm


class TrailFilterForm(DateRangeForm):
    """What the activity page shows. A filter that cannot be read is an error on the form,
    never silently dropped: a supervisor who asked for one week must not read all of them."""

    case = forms.CharField(
        required=False, max_length=20, label="Case reference", help_text="For example LC-7K3Q9F"
    )
    person = forms.CharField(
        required=False, max_length=254, label="Person", help_text="Email address or name"
    )
    kind = forms.ChoiceField(
        required=False, label="Kind", choices=[("", "Every kind"), *AuditKind.choices]
    )

    field_order = ["case", "person", "kind", "date_from", "date_to"]

    def clean_case(self):
        return self.cleaned_data["case"].strip().upper()

    def clean_person(self):
        return self.cleaned_data["person"].strip()

from django import forms

from cases.models import CaseStatus, Priority
from casework.selectors import CASELOAD_SORTS
from platforms.models import Platform


class CaseloadFilterForm(forms.Form):
    """The caseload's query string; anything unknown falls back to the default."""

    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *CaseStatus.choices]
    )
    priority = forms.ChoiceField(
        label="Priority", required=False, choices=[("", "Any priority"), *Priority.choices]
    )
    platform = forms.ChoiceField(label="Platform", required=False)
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        help_text="A case reference, or part of a sighting's address or site.",
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[("", "")]
        + [(k, k) for k in CASELOAD_SORTS]
        + [(f"-{k}", k) for k in CASELOAD_SORTS],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["platform"].choices = [
            ("", "Any platform"),
            *Platform.objects.values_list("slug", "name"),
        ]

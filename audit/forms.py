import datetime as dt

from django import forms

from audit.models import AuditKind

DATE_INVALID = "Enter a date as year-month-day, for example 2026-03-01."


class TrailFilterForm(forms.Form):
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
    date_from = forms.DateField(
        required=False,
        label="From",
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": DATE_INVALID},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        required=False,
        label="To",
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": DATE_INVALID},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_case(self):
        return self.cleaned_data["case"].strip().upper()

    def clean_person(self):
        return self.cleaned_data["person"].strip()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "“To” must be on or after “From”.")
        return cleaned

    def utc_range(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """[from 00:00, the day after `to` 00:00) in UTC, the page's time zone."""
        start, end = self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")
        return (
            dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC) if start else None,
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
            if end
            else None,
        )

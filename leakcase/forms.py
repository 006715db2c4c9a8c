import datetime as dt

from django import forms
from django.core.exceptions import ValidationError


def add_validation_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: under its field when the form has that
    field, at the top otherwise."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


DATE_INVALID = "Enter a date as year-month-day, for example 2026-03-01."


def _date_field(label: str):
    return forms.DateField(
        required=False,
        label=label,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": DATE_INVALID},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class DateRangeForm(forms.Form):
    """From and to dates, both kept (to is the whole day), read as UTC days. A date that
    cannot be read, or a range that ends before it starts, is an error on the form: pages
    answer it with a message, never with the range left out."""

    date_from = _date_field("From")
    date_to = _date_field("To")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "“To” must be on or after “From”.")
        return cleaned

    def utc_range(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """[from 00:00, the day after to 00:00) in UTC; None for an end not given."""
        start, end = self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")
        return (
            dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC) if start else None,
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
            if end
            else None,
        )

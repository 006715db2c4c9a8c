from django import forms
from django.utils.translation import gettext_lazy as _

from digests.models import HOURS, WEEKDAYS, time_zone_choices


def on_or_never(label: str, *, on: str) -> forms.TypedChoiceField:
    """An email switched on or off by two radio buttons, `on` or "Never", read as a bool."""
    return forms.TypedChoiceField(
        label=label,
        choices=[("1", on), ("0", _("Never"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )


class WeeklyStatusForm(forms.Form):
    enabled = on_or_never(_("Weekly status email"), on=_("Send me one a week"))
    weekday = forms.TypedChoiceField(label=_("Day of the week"), choices=WEEKDAYS, coerce=int)
    hour = forms.TypedChoiceField(label=_("Time of day"), choices=HOURS, coerce=int)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        help_text=_("The day and time are in this time zone."),
    )
    quiet_weeks = forms.BooleanField(
        label=_("Also when nothing changed that week (a short note that we are still on it)"),
        required=False,
    )


class UpdateNoticeForm(forms.Form):
    """The "You have an update" email for new messages (cases.update_notices), on or off."""

    enabled = on_or_never(
        _("Email when there is a new message"), on=_("Yes, at most once an hour")
    )

    def __init__(self, *args, **kwargs):
        # Its own ids: the weekly email's form on the same page has an `enabled` too.
        kwargs.setdefault("auto_id", "update_notice_%s")
        super().__init__(*args, **kwargs)

"""Takedown states in plain words, for the survivor's pages and the staff's alike. Each
sentence is one message for translators, the platform's name a placeholder in it."""

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

register = template.Library()


def _when(value):
    return date_format(timezone.localtime(value), "j M, H:i")


@register.filter
def plain_words(takedown) -> str:
    if takedown is None:
        return gettext("No request yet.")
    values = {"who": takedown.recipient}
    status = takedown.status
    if status == "draft":
        return gettext("A request to %(who)s is being prepared.") % values
    if status in ("sent", "acknowledged", "escalated"):
        if takedown.due_at and takedown.due_at < timezone.now():
            values["late"] = _when(takedown.due_at)
            late = {
                "sent": gettext(
                    "Request to %(who)s sent; the answer was due %(late)s and is late."
                ),
                "acknowledged": gettext(
                    "Request to %(who)s received (they confirmed); the answer was due "
                    "%(late)s and is late."
                ),
                "escalated": gettext(
                    "Request to %(who)s escalated; the answer was due %(late)s and is late."
                ),
            }
            return late[status] % values
        values["due"] = _when(takedown.due_at)
        due = {
            "sent": gettext("Request to %(who)s sent; the answer is due by %(due)s."),
            "acknowledged": gettext(
                "Request to %(who)s received (they confirmed); the answer is due by %(due)s."
            ),
            "escalated": gettext("Request to %(who)s escalated; the answer is due by %(due)s."),
        }
        return due[status] % values
    if status == "removed":
        # The case page's list of requests has read them already (takedowns.selectors).
        links = getattr(takedown, "covered", None)
        if links is None:
            links = list(takedown.sightings.all())
        if links and all(link.removed_verified_at for link in links):
            return gettext("Removed from %(who)s: we checked, and it is gone.") % values
        return gettext("%(who)s says it removed the content. We check that it is gone.") % values
    if status == "partially_removed":
        return gettext("%(who)s removed part of it; we are following up on the rest.") % values
    if status == "rejected":
        return gettext("%(who)s refused. We are looking at the next step.") % values
    return takedown.get_status_display()


@register.filter
def percent(value) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


@register.filter
def hours(value) -> str:
    return "—" if value is None else f"{value:.1f} h"

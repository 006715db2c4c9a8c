"""Takedown states in plain words, for the survivor's pages and the staff's alike."""

from django import template
from django.utils import timezone
from django.utils.formats import date_format

register = template.Library()


def _when(value):
    return date_format(timezone.localtime(value), "j M, H:i")


@register.filter
def plain_words(takedown) -> str:
    if takedown is None:
        return "No request yet."
    who = takedown.recipient
    status = takedown.status
    if status == "draft":
        return f"A request to {who} is being prepared."
    if status in ("sent", "acknowledged", "escalated"):
        verb = {
            "sent": "sent",
            "acknowledged": "received (they confirmed)",
            "escalated": "escalated",
        }[status]
        if takedown.due_at and takedown.due_at < timezone.now():
            late = _when(takedown.due_at)
            return f"Request to {who} {verb}; the answer was due {late} and is late."
        return f"Request to {who} {verb}; the answer is due by {_when(takedown.due_at)}."
    if status == "removed":
        links = list(takedown.sightings.all())
        if links and all(link.removed_verified_at for link in links):
            return f"Removed from {who}: we checked, and it is gone."
        return f"{who} says it removed the content. We check that it is gone."
    if status == "partially_removed":
        return f"{who} removed part of it; we are following up on the rest."
    if status == "rejected":
        return f"{who} refused. We are looking at the next step."
    return takedown.get_status_display()


@register.filter
def percent(value) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


@register.filter
def hours(value) -> str:
    return "—" if value is None else f"{value:.1f} h"

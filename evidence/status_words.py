"""A link's status in plain words: the short label and what it means, for her (in the second
person) and for staff. One place, so her case page, the link's page and the timeline say the
same thing (DESIGN.md, "The life of a case", 5: up, as far as we know).

Every sentence is one message for translators, for her and for staff separately: "you" and
"she" are never slotted into a shared sentence, since other languages change the verb too."""

from dataclasses import dataclass

from django.utils.translation import gettext, pgettext_lazy

from evidence.models import STILL_UP_STATUSES, SightingStatus, StatusSource

UP = pgettext_lazy("link status", "Up")
UP_AS_FAR_AS_WE_KNOW = pgettext_lazy("link status", "Up, as far as we know")
REMOVED = pgettext_lazy("link status", "Removed")
WITHDRAWN = pgettext_lazy("link status", "Removed from her list")

# Why our check could not see the page (monitoring.models.Outcome values; kept as strings so
# this module does not reach up into monitoring): each a sentence without its full stop.
_COULD_NOT_SEE = {
    "unreachable": pgettext_lazy(
        "why the check could not see the page", "The site did not answer our automatic check"
    ),
    "login_walled": pgettext_lazy(
        "why the check could not see the page",
        "The site turned our automatic check away or asks for a login (it may block robots)",
    ),
    "geo_blocked": pgettext_lazy(
        "why the check could not see the page",
        "The site is blocked where our automatic check runs",
    ),
    "blocked": pgettext_lazy(
        "why the check could not see the page",
        "The site could not be opened by our automatic check",
    ),
}


@dataclass(frozen=True)
class StatusWords:
    label: str
    meaning: str
    css: str  # the badge's class suffix


def label_for(status: str) -> str:
    """The short label of a status alone (the timeline's old -> new)."""
    if status == SightingStatus.REMOVED:
        return str(REMOVED)
    if status == SightingStatus.LIVE:
        return str(UP)
    return str(UP_AS_FAR_AS_WE_KNOW)


def status_words(sighting, *, for_staff: bool) -> StatusWords:
    if sighting.withdrawn_at is not None:
        return StatusWords(
            str(WITHDRAWN),
            gettext(
                "She removed this link from her list. It is kept with its evidence and any "
                "request that named it, and no longer checked, drafted or counted."
            ),
            "withdrawn",
        )
    status, source = sighting.status, sighting.status_source
    could_not_see = _COULD_NOT_SEE.get(sighting.last_check_outcome, "")
    if status == SightingStatus.REMOVED:
        return StatusWords(str(REMOVED), _removed_meaning(source, for_staff), "removed")
    if status not in STILL_UP_STATUSES:
        return StatusWords(sighting.get_status_display(), "", status)
    if status == SightingStatus.LIVE:
        meaning = _live_meaning(sighting, source, for_staff)
        if source != StatusSource.CHECK and could_not_see:
            # Translators: %(why)s is a sentence such as "The site did not answer our
            # automatic check".
            meaning += " " + gettext(
                "%(why)s. This stands until a person, or a check that can see the page, says "
                "otherwise."
            ) % {"why": could_not_see}
        return StatusWords(
            str(UP), meaning + " " + gettext("A takedown request can be sent for it."), "live"
        )
    reason = f"{could_not_see}." if could_not_see else gettext("Our check could not see it.")
    if for_staff:
        rest = gettext(
            "We treat it as still up until she or a caseworker tell us otherwise, and a "
            "takedown request can still be sent for it."
        )
    else:
        rest = gettext(
            "We treat it as still up until you or your caseworker tell us otherwise. A "
            "takedown request can still be sent for it."
        )
    return StatusWords(str(UP_AS_FAR_AS_WE_KNOW), f"{reason} {rest}", "up-as-far-as-we-know")


def _removed_meaning(source, for_staff: bool) -> str:
    if source == StatusSource.SURVIVOR:
        if for_staff:
            return gettext(
                "She told us it's gone. Our automatic check looks again, in case it comes back."
            )
        return gettext(
            "You told us it's gone. Our automatic check looks again, in case it comes back."
        )
    if source == StatusSource.STAFF:
        if for_staff:
            return gettext(
                "A caseworker checked: it is gone. We keep checking, in case it comes back."
            )
        return gettext(
            "Your caseworker checked: it is gone. We keep checking, in case it comes back."
        )
    return gettext("Our automatic check found it gone. We keep checking, in case it comes back.")


def _live_meaning(sighting, source, for_staff: bool) -> str:
    if source == StatusSource.SURVIVOR:
        if for_staff:
            return gettext("She checked: it is still online.")
        return gettext("You checked: it is still online.")
    if source == StatusSource.STAFF:
        if for_staff:
            return gettext("A caseworker checked: it is still online.")
        return gettext("Your caseworker checked: it is still online.")
    if sighting.last_check_outcome:
        return gettext("Our automatic check found it online.")
    if for_staff:
        return gettext("She saw it online. Our automatic check looks at it soon.")
    return gettext("You saw it online. Our automatic check looks at it soon.")

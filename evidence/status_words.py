"""A link's status in plain words: the short label and what it means, for her (in the second
person) and for staff. One place, so her case page, the link's page and the timeline say the
same thing (DESIGN.md, "The life of a case", 5: up, as far as we know)."""

from dataclasses import dataclass

from evidence.models import STILL_UP_STATUSES, SightingStatus, StatusSource

UP = "Up"
UP_AS_FAR_AS_WE_KNOW = "Up, as far as we know"
REMOVED = "Removed"
WITHDRAWN = "Removed from her list"

# Why our check could not see the page (monitoring.models.Outcome values; kept as strings so
# this module does not reach up into monitoring).
_COULD_NOT_SEE = {
    "unreachable": "did not answer our automatic check",
    "login_walled": "turned our automatic check away or asks for a login (it may block robots)",
    "geo_blocked": "is blocked where our automatic check runs",
    "blocked": "could not be opened by our automatic check",
}


@dataclass(frozen=True)
class StatusWords:
    label: str
    meaning: str
    css: str  # the badge's class suffix


def label_for(status: str) -> str:
    """The short label of a status alone (the timeline's old -> new)."""
    if status == SightingStatus.REMOVED:
        return REMOVED
    if status == SightingStatus.LIVE:
        return UP
    return UP_AS_FAR_AS_WE_KNOW


def status_words(sighting, *, for_staff: bool) -> StatusWords:
    you = "she" if for_staff else "you"
    caseworker = "a caseworker" if for_staff else "your caseworker"
    if sighting.withdrawn_at is not None:
        return StatusWords(
            WITHDRAWN,
            "She removed this link from her list. It is kept with its evidence and any request "
            "that named it, and no longer checked, drafted or counted.",
            "withdrawn",
        )
    status, source = sighting.status, sighting.status_source
    could_not_see = _COULD_NOT_SEE.get(sighting.last_check_outcome, "")
    if status == SightingStatus.REMOVED:
        if source == StatusSource.SURVIVOR:
            said = f"{you.capitalize()} told us it's gone. Our automatic check looks again"
        elif source == StatusSource.STAFF:
            said = f"{caseworker.capitalize()} checked: it is gone. We keep checking"
        else:
            said = "Our automatic check found it gone. We keep checking"
        return StatusWords(REMOVED, f"{said}, in case it comes back.", "removed")
    if status not in STILL_UP_STATUSES:
        return StatusWords(sighting.get_status_display(), "", status)
    if status == SightingStatus.LIVE:
        if source == StatusSource.SURVIVOR:
            meaning = f"{you.capitalize()} checked: it is still online."
        elif source == StatusSource.STAFF:
            meaning = f"{caseworker.capitalize()} checked: it is still online."
        elif sighting.last_check_outcome:
            meaning = "Our automatic check found it online."
        else:
            meaning = f"{you.capitalize()} saw it online. Our automatic check looks at it soon."
        if source != StatusSource.CHECK and could_not_see:
            meaning += (
                f" The site {could_not_see}; this stands until a person, or a check that can "
                "see the page, says otherwise."
            )
        return StatusWords(UP, meaning + " A takedown request can be sent for it.", "live")
    reason = f"The site {could_not_see}." if could_not_see else "Our check could not see it."
    return StatusWords(
        UP_AS_FAR_AS_WE_KNOW,
        f"{reason} We treat it as still up until {you} or {caseworker} tell us otherwise, "
        "and a takedown request can still be sent for it.",
        "up-as-far-as-we-know",
    )

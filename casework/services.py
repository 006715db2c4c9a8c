"""Writes that change the case file and another app's rows in one transaction."""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cases import services as case_services
from cases.models import Case, CaseStatus
from evidence import services as evidence_services
from evidence.models import Sighting, SightingStatus
from evidence.services import sightings_tighten_action_windows
from leakcase.locking import locked
from takedowns.selectors import sighting_in_sent_request
from takedowns.services import (
    takedowns_close_for_removed_sightings,
    takedowns_drop_withdrawn_sighting,
    takedowns_reopen_for_reappeared,
)


def case_triage(*, case: Case, acting_user: User, **triage) -> Case:
    """Triage a case (cases.services.case_file_triage, which takes `triage`: priority,
    involves_minor, threats_or_extortion and jurisdiction; it writes them and its CaseEvent)
    and give its live links the tighter action window a higher priority promises, both in one
    transaction: a triage is never saved without its due dates, nor the other way round."""
    with transaction.atomic():
        case = case_services.case_file_triage(case=case, acting_user=acting_user, **triage)
        sightings_tighten_action_windows(case=case)
    return case


# --- a person's word on a link, her own links ------------------------------------------------


def sighting_status_set(
    *, sighting: Sighting, status: str, acting_user: User, reason: str = ""
) -> Sighting:
    """A caseworker (with a reason) or the survivor (in her words) says a link is up or gone,
    with everything that follows, in one transaction: the link's status and its event
    (evidence), requests whose links are now all removed close, or reopen when a removed link
    is up again (takedowns writes that), and the case moves to monitoring or back to active.

    Her "it's gone" is taken as a removal she saw: the link stops counting as up at once and
    is checked again at once; a request it closes is marked as her word, so the platform
    figures wait for staff to confirm it (takedowns_close_for_removed_sightings), and a
    check that finds the image again reopens everything as a reappearance."""
    now = timezone.now()
    with transaction.atomic():
        case = locked(sighting.case)  # the lock order: the case, then its rows
        previous, sighting = evidence_services.sighting_status_declare(
            sighting=sighting, status=status, acting_user=acting_user, reason=reason, now=now
        )
        source = sighting.status_source
        if status == SightingStatus.REMOVED and previous != SightingStatus.REMOVED:
            takedowns_close_for_removed_sightings(
                sightings=[sighting], now=now, verified_by=source
            )
            if (
                case.status == CaseStatus.ACTIVE
                and not Sighting.objects.still_up().filter(case=case).exists()
            ):
                # What follows from the link's status is the service's move, as after a
                # recheck: she may not move her case herself.
                case_services.case_change_status(
                    case=case, to=CaseStatus.MONITORING, acting_user=None
                )
        elif status == SightingStatus.LIVE and previous == SightingStatus.REMOVED:
            takedowns_reopen_for_reappeared(sighting=sighting, now=now)
            if case.status in (CaseStatus.MONITORING, CaseStatus.RESOLVED):
                case_services.case_change_status(case=case, to=CaseStatus.ACTIVE, acting_user=None)
    return sighting


def sighting_correct(
    *, sighting: Sighting, acting_user: User, url: str, note: str, first_seen_on
) -> Sighting:
    """Her correction of a link she logged; an address a sent request gave the platform
    stays as it was (evidence.services.sighting_correct says why)."""
    return evidence_services.sighting_correct(
        sighting=sighting,
        acting_user=acting_user,
        url=url,
        note=note,
        first_seen_on=first_seen_on,
        in_sent_request=sighting_in_sent_request(sighting),
    )


def sighting_withdraw(*, sighting: Sighting, acting_user: User) -> Sighting:
    """She removes a link from her list: kept with its evidence and sent requests, taken out
    of requests still being drafted (takedowns writes that), never checked again."""
    with transaction.atomic():
        locked(sighting.case)
        evidence_services.sighting_withdraw(sighting=sighting, acting_user=acting_user)
        takedowns_drop_withdrawn_sighting(sighting=sighting, acting_user=acting_user)
    return sighting

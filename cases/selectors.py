"""Reads about the case file. Which cases a user may see, and each case by its reference, are
access.permissions' to answer (cases_visible_to, case_for_user). The caseload, her dashboard's
counts and the timeline read sightings and takedowns too: they are casework.selectors'."""

from accounts.models import User
from cases.models import Case, CaseNote, CaseStatus, NoteVisibility

# The cases still being worked on: the caseload's queues and the weekly emails count these.
OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.ACTIVE, CaseStatus.MONITORING)


def notes_for(user: User, case: Case) -> list[CaseNote]:
    """Staff read every note; a survivor only the notes shared with her."""
    notes = case.notes.select_related("author")
    if not user.is_support_staff:
        notes = notes.filter(visibility=NoteVisibility.SHARED)
    return list(notes)

"""Writes that change the case file and another app's rows in one transaction."""

from django.db import transaction

from accounts.models import User
from cases import services as case_services
from cases.models import Case
from evidence.services import sightings_tighten_action_windows


def case_triage(*, case: Case, acting_user: User, **triage) -> Case:
    """Triage a case (cases.services.case_file_triage, which takes `triage`: priority,
    involves_minor, threats_or_extortion and jurisdiction; it writes them and its CaseEvent)
    and give its live links the tighter action window a higher priority promises, both in one
    transaction: a triage is never saved without its due dates, nor the other way round."""
    with transaction.atomic():
        case = case_services.case_file_triage(case=case, acting_user=acting_user, **triage)
        sightings_tighten_action_windows(case=case)
    return case

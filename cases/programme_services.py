"""Her cases with the industry's hash programmes (cases.models.Programme): the programme's
case number, when she made it and when she withdrew it. She may record her own (many
people register themselves, at 2 a.m., before they ever talk to anyone); staff record
what she tells them. Each change is saved with its CaseEvent in the same transaction."""

import datetime as dt
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from cases.models import Case, EventKind, Programme, ProgrammeCase
from cases.services import event_record
from leakcase.locking import locked

CASE_NUMBER_MAX = 40
# Neither programme publishes the shape of its case numbers, so any short run of letters,
# digits and separators is taken: refusing a real number would be worse than a typo.
CASE_NUMBER_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./_-]{2,39}$")


def programme_case_record(
    *,
    case: Case,
    programme: str,
    case_number: str,
    registered_on: dt.date,
    withdrawn_on: dt.date | None,
    acting_user: User,
) -> ProgrammeCase:
    """Record (or correct) her case with a programme. Refused, with nothing changed, when
    the values do not make sense: a date to come, a withdrawal before the case was made."""
    if not (acting_user.pk == case.survivor_id or acting_user.is_support_staff):
        raise PermissionDenied("Only she, or support staff for her, can record this.")
    if programme not in Programme.values:
        raise ValidationError({"programme": gettext("Choose the programme.")})
    case_number = " ".join(case_number.split())
    if not CASE_NUMBER_SHAPE.match(case_number):
        raise ValidationError(
            {
                "case_number": gettext(
                    "Type the case number as the programme shows it: 3 to %(max)s letters or "
                    "digits."
                )
                % {"max": CASE_NUMBER_MAX}
            }
        )
    today = timezone.localdate()
    if registered_on > today:
        raise ValidationError({"registered_on": gettext("That date is still to come.")})
    if withdrawn_on is not None and withdrawn_on > today:
        raise ValidationError({"withdrawn_on": gettext("That date is still to come.")})
    if withdrawn_on is not None and withdrawn_on < registered_on:
        raise ValidationError(
            {"withdrawn_on": gettext("The withdrawal is before the date the case was made.")}
        )
    with transaction.atomic():
        locked(case)  # two tabs recording the same programme: one row, one event each
        record = ProgrammeCase.objects.filter(case=case, programme=programme).first()
        old = _event_value(record) if record is not None else None
        if record is None:
            record = ProgrammeCase(case=case, programme=programme)
        number_changed = record.case_number != case_number
        record.case_number = case_number
        record.registered_on = registered_on
        record.withdrawn_on = withdrawn_on
        new = _event_value(record)
        if old == new and not number_changed:
            return record
        record.recorded_by = acting_user
        record.save()
        event_record(
            case=case,
            actor=acting_user,
            kind=EventKind.PROGRAMME_RECORDED,
            target=record,
            old_value=old,
            # The case number is hers, with a third party: the timeline says only whether
            # it changed.
            new_value={**new, "case_number_changed": number_changed},
        )
    return record


def _event_value(record: ProgrammeCase) -> dict:
    return {
        "programme": record.programme,
        "registered_on": record.registered_on.isoformat(),
        "withdrawn_on": record.withdrawn_on.isoformat() if record.withdrawn_on else None,
    }

"""Every write to a case goes through here, with its CaseEvent in the same transaction."""

from django.db import IntegrityError, models, transaction

from accounts.models import User
from cases.models import Case, CaseEvent, EventKind, new_reference

# Six characters from a 30-letter alphabet give 729 million references; a clash is rare, so
# a few fresh draws always find a free one.
REFERENCE_ATTEMPTS = 5


def event_record(**kwargs) -> CaseEvent:
    """Append to the case's timeline. Call it inside the transaction that made the change."""
    event = event_build(**kwargs)
    event.save()
    return event


def event_build(
    *,
    case: Case,
    actor: User | None,
    kind: EventKind,
    target: models.Model | None = None,
    old_value=None,
    new_value=None,
) -> CaseEvent:
    """An unsaved event, for services that write many at once with bulk_create."""
    return CaseEvent(
        case=case,
        actor=actor,
        kind=kind,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        old_value=old_value,
        new_value=new_value,
    )


def case_open(*, survivor: User, pseudonym: str, acting_user: User) -> Case:
    """A survivor opens her own case. The pseudonym is all we need to start."""
    for attempt in range(REFERENCE_ATTEMPTS):
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    reference=new_reference(),
                    survivor=survivor,
                    contact_email=survivor.email,
                    pseudonym=pseudonym.strip(),
                )
                event_record(
                    case=case,
                    actor=acting_user,
                    kind=EventKind.CASE_OPENED,
                    target=case,
                    new_value={"pseudonym": case.pseudonym, "status": case.status},
                )
                return case
        except IntegrityError:
            if attempt == REFERENCE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")

"""Writes that depend on a row's state re-read that row under a lock first.

A view or a task holds a row it read a moment (or a fetch, or an SMTP round trip) ago; a
colleague's request or a worker may have moved it since. Saving that copy whole would put
the old state back (a sent notice back to draft, a verified removal undone). So a service
that changes state re-reads the row with SELECT ... FOR NO KEY UPDATE inside its
transaction, checks the state on that fresh copy, refuses with StateChanged when it moved,
and saves only the fields it changes.

Lock order: the case first, always (several cases in key order), then whatever of its rows
the write needs (sightings, takedown requests, in key order). Every writer of a case's rows
queues on the case before anything else, so a recheck batch (cases, sightings, requests)
and a caseworker's reply (case, request) or send (case, request, sightings) wait for each
other instead of deadlocking.
"""

from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import models

M = TypeVar("M", bound=models.Model)


class StateChanged(ValidationError):
    """The row moved on since the caller read it; the message says how, plainly. A
    ValidationError, so a view that shows form errors never turns it into a 500; views that
    know it send the person back to the page as it is now, with the message."""


def locked(obj: M) -> M:
    """Re-read obj in place from the database under a row lock held until the transaction
    ends, and return it. Call inside transaction.atomic() (Django refuses otherwise).

    Related objects already loaded (a takedown's case) are kept when the foreign key still
    points at them, so callers keep working with the same instances."""
    kept = {
        field: field.get_cached_value(obj)
        for field in obj._meta.concrete_fields
        if field.is_relation and field.is_cached(obj)
    }
    # FOR NO KEY UPDATE: what an UPDATE takes anyway. It queues writers of the row behind us
    # but not inserts that merely point at it (a reply's row, a recheck's row).
    obj.refresh_from_db(from_queryset=type(obj)._base_manager.select_for_update(no_key=True))
    for field, related in kept.items():
        if getattr(obj, field.attname) == (related.pk if related is not None else None):
            field.set_cached_value(obj, related)
    return obj

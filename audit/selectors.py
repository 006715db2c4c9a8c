"""Reads of the audit trail, for supervisors."""

import dataclasses
import datetime as dt
import functools
import re

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from audit.models import AuditChange, AuditEvent, AuditKind

PAGE_SIZE = 50

# How rows name a case (audit/middleware.py, migration 0002): by its database id only.
_CASE_IN_TARGET = re.compile(r"(?:^| )case=(\d+)(?: |$)")
# Row changes of a case's own row, and of rows that belong to a case (named by its id).
CASE_TABLE = "cases_case"
CASE_CHILD_TABLES = ("evidence_sighting", "evidence_evidencefile", "takedowns_takedownrequest")


def audit_events(
    *,
    kind: str = "",
    case_id: int | None = None,
    person: str = "",
    since: dt.datetime | None = None,
    before: dt.datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Events newest first: of one kind, about one case, by one person (part of her email
    address or name), within [since, before), as asked."""
    events = AuditEvent.objects.select_related("actor")
    if kind in AuditKind.values:
        events = events.filter(kind=kind)
    if case_id is not None:
        events = events.filter(target__regex=rf"(^| )case={int(case_id)}( |$)")
    if person:
        events = events.filter(
            Q(actor__email__icontains=person) | Q(actor__display_name__icontains=person)
        )
    return _within(events, since, before)


def audit_changes(
    *,
    case_id: int | None = None,
    since: dt.datetime | None = None,
    before: dt.datetime | None = None,
) -> QuerySet[AuditChange]:
    """Row changes newest first, of one case's rows (its own and its links', files' and
    requests') when asked, within [since, before)."""
    changes = AuditChange.objects.all()
    if case_id is not None:
        changes = changes.filter(
            Q(table_name=CASE_TABLE, row_id=f"id={int(case_id)}")
            | Q(table_name__in=CASE_CHILD_TABLES, row_id=f"case_id={int(case_id)}")
        )
    return _within(changes, since, before)


def _within(rows: QuerySet, since, before) -> QuerySet:
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    if before is not None:
        rows = rows.filter(created_at__lt=before)
    return rows


def event_case_id(event: AuditEvent) -> int | str | None:
    """The case an event was about: its id, "none" for a reference that named no case, or
    None when it was about no case."""
    if " case=none" in f" {event.target}":
        return "none"
    found = _CASE_IN_TARGET.search(event.target)
    return int(found.group(1)) if found else None


def change_case_id(change: AuditChange) -> int | None:
    if change.table_name == CASE_TABLE or change.table_name in CASE_CHILD_TABLES:
        identity, _, value = change.row_id.partition("=")
        if identity in ("id", "case_id") and value.isdigit():
            return int(value)
    return None


def target_without_case(target: str) -> str:
    return re.sub(r"(?:^| )case=(?:\d+|none)(?= |$)", "", target).strip()


# What the audit middleware's targets (a URL name and an evidence rendition) were, in words.
TARGETS_IN_WORDS = {
    "evidence:file rendition=thumbnail": "an evidence file's thumbnail, revealed",
    "evidence:file rendition=image": "an evidence file, revealed",
    "evidence:file rendition=download": "an evidence file, downloaded",
    "evidence:bundle": "the case's evidence bundle",
    "accounts:export": "her own data (export)",
}


def target_in_words(target: str) -> str:
    """The event's target without its case (the case has its own column), in words where
    the target is one of the pages the middleware records; anything else as it is."""
    bare = target_without_case(target)
    return TARGETS_IN_WORDS.get(bare, bare)


# --- the values of row changes, in words -----------------------------------------------


@functools.cache
def _models_by_table() -> dict:
    return {model._meta.db_table: model for model in apps.get_models()}


def change_in_words(change: AuditChange) -> tuple[str, list[str], list[tuple[str, str, str]]]:
    """(what the row is, the columns that changed, [(column, old, new)]) in the words of the
    model's fields and choices: "Takedown request", "legal basis", "TAKE IT DOWN Act", not
    `takedowns_takedownrequest`, `legal_basis`, `take_it_down`. Read from the models, so a
    column or a choice added later is named without editing this."""
    model = _models_by_table().get(change.table_name)
    if model is None:
        return (
            change.table_name,
            list(change.changed_columns),
            [(column, str(old), str(new)) for column, (old, new) in change.shown_values.items()],
        )
    fields = {field.column: field for field in model._meta.concrete_fields}

    def column_words(column):
        field = fields.get(column)
        return str(field.verbose_name) if field is not None else column

    def value_words(column, value):
        field = fields.get(column)
        if value is None:
            return "none"
        if field is not None and field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)

    return (
        str(model._meta.verbose_name).capitalize(),
        [column_words(column) for column in change.changed_columns],
        [
            (column_words(column), value_words(column, old), value_words(column, new))
            for column, (old, new) in change.shown_values.items()
        ],
    )


# --- rows in words, for the page and its CSV ------------------------------------------


@dataclasses.dataclass(frozen=True)
class TrailRow:
    """One line of the activity page or its CSV, an event or a row change alike."""

    record: str  # "event" or "row change"
    when: dt.datetime
    what: str
    who: str
    role: str
    case_reference: str  # empty when about no case, or about one no longer here
    case_note: str  # why there is no reference: "no such case", "case since erased"
    about: str
    details: str
    request_id: str


def _role_words() -> dict:
    return dict(get_user_model()._meta.get_field("role").flatchoices)


def _case_cell(case_id, references) -> tuple[str, str]:
    if case_id is None:
        return "", ""
    if case_id == "none":
        return "", "no such case"
    reference = references.get(case_id)
    return (reference, "") if reference else ("", "case since erased")


def _event_row(event: AuditEvent, references, roles) -> TrailRow:
    if not event.actor_id:
        who = "nobody signed in"
    elif event.actor is None:
        who = f"account {event.actor_id} (erased)"
    else:
        who = (
            f"{event.actor} <{event.actor.email}>"
            if event.actor.display_name
            else str(event.actor)
        )
    reference, note = _case_cell(event_case_id(event), references)
    return TrailRow(
        record="event",
        when=event.created_at,
        what=event.get_kind_display(),
        who=who,
        role=str(roles.get(event.actor_role, event.actor_role)),
        case_reference=reference,
        case_note=note,
        about=target_in_words(event.target),
        details=", ".join(f"{key}: {value}" for key, value in event.detail.items()),
        request_id=event.request_id,
    )


def _change_row(change: AuditChange, references) -> TrailRow:
    table, columns, values = change_in_words(change)
    case_id = change_case_id(change)
    reference, note = _case_cell(case_id, references)
    shown = "; ".join(f"{column}: {old} → {new}" for column, old, new in values)
    return TrailRow(
        record="row change",
        when=change.created_at,
        what=f"{table} changed",
        who="not recorded",
        role="",
        case_reference=reference,
        case_note=note,
        about="" if case_id is not None else change.row_id,
        details=f"changed: {', '.join(columns)}" + (f"; {shown}" if shown else ""),
        request_id="",
    )


def case_ids_named(events, changes) -> set[int]:
    """The database ids of the cases these rows are about, for the page to look up."""
    ids = {event_case_id(e) for e in events} | {change_case_id(c) for c in changes}
    return {case_id for case_id in ids if isinstance(case_id, int)}


def trail_rows(events, changes, *, references: dict[int, str]):
    """Events and row changes as TrailRow, naming cases by the references given."""
    roles = _role_words()
    return (
        [_event_row(event, references, roles) for event in events],
        [_change_row(change, references) for change in changes],
    )

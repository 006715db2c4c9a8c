import datetime as dt
import heapq
import itertools

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from access.permissions import supervisor_required
from audit import selectors
from audit.forms import TrailFilterForm
from audit.models import AuditChange, AuditEvent
from cases.models import Case
from leakcase.csv_export import csv_writer

# Enough rows per query that an export of the whole trail costs a query per this many.
EXPORT_BATCH = 500


def _rows(events, changes) -> tuple[list[selectors.TrailRow], list[selectors.TrailRow]]:
    """Both kinds of row in words, with the cases they name looked up in one query: rows
    keep a case's database id only, and a case since erased has no reference to show."""
    case_ids = selectors.case_ids_named(events, changes)
    references = dict(
        Case.objects.filter(pk__in=case_ids).values_list("pk", "reference") if case_ids else []
    )
    return selectors.trail_rows(events, changes, references=references)


def _export(events, changes) -> HttpResponse:
    """Every row the filters chose, events and row changes merged newest first."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="activity.csv"'
    writer = csv_writer(response)
    writer.writerow(
        ["record", "when_utc", "what", "who", "role", "case", "about", "details", "request_id"]
    )
    merged = heapq.merge(
        events.iterator(chunk_size=EXPORT_BATCH),
        changes.iterator(chunk_size=EXPORT_BATCH),
        key=lambda row: row.created_at,
        reverse=True,
    )
    while batch := list(itertools.islice(merged, EXPORT_BATCH)):
        event_rows, change_rows = _rows(
            [r for r in batch if isinstance(r, AuditEvent)],
            [r for r in batch if isinstance(r, AuditChange)],
        )
        for row in sorted(event_rows + change_rows, key=lambda row: row.when, reverse=True):
            writer.writerow(
                [
                    row.record,
                    row.when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
                    row.what,
                    row.who,
                    row.role,
                    row.case_reference or row.case_note,
                    row.about,
                    row.details,
                    row.request_id,
                ]
            )
    return response


def _without(params, *names) -> str:
    """The query string without the named parameters, ending in "&" when not empty, so a
    link adds one parameter to it."""
    params = params.copy()
    for name in names:
        params.pop(name, None)
    encoded = params.urlencode()
    return f"{encoded}&" if encoded else ""


@supervisor_required
@require_GET
def audit_trail(request):
    """The audit trail, filtered by case, person, kind and dates, paged, or as CSV.
    Supervisors only; anyone else gets the same 404 as for a page that does not exist."""
    form = TrailFilterForm(request.GET)
    case_id = None
    if form.is_valid() and form.cleaned_data["case"]:
        case_id = (
            Case.objects.filter(reference=form.cleaned_data["case"])
            .values_list("pk", flat=True)
            .first()
        )
        if case_id is None:
            form.add_error("case", "No case has this reference (or it was erased).")
    if form.errors:
        messages.error(request, "Nothing is shown: a filter needs fixing (see below).")
        return render(request, "audit/trail.html", {"form": form}, status=400)

    filters = form.cleaned_data
    since, before = form.utc_range()
    events = selectors.audit_events(
        kind=filters["kind"], case_id=case_id, person=filters["person"], since=since, before=before
    )
    # Row changes name no person and have no kind of event: with either filter, none match.
    changes_shown = not (filters["person"] or filters["kind"])
    changes = (
        selectors.audit_changes(case_id=case_id, since=since, before=before)
        if changes_shown
        else AuditChange.objects.none()
    )
    if request.GET.get("format") == "csv":
        return _export(events, changes)

    events_page = Paginator(events, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    changes_page = Paginator(changes, selectors.PAGE_SIZE).get_page(
        request.GET.get("changes_page")
    )
    event_rows, change_rows = _rows(list(events_page), list(changes_page) if changes_shown else [])
    params = request.GET.copy()
    params.pop("format", None)
    return render(
        request,
        "audit/trail.html",
        {
            "form": form,
            "events_page": events_page,
            "event_rows": event_rows,
            "changes_page": changes_page,
            "change_rows": change_rows,
            "changes_shown": changes_shown,
            "events_query": _without(params, "page"),
            "changes_query": _without(params, "changes_page"),
            "csv_query": _without(params, "page", "changes_page"),
            "filtered": any(filters.values()),
        },
    )

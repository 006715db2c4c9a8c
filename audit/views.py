from django.shortcuts import render
from django.views.decorators.http import require_GET

from access.permissions import supervisor_required
from audit import selectors
from audit.models import AuditKind


@supervisor_required
@require_GET
def audit_trail(request):
    """The latest audit events and recorded row changes. Supervisors only; anyone else gets
    the same 404 as for a page that does not exist."""
    kind = request.GET.get("kind", "")
    return render(
        request,
        "audit/trail.html",
        {
            "events": selectors.audit_events(kind=kind),
            "changes": selectors.audit_changes(),
            "kinds": AuditKind.choices,
            "kind": kind if kind in AuditKind.values else "",
            "page_size": selectors.PAGE_SIZE,
        },
    )

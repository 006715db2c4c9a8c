"""Reads of the audit trail, for supervisors."""

from django.db.models import QuerySet

from audit.models import AuditChange, AuditEvent, AuditKind

PAGE_SIZE = 200


def audit_events(*, kind: str = "") -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor")
    if kind in AuditKind.values:
        events = events.filter(kind=kind)
    return events[:PAGE_SIZE]


def audit_changes() -> QuerySet[AuditChange]:
    return AuditChange.objects.all()[:PAGE_SIZE]

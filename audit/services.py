"""The one write into the audit trail."""

from audit.models import AuditEvent, AuditKind
from leakcase.logs import request_id_var


def audit_record(*, kind: AuditKind, actor=None, target: str = "", detail=None) -> AuditEvent:
    """Record one event in the caller's transaction, with the current request's id.

    `actor` may be an anonymous user or None (a failed login has no one yet). `detail` must
    hold only harmless values: counts, a URL name, a role, never an address or an email.
    """
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEvent.objects.create(
        kind=kind,
        actor_id=actor.pk if actor is not None else None,
        actor_role=getattr(actor, "role", "") if actor is not None else "",
        request_id=request_id_var.get() or "",
        target=target[:120],
        detail=detail or {},
    )

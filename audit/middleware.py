"""The single point where refused access and staff looks at evidence reach the audit trail.

Every authorisation helper of ours (access.permissions: case_for_user and the helpers for
what belongs to a case built on it, and role_required on views) answers a refusal with Http404 or
PermissionDenied, and they all leave the view as an exception: process_exception sees each
one, whichever helper raised it. A 404 for a reference that does not exist looks the same as
one for a case she may not see, on purpose; both are recorded.

Pages that show evidence to staff, or hand out a whole case, are named here by URL name and
recorded once they answered with success. Showing evidence means the image itself (revealed,
its thumbnail, or downloaded): the blurred preview behind the content warning, on the case
page or the evidence page, is not a view of it, and neither is the evidence page, which shows
the preview until she chooses to reveal (then the image's own request is recorded).
"""

from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404

from audit.models import AuditKind
from audit.services import audit_record


def _our_apps() -> tuple[str, ...]:
    """The module prefixes of this project's own apps: those installed from its checkout,
    not from the virtual environment. Derived, so a new app is ours without anyone
    remembering to list it (a hand-kept list missed two new apps in one day)."""
    root = Path(settings.BASE_DIR)
    return tuple(
        f"{config.name}."
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(root) and ".venv" not in Path(config.path).parts
    )


OUR_APPS = _our_apps()

# Renditions of evidence:file that do not show the image: the blurred preview.
NOT_A_VIEW = frozenset({"preview"})

# URL name -> (kind, who counts): what a successful answer means.
RECORDED_PAGES = {
    "evidence:file": (AuditKind.EVIDENCE_VIEWED, "staff"),
    "evidence:bundle": (AuditKind.EXPORT, "anyone"),
    "accounts:export": (AuditKind.EXPORT, "anyone"),
}


def _target(match) -> str:
    """The URL name and the case's database id. Not the case reference nor an object's UUID:
    those also name files and links, and an erased survivor's must not outlive her in rows
    that cannot be deleted. A reference that names no case is not kept either."""
    from cases.models import Case

    parts = [match.view_name]
    reference = match.kwargs.get("reference")
    if reference:
        case_id = Case.objects.filter(reference=reference).values_list("pk", flat=True).first()
        parts.append(f"case={case_id}" if case_id else "case=none")
    if "rendition" in match.kwargs:
        parts.append(f"rendition={match.kwargs['rendition']}"[:40])
    return " ".join(parts)


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        user = getattr(request, "user", None)
        recorded = RECORDED_PAGES.get(match.view_name) if match is not None else None
        if not recorded or response.status_code != 200 or not getattr(user, "is_authenticated", 0):
            return response
        kind, who = recorded
        if match.kwargs.get("rendition") in NOT_A_VIEW:
            return response
        if kind == AuditKind.EXPORT and not response.get("Content-Disposition", "").startswith(
            "attachment"
        ):
            return response  # the password form, not the file
        if who == "anyone" or user.is_support_staff:
            audit_record(kind=kind, actor=user, target=_target(match))
        return response

    def process_exception(self, request, exception):
        if not isinstance(exception, Http404 | PermissionDenied):
            return None
        match = getattr(request, "resolver_match", None)
        if match is None or not match.func.__module__.startswith(OUR_APPS):
            return None
        audit_record(
            kind=AuditKind.ACCESS_DENIED,
            actor=getattr(request, "user", None),
            target=_target(match),
            detail={"method": request.method, "refusal": type(exception).__name__},
        )
        return None

"""May this user do this? Role checks for views, and the object helpers.

Views declare who may call them with `role_required(...)` (or one of the named instances
below); every case, and every sighting, evidence file, reference, match and takedown of a
case, is reached through `case_for_user`, so a child of a case she may not see is a 404 like
the case itself. A refusal is always 404, never 403: whether a staff page, a case or an
evidence file exists is nobody else's business (tests/test_access_matrix.py).
"""

import functools
import hmac

from django.conf import settings
from django.contrib.auth import decorators
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import STAFF_ROLES, Role, User
from cases.models import Case
from evidence.models import EvidenceFile, EvidenceMatch, ReferenceHash, Sighting
from inbound.models import InboundAttachment, InboundMessage
from takedowns.models import TakedownRequest

SUPERVISOR_ROLES = {Role.SUPERVISOR, Role.ADMIN}

# --- roles ------------------------------------------------------------------------------


def role_required(*roles: Role):
    """A view only users of these roles may call. Anyone not logged in is sent to the login
    page first (Django's login_required: the same redirect, with ?next=); a logged-in user
    of another role gets the 404 of a page that does not exist."""
    allowed = frozenset(roles)
    unknown = allowed - set(Role)
    if not allowed or unknown:
        # At import time, so a typo in a role fails the first test rather than a user.
        raise ValueError(f"role_required needs roles of accounts.models.Role, not {unknown}")

    def decorator(view):
        @functools.wraps(view)
        def checked(request, *args, **kwargs):
            if request.user.role not in allowed:
                raise Http404("Not found")
            return view(request, *args, **kwargs)

        return decorators.login_required(checked)

    return decorator


# Any logged-in user, whatever her role: the page itself decides what she sees.
login_required = role_required(*Role)
# The caseload, the platform directory, staff previews.
staff_required = role_required(*STAFF_ROLES)
# The service's figures, the outbox, the audit trail, editing the platform directory.
supervisor_required = role_required(*SUPERVISOR_ROLES)
# Her own data: the export of everything of hers, erasing her account.
survivor_required = role_required(Role.SURVIVOR)


# --- cases and what belongs to them -----------------------------------------------------


def cases_visible_to(user: User) -> QuerySet[Case]:
    """Survivors see their own cases; caseworkers theirs and the unassigned queue;
    supervisors and admins every case. Anyone else sees nothing. Lists start here, and so
    does case_for_user, so a list never shows a case its page would refuse."""
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    if user.role == Role.SURVIVOR:
        return Case.objects.filter(survivor=user)
    if user.role == Role.CASEWORKER:
        return Case.objects.filter(Q(assigned_to=user) | Q(assigned_to__isnull=True))
    if user.role in SUPERVISOR_ROLES:
        return Case.objects.all()
    return Case.objects.none()


def case_for_user(user: User, reference: str) -> Case:
    """The case, if this user may see it; otherwise 404, never 403, so a guessed reference
    learns nothing about whether the case exists."""
    try:
        return (
            cases_visible_to(user)
            .select_related("survivor", "assigned_to")
            .get(reference=reference)
        )
    except Case.DoesNotExist:
        raise Http404("No such case") from None


def sighting_for_user(user: User, reference: str, sighting_id) -> Sighting:
    """A sighting, through its case: 404 unless she may see the case and it is the case's."""
    case = case_for_user(user, reference)
    return get_object_or_404(
        Sighting.objects.select_related("platform", "case"), pk=sighting_id, case=case
    )


def listed_sighting_for_user(user: User, reference: str, sighting_id) -> Sighting:
    """A link's page and its forms: as sighting_for_user, and one she removed from her list
    is gone from her view (staff still see it, marked as removed)."""
    sighting = sighting_for_user(user, reference, sighting_id)
    if sighting.withdrawn_at is not None and not user.is_support_staff:
        raise Http404("Removed from her list")
    return sighting


def evidence_for_user(user: User, reference: str, evidence_id) -> EvidenceFile:
    """An evidence file, through its case."""
    case = case_for_user(user, reference)
    return get_object_or_404(
        EvidenceFile.objects.select_related("case", "sighting"), pk=evidence_id, case=case
    )


def match_for_user(user: User, reference: str, evidence_id, match_id) -> EvidenceMatch:
    """A possible copy found in an evidence file, through the file and its case."""
    evidence = evidence_for_user(user, reference, evidence_id)
    return get_object_or_404(
        EvidenceMatch.objects.select_related("evidence__case"), pk=match_id, evidence=evidence
    )


def reference_for_user(user: User, reference: str, reference_id) -> ReferenceHash:
    """A reference image (an image to find), through its case."""
    case = case_for_user(user, reference)
    return get_object_or_404(ReferenceHash, pk=reference_id, case=case)


def takedown_for_user(user: User, reference: str, takedown_id) -> TakedownRequest:
    """A takedown request, through its case."""
    case = case_for_user(user, reference)
    return get_object_or_404(
        TakedownRequest.objects.select_related("platform", "case"), pk=takedown_id, case=case
    )


def inbound_message_for_user(user: User, message_id) -> InboundMessage:
    """Mail a platform (or anyone) sent back: staff only. One filed on a request is reached
    through that request's case, like the request; one no rule could file is in the shared
    inbox, which every member of staff works, like the unassigned queue."""
    if not user.is_authenticated or not user.is_active or not user.is_support_staff:
        raise Http404("Not found")
    message = get_object_or_404(
        InboundMessage.objects.select_related("takedown__case", "takedown__platform"),
        pk=message_id,
    )
    if message.takedown_id is not None and not (
        cases_visible_to(user).filter(pk=message.takedown.case_id).exists()
    ):
        raise Http404("Not found")
    return message


def inbound_attachment_for_user(user: User, message_id, attachment_id) -> InboundAttachment:
    """A file that came with a message, through the message."""
    message = inbound_message_for_user(user, message_id)
    attachment = get_object_or_404(InboundAttachment, pk=attachment_id, message=message)
    attachment.message = message
    return attachment


# --- who writes takedown requests --------------------------------------------------------


def may_write_requests(user: User) -> bool:
    """Staff draft and send takedown requests; a survivor only where the service turns
    self-service on (settings.LEAKCASE_SURVIVOR_SELF_SERVICE, off by default)."""
    return user.is_support_staff or settings.LEAKCASE_SURVIVOR_SELF_SERVICE


def may_change_draft(user: User, takedown: TakedownRequest) -> bool:
    """Staff may change any draft of a case they may see; she may change only a draft she
    started herself, and only with self-service on: a draft staff are working on is
    read-only to her, so she can never overwrite it."""
    if user.is_support_staff:
        return True
    return may_write_requests(user) and takedown.created_by_id == user.pk


# --- machines ------------------------------------------------------------------------------


def may_scrape_metrics(request) -> bool:
    """/metrics: Prometheus, holding settings.METRICS_TOKEN as a bearer token (it cannot sign
    in with a second factor), or a supervisor signed in, who sees the service's figures
    anyway. Without a token set, only the supervisor. Compared in constant time; a bearer
    token offered decides alone, so a wrong one is refused whatever session comes with it."""
    token = settings.METRICS_TOKEN
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and offered:
        return hmac.compare_digest(offered.strip().encode(), token.encode())
    user = request.user
    return user.is_authenticated and user.is_active and user.role in SUPERVISOR_ROLES

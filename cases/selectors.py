"""Reads about cases. case_for_user is the one authorisation check for a case and its children."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from accounts.models import Role, User
from cases.models import Case, CaseEvent
from evidence.models import SightingStatus


def cases_visible_to(user: User) -> QuerySet[Case]:
    """Survivors see their own cases; caseworkers theirs and the unassigned queue;
    supervisors and admins every case. Anyone else sees nothing."""
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    if user.role == Role.SURVIVOR:
        return Case.objects.filter(survivor=user)
    if user.role == Role.CASEWORKER:
        return Case.objects.filter(Q(assigned_to=user) | Q(assigned_to__isnull=True))
    if user.role in (Role.SUPERVISOR, Role.ADMIN):
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


def case_timeline(case: Case, *, limit: int = 200) -> list[CaseEvent]:
    return list(case.events.select_related("actor")[:limit])


def cases_for_dashboard(user: User) -> QuerySet[Case]:
    return cases_visible_to(user).annotate(
        sighting_count=Count("sightings", distinct=True),
        live_count=Count(
            "sightings", filter=Q(sightings__status=SightingStatus.LIVE), distinct=True
        ),
        removed_count=Count(
            "sightings", filter=Q(sightings__status=SightingStatus.REMOVED), distinct=True
        ),
    )

"""Writes to the platform directory (supervisors). No case is touched, so no CaseEvent."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify

from accounts.models import User
from platforms.models import Platform, PlatformDomain


def platform_save(*, platform: Platform, domains: list[str], acting_user: User) -> Platform:
    """Save a directory entry and its domains (supervisors). A domain may belong to one
    platform only."""
    if not acting_user.is_supervisor:
        raise PermissionDenied("Only supervisors edit the platform directory.")
    cleaned = sorted({d.strip().lower().rstrip(".") for d in domains if d.strip()})
    if not cleaned:
        raise ValidationError({"domains_text": "Give at least one domain."})
    taken = PlatformDomain.objects.filter(domain__in=cleaned).exclude(platform_id=platform.pk)
    if taken.exists():
        names = ", ".join(f"{d.domain} ({d.platform})" for d in taken.select_related("platform"))
        raise ValidationError({"domains_text": f"Already in the directory under: {names}"})
    with transaction.atomic():
        if not platform.slug:
            platform.slug = slugify(platform.name)
        platform.save()
        platform.domains.exclude(domain__in=cleaned).delete()
        for domain in cleaned:
            PlatformDomain.objects.get_or_create(platform=platform, domain=domain)
    return platform

"""/healthz for load balancers: the database, the broker, and how late rechecks are."""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from evidence.models import Sighting

# Beat dispatches every minute; a due check older than this means workers are not keeping up.
RECHECK_LAG_LIMIT_SECONDS = 30 * 60


@never_cache
@require_GET
def healthz(request):
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = type(exc).__name__
    if settings.REDIS_URL:
        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
            checks["broker"] = "ok"
        except Exception as exc:
            checks["broker"] = type(exc).__name__
    else:
        checks["broker"] = "embedded"
    lag = None
    if checks["database"] == "ok":
        oldest = (
            Sighting.objects.filter(next_check_at__lte=timezone.now())
            .order_by("next_check_at")
            .values_list("next_check_at", flat=True)
            .first()
        )
        lag = int((timezone.now() - oldest).total_seconds()) if oldest else 0
    healthy = (
        checks["database"] == "ok"
        and checks["broker"] in ("ok", "embedded")
        and lag is not None
        and lag < RECHECK_LAG_LIMIT_SECONDS
    )
    # Counts and ages only: nothing here says who or what is being checked.
    return JsonResponse(
        {"ok": healthy, **checks, "oldest_due_recheck_seconds": lag},
        status=200 if healthy else 503,
    )

"""Background rechecks. Thin: tasks take ids, load rows and call one service.

The database is the ledger: `dispatch_rechecks` (run by beat every minute) claims due
sightings with SELECT ... FOR UPDATE SKIP LOCKED and leases them by moving next_check_at a
little into the future, so two dispatchers never hand out the same sighting, and a lost
message or a killed worker only delays a check: the lease runs out and the sighting is
claimed again.
"""

import datetime as dt
import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from evidence.models import Sighting
from evidence.recheck_batch import recheck_many
from evidence.services import sighting_recheck

log = logging.getLogger(__name__)

DISPATCH_BATCH = 200
PER_HOST = 20
# Longer than a recheck can take (fetch total time limit plus page images), so a sighting
# being checked is not handed out again; short enough that a lost one is retried soon.
RECHECK_LEASE = dt.timedelta(minutes=10)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def recheck_sighting(sighting_id: str) -> str | None:
    sighting = Sighting.objects.select_related("case").filter(pk=sighting_id).first()
    if sighting is None:
        return None  # erased meanwhile
    check = sighting_recheck(sighting=sighting)
    # No URL or personal data in logs: ids and the outcome only.
    log.info("recheck sighting=%s outcome=%s ms=%s", sighting_id, check.outcome, check.elapsed_ms)
    return check.outcome


@shared_task(acks_late=True, reject_on_worker_lost=True)
def recheck_sightings(sighting_ids: list[str]) -> dict:
    """Many sightings in one task, fetched concurrently (evidence.recheck_batch): the same
    checks and rows as recheck_sighting for each, hundreds a second in one worker. Safe to
    run twice, like recheck_sighting."""
    outcomes = recheck_many(sighting_ids)
    log.info("recheck batch n=%s outcomes=%s", len(sighting_ids), dict(outcomes))
    return dict(outcomes)


@shared_task
def dispatch_rechecks() -> int:
    now = timezone.now()
    with transaction.atomic():
        candidates = (
            Sighting.objects.select_for_update(skip_locked=True)
            .filter(next_check_at__lte=now)
            .order_by("next_check_at")
            .values_list("pk", "host")[: DISPATCH_BATCH * 2]
        )
        # No host gets more than PER_HOST of a batch: a case with 300 links on one site
        # must not hammer it; the rest wait for the next minute.
        per_host: dict[str, int] = {}
        due = []
        for pk, host in candidates:
            if per_host.get(host, 0) < PER_HOST and len(due) < DISPATCH_BATCH:
                per_host[host] = per_host.get(host, 0) + 1
                due.append(pk)
        Sighting.objects.filter(pk__in=due).update(next_check_at=now + RECHECK_LEASE)
    for sighting_id in due:
        transaction.on_commit(lambda pk=sighting_id: recheck_sighting.delay(str(pk)))
    return len(due)

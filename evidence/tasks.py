"""Background rechecks. Thin: tasks take ids, load rows and call one service.

The database is the ledger: `dispatch_rechecks` (run by beat every minute) has due
sightings claimed and leased (evidence.services.rechecks_claim_due: SELECT ... FOR UPDATE
SKIP LOCKED, next_check_at moved a little into the future) and hands them out in small
batches (`recheck_sightings`, checked concurrently), so two dispatchers never hand out the
same sighting, and a lost message or a killed worker only delays a check: the lease runs
out and the sighting is claimed again.
"""

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from evidence.models import Sighting
from evidence.recheck_batch import recheck_many
from evidence.services import rechecks_claim_due, sighting_recheck

log = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def recheck_sighting(sighting_id: str) -> str | None:
    sighting = Sighting.objects.select_related("case").filter(pk=sighting_id).first()
    if sighting is None:
        return None  # erased meanwhile
    check = sighting_recheck(sighting=sighting)
    # No URL or personal data in logs: ids and the outcome only.
    log.info("recheck sighting=%s outcome=%s ms=%s", sighting_id, check.outcome, check.elapsed_ms)
    return check.outcome


# A batch lasts as long as its slowest check: a page and up to MAX_PAGE_IMAGES images, each
# fetch capped at 20 s. Finished checks are written as they come in, so a batch cut short
# loses only the unfinished ones (their lease hands them out again). Both limits stay under
# evidence.services.RECHECK_LEASE, so a sighting still being checked is never handed out twice.
BATCH_SOFT_TIME_LIMIT = 240
BATCH_TIME_LIMIT = 300


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=BATCH_SOFT_TIME_LIMIT,
    time_limit=BATCH_TIME_LIMIT,
)
def recheck_sightings(sighting_ids: list[str]) -> dict:
    """Many sightings in one task, fetched concurrently (evidence.recheck_batch): the same
    checks and rows as recheck_sighting for each, hundreds a second in one worker. Safe to
    run twice, like recheck_sighting."""
    outcomes = recheck_many(sighting_ids)
    log.info("recheck batch n=%s outcomes=%s", len(sighting_ids), dict(outcomes))
    return dict(outcomes)


@shared_task
def dispatch_rechecks() -> int:
    """Claim the due sightings (evidence.services.rechecks_claim_due) and hand them to
    workers in batches once the claim is committed. No retry here: beat calls it again in a
    minute, and a claim that failed leased nothing."""
    batches = rechecks_claim_due(now=timezone.now())
    for ids in batches:
        transaction.on_commit(lambda ids=ids: recheck_sightings.delay(ids))
    return sum(len(ids) for ids in batches)

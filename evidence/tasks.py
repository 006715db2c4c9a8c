"""Background rechecks. Thin: tasks take ids, load rows and call one service.

The database is the ledger: `dispatch_rechecks` (run by beat every minute) claims due
sightings with SELECT ... FOR UPDATE SKIP LOCKED, leases them by moving next_check_at a
little into the future and hands them out in small batches (`recheck_sightings`, checked
concurrently), so two dispatchers never hand out the same sighting, and a lost
message or a killed worker only delays a check: the lease runs out and the sighting is
claimed again.
"""

import datetime as dt
import logging
from collections import Counter

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from evidence.models import Sighting
from evidence.recheck_batch import recheck_many
from evidence.services import sighting_recheck

log = logging.getLogger(__name__)

DISPATCH_BATCH = 200
PER_HOST = 20
# Sightings per recheck_sightings task: checked side by side in one worker process
# (evidence.recheck_batch, hundreds a second where one at a time manages a few), and no more
# than PER_HOST_AT_ONCE of one site in a task, so a site never gets a burst from us.
RECHECK_CHUNK = 25
PER_HOST_AT_ONCE = 4
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


# A batch lasts as long as its slowest check: a page and up to MAX_PAGE_IMAGES images, each
# fetch capped at 20 s. Finished checks are written as they come in, so a batch cut short
# loses only the unfinished ones (their lease hands them out again). Both limits stay under
# RECHECK_LEASE, so a sighting still being checked is never handed out twice.
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
                due.append((pk, host))
        Sighting.objects.filter(pk__in=[pk for pk, _ in due]).update(
            next_check_at=now + RECHECK_LEASE
        )
    for chunk in _chunks(due):
        transaction.on_commit(lambda ids=chunk: recheck_sightings.delay(ids))
    return len(due)


def _chunks(due: list[tuple]) -> list[list[str]]:
    """(id, host) pairs into tasks of at most RECHECK_CHUNK ids and PER_HOST_AT_ONCE of a host."""
    chunks: list[tuple[list[str], Counter]] = []
    for pk, host in due:
        for ids, hosts in chunks:
            if len(ids) < RECHECK_CHUNK and hosts[host] < PER_HOST_AT_ONCE:
                break
        else:
            ids, hosts = [], Counter()
            chunks.append((ids, hosts))
        ids.append(str(pk))
        hosts[host] += 1
    return [ids for ids, _ in chunks]

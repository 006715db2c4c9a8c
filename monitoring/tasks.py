"""Background rechecks. Thin: tasks take ids, load rows and call one service.

`dispatch_rechecks` (run by beat every minute, leakcase/celery.py) hands due sightings out
in small batches (`recheck_sightings`, checked concurrently); how they are claimed and
leased is monitoring.services.rechecks_dispatch.
"""

import logging

from celery import shared_task

from evidence.models import Sighting
from hosting.services import hosts_claim_due, hosts_ensure_for_sightings
from monitoring.host_lookup import host_lookup_run
from monitoring.recheck_batch import recheck_many
from monitoring.services import rechecks_dispatch, sighting_recheck, url_checks_prune

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
# RECHECK_LEASE, so a sighting still being checked is never handed out twice.
BATCH_SOFT_TIME_LIMIT = 240
BATCH_TIME_LIMIT = 300
_BATCH_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "soft_time_limit": BATCH_SOFT_TIME_LIMIT,
    "time_limit": BATCH_TIME_LIMIT,
}


@shared_task(**_BATCH_OPTIONS)
def recheck_sightings(sighting_ids: list[str]) -> dict:
    """Many sightings in one task, fetched concurrently (monitoring.recheck_batch): the same
    checks and rows as recheck_sighting for each, hundreds a second in one worker. Safe to
    run twice, like recheck_sighting."""
    outcomes = recheck_many(sighting_ids)
    log.info("recheck batch n=%s outcomes=%s", len(sighting_ids), dict(outcomes))
    return dict(outcomes)


@shared_task
def dispatch_rechecks() -> int:
    return rechecks_dispatch(send=recheck_sightings.delay)


@shared_task
def prune_url_checks() -> dict:
    """Daily: the link-check history the retention rule does not keep (services)."""
    return url_checks_prune()


# --- the names these tasks had before they moved here from evidence/tasks.py --------------
# Celery names a task by its module, and a message carries only that name: messages queued
# before a deploy (batches handed out in the last minute, acks_late ones a lost worker left
# in the queue, the old beat's dispatch during a rolling restart) name evidence.tasks.*, and
# a worker that does not know a name drops the message. A dropped batch is only late (its
# lease runs out, RECHECK_LEASE), but there is no need to make it so: the old names run the
# same code for one release. Remove them in the release after the one that moved the tasks.
@shared_task(name="evidence.tasks.recheck_sighting", acks_late=True, reject_on_worker_lost=True)
def _legacy_recheck_sighting(sighting_id: str) -> str | None:
    return recheck_sighting(sighting_id)


@shared_task(name="evidence.tasks.recheck_sightings", **_BATCH_OPTIONS)
def _legacy_recheck_sightings(sighting_ids: list[str]) -> dict:
    return recheck_sightings(sighting_ids)


@shared_task(name="evidence.tasks.dispatch_rechecks")
def _legacy_dispatch_rechecks() -> int:
    return dispatch_rechecks()


# --- who hosts a site (monitoring/host_lookup.py) -------------------------------------------
# A host lookup asks DNS and two to seven RDAP servers: a few seconds, at most RDAP_TIMEOUT
# per query. The limits keep a stuck registry from holding a worker past the claim's lease
# (hosting.services.CLAIM_LEASE), so a host is never looked up twice at once.
_HOST_LOOKUP_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "soft_time_limit": 240,
    "time_limit": 300,
}
# Each dispatch hands out this many hosts: registries rate-limit by client address, and a
# week's refresh of even tens of thousands of hosts spreads over the week at this pace.
HOST_LOOKUPS_PER_DISPATCH = 20


@shared_task(**_HOST_LOOKUP_OPTIONS)
def lookup_host(host_id: int) -> str | None:
    """Look one host up (who hosts it) and keep what was found. Safe to run twice."""
    lookup = host_lookup_run(host_id=host_id)
    return lookup.status if lookup else None


@shared_task
def dispatch_host_lookups() -> int:
    """Hand out the hosts due a lookup: the weekly refresh, a move a recheck saw, staff's
    "Look up again", a new unknown site's draft (hosting.services.hosts_claim_due)."""
    ids = hosts_claim_due(limit=HOST_LOOKUPS_PER_DISPATCH)
    for host_id in ids:
        lookup_host.delay(host_id)
    return len(ids)


@shared_task
def ensure_hosts() -> int:
    """Hourly: a Host row for each host of a link still being worked on that has none, due
    a lookup at once (the next dispatch takes it)."""
    return hosts_ensure_for_sightings()

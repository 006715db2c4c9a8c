"""Recheck many sightings at once in one worker process.

One sighting at a time, a recheck mostly waits: for the site (100 ms or more), then for the
database. Here an asyncio loop in a second thread keeps up to `concurrency` guarded fetches
in flight (monitoring.fetcher_async: the same rules as monitoring.fetcher) and judges each answer
with the same classifier (recheck.classify), while this thread writes what was found in
batches through the same writer as the single path (services.sighting_checks_record). So a
sighting checked here gets the rows and outcome it would get from sighting_recheck.

The database stays with this thread (Django's connections are per thread); the loop thread
never touches it: the sightings' addresses and their cases' reference hashes are read first.

Decoding and hashing fetched images (recheck.MatchRequest) never run on the loop, nor in
this process: a hostile image that takes seconds to decode (evidence.image_open bounds what
one can cost) would otherwise hold up every other fetch in flight, and in threads (as before
issue 21) their Python held the GIL the loop and the writer need. They run in decoding
processes (monitoring/decode_pool.py, started once per worker process), and only for bytes
not hashed before: recheck.HASH_CACHE keeps the hashes by the bytes' SHA-256, and images
being hashed for one check are not sent again for another meanwhile.

Safe to run twice, like the single task: a second run writes a second check, nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections import Counter

from evidence.matching.hashing import ImageHashes
from evidence.models import ReferenceHash, Sighting, to_unsigned64
from monitoring import decode_pool, fetcher, fetcher_async, recheck
from monitoring.services import sighting_checks_record

log = logging.getLogger(__name__)

# 100 requests in flight: what one process keeps busy (bench/RESULTS.md); a site answering in
# 100 ms then allows 1,000 checks a second, more than the database writes keep up with.
DEFAULT_CONCURRENCY = 100
# Results written per transaction: large enough that the fixed queries per batch are cheap,
# small enough that a killed worker loses few finished checks (their lease brings them back).
WRITE_BATCH = 200
WRITE_WAIT_S = 0.2


def recheck_many(
    sighting_ids,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    write_batch: int = WRITE_BATCH,
    write_wait: float = WRITE_WAIT_S,
) -> Counter:
    """Recheck these sightings (ids) concurrently; returns how many got each outcome.
    Sightings erased meanwhile are skipped. A check that fails unexpectedly is logged (its
    id only) and left for the next dispatch, as a failed single task would be."""
    sightings = {
        s.pk: s for s in Sighting.objects.select_related("case").filter(pk__in=sighting_ids)
    }
    wanted: dict = {}
    for case_id, phash, dhash in ReferenceHash.objects.filter(
        case__in={s.case_id for s in sightings.values()}
    ).values_list("case_id", "phash", "dhash"):
        wanted.setdefault(case_id, []).append(
            ImageHashes(to_unsigned64(phash), to_unsigned64(dhash))
        )
    jobs = [(pk, s.url, wanted.get(s.case_id, [])) for pk, s in sightings.items()]
    results: queue.Queue = queue.Queue()
    loop_thread = threading.Thread(
        target=_run_loop, args=(jobs, concurrency, results.put), name="recheck-fetch"
    )
    loop_thread.start()
    outcomes: Counter = Counter()
    try:
        received = 0
        while received < len(jobs):
            pending = []
            item = results.get()
            # A batch waits a moment for more results to fill it: its fixed queries (locks,
            # the requests and cases to close) then cost less a check; bench/RESULTS.md.
            fill_until = time.monotonic() + write_wait
            while True:
                if isinstance(item, BaseException):
                    raise item
                received += 1
                pk, verdict = item
                if verdict is None:
                    outcomes["failed"] += 1
                else:
                    pending.append((sightings[pk], verdict))
                if len(pending) >= write_batch or received == len(jobs):
                    break
                try:
                    item = results.get(timeout=max(0.0, fill_until - time.monotonic()))
                except queue.Empty:
                    break
            if pending:
                rows = sighting_checks_record(checks=pending)
                outcomes.update(str(row.outcome) for row in rows)
    finally:
        loop_thread.join()
    return outcomes


def _run_loop(jobs, concurrency, deliver) -> None:
    try:
        asyncio.run(_check_all(jobs, concurrency, deliver))
    except BaseException as error:  # handed to the writing thread, which raises it
        deliver(error)


async def _check_all(jobs, concurrency, deliver) -> None:
    todo: asyncio.Queue = asyncio.Queue()
    for job in jobs:
        todo.put_nowait(job)

    async def worker(session, decoding):
        while not todo.empty():
            pk, url, wanted = todo.get_nowait()
            try:
                verdict = await run_concurrent(recheck.classify(url, wanted), session, decoding)
            except Exception:
                log.exception("recheck failed sighting=%s", pk)  # no URL in logs
                verdict = None
            deliver((pk, verdict))

    decoding = _Decoding(decode_pool.shared_pool())
    async with fetcher_async.new_session(concurrency=concurrency) as session:
        await asyncio.gather(
            *(worker(session, decoding) for _ in range(min(concurrency, len(jobs))))
        )


# What the decoding processes run for each image not in the cache (the tests put another
# function of the same shape here, to see where and when it runs).
hash_in_pool = recheck.image_hashes
# Past this size an image's SHA-256 is worked out off the loop (about 2 ms a megabyte here).
DIGEST_OFF_LOOP = 1 << 20


class _Decoding:
    """The decoding processes as one batch's loop uses them: each image's hashes from
    recheck.HASH_CACHE, from a decode of the same bytes already under way for another
    check, or from the pool."""

    def __init__(self, pool: decode_pool.DecodePool):
        self.pool = pool
        self.under_way: dict[bytes, asyncio.Future] = {}

    async def hashes(self, body: bytes, wanted) -> recheck.Hashed:
        if len(body) > DIGEST_OFF_LOOP:
            key = await asyncio.get_running_loop().run_in_executor(
                None, recheck.HashCache.key, body
            )
        else:
            key = recheck.HashCache.key(body)
        found = recheck.HASH_CACHE.get(key, wanted)
        if found is not None:
            return found
        other = self.under_way.get(key)
        if other is not None:
            # Hashed for another check meanwhile; then asked again, as it may lack a dHash
            # this check needs (another case's references), or have failed: then ours goes.
            with contextlib.suppress(Exception):
                await asyncio.shield(other)
            found = recheck.HASH_CACHE.get(key, wanted)
            if found is not None:
                return found
        future = asyncio.wrap_future(self.pool.submit(hash_in_pool, body, wanted))
        self.under_way[key] = future
        try:
            found = await future
            recheck.HASH_CACHE.put(key, found)
            return found
        finally:
            if self.under_way.get(key) is future:
                del self.under_way[key]

    async def best_match(self, request: recheck.MatchRequest) -> recheck.Found:
        hashed = await asyncio.gather(
            *(self.hashes(body, request.wanted) for _, body in request.images)
        )
        return recheck.best_match(request.images, request.wanted, list(hashed))


async def run_concurrent(steps, session, decoding: _Decoding) -> recheck.Verdict:
    """Drive recheck.classify with the concurrent fetcher, as recheck.run_blocking does
    with the blocking one; its images are hashed by `decoding` (the decoding processes)
    while the loop goes on with other fetches."""
    request = next(steps)
    while not isinstance(request, recheck.Verdict):
        if isinstance(request, recheck.MatchRequest):
            answer = await decoding.best_match(request) if request.wanted else recheck.Found()
        else:
            try:
                answer = await fetcher_async.fetch(session, request.url, **request.kwargs)
            except fetcher.FetchError as error:
                answer = error
        request = recheck.answer_request(steps, answer)
    return request

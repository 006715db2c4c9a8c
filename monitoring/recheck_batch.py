"""Recheck many sightings at once in one worker process.

One sighting at a time, a recheck mostly waits: for the site (100 ms or more), then for the
database. Here an asyncio loop in a second thread keeps up to `concurrency` guarded fetches
in flight (monitoring.fetcher_async: the same rules as monitoring.fetcher) and judges each answer
with the same classifier (recheck.classify), while this thread writes what was found in
batches through the same writer as the single path (services.sighting_checks_record). So a
sighting checked here gets the rows and outcome it would get from sighting_recheck.

The database stays with this thread (Django's connections are per thread); the loop thread
never touches it: the sightings' addresses and their cases' reference hashes are read first.

Decoding and hashing fetched images (recheck.MatchRequest) run in a small thread pool, never
on the loop: a hostile image that takes seconds to decode (evidence.image_open bounds what
one can cost) would otherwise hold up every other fetch in flight. Threads, not processes:
Pillow releases the GIL while it decodes and resizes, a thread costs nothing to hand 10 MB
of bytes to (a process pickles them), and Celery's prefork workers are daemonic processes,
which may not start processes of their own ("daemonic processes are not allowed to have
children", tried here in a billiard pool). Figures at DECODE_THREADS.

Safe to run twice, like the single task: a second run writes a second check, nothing else.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import threading
from collections import Counter

from evidence.matching.hashing import ImageHashes
from evidence.models import ReferenceHash, Sighting, to_unsigned64
from monitoring import fetcher, fetcher_async, recheck
from monitoring.services import sighting_checks_record

log = logging.getLogger(__name__)

# 100 requests in flight: what one process keeps busy (bench/RESULTS.md); a site answering in
# 100 ms then allows 1,000 checks a second, more than the database writes keep up with.
DEFAULT_CONCURRENCY = 100
# Results written per transaction: large enough that the fixed queries per batch are cheap,
# small enough that a killed worker loses few finished checks (their lease brings them back).
WRITE_BATCH = 200
# Threads that decode and hash fetched images beside the event loop. bench/decode_executor.py
# (37 images, one of them a 49 MP PNG; this 2-CPU machine, Dec 2026): decoded on the loop,
# the loop stood still for 0.84 s at a load of 3 (2.5-2.8 s at a load of 5-8); in 2 threads
# for at most 25 ms (0.16-0.24 s: the parts of hashing that hold the GIL), in the same wall
# time (0.7-0.8 s for all of them; 4 threads or 2 processes were no faster, processes held
# the loop up least, 7 ms). Two cores, and each decode holds a picture of up to MAX_PIXELS in
# memory (that PNG alone takes 1.6 s), so more threads would mostly add memory.
DECODE_THREADS = 2


def recheck_many(
    sighting_ids, *, concurrency: int = DEFAULT_CONCURRENCY, write_batch: int = WRITE_BATCH
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
                    item = results.get_nowait()
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

    with concurrent.futures.ThreadPoolExecutor(
        max_workers=DECODE_THREADS, thread_name_prefix="recheck-decode"
    ) as decoding:
        async with fetcher_async.new_session(concurrency=concurrency) as session:
            await asyncio.gather(
                *(worker(session, decoding) for _ in range(min(concurrency, len(jobs))))
            )


async def run_concurrent(steps, session, decoding) -> recheck.Verdict:
    """Drive recheck.classify with the concurrent fetcher, as recheck.run_blocking does
    with the blocking one; its images are decoded and matched in `decoding`, an executor,
    while the loop goes on with other fetches."""
    loop = asyncio.get_running_loop()
    request = next(steps)
    while not isinstance(request, recheck.Verdict):
        if isinstance(request, recheck.MatchRequest):
            answer = await loop.run_in_executor(
                decoding, recheck.best_match, request.images, request.wanted
            )
        else:
            try:
                answer = await fetcher_async.fetch(session, request.url, **request.kwargs)
            except fetcher.FetchError as error:
                answer = error
        request = recheck.answer_request(steps, answer)
    return request

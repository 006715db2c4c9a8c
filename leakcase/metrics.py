"""/metrics for Prometheus: how the machinery is doing, read from the database and the broker
when scraped, never anything about a person.

Every figure is read at scrape time by one collector (no counters kept in this process, so
any web process gives the same answer). Labels come only from fixed vocabularies: the
registered task names, the outbox's statuses and kinds, the generation counter's two
columns. No case, address, host, email or hash is a label or a value.

prometheus-client writes the exposition format (escaping, HELP and TYPE lines, the content
type) and gives tests its parser; hand-written text would have to get all of that right.
"""

import dataclasses
import functools
import json
import os
import sqlite3
from collections import Counter

import redis
from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder

from access.permissions import may_scrape_metrics
from evidence.matching.hash_index import loaded_index
from evidence.selectors import due_checks, reference_hash_figures
from leakcase.celery import app as celery_app
from outbox.models import EmailKind, EmailStatus
from outbox.selectors import outbox_counts
from takedowns.selectors import requests_overdue_count

# Every task goes to Celery's default queue (no routes are set).
QUEUE = "celery"
# Waiting messages read to count them by task, at most: a queue a million deep costs one
# LLEN, and this many messages (about 1 kB each) are read and parsed. Past it the counts by
# task cover the first QUEUE_SCAN_LIMIT only, and leakcase_queue_scan_capped says so.
QUEUE_SCAN_LIMIT = 5_000
# kombu's Redis transport keeps messages sent with a priority under "<queue>\x06\x16<step>"
# for the steps 3, 6 and 9 (priority 0, our only one, under the queue's own name).
REDIS_QUEUE_KEYS = (QUEUE, *(f"{QUEUE}\x06\x16{step}" for step in (3, 6, 9)))
SQLA_SQLITE_PREFIX = "sqla+sqlite:///"
OTHER = "other"
# Sent emails are history, not backlog.
OUTBOX_BACKLOG_STATUSES = [status for status in EmailStatus.values if status != EmailStatus.SENT]


@dataclasses.dataclass
class QueueReading:
    total: int
    by_task: Counter
    capped: bool


def _task_name(payload: bytes | str, known: frozenset) -> str:
    """The task a message is for, from its `task` header (Celery's message protocol 2); a name
    that is not one of ours, or a message we cannot read, counts as "other"."""
    try:
        name = json.loads(payload)["headers"]["task"]
    except (ValueError, KeyError, TypeError):
        return OTHER
    return name if name in known else OTHER


@functools.cache
def _registered_tasks() -> frozenset:
    # The web process imports only the tasks its views send: import every app's tasks module,
    # once (tasks are registered at import; they do not change while the process runs).
    celery_app.loader.import_default_modules()
    return frozenset(celery_app.tasks)


def _redis_queue(url: str, known: frozenset) -> QueueReading:
    by_task: Counter = Counter()
    with redis.Redis.from_url(url, socket_timeout=2) as client:
        with client.pipeline(transaction=False) as pipe:
            for key in REDIS_QUEUE_KEYS:
                pipe.llen(key)
            lengths = pipe.execute()
        room = QUEUE_SCAN_LIMIT
        for key, length in zip(REDIS_QUEUE_KEYS, lengths, strict=True):
            if length and room > 0:
                payloads = client.lrange(key, 0, room - 1)
                by_task.update(_task_name(payload, known) for payload in payloads)
                room -= len(payloads)
    total = sum(lengths)
    return QueueReading(total, by_task, total > QUEUE_SCAN_LIMIT)


def _sqlite_queue(path: str, known: frozenset) -> QueueReading:
    """kombu's SQLAlchemy transport on an SQLite file (no REDIS_URL): visible messages are
    the waiting ones; a delivered message stays in the table with visible = 0."""
    if not os.path.exists(path):
        return QueueReading(0, Counter(), False)  # no file yet: nothing was ever sent
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
    waiting = (
        "FROM kombu_message m JOIN kombu_queue q ON q.id = m.queue_id "
        "WHERE q.name = ? AND m.visible"
    )
    try:
        (total,) = db.execute(f"SELECT count(*) {waiting}", (QUEUE,)).fetchone()
        rows = db.execute(
            f"SELECT m.payload {waiting} ORDER BY m.id LIMIT ?",
            (QUEUE, QUEUE_SCAN_LIMIT),
        ).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return QueueReading(0, Counter(), False)  # the worker has not created them yet
        raise
    finally:
        db.close()
    by_task = Counter(_task_name(payload, known) for (payload,) in rows)
    return QueueReading(total, by_task, total > QUEUE_SCAN_LIMIT)


def read_queue() -> QueueReading | None:
    """The broker's waiting messages, or None when the broker cannot be read."""
    known = _registered_tasks()
    try:
        if settings.REDIS_URL:
            return _redis_queue(settings.REDIS_URL, known)
        if settings.CELERY_BROKER_URL.startswith(SQLA_SQLITE_PREFIX):
            return _sqlite_queue(settings.CELERY_BROKER_URL[len(SQLA_SQLITE_PREFIX) :], known)
    except (redis.RedisError, sqlite3.Error):
        return None
    return None


def _gauge(name: str, documentation: str, value) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class LeakCaseCollector:
    """Reads every figure when Prometheus scrapes: four database queries and the broker."""

    def collect(self):
        now = timezone.now()
        yield from self._queue()
        yield from self._rechecks(now)
        yield from self._outbox()
        yield _gauge(
            "leakcase_takedown_requests_overdue",
            "Sent takedown requests still waiting past their due time.",
            requests_overdue_count(now=now),
        )
        yield from self._hash_index(now)

    def _queue(self):
        reading = read_queue()
        yield _gauge(
            "leakcase_broker_up",
            "1 when the broker's queue could be read for this scrape, else 0.",
            int(reading is not None),
        )
        if reading is None:
            return
        total = GaugeMetricFamily(
            "leakcase_queue_messages",
            "Messages waiting in the broker's queue, not yet taken by a worker.",
            labels=["queue"],
        )
        total.add_metric([QUEUE], reading.total)
        yield total
        by_task = GaugeMetricFamily(
            "leakcase_queue_messages_by_task",
            f"Waiting messages by task, among the first {QUEUE_SCAN_LIMIT} read.",
            labels=["task"],
        )
        for task, count in sorted(reading.by_task.items()):
            by_task.add_metric([task], count)
        yield by_task
        yield _gauge(
            "leakcase_queue_scan_capped",
            f"1 when more than {QUEUE_SCAN_LIMIT} messages wait, so the counts by task are "
            "of the first ones only.",
            int(reading.capped),
        )

    def _rechecks(self, now):
        due = due_checks(now=now)
        yield _gauge(
            "leakcase_rechecks_due",
            "Sightings whose next recheck is due now or overdue.",
            due.count,
        )
        yield _gauge(
            "leakcase_recheck_lag_seconds",
            "Seconds since the longest-waiting due recheck fell due (0 when none is due), "
            "as /healthz reports it.",
            (now - due.oldest).total_seconds() if due.oldest else 0,
        )
        if due.oldest:
            yield _gauge(
                "leakcase_oldest_due_recheck_timestamp_seconds",
                "When the longest-waiting due recheck fell due (Unix time); absent when none "
                "is due.",
                due.oldest.timestamp(),
            )

    def _outbox(self):
        counts = outbox_counts()
        backlog = GaugeMetricFamily(
            "leakcase_outbox_emails",
            "Emails in the outbox not sent (yet), by status and kind.",
            labels=["status", "kind"],
        )
        for row in counts.kinds:
            kind = row.kind if row.kind in EmailKind.values else OTHER
            for cell in row.by_state:
                if cell.state in OUTBOX_BACKLOG_STATUSES:
                    backlog.add_metric([cell.state, kind], cell.count)
        yield backlog

    def _hash_index(self, now):
        figures = reference_hash_figures()
        yield _gauge(
            "leakcase_reference_hashes",
            "Reference hashes (images to find) in the database.",
            figures.rows,
        )
        if figures.newest_at:
            yield _gauge(
                "leakcase_reference_hashes_newest_age_seconds",
                "Seconds since the newest reference hash was added (removals do not reset "
                "it: see leakcase_reference_hash_generation).",
                (now - figures.newest_at).total_seconds(),
            )
        generation = GaugeMetricFamily(
            "leakcase_reference_hash_generation",
            "The database's change counter for reference hashes: 'added' grows with every "
            "insertion, 'removed' with every deletion or change. changes() shows when.",
            labels=["change"],
        )
        generation.add_metric(["added"], figures.added)
        generation.add_metric(["removed"], figures.removed)
        yield generation
        index = loaded_index()
        if index is None:
            return  # no lookup has loaded the index in this process yet
        snapshot = index.snapshot
        yield _gauge(
            "leakcase_hash_index_loaded_rows",
            "Rows in the in-memory hash index of the process that answered this scrape.",
            len(snapshot.phashes),
        )
        yield _gauge(
            "leakcase_hash_index_loaded_bytes",
            "Memory held by that index, spare room and chunk tables included.",
            index.nbytes,
        )
        yield _gauge(
            "leakcase_hash_index_loaded_current",
            "1 when that index reflects the database's counter as read now; it catches up on "
            "its next lookup.",
            int(snapshot.state == (figures.added, figures.removed)),
        )


# Our collector alone: not the default registry, whose process and platform figures belong
# to whichever web process answers and would differ from scrape to scrape.
REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(LeakCaseCollector())


@never_cache
@require_GET
def metrics(request):
    """Prometheus's scrape (bearer token) or a supervisor; anyone else gets the 404 of a page
    that does not exist, with no figure in it (access.permissions.may_scrape_metrics)."""
    if not may_scrape_metrics(request):
        raise Http404("Not found")
    # The text format, or OpenMetrics when the scraper asks for it (its Accept header).
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encode(REGISTRY), content_type=content_type)

"""How many messages wait in the broker's queue: read by /metrics (leakcase.metrics, which
also counts them by task) and by the recheck dispatcher, which stops handing out work while
the workers have enough waiting (monitoring.services.rechecks_dispatch).

Below every app (.importlinter): it knows the broker, nothing of what the messages are for.
"""

import os
import sqlite3

import redis
from django.conf import settings

# Every task goes to Celery's default queue (no routes are set).
QUEUE = "celery"
# kombu's Redis transport keeps messages sent with a priority under "<queue>\x06\x16<step>"
# for the steps 3, 6 and 9 (priority 0, our only one, under the queue's own name).
REDIS_QUEUE_KEYS = (QUEUE, *(f"{QUEUE}\x06\x16{step}" for step in (3, 6, 9)))
SQLA_SQLITE_PREFIX = "sqla+sqlite:///"
# kombu's SQLAlchemy transport on an SQLite file (no REDIS_URL): visible messages are the
# waiting ones; a delivered message stays in the table with visible = 0.
SQLITE_WAITING = (
    "FROM kombu_message m JOIN kombu_queue q ON q.id = m.queue_id WHERE q.name = ? AND m.visible"
)


def redis_lengths(client: redis.Redis) -> list[int]:
    """LLEN of each of the queue's keys (REDIS_QUEUE_KEYS), in one round trip."""
    with client.pipeline(transaction=False) as pipe:
        for key in REDIS_QUEUE_KEYS:
            pipe.llen(key)
        return pipe.execute()


def sqlite_waiting(db: sqlite3.Connection) -> int:
    (total,) = db.execute(f"SELECT count(*) {SQLITE_WAITING}", (QUEUE,)).fetchone()
    return total


def sqlite_open(path: str) -> sqlite3.Connection | None:
    """The file broker's database, read only; None when no message was ever sent."""
    if not os.path.exists(path):
        return None
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)


def queue_length() -> int | None:
    """Messages waiting in the queue, not yet taken by a worker; None when the broker
    cannot be read (down, or one we do not know how to read)."""
    try:
        if settings.REDIS_URL:
            with redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2) as client:
                return sum(redis_lengths(client))
        if settings.CELERY_BROKER_URL.startswith(SQLA_SQLITE_PREFIX):
            db = sqlite_open(settings.CELERY_BROKER_URL[len(SQLA_SQLITE_PREFIX) :])
            if db is None:
                return 0
            try:
                return sqlite_waiting(db)
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):
                    return 0  # the worker has not created them yet
                raise
            finally:
                db.close()
    except (redis.RedisError, sqlite3.Error):
        return None
    return None

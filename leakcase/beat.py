"""One beat schedules at a time, however many are started (two hosts, a restart that
overlapped, a second `docker-compose up`): the one holding a PostgreSQL advisory lock.

Every beat runs OneBeatScheduler (settings.CELERY_BEAT_SCHEDULER). Before each tick it makes
sure it holds the lock, on a connection of its own kept for the process's life:
- it holds it: one round trip on that connection proves the session, and so the lock, is
  still there, then celery's own tick sends what is due;
- another session holds it: this beat stays up, logs "another beat is scheduling; standing
  by" once, and asks again every STANDBY_SECONDS (or --max-interval, if shorter);
- the connection broke (database restarted, network split, session killed): the lock went
  with it, so this beat sends nothing, stands by, and takes the lock again if it is free.

Why an advisory lock rather than a lease row: PostgreSQL releases it the moment the session
ends, so a beat that crashes or is killed hands over within STANDBY_SECONDS, with no expiry
to tune, no clock to trust and no table. A host that vanishes without closing its socket
(power cut, network split) is found dead by TCP keepalives, which the lock's session turns
down to about half a minute (KEEPALIVE below) from the operating system's two hours. Across
a network split the old holder stops first: its own check before every send gives up after
CLIENT_TIMEOUT_MS, before the server drops its session. A beat process that is paused
(SIGSTOP, a debugger) keeps its session and the lock, and nothing is scheduled until it
resumes; a host suspended long enough is dropped like a dead one, and on waking its check
fails and it stands by. celery-redbeat would do this with a Redis lock and the schedule in
Redis; we already have the one database every beat reaches, and PostgreSQL ends the lock
with the session, so this is less to run and nothing to expire.

The lock is what keeps messages from being sent twice; it is not what keeps work from being
done twice. Every periodic task claims its rows (SKIP LOCKED, unique rows per slot), so even
two beats at once, or a beat taking over and sending at once what its own schedule file
says is due, do each item once (tests/test_beat.py starts two of each).

The lock's connection goes straight to PostgreSQL (DATABASE_URL): a pooler in transaction
mode (PgBouncer's default) would hand the session's lock to whoever comes next.
"""

import logging
import os
import socket

import psycopg
from celery.beat import PersistentScheduler
from django.db import connections

log = logging.getLogger(__name__)

# pg_try_advisory_lock(bigint): the ASCII of "leakbeat". Advisory locks are per database, so
# two deployments sharing one PostgreSQL server (a staging and a live database) do not
# stand each other by.
LOCK_KEY = int.from_bytes(b"leakbeat", "big")
# How often a standing-by beat asks for the lock: the longest a beat's death leaves nothing
# scheduled, beside the dead host's detection below. Every periodic task runs every minute
# or more seldom, so five seconds late is not late.
STANDBY_SECONDS = 5.0
# The lock's session: the server drops a client gone silent after 10 + 3 x 5 seconds and
# never ends the session for idling (a deployment's idle_session_timeout would otherwise end
# it between ticks, and with it the lock).
KEEPALIVE = (
    "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3"
    " -c idle_session_timeout=0"
)
# The client gives up on an unanswered round trip sooner than the server gives up on it
# (25 s), so the old holder has stopped sending before anyone else can take the lock.
CLIENT_TIMEOUT_MS = 15_000
CONNECT_TIMEOUT_SECONDS = 10


class OneBeatScheduler(PersistentScheduler):
    """celery's PersistentScheduler (the schedule file, missed runs sent once), ticking only
    while this process holds the database lock."""

    def __init__(self, *args, **kwargs):
        self._lock_connection: psycopg.Connection | None = None
        self._role: str | None = None  # what was last logged: "scheduling", "standby", ...
        super().__init__(*args, **kwargs)

    @property
    def standby_interval(self) -> float:
        return min(STANDBY_SECONDS, self.max_interval)

    def tick(self, *args, **kwargs):
        if not self.holds_lock():
            return self.standby_interval
        return super().tick(*args, **kwargs)

    def holds_lock(self) -> bool:
        """True while this process's session holds the lock (taking it if it is free)."""
        if self._lock_connection is not None:
            try:
                self._lock_connection.execute("SELECT 1")
            except psycopg.Error as error:
                self._drop_connection()
                self._became("lost", "lost the scheduling lock (%s); standing by", _why(error))
                return False
            if self._role == "scheduling":
                return True  # a session lives as long as its locks: ours is still held
        try:
            if self._lock_connection is None:
                self._lock_connection = self._connect()
            taken = self._lock_connection.execute(
                "SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]
            ).fetchone()[0]
            holder = None if taken else self._holder()
        except psycopg.Error as error:
            self._drop_connection()
            self._became(
                "unreachable",
                "cannot reach the database for the scheduling lock (%s); standing by",
                _why(error),
            )
            return False
        if taken:
            self._became("scheduling", "this beat holds the scheduling lock and schedules")
            return True
        self._became(
            "standby", "another beat is scheduling; standing by (%s)", holder or "holder unknown"
        )
        return False

    def close(self):
        try:
            super().close()
        finally:
            # Ending the session lets a standing-by beat take over at its next ask, instead
            # of when the server notices the socket is gone.
            self._drop_connection()

    def _connect(self) -> psycopg.Connection:
        params = connections["default"].get_connection_params()
        # Ours over whatever DATABASES' OPTIONS say: the timings are what makes the handover
        # safe (see the module's docstring).
        params.update(
            options=" ".join(filter(None, [params.get("options"), KEEPALIVE])),
            # Named, so an operator sees in pg_stat_activity (and the other beat logs) which
            # host schedules.
            application_name=f"leakcase beat {socket.gethostname()} pid {os.getpid()}"[:63],
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            tcp_user_timeout=CLIENT_TIMEOUT_MS,
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
            autocommit=True,
        )
        return psycopg.connect(**params)

    def _holder(self) -> str | None:
        """The application name of the session holding the lock, where this role may see
        it."""
        row = self._lock_connection.execute(
            """
            SELECT a.application_name
              FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND l.classid = %s AND l.objid = %s
            """,
            [LOCK_KEY >> 32, LOCK_KEY & 0xFFFFFFFF],
        ).fetchone()
        return row[0] if row and row[0] else None

    def _drop_connection(self) -> None:
        if self._lock_connection is not None:
            try:
                self._lock_connection.close()
            finally:
                self._lock_connection = None

    def _became(self, role: str, message: str, *args) -> None:
        """Log a change of role once, not on every tick."""
        if role != self._role:
            self._role = role
            (log.info if role in ("scheduling", "standby") else log.warning)(message, *args)


def _why(error: psycopg.Error) -> str:
    """The error's first line (libpq's words: the server and what failed, never a person's
    data), for the operator reading the beat's log."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__

"""The first way in: polling the replies mailbox over IMAP (imap-tools), every minute from
beat (leakcase/celery.py, inbound/tasks.py).

Every message in the folder is handed to inbound_receive and only then filed away on the
server (flagged \\Seen and moved to INBOUND_IMAP_FILED_FOLDER), so:
- a crash (worker killed, connection dropped) between the two leaves the message where it
  was, and the next poll hands it over again; inbound_receive files it once (by Message-ID),
  so it is never lost and never filed twice;
- one message that cannot be filed (a database error while filing it) is left in place,
  logged, and the poll goes on with the next; a hostile or broken message never gets that
  far wrong: inbound_receive quarantines it, and it is filed away like any other;
- two polls at once (two beats during a takeover, a retry overlapping the next minute's
  run) do not both work: a PostgreSQL advisory lock lets one through, the other returns at
  once. inbound_receive's unique Message-ID is the backstop.

Why every message in the folder, not only UNSEEN ones: a person who opens the mailbox in a
mail client marks messages seen, and those must still be filed. What is filed leaves the
folder, so "everything in it" is "everything not filed yet".

No IDLE: a poll a minute is as fast as anyone reads a platform's answer, and a worker
holding an IDLE connection open is one more long-lived process to watch; beat is already
there. Connection errors are raised to the task, which retries with backoff
(inbound/tasks.py) and logs the host and the error, never the password.

A message bigger than INBOUND_MAX_MESSAGE_BYTES is fetched only up to one byte past the
limit (an IMAP partial fetch), enough for inbound_receive to quarantine it as too large
without the worker holding the rest in memory; the whole message stays on the server, in
the filed folder, for staff.
"""

import datetime as dt
import imaplib
import logging
import re
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from imap_tools import MailBox, MailBoxUnencrypted, MailMessageFlags
from imap_tools.errors import ImapToolsError

from inbound.services import inbound_receive

log = logging.getLogger(__name__)

# pg_try_advisory_lock(bigint): the ASCII of "leakimap". Per database, like beat's lock
# (leakcase/beat.py), so a staging and a live database on one server do not block each other.
LOCK_KEY = int.from_bytes(b"leakimap", "big")
# Messages handed over in one poll: bounds a run's length (a minute's schedule, the task's
# 60 s soft limit). More waiting are taken by the next run, a minute later.
BATCH_SIZE = 50
# A run stops taking new messages after this long, well inside the 60 s soft time limit
# (settings.CELERY_TASK_SOFT_TIME_LIMIT), so it is never killed between receive and move.
RUN_SECONDS = 40
# How long one IMAP round trip may take before the run gives up (and the task retries).
TIMEOUT_SECONDS = 30

FETCH_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
FETCH_DATE = re.compile(rb'INTERNALDATE "([^"]+)"')


class MailboxError(Exception):
    """The mailbox could not be reached or would not do what was asked; the message says
    what, plainly, without the password."""


@dataclass
class PollResult:
    configured: bool = True
    locked_out: bool = False  # another poll was running: this one did nothing
    filed: int = 0  # handed to inbound_receive and moved to the filed folder
    failed: int = 0  # inbound_receive raised: left in place for the next poll
    left: int = 0  # still in the folder, for the next run (batch size, run time)


def imap_configured() -> bool:
    return bool(settings.INBOUND_IMAP_HOST and settings.INBOUND_IMAP_USER)


def mailbox_source() -> str:
    return f"imap:{settings.INBOUND_IMAP_USER}/{settings.INBOUND_IMAP_FOLDER}"


@contextmanager
def poll_lock():
    """Yields True when this process holds the poll lock (and releases it after), False when
    another poll holds it. A session lock, not a transaction's: the poll runs many
    transactions (one per message); if the worker dies, its session and the lock go with it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


@contextmanager
def connected():
    """A logged-in client on INBOUND_IMAP_FOLDER, the filed folder created if missing."""
    host, port = settings.INBOUND_IMAP_HOST, settings.INBOUND_IMAP_PORT
    where = f"{host}:{port}"
    try:
        if settings.INBOUND_IMAP_SSL:
            client = MailBox(host, port or 993, timeout=TIMEOUT_SECONDS)
        else:
            client = MailBoxUnencrypted(host, port or 143, timeout=TIMEOUT_SECONDS)
        client.login(
            settings.INBOUND_IMAP_USER,
            settings.INBOUND_IMAP_PASSWORD,
            initial_folder=settings.INBOUND_IMAP_FOLDER,
        )
    except (OSError, imaplib.IMAP4.error, ImapToolsError) as error:
        # imap-tools' and imaplib's messages quote the server's answer, never our password.
        raise MailboxError(f"cannot log in to the replies mailbox at {where}: {error}") from error
    try:
        filed = settings.INBOUND_IMAP_FILED_FOLDER
        if not client.folder.exists(filed):
            client.folder.create(filed)
        yield client
    except (OSError, imaplib.IMAP4.error, ImapToolsError) as error:
        raise MailboxError(f"the replies mailbox at {where} failed: {error}") from error
    finally:
        # A connection already gone has nothing left to close.
        with suppress(OSError, imaplib.IMAP4.error, ImapToolsError):
            client.logout()


def mailbox_poll(*, batch_size: int = BATCH_SIZE) -> PollResult:
    """Hand every message waiting in the replies mailbox to inbound_receive, then file it
    away on the server. Raises MailboxError when the mailbox cannot be reached or refuses to
    file a message away (the task retries); never for what a message holds."""
    if not imap_configured():
        return PollResult(configured=False)
    with poll_lock() as held:
        if not held:
            log.info("inbound: another poll of the replies mailbox is running; skipped")
            return PollResult(locked_out=True)
        with connected() as client:
            return _poll(client, batch_size)


def _poll(client, batch_size: int) -> PollResult:
    result = PollResult()
    # UNDELETED: a message flagged deleted by a client move that was cut short (copy done,
    # expunge not) is already in the filed folder.
    uids = client.uids("UNDELETED")
    started = time.monotonic()
    limit = settings.INBOUND_MAX_MESSAGE_BYTES
    for position, uid in enumerate(uids):
        if position >= batch_size or time.monotonic() - started > RUN_SECONDS:
            result.left = len(uids) - position
            break
        fetched = _fetch(client, uid, limit)
        if fetched is None:
            continue  # gone since the search (another client moved or expunged it)
        raw, received_at = fetched
        try:
            inbound_receive(raw=raw, source=mailbox_source(), received_at=received_at)
        except Exception:
            # inbound_receive quarantines whatever a message holds, so this is the database
            # or storage failing: leave the message for the next poll and go on.
            log.exception("inbound: message %s could not be filed; left for the next poll", uid)
            result.failed += 1
            continue
        # Only now: a crash before this line leaves it in the folder, to be handed over
        # again and filed once.
        client.flag(uid, MailMessageFlags.SEEN, True)
        client.move(uid, settings.INBOUND_IMAP_FILED_FOLDER)
        result.filed += 1
    if result.filed or result.failed:
        log.info(
            "inbound: %s filed from the replies mailbox, %s failed, %s left",
            result.filed,
            result.failed,
            result.left,
        )
    return result


def _fetch(client, uid: str, limit: int) -> tuple[bytes, dt.datetime | None] | None:
    """The message's bytes (at most limit + 1 of them: past the limit inbound_receive only
    needs to know it is too big) and when the server received it. BODY.PEEK: fetching does
    not mark it seen; only filing it away does."""
    typ, data = client.client.uid("FETCH", uid, "(RFC822.SIZE INTERNALDATE)")
    described = b" ".join(item for item in data if isinstance(item, bytes))
    size = FETCH_SIZE.search(described)
    if typ != "OK" or size is None:
        return None
    section = "BODY.PEEK[]" if int(size.group(1)) <= limit else f"BODY.PEEK[]<0.{limit + 1}>"
    typ, data = client.client.uid("FETCH", uid, f"({section})")
    parts = [item for item in data if isinstance(item, tuple)]
    if typ != "OK" or not parts:
        return None
    date = FETCH_DATE.search(described)
    received_at = _internal_date(date.group(1)) if date else None
    return parts[0][1], received_at


def _internal_date(value: bytes) -> dt.datetime | None:
    """IMAP's INTERNALDATE ("05-Dec-2026 10:12:33 +0000"): when the server took it in."""
    try:
        return dt.datetime.strptime(value.decode("ascii"), "%d-%b-%Y %H:%M:%S %z")
    except ValueError:
        return None

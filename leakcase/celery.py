import logging
import logging.config
import os
import threading

from celery import Celery, signals
from celery.schedules import crontab

from leakcase.env import env_int

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leakcase.settings")

app = Celery("leakcase")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def use_the_projects_logging(loglevel=None, **kwargs):
    """Workers log through settings.LOGGING, as the web processes do. Without a receiver
    here, Celery empties the root logger's handlers and puts its own in their place: its
    format, no request id, and no RedactingFormatter, so a traceback that quotes an address
    or an email would reach the worker's log as it is (and LOG_FORMAT=json would not apply).
    The worker's (or beat's) -l option still sets the level."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)


log = logging.getLogger(__name__)


@signals.worker_process_init.connect
def warm_the_hash_index(**kwargs) -> threading.Thread:
    """Each worker process (each prefork child; the solo pool's one) loads the in-memory
    hash index (evidence/matching/hash_index.py) as it starts, so a lookup in its first
    task costs its usual milliseconds, not the load (about a second a million references,
    bench/RESULTS.md). In a thread: Celery gives a process's start 4 seconds
    (worker_proc_alive_timeout), and ten million references take longer; a lookup that
    comes meanwhile waits for the same load (the index's lock), it does not start another.
    A database that cannot be reached yet does not stop the worker: the first lookup loads
    the index then, as before."""
    thread = threading.Thread(target=_warm_hash_index, name="hash-index-warm", daemon=True)
    thread.start()
    return thread


def _warm_hash_index() -> None:
    from django.db import DatabaseError, connection

    from evidence.matching import hash_index

    try:
        loaded = hash_index.warm()
    except DatabaseError:
        log.warning("hash index not loaded at worker start: the database did not answer")
        return
    finally:
        connection.close()  # this thread's own; the tasks use theirs
    if loaded is not None:
        log.info(
            "hash index loaded references=%s bytes=%s seconds=%s",
            loaded["references"],
            loaded["bytes"],
            loaded["seconds"],
        )


# A minute of the schedule below, in seconds. Only the test that starts real beats
# (tests/test_beat.py) changes it, to 1, so the whole schedule runs sixty times faster there.
MINUTE = env_int("LEAKCASE_BEAT_MINUTE_SECONDS", 60)

# Every periodic schedule lives here, each with when and why. The dispatchers read due work
# from the database (next_check_at, due_at), so a lost message delays work, never loses it.
# One beat sends them however many are started (leakcase/beat.py), and every task claims
# its rows, so one sent twice (two beats, a takeover, a retry) still does each item once.
app.conf.beat_schedule = {
    # Every minute: hand out the sightings whose next_check_at has come (monitoring/tasks.py).
    # Cheap when nothing is due; the interval bounds how late a check can start.
    "dispatch-rechecks": {"task": "monitoring.tasks.dispatch_rechecks", "schedule": 1.0 * MINUTE},
    # Every 15 minutes: remind platforms that are past due (at most one a day, three in all,
    # takedowns/services.py), after settling letters whose email the outbox sent or gave up
    # on since. Often enough that a reminder goes soon after a deadline.
    "send-reminders": {"task": "takedowns.tasks.send_reminders", "schedule": 15.0 * MINUTE},
    # Every 15 minutes: requests whose rung's wait lapsed unanswered, or that were refused,
    # get the next rung's draft (host, registrar, CDN, regulator; takedowns/ladder.py),
    # shown to staff, or sent by itself where a supervisor turned that on. Waits are hours
    # to days, so a quarter of an hour late is nothing; each request is claimed once.
    "climb-ladders": {"task": "takedowns.tasks.climb_ladders", "schedule": 15.0 * MINUTE},
    # Every 5 minutes: weekly status emails whose hour has come, in each person's own time
    # zone (digests/services.py), claimed into the outbox and sent. Slots are on the hour,
    # so a digest goes out by :05.
    "weekly-status": {"task": "digests.tasks.send_weekly_status", "schedule": 5.0 * MINUTE},
    # Every minute: every due email in the outbox, whatever its kind (outbox/services.py):
    # retries (the first comes a minute after a failure), and emails whose writer stopped
    # before sending them at once. The interval bounds how late a retry goes.
    "outbox": {"task": "outbox.tasks.deliver_outgoing", "schedule": 1.0 * MINUTE},
    # Every minute: replies, acknowledgements and bounces waiting in the replies mailbox
    # over IMAP (inbound/imap.py; nothing while INBOUND_IMAP_HOST is empty). A minute is
    # as soon as anyone reads a platform's answer; an advisory lock keeps two runs apart.
    "poll-replies-mailbox": {
        "task": "inbound.tasks.poll_replies_mailbox",
        "schedule": 1.0 * MINUTE,
    },
    # Every 5 minutes: "You have an update" emails held back by the one-an-hour rule, for
    # people who still have an unread message when their hour is up (cases/update_notices.py).
    "update-notices": {"task": "cases.tasks.send_due_update_notices", "schedule": 5.0 * MINUTE},
    # Every minute: the platform figures' summary of the days whose requests changed
    # (takedowns/services.py, platform_figures_refresh). The figures page refreshes first as
    # well; this keeps what it has to do small. Cheap when nothing changed (one DELETE).
    "platform-figures": {
        "task": "takedowns.tasks.refresh_platform_figures",
        "schedule": 1.0 * MINUTE,
    },
    # 03:30 UTC daily: link checks older than 30 days that say what the check before them
    # said are deleted (monitoring/services.py, url_checks_prune: the rule and why); a quiet
    # hour, in small batches, so rechecks writing meanwhile never wait long.
    "prune-url-checks": {
        "task": "monitoring.tasks.prune_url_checks",
        "schedule": crontab(hour=3, minute=30),
    },
    # Every 2 minutes: look up who hosts the sites that are due (monitoring/tasks.py,
    # dispatch_host_lookups). Each host is due again a week after its last lookup (the weekly
    # refresh: who hosts a site changes seldom, and a week finds a move within days), at
    # once when a recheck sees it on other networks or staff press "Look up again", and when
    # a registry said when to ask again (429). Two minutes bounds how long staff wait.
    "dispatch-host-lookups": {
        "task": "monitoring.tasks.dispatch_host_lookups",
        "schedule": 2.0 * MINUTE,
    },
    # Hourly, at :17: hosts of links logged since get their row, due a lookup at once. Not
    # every dispatch: it reads every link still being worked on.
    "ensure-hosts": {
        "task": "monitoring.tasks.ensure_hosts",
        "schedule": crontab(minute=17),
    },
    # 07:00 UTC daily: each caseworker's overdue requests, as a count and a link, written
    # into the outbox and sent.
    "overdue-digests": {
        "task": "takedowns.tasks.send_overdue_digests",
        "schedule": crontab(hour=7, minute=0),
    },
}

"""digests: weekly status emails claimed, counted, rendered and sent over SMTP to a local
server, for every survivor of the generated database (10,000 in full mode; those with an
open case get one).

Figure: digests per second end to end, the way the beat task sends them: claims in batches
of 500 with grouped counts, then SENDERS deliveries side by side, each claiming one email at
a time and marking it sending and sent, to a mail server in a process of its own
(bench/smtp_sink.py). Baseline, the naive way, in the same run: one query set per survivor
(claims in batches of one) and one sender, on a sample of survivors. Queries are counted
for the claim phase.
"""

import datetime as dt
import signal
import subprocess
import sys
import time
import typing
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role, User
from bench.harness import Context, Result, free_port
from digests.models import WeeklyStatus
from digests.services import CLAIM_BATCH, digests_claim_due
from outbox.models import EmailStatus, OutgoingEmail
from outbox.services import SENDERS, outgoing_deliver_side_by_side

GOAL_S = 60  # for 10,000 survivors


def _make_due(user_ids, now):
    WeeklyStatus.objects.filter(user_id__in=user_ids).delete()
    WeeklyStatus.objects.bulk_create(
        (
            WeeklyStatus(user_id=pk, next_digest_at=now - dt.timedelta(minutes=1))
            for pk in user_ids
        ),
        batch_size=5000,
    )


class Phases(typing.NamedTuple):
    total_s: float
    claim_s: float
    deliver_s: float
    sent: int
    claim_queries: int
    batches: int


def _send_all(batch: int, senders: int) -> Phases:
    """Claims everything due in batches of `batch`, then delivers it."""
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as claims:
        batches = 0
        while digests_claim_due(batch=batch).people:
            batches += 1
    claimed = time.perf_counter()
    report = outgoing_deliver_side_by_side(senders=senders)
    done = time.perf_counter()
    return Phases(
        done - started, claimed - started, done - claimed, report.sent, len(claims), batches + 1
    )


def _start_sink(port: int) -> subprocess.Popen:
    sink = subprocess.Popen(
        [sys.executable, str(Path(__file__).parents[1] / "smtp_sink.py"), str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout.readline().strip() == "ready"
    return sink


def _stop_sink(sink: subprocess.Popen) -> int:
    sink.send_signal(signal.SIGTERM)
    out, _ = sink.communicate(timeout=30)
    return int(out.strip().splitlines()[-1])


def run(ctx: Context) -> Result:
    port = free_port()
    sink = _start_sink(port)
    old = {
        name: getattr(settings, name)
        for name in ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS")
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    try:
        survivors = list(
            User.objects.filter(role=Role.SURVIVOR).order_by("pk").values_list("pk", flat=True)
        )
        sample = survivors[: 500 if not ctx.quick else 20]
        WeeklyStatus.objects.all().delete()
        OutgoingEmail.objects.all().delete()

        # The naive way first, on the sample: one query set per survivor.
        _make_due(sample, timezone.now())
        naive = _send_all(batch=1, senders=1)
        naive_rate = len(sample) / naive.total_s

        OutgoingEmail.objects.all().delete()
        _make_due(survivors, timezone.now())
        batched = _send_all(batch=CLAIM_BATCH, senders=SENDERS)
        rate = len(survivors) / batched.total_s
        sent = batched.sent
        assert OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == sent
    finally:
        received = _stop_sink(sink)
        for name, value in old.items():
            setattr(settings, name, value)
    assert received == naive.sent + sent, "the server got exactly what was marked sent"

    projected = 10_000 / rate
    ctx.log(
        f"  digests: {len(survivors)} survivors, {sent} emails in {batched.total_s:.1f} s "
        f"(claims {batched.claim_s:.1f} s, {batched.claim_queries} queries in "
        f"{batched.batches} batches; delivery {batched.deliver_s:.1f} s, "
        f"{sent / batched.deliver_s:.0f}/s); naive {naive_rate:.0f}/s "
        f"({naive.claim_queries} claim queries for {len(sample)})"
    )
    return Result(
        name="digests",
        figure="survivors' weekly digests claimed, counted, rendered and sent over SMTP",
        unit="per_s",
        median=rate,
        p95=None,
        baseline=naive_rate,
        baseline_is="one query set per survivor, one sender, on a sample",
        goal=f"10,000 in ≤ {GOAL_S} s, queries bounded by batches",
        goal_met=projected <= GOAL_S and batched.claim_queries <= 12 * batched.batches,
        sizes={
            "survivors": len(survivors),
            "emails_sent": sent,
            "baseline_sample": len(sample),
            "claim_batch": CLAIM_BATCH,
            "senders": SENDERS,
        },
        extra={
            "total_s": round(batched.total_s, 2),
            # What --scale fits: the seconds for every survivor (linear in them).
            "growth_cost": round(batched.total_s, 3),
            "claim_s": round(batched.claim_s, 2),
            "deliver_s": round(batched.deliver_s, 2),
            "seconds_for_10000": round(projected, 1),
            "claim_queries": batched.claim_queries,
            "claim_batches": batched.batches,
            "baseline_claim_queries": naive.claim_queries,
        },
    )

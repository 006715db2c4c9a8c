"""digests: weekly status emails claimed, counted, rendered and sent over SMTP to a local
server, for every survivor of the generated database (10,000 in full mode; those with an
open case get one).

Figure: digests per second end to end (claims in batches of 500 with grouped counts, then
one SMTP conversation delivering each email, marked sending and sent). Baseline, the naive
way, in the same run: one query set per survivor (claims in batches of one), the same
delivery, on a sample of survivors. Queries are counted for the claim phase.
"""

import datetime as dt
import time

from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role, User
from bench.harness import Context, Result
from digests.models import EmailStatus, OutgoingEmail, WeeklyStatus
from digests.services import CLAIM_BATCH, digests_claim_due, outgoing_deliver

GOAL_S = 60  # for 10,000 survivors


class Counter:
    def __init__(self):
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        return "250 OK"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make_due(user_ids, now):
    WeeklyStatus.objects.filter(user_id__in=user_ids).delete()
    WeeklyStatus.objects.bulk_create(
        (
            WeeklyStatus(user_id=pk, next_digest_at=now - dt.timedelta(minutes=1))
            for pk in user_ids
        ),
        batch_size=5000,
    )


def _send_all(batch: int) -> tuple[float, int, int, int]:
    """Claims everything due in batches of `batch`, then delivers: (seconds, emails sent,
    claim queries, claim batches)."""
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as claims:
        batches = 0
        while digests_claim_due(batch=batch):
            batches += 1
    report = outgoing_deliver()
    return time.perf_counter() - started, report.sent, len(claims), batches + 1


def run(ctx: Context) -> Result:
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=_free_port())
    controller.start()
    old = {
        name: getattr(settings, name)
        for name in ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS")
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
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
        naive_s, naive_sent, naive_queries, _ = _send_all(batch=1)
        naive_rate = len(sample) / naive_s

        OutgoingEmail.objects.all().delete()
        _make_due(survivors, timezone.now())
        total_s, sent, claim_queries, batches = _send_all(batch=CLAIM_BATCH)
        rate = len(survivors) / total_s
        assert OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == sent
        assert counter.received == naive_sent + sent, "the server got what was marked sent"
    finally:
        controller.stop()
        for name, value in old.items():
            setattr(settings, name, value)

    projected = 10_000 / rate
    ctx.log(
        f"  digests: {len(survivors)} survivors, {sent} emails in {total_s:.1f} s "
        f"({claim_queries} claim queries in {batches} batches); naive {naive_rate:.0f}/s "
        f"({naive_queries} queries for {len(sample)})"
    )
    return Result(
        name="digests",
        figure="survivors' weekly digests claimed, counted, rendered and sent over SMTP",
        unit="per_s",
        median=rate,
        p95=None,
        baseline=naive_rate,
        baseline_is="one query set per survivor, same delivery, on a sample",
        goal=f"10,000 in ≤ {GOAL_S} s, queries bounded by batches",
        goal_met=projected <= GOAL_S and claim_queries <= 12 * batches,
        sizes={
            "survivors": len(survivors),
            "emails_sent": sent,
            "baseline_sample": len(sample),
            "claim_batch": CLAIM_BATCH,
        },
        extra={
            "total_s": round(total_s, 2),
            "seconds_for_10000": round(projected, 1),
            "claim_queries": claim_queries,
            "claim_batches": batches,
            "baseline_claim_queries": naive_queries,
        },
    )

"""The rebuild command: the summary worked out again from every request, and --check."""

import datetime as dt
import io

from django.core.management import call_command

from platforms.models import Platform
from takedowns.models import AnonymousOutcome, PlatformFigureDay, TakedownRequest


def test_it_rebuilds_a_summary_that_was_lost_and_checks_it(case):
    reddit = Platform.objects.get(slug="reddit")
    start = dt.datetime(2026, 10, 1, 9, tzinfo=dt.UTC)
    for day in range(3):
        TakedownRequest.objects.create(
            case=case,
            platform=reddit,
            status="removed",
            sent_at=start + dt.timedelta(days=day),
            removed_at=start + dt.timedelta(days=day, hours=5),
        )
    AnonymousOutcome.objects.create(
        platform=None, legal_basis="dmca", status="rejected", sent_at=start
    )
    # A summary lost (a restore without it) or changed behind the triggers' back.
    PlatformFigureDay.objects.all().delete()
    PlatformFigureDay.objects.create(
        day=start.date(),
        platform=reddit,
        legal_basis="dmca",
        sent=9,
        removed=0,
        rejected=0,
        removed_within_48h=0,
        removal_counts=[],
        removal_hours=[],
        worked_out_at=start,
    )
    out = io.StringIO()
    call_command("rebuild_platform_figures", "--check", stdout=out)
    assert "for 3 days" in out.getvalue() and "for 2 platforms" in out.getvalue()
    # 3 days of Reddit (platform policy), 1 of an unknown platform (DMCA); the stray row gone.
    assert (
        sorted(PlatformFigureDay.objects.values_list("legal_basis", "sent", "removed"))
        == [("dmca", 1, 0)] + [("platform_policy", 1, 1)] * 3
    )

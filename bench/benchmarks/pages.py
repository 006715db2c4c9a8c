"""pages: server time of the busiest pages on the big database and on a database of ten
cases (the same pages, the same users' view of them): the ratio says whether they grow with
the data. Server time is Django's full request cycle through the test Client (middleware,
view, queries, template), without a network or a browser.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.urls import reverse

from bench.harness import Context, Result, database_url, median, p95

GOAL_MEDIAN_MS = 50
GOAL_P95_MS = 100
GOAL_RATIO = 1.5
PROCESS = Path(__file__).resolve().parents[1] / "pages_process.py"


def _pages(data: dict) -> dict:
    """name -> (user id, path): every staff and survivor page that reads across cases or
    grows with one (issue 21's list)."""
    case_page = reverse("cases:detail", args=[data["case_reference"]])
    caseload = reverse("cases:caseload")
    return {
        "caseload (caseworker, mine)": (data["caseworker"], caseload),
        "caseload (caseworker, unassigned)": (data["caseworker"], caseload + "?tab=unassigned"),
        "caseload (caseworker, overdue)": (data["caseworker"], caseload + "?tab=overdue"),
        "caseload (supervisor, all)": (data["supervisor"], caseload + "?tab=all"),
        "case page (200 sightings)": (data["caseworker"], case_page),
        "request page": (
            data["caseworker"],
            reverse("takedowns:detail", args=[data["case_reference"], data["takedown"]]),
        ),
        "survivor dashboard": (data["survivor"], reverse("cases:list")),
        "survivor case page (200 sightings)": (data["survivor"], case_page),
        "platform figures": (data["supervisor"], reverse("platforms:figures")),
        "outbox": (data["supervisor"], reverse("outbox:outbox")),
        "activity": (data["supervisor"], reverse("audit:trail")),
    }


def _measure(ctx: Context, database: str, data: dict) -> tuple[dict, dict]:
    """Milliseconds per request and queries per request, for each page, timed in a process
    like a web process (bench/pages_process.py says why)."""
    asked = {
        "pages": _pages(data),
        "repeat": ctx.sizes["page_repeats"],
        "warmup": 3,
    }
    answer = subprocess.run(
        [sys.executable, str(PROCESS)],
        input=json.dumps(asked),
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DATABASE_URL": database_url(database)},
    )
    measured = json.loads(answer.stdout.strip().splitlines()[-1])
    times = {name: page["ms"] for name, page in measured.items()}
    queries = {name: page["queries"] for name, page in measured.items()}
    return times, queries


def run(ctx: Context) -> Result:
    small, small_queries = _measure(ctx, ctx.small_database, ctx.small_data)
    big, big_queries = _measure(ctx, ctx.database, ctx.data)
    rows = []
    for name, times in big.items():
        figure, tail, base = median(times), p95(times), median(small[name])
        rows.append(
            Result(
                name=name,
                figure="server time",
                unit="ms",
                median=figure,
                p95=tail,
                baseline=base,
                baseline_is=f"{ctx.sizes['small_cases']} cases",
                ratio=figure / base,
                ratio_is="big / small",
                goal=f"median <= {GOAL_MEDIAN_MS} ms, p95 <= {GOAL_P95_MS} ms, "
                f"ratio <= {GOAL_RATIO}",
                goal_met=figure <= GOAL_MEDIAN_MS
                and tail <= GOAL_P95_MS
                and figure / base <= GOAL_RATIO,
                sizes={},
                extra={"queries": big_queries[name], "queries_small": small_queries[name]},
            )
        )
    worst = max(rows, key=lambda r: r.median)
    return Result(
        name="pages",
        figure=f"slowest page: {worst.name}",
        unit="ms",
        median=worst.median,
        p95=max(r.p95 for r in rows),
        baseline=worst.baseline,
        baseline_is=f"same page, {ctx.sizes['small_cases']} cases",
        ratio=max(r.ratio for r in rows),
        ratio_is="largest big / small",
        goal=f"median <= {GOAL_MEDIAN_MS} ms, p95 <= {GOAL_P95_MS} ms, ratio <= {GOAL_RATIO}",
        goal_met=all(r.goal_met for r in rows),
        sizes={
            "cases": ctx.sizes["cases"],
            "sightings": ctx.sizes["sightings"],
            "takedown_requests": ctx.sizes["takedown_requests"],
            "case_page_sightings": ctx.sizes["case_page_sightings"],
            "small_cases": ctx.sizes["small_cases"],
            "repeats": ctx.sizes["page_repeats"],
        },
        rows=rows,
    )

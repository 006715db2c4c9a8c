"""pages: server time of the busiest pages on the big database and on a database of ten
cases (the same pages, the same users' view of them): the ratio says whether they grow with
the data. Server time is Django's full request cycle through the test Client (middleware,
view, queries, template), without a network or a browser.
"""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from bench.harness import Context, Result, median, on_database, p95

GOAL_MEDIAN_MS = 50
GOAL_P95_MS = 100
GOAL_RATIO = 1.5


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


def _measure(ctx: Context, data: dict) -> tuple[dict, dict]:
    """Milliseconds per request and queries per request, for each page."""
    clients = {}
    times, queries = {}, {}
    for name, (user_id, path) in _pages(data).items():
        if user_id not in clients:
            clients[user_id] = Client()
            clients[user_id].force_login(User.objects.get(pk=user_id))
        client = clients[user_id]

        def get(client=client, path=path, name=name):
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"pages: {name} answered {response.status_code}")

        times[name] = ctx.time_ms(get, repeat=ctx.sizes["page_repeats"], warmup=3)
        with CaptureQueriesContext(connection) as captured:
            get()
        queries[name] = len(captured.captured_queries)
    return times, queries


def run(ctx: Context) -> Result:
    with on_database(ctx.small_database):
        small, small_queries = _measure(ctx, ctx.small_data)
    with on_database(ctx.database):
        big, big_queries = _measure(ctx, ctx.data)
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

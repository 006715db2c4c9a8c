"""What every benchmark shares: sizes, timing, results, the table and the JSON.

A benchmark is one function `run(ctx: Context) -> Result` (see bench/README.md); it times
the figure and the naive baseline in the same run with `ctx.time_ms` or its own clock.
"""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

# Full mode follows the table; quick mode is for CI, which only checks that it runs.
SIZES = {
    "full": {
        "reference_hashes": 1_000_000,
        "cases": 10_000,
        "sightings": 250_000,
        "takedown_requests": 50_000,
        "case_page_sightings": 200,
        "caseworkers": 20,
        "small_cases": 10,
        "lookup_queries": 200,
        "lookup_synthetic_hashes": 10_000_000,
        "recheck_urls": 10_000,
        "recheck_baseline_urls": 50,
        "ingest_uploads": 50,
        "browser_hashing_runs": 5,
        "page_repeats": 30,
        "export_evidence_mb": 2048,
        "export_baseline_mb": 200,
        "sizing_sample_cases": 150,
        "sizing_url_checks": 200_000,
        "sizing_recheck_urls": 2_000,
        "sizing_synthetic_hashes": 10_000_000,
    },
    "quick": {
        "reference_hashes": 20_000,
        "cases": 200,
        "sightings": 5_000,
        "takedown_requests": 1_000,
        "case_page_sightings": 200,
        "caseworkers": 4,
        "small_cases": 10,
        "lookup_queries": 20,
        "lookup_synthetic_hashes": 200_000,
        "recheck_urls": 300,
        "recheck_baseline_urls": 5,
        "ingest_uploads": 3,
        "browser_hashing_runs": 3,
        "page_repeats": 5,
        "export_evidence_mb": 50,
        "export_baseline_mb": 50,
        "sizing_sample_cases": 3,
        "sizing_url_checks": 2_000,
        "sizing_recheck_urls": 100,
        "sizing_synthetic_hashes": 100_000,
    },
}


# What `--scale` multiplies: the volume of the generated data (the issue's "ten times the
# data" is 100,000 cases, 2.5M sightings, 500,000 requests and 10M reference hashes). The
# work each benchmark times (queries, uploads, URLs rechecked, repeats) stays the same, so
# a cost that grows with the scale grows with the data.
SCALED_SIZES = ("reference_hashes", "cases", "sightings", "takedown_requests")

# How each benchmark's cost should grow with the data, and the fitted log-log slope that
# still counts as that shape (the machine is shared: a little noise must not fail "flat";
# a cost that falls as the data grows is noise or warm caches, and not a growth).
EXPECTED_GROWTH = {"flat": (-1.0, 0.3), "linear": (0.7, 1.3)}


def scaled(sizes: dict, scale: float) -> dict:
    """`sizes` with the data volume multiplied by `scale`."""
    return {k: round(v * scale) if k in SCALED_SIZES else v for k, v in sizes.items()}


def growth_exponent(scales: list[float], costs: list[float]) -> float | None:
    """The least-squares slope of log(cost) against log(scale): about 0 when the cost is
    flat, 1 when it grows in proportion to the data."""
    import math

    points = [(math.log(s), math.log(c)) for s, c in zip(scales, costs, strict=True) if c > 0]
    if len({x for x, _ in points}) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def growth_cost(result: Result) -> float:
    """The cost whose growth is fitted: what the benchmark names in extra['growth_cost']
    (digests: the seconds for all survivors), else milliseconds (or MB) per item; a rate
    is turned into milliseconds per item."""
    if "growth_cost" in result.extra:
        return result.extra["growth_cost"]
    if result.unit == "per_s":
        return 1000 / result.median
    return result.median


def growth(scales: list[float], results: list[Result], shape: str, sizes: list[dict]) -> dict:
    """The `growth` entry of one benchmark (or one page) over the scales run."""
    costs = [growth_cost(r) for r in results]
    exponent = growth_exponent(scales, costs)
    low, high = EXPECTED_GROWTH[shape]
    return {
        "scales": scales,
        "sizes": {k: [size[k] for size in sizes] for k in SCALED_SIZES},
        "medians": [round(c, 3) for c in costs],
        "cost": "growth_cost"
        if "growth_cost" in results[0].extra
        else ("ms per item" if results[0].unit == "per_s" else results[0].unit),
        "exponent": None if exponent is None else round(exponent, 2),
        "expected": shape,
        "expected_exponent": [low, high],
        "ok": None if exponent is None else low <= exponent <= high,
    }


def growth_table(entries: dict) -> str:
    """Markdown: one line per benchmark (and page), the cost at each scale, the fit."""
    lines = [
        "| benchmark | cost at each scale | fitted exponent | expected | ok |",
        "| --- | --- | ---: | --- | --- |",
    ]
    for name, entry in entries.items():
        costs = ", ".join(
            f"{scale:g}x: {cost:,.3g}"
            for scale, cost in zip(entry["scales"], entry["medians"], strict=True)
        )
        exponent = "-" if entry["exponent"] is None else f"{entry['exponent']:+.2f}"
        ok = {True: "yes", False: "**no**", None: "-"}[entry["ok"]]
        lines.append(
            f"| {name} | {costs} ({entry['cost']}) | {exponent} | {entry['expected']} | {ok} |"
        )
    return "\n".join(lines)


@dataclass
class Result:
    """One line of the table (pages adds one per page in `rows`).

    unit "ms": lower is better, ratio = baseline / median (times faster than the naive way);
    unit "per_s": higher is better, ratio = median / baseline; unit "MB" (memory): lower is
    better, and the benchmark gives its ratio. A benchmark may define its ratio otherwise
    (pages: big database / small database) and says so in `ratio_is`."""

    name: str
    figure: str
    unit: str  # "ms" or "per_s"
    median: float
    p95: float | None
    baseline: float
    baseline_is: str
    goal: str
    goal_met: bool | None
    sizes: dict
    ratio: float | None = None
    ratio_is: str = ""
    extra: dict = field(default_factory=dict)
    rows: list[Result] = field(default_factory=list)

    def __post_init__(self):
        if self.ratio is None and self.median and self.baseline:
            if self.unit == "ms":
                self.ratio, self.ratio_is = self.baseline / self.median, "baseline / median"
            else:
                self.ratio, self.ratio_is = self.median / self.baseline, "per_s / baseline"

    def as_json(self) -> dict:
        data = {"figure": self.figure}
        if self.unit == "ms":
            data["median_ms"] = round(self.median, 3)
            data["p95_ms"] = None if self.p95 is None else round(self.p95, 3)
        elif self.unit == "MB":
            data["peak_mb"] = round(self.median, 1)
        else:
            data["per_s"] = round(self.median, 1)
        data.update(
            baseline=round(self.baseline, 3),
            baseline_is=self.baseline_is,
            ratio=None if self.ratio is None else round(self.ratio, 2),
            ratio_is=self.ratio_is,
            goal=self.goal,
            goal_met=self.goal_met,
            sizes=self.sizes,
            **self.extra,
        )
        if self.rows:
            data["rows"] = {row.name: row.as_json() for row in self.rows}
        return data


@dataclass
class Context:
    quick: bool
    sizes: dict
    database: str  # the big generated database
    small_database: str  # the same schema with `small_cases` cases
    data: dict  # what bench.data generated: ids and users the benchmarks need
    small_data: dict
    log: callable = print

    def time_ms(self, fn, *, repeat: int, warmup: int = 3) -> list[float]:
        """Milliseconds per call of fn(), after `warmup` untimed calls."""
        for _ in range(warmup):
            fn()
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
        return times


def free_port() -> int:
    """A port nothing listens on, for a server a benchmark starts on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def median(values) -> float:
    return statistics.median(values)


def p95(values) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * 0.95
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def database_url(name: str) -> str:
    """DATABASE_URL's server, this database."""
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/leakcase")
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


@contextlib.contextmanager
def on_database(name: str):
    """Point Django's default connection at another database of the same server."""
    from django.db import connections

    connection = connections["default"]
    old = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = name
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = old


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "per_s":
        return f"{value:,.0f}/s"
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value:,.2f} ms" if value < 100 else f"{value:,.0f} ms"


def table(results: list[Result]) -> str:
    """Markdown: benchmark, figure, median, p95, baseline (same run), ratio, goal."""
    lines = [
        "| benchmark | figure | median | p95 | baseline in the same run | ratio | goal | met |",
        "| --- | --- | ---: | ---: | --- | ---: | --- | --- |",
    ]

    def line(result: Result, name: str):
        ratio = "-" if result.ratio is None else f"{result.ratio:,.2f}x"
        met = {True: "yes", False: "**no**", None: "-"}[result.goal_met]
        baseline = f"{_fmt(result.baseline, result.unit)} ({result.baseline_is})"
        lines.append(
            f"| {name} | {result.figure} | {_fmt(result.median, result.unit)} | "
            f"{_fmt(result.p95, result.unit)} | {baseline} | {ratio} ({result.ratio_is}) | "
            f"{result.goal} | {met} |"
        )

    for result in results:
        line(result, f"`{result.name}`")
        for row in result.rows:
            line(row, f"`{result.name}` {row.name}")
    return "\n".join(lines)

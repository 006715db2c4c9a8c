"""sizing: what a deployment needs, from figures measured here, for three tiers (issue 16):
a small helpline (1,000 cases a year), a national service (50,000 cases, 1M sightings) and
a network of services (10M reference hashes).

Measured, on PostgreSQL and in real processes:
- Bytes per row of every table, indexes and TOAST included (pg_total_relation_size after
  VACUUM ANALYZE). Where the big generated database (bench/data.py) has at least
  VOLUME_ROWS rows of a table, its figure is used (measured at volume). Url checks are
  COPYed at volume into the sample's database. The other tables are measured by what the
  sample's second half added (the first pages of each index came with the first half):
  whole 8 kB pages, so coarse where a table has few rows.
- Rows per case in every table, from a sample of cases made through the real services as
  seed_demo makes its case (SHAPE: 20 pasted links, 2 screenshots, a reference image, her
  consent, assignment, notes, messages, requests drafted, one marked sent).
- Object storage per screenshot: the sealed file, thumbnail and preview of the sample's
  screenshots (generated demo images, small: a real phone screenshot is an ASSUMPTION).
- Weekly emails: the digests' own claim run on the sample, with some cases closed and one
  survivor who turned them off, counts who gets one (a survivor with an open case who has
  not turned them off, and every member of staff).
- Memory (VmRSS / VmHWM from /proc): a gunicorn worker serving pages; a Celery worker
  (prefork, concurrency 2 as in docker-compose.yml) idle and after a recheck batch; a
  process with the hash index loaded from the big database's reference hashes (1M in full
  mode, measured directly), and the index's numpy arrays built for synthetic hashes in
  memory without the database (10M in full mode: their nbytes and the RSS they add).
- Rechecks per second of that Celery worker: recheck_sightings tasks of RECHECK_CHUNK, as
  the dispatcher sends them, against the local slow server (100 ms a URL).
- Sightings per second the dispatcher itself hands out (claim, lease, site paces, batches):
  one run of rechecks_dispatch over every sighting of the sizing database, all due, with
  the sites' paces and the backpressure target lifted.
- Url checks are modelled under the retention rule (monitoring.services.url_checks_prune):
  every check of the last CHECKS_KEPT_FOR, plus the first, the changes and the last of each
  sighting (an ASSUMED number of those), so they grow with the sightings watched, not with
  the days.

Everything per tier is a LINEAR EXTRAPOLATION from the rows measured, with the ASSUMPTIONS
below printed beside the figures. `python -m bench.benchmarks.sizing --index-from-database`
or `--index-synthetic N` is the measuring process for the hash index.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench.harness import Context, Result, free_port, median, on_database

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
GB = 1024 * MB
# A table with at least this many rows in the big generated database is measured there.
VOLUME_ROWS = 10_000

# One case as the sample makes it (seed_demo's shape, with the 20 links a case of the
# national tier has: 1M sightings / 50,000 cases).
SHAPE = {
    "sightings": 20,
    "screenshots": 2,
    "reference_images": 1,
    "shared_notes": 1,
    "internal_notes": 1,
    "her_messages": 2,
    "requests_marked_sent": 1,
}
# Everything here is an ASSUMPTION (no measured figure exists): printed with the tiers.
ASSUMPTIONS = {
    "open_months": 3,  # a case stays open (new, active or monitoring) 3 months on average
    "weekly_opt_out": 0.10,  # share of survivors who turned the weekly email off
    "open_cases_per_caseworker": 40,
    "caseworkers_per_supervisor": 8,
    "still_up_share": 0.20,  # of the links being rechecked, up (every 6 h); the rest removed
    "staff_requests_per_s_at_peak": 0.1,  # each member of staff, one page every 10 s
    "open_case_requests_per_s_at_peak": 0.002,  # each open case, her pages
    "headroom": 3,  # capacity over the average or peak load computed
    "screenshot_mb": 1.5,  # a real phone screenshot as uploaded (the demo images are small)
    # Checks older than 30 days kept per sighting: the first, the changes of outcome (down,
    # back, a spell unreachable, walled) and the last.
    "old_checks_kept_per_sighting": 4,
}
TIERS = [
    # name, cases a year, sightings a year (None: SHAPE's per case), reference hashes
    # (None: the sample's per case). The network's cases and sightings are an ASSUMPTION:
    # ten national services; its 10M reference hashes are the issue's.
    ("small helpline", 1_000, None, None),
    ("national service", 50_000, 1_000_000, None),
    ("network of services", 500_000, 10_000_000, 10_000_000),
]


def run(ctx: Context) -> Result:
    from django.db import connection

    sizes = ctx.sizes
    sample_cases = sizes["sizing_sample_cases"]
    ctx.log("  sizing: VACUUM ANALYZE of the big database, table sizes")
    volume = _table_sizes()
    big_hashes = volume.get("evidence_referencehash", {}).get("rows", 0)

    database = f"{ctx.database}_sizing"
    _recreate(database)
    try:
        with on_database(database):
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            staff = _staff()
            _vacuum()
            before = _table_sizes(vacuum=False)
            started = time.perf_counter()
            # In two halves: a table too small to measure at volume is measured by what the
            # second half added (its indexes' first pages were counted in the first).
            half = max(1, sample_cases // 2)
            cases = _sample(range(half), staff)
            _vacuum()
            halfway = _table_sizes(vacuum=False)
            cases += _sample(range(half, sample_cases), staff)
            ctx.log(
                f"  sizing: {sample_cases} cases through the services in "
                f"{time.perf_counter() - started:.1f} s"
            )
            storage = _storage()
            _vacuum()
            after_cases = _table_sizes(vacuum=False)
            mail = _weekly_emails(cases)
            checks = _url_checks(sizes["sizing_url_checks"])
            _vacuum()
            after = _table_sizes(vacuum=False)
            per_row, rows_per_case = _per_row(
                volume, [before, halfway, after_cases, after], sample_cases
            )
            env = _env(database)
            web = _web_process(env, staff, cases)
            ctx.log(
                f"  sizing: web process {web['vm_rss_mb']:.0f} MB after {web['requests']} pages"
            )
            worker = _worker_process(env, sizes["sizing_recheck_urls"])
            ctx.log(
                f"  sizing: worker idle {worker['idle_mb']:.0f} MB, after "
                f"{worker['rechecked']} rechecks {worker['after_mb']:.0f} MB, "
                f"{worker['per_s']:.0f}/s"
            )
            dispatch = _dispatch()
            ctx.log(
                f"  sizing: dispatch handed out {dispatch['handed_out']:,} of "
                f"{dispatch['due']:,} due in one run, {dispatch['per_s']:,.0f}/s"
            )
        settings = connection.settings_dict
        index_db = _index_process(
            {**env, "DATABASE_URL": _url(settings, ctx.database)}, ["--index-from-database"]
        )
        index_synthetic = _index_process(
            env, ["--index-synthetic", str(sizes["sizing_synthetic_hashes"])]
        )
    finally:
        _drop(database)

    measured = {
        "per_row": per_row,
        "rows_per_case": rows_per_case,
        "storage": storage,
        "mail": mail,
        "url_checks_copied": checks,
        "web": web,
        "worker": worker,
        "dispatch": dispatch,
        "index_from_database": {**index_db, "big_database_rows": big_hashes},
        "index_synthetic": index_synthetic,
    }
    tiers = tiers_from(measured)
    for line in report(measured, tiers, sample_cases=sample_cases).splitlines():
        ctx.log(line)
    per_case = sum(
        per_row[t]["bytes_per_row"] * n for t, n in rows_per_case.items() if t in per_row
    )
    return Result(
        name="sizing",
        figure=(
            "peak RSS of a web process (gunicorn worker, pages served); tiers in the output "
            "and the JSON (linear extrapolation)"
        ),
        unit="MB",
        median=web["vm_hwm_mb"],
        p95=None,
        baseline=0,
        baseline_is="none: a measurement for sizing, not a speed-up",
        goal="figures for the README's sizing table",
        goal_met=None,
        sizes={
            "sample_cases": sample_cases,
            "url_checks": checks,
            "recheck_urls": sizes["sizing_recheck_urls"],
            "synthetic_hashes": sizes["sizing_synthetic_hashes"],
            "big_database_reference_hashes": big_hashes,
        },
        extra={
            "bytes_per_case": round(per_case),
            "tiers": tiers,
            "assumptions": ASSUMPTIONS,
            "shape": SHAPE,
            **measured,
        },
    )


# --- databases and table sizes ---------------------------------------------------------------


def _url(settings: dict, name: str) -> str:
    return (
        "postgres://{USER}@{HOST}:{PORT}/".format(
            **{k: settings[k] or "" for k in ("USER", "HOST", "PORT")}
        )
        + name
    )


def _admin():
    import psycopg
    from django.db import connection

    return psycopg.connect(_url(connection.settings_dict, "postgres"), autocommit=True)


def _recreate(name: str) -> None:
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def _drop(name: str) -> None:
    from django.db import connection

    connection.close()
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _table_sizes(*, vacuum: bool = True) -> dict[str, dict]:
    """Every table of ours: exact row count and pg_total_relation_size (heap, indexes,
    TOAST), after VACUUM ANALYZE."""
    from django.db import connection

    if vacuum:
        _vacuum()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname = current_schema()"
        )
        sizes = cursor.fetchall()
        out = {}
        for table, size in sizes:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # names from pg_class
            out[table] = {"rows": cursor.fetchone()[0], "bytes": size}
    return out


def _per_row(volume: dict, stages: list[dict], sample_cases: int) -> tuple[dict, dict]:
    """Bytes per row of each table the sample wrote to, and its rows per case. `stages`:
    table sizes before the sample, halfway, after its cases, after the weekly emails and
    url checks. Where measured, in this order: the big generated database (at least
    VOLUME_ROWS rows); what the url checks and weekly emails added to the sizing database,
    where they added more rows than the sample's second half did; else what that half
    added."""
    before, halfway, after_cases, after = stages
    empty = {"rows": 0, "bytes": 0}
    per_row, rows_per_case = {}, {}

    def added(late, early, table):
        late, early = late.get(table, empty), early.get(table, empty)
        return late["rows"] - early["rows"], late["bytes"] - early["bytes"]

    for table in after:
        of_cases, _ = added(after_cases, before, table)
        if of_cases > 0:
            rows_per_case[table] = of_cases / sample_cases
        big = volume.get(table, empty)
        late_rows, late_bytes = added(after, after_cases, table)
        second_rows, second_bytes = added(after_cases, halfway, table)
        if big["rows"] >= VOLUME_ROWS:
            rows, size, where = big["rows"], big["bytes"], "big database"
        elif late_rows > max(second_rows, 0):
            rows, size, where = late_rows, late_bytes, "sizing database"
        elif second_rows > 0:
            rows, size, where = second_rows, second_bytes, "sample, second half"
        elif of_cases > 0:
            # Rows made by the first cases only (a host the later cases share): their size
            # is all there is to go on.
            rows, (_, size), where = of_cases, added(after_cases, before, table), "sample"
        else:
            continue
        per_row[table] = {"bytes_per_row": size / rows, "rows_measured": rows, "where": where}
    return per_row, rows_per_case


# --- the sample -----------------------------------------------------------------------------


def _staff() -> dict:
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from accounts.models import Role, User

    staff = {}
    for name, role in (("supervisor", Role.SUPERVISOR), ("caseworker", Role.CASEWORKER)):
        user = User.objects.create_user(email=f"{name}@sizing.test", password=None, role=role)
        TOTP.activate(user, generate_totp_secret())  # staff reach nothing without one
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        staff[name] = user
    return staff


def _links(n: int, case_number: int) -> str:
    """SHAPE's links of one case, on the sites seed_demo uses, each address of its own."""
    sites = [
        "https://x.com/leaker_account/status/17900000{c:05d}{i:05d}?utm_source=share",
        "https://www.reddit.com/r/example_forum/comments/c{c}i{i}/post_title/",
        "https://imgur.com/gallery/Zx9Yq{c}x{i}",
        "https://files.example-locker.net/d/8f2k{c}-{i}",
        "https://forum.example-board.net/t/{c}{i:04d}",
    ]
    return "\n".join(sites[i % len(sites)].format(c=case_number, i=i) for i in range(n))


def _sample(numbers: range, staff: dict) -> list:
    """A case of SHAPE for each number, made through the services as seed_demo makes its
    case."""
    from allauth.account.models import EmailAddress
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import Role, User
    from cases.models import NoteVisibility
    from cases.services import case_assign, case_open, case_set_consent, note_add
    from cases.thread_services import message_post
    from evidence.demo_images import make_image, screenshot_of
    from evidence.services import evidence_add, reference_register, sightings_log_pasted
    from takedowns.services import (
        takedown_mark_submitted,
        takedown_update_draft,
        takedowns_draft,
    )

    caseworker = staff["caseworker"]
    cases = []
    for n in numbers:
        survivor = User.objects.create_user(
            email=f"survivor{n}@sizing.test", password=None, role=Role.SURVIVOR
        )
        EmailAddress.objects.create(
            user=survivor, email=survivor.email, verified=True, primary=True
        )
        case = case_open(survivor=survivor, pseudonym=f"Person {n}", acting_user=survivor)
        case_set_consent(case=case, given=True, acting_user=survivor)
        saved = sightings_log_pasted(
            case=case, text=_links(SHAPE["sightings"], n), acting_user=survivor
        ).saved
        for shot in range(SHAPE["screenshots"]):
            seed = n * 10 + shot + 1
            evidence_add(
                case=case,
                upload=SimpleUploadedFile(
                    f"screenshot-{shot}.png", screenshot_of(make_image(seed=seed), seed=seed)
                ),
                acting_user=survivor,
                sighting=saved[shot],
            )
        for image in range(SHAPE["reference_images"]):
            reference_register(
                case=case, data=make_image(seed=100_000 + n * 10 + image), acting_user=survivor
            )
        case_assign(case=case, to=caseworker, acting_user=caseworker)
        for _ in range(SHAPE["shared_notes"]):
            note_add(
                case=case,
                body="We have your links and are preparing the requests to each site.",
                visibility=NoteVisibility.SHARED,
                acting_user=caseworker,
            )
        for _ in range(SHAPE["her_messages"]):
            message_post(
                case=case,
                body="Thank you. Will you tell me when the first one is down?",
                acting_user=survivor,
            )
        for _ in range(SHAPE["internal_notes"]):
            note_add(
                case=case,
                body="Survivor prefers email contact only; no phone calls.",
                visibility=NoteVisibility.INTERNAL,
                acting_user=caseworker,
            )
        drafts = takedowns_draft(case=case, sightings=saved, acting_user=caseworker)
        for draft in drafts[: SHAPE["requests_marked_sent"]]:
            takedown_update_draft(
                takedown=draft,
                acting_user=caseworker,
                signer_name=f"Person {n}",
                signer_capacity="self",
                content_description="Intimate photos of me, posted without my consent.",
                confirms_no_consent=True,
                confirms_good_faith=True,
                recipient_email="abuse@example.test",
            )
            takedown_mark_submitted(takedown=draft, ticket_number=f"T-{n}", acting_user=caseworker)
        cases.append(case)
    return cases


def _storage() -> dict:
    """Bytes in object storage per screenshot: the sealed file, thumbnail and preview."""
    from evidence.models import EvidenceFile

    files = list(EvidenceFile.objects.all())
    sealed = sum(e.file.size for e in files)
    renditions = sum(e.thumbnail.size + e.preview.size for e in files)
    uploaded = sum(e.size for e in files)
    return {
        "screenshots": len(files),
        "uploaded_bytes_each": uploaded / len(files),
        "sealed_file_bytes_each": sealed / len(files),
        "renditions_bytes_each": renditions / len(files),
        "sealing_overhead_bytes_each": (sealed - uploaded) / len(files),
    }


def _weekly_emails(cases) -> dict:
    """Who gets a weekly email, by the digests' own claim: a third of the sample's cases
    closed, one survivor with the email turned off; a Monday morning is due for everyone."""
    from django.utils import timezone

    from cases.models import Case, CaseStatus
    from digests.models import WeeklyStatus
    from digests.services import digests_claim_due, weekly_statuses_ensure
    from outbox.models import EmailKind, OutgoingEmail

    Case.objects.filter(pk__in=[c.pk for c in cases[::3]]).update(status=CaseStatus.CLOSED)
    now = timezone.now()
    weekly_statuses_ensure(now=now)
    WeeklyStatus.objects.update(next_digest_at=now)
    opted_out = cases[1].survivor_id if len(cases) > 1 else None
    WeeklyStatus.objects.filter(user_id=opted_out).update(enabled=False)
    OutgoingEmail.objects.filter(
        kind__in=[EmailKind.SURVIVOR_WEEKLY, EmailKind.STAFF_WEEKLY]
    ).delete()
    while digests_claim_due(now=now).people:
        pass
    open_cases = Case.objects.exclude(status=CaseStatus.CLOSED).count()
    opted_out_open = (
        Case.objects.filter(survivor_id=opted_out).exclude(status=CaseStatus.CLOSED).count()
    )
    sent = {
        kind: OutgoingEmail.objects.filter(kind=kind).count()
        for kind in (EmailKind.SURVIVOR_WEEKLY, EmailKind.STAFF_WEEKLY)
    }
    from accounts.models import STAFF_ROLES, User

    staff = User.objects.filter(role__in=STAFF_ROLES).count()
    return {
        "survivors": len(cases),
        "open_cases": open_cases,
        "opted_out_with_open_case": opted_out_open,
        "staff": staff,
        "survivor_weekly": sent[EmailKind.SURVIVOR_WEEKLY],
        "staff_weekly": sent[EmailKind.STAFF_WEEKLY],
        # The rule the tiers use, checked against what the claim wrote.
        "rule_holds": sent[EmailKind.SURVIVOR_WEEKLY] == open_cases - opted_out_open
        and sent[EmailKind.STAFF_WEEKLY] == staff,
    }


def _url_checks(count: int) -> int:
    """`count` url checks over the sample's sightings, shaped as a recheck writes them."""
    import datetime as dt
    import random

    from django.utils import timezone

    from bench.data import copy_rows
    from evidence.models import Sighting

    rng = random.Random(16)
    sightings = list(Sighting.objects.values_list("pk", "url"))
    now = timezone.now()
    outcomes = [("live", 200, "image/jpeg", 25_000)] * 2 + [("removed", 404, "text/html", 900)] * 7
    outcomes += [("unreachable", None, "", 0)]

    def rows():
        for n in range(count):
            pk, url = sightings[n % len(sightings)]
            outcome, status, content_type, size = rng.choice(outcomes)
            yield (
                pk,
                now - dt.timedelta(minutes=n),
                outcome,
                status,
                url if status else "",
                content_type,
                size,
                rng.randrange(80, 3000),
                rng.randrange(0, 40) if outcome == "live" else None,
                "timed out" if outcome == "unreachable" else "",
            )

    columns = ["sighting_id", "checked_at", "outcome", "http_status", "final_url"]
    columns += ["content_type", "bytes_read", "elapsed_ms", "distance", "error"]
    return copy_rows("evidence_urlcheck", columns, rows())


# --- processes ------------------------------------------------------------------------------


def _env(database: str) -> dict:
    from django.db import connection

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "leakcase.settings_test",
        "DATABASE_URL": _url(connection.settings_dict, database),
        "PYTHONPATH": str(ROOT),
    }


def _status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of a process, and its Pss (its share of pages it shares with the
    processes forked beside it: what adding up processes should use), in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key = line.split(":")[0]
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(line.split()[1]) / 1024
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            out["Pss"] = int(line.split()[1]) / 1024
    return out


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise RuntimeError(f"sizing: {what} did not happen within {timeout:.0f} s")


def _web_process(env: dict, staff: dict, cases) -> dict:
    """One gunicorn worker (sync, as shipped) serving her pages and staff's, logged in
    through sessions made here; its RSS after serving them."""
    from django.test import Client
    from django.urls import reverse

    def session(user):
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    her, caseworker = cases[-1].survivor, staff["caseworker"]
    pages = [
        (None, reverse("account_login")),
        (session(her), reverse("cases:list")),
        (session(her), reverse("cases:detail", args=[cases[-1].reference])),
        (session(caseworker), reverse("cases:caseload")),
        (session(caseworker), reverse("cases:detail", args=[cases[-1].reference])),
    ]
    port = free_port()
    command = ["gunicorn", "leakcase.wsgi:application", "--workers", "1"]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    with tempfile.TemporaryFile(mode="w+") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", *command], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        try:
            times, before, after, master = _serve(server, f"http://127.0.0.1:{port}", pages)
        except Exception:
            log.seek(0)
            sys.stderr.write(log.read()[-3000:])
            raise
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {
        "requests": len(times),
        "pages": [path for _, path in pages],
        "median_page_ms": round(median(times) * 1000, 1),
        "after_healthz_mb": round(before["VmRSS"], 1),
        "vm_rss_mb": round(after["VmRSS"], 1),
        "vm_hwm_mb": round(after["VmHWM"], 1),
        "master_mb": round(master["VmRSS"], 1),
    }


def _serve(server, base: str, pages: list) -> tuple:
    """Each page ten times through the gunicorn worker; its memory before and after."""
    _wait_for(lambda: _get(f"{base}/healthz", None)[0] == 200, timeout=60, what="gunicorn")
    (worker,) = _children(server.pid)
    before = _status(worker)
    times, statuses = [], set()
    for _ in range(10):
        for cookie, path in pages:
            started = time.perf_counter()
            status, _ = _get(base + path, cookie)
            times.append(time.perf_counter() - started)
            statuses.add(status)
    if statuses != {200}:
        raise RuntimeError(f"sizing: pages answered {sorted(statuses)}")
    return times, before, _status(worker), _status(server.pid)


def _get(url: str, session: str | None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if session:
        request.add_header("Cookie", f"sessionid={session}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""
    except OSError:
        return 0, b""


def _worker_process(env: dict, urls: int) -> dict:
    """A Celery worker as docker-compose runs it (prefork, concurrency 2): RSS idle, then
    recheck_sightings tasks of RECHECK_CHUNK ids (as the dispatcher sends them) over `urls`
    sightings at the local slow server; how many a second, and RSS after."""
    from bench.benchmarks.recheck import _make_sightings, _start_server

    slow, base = _start_server()
    try:
        ids, _ = _make_sightings(base, urls)
        command = ["celery", "-A", "leakcase", "worker", "--concurrency=2", "--loglevel=INFO"]
        command += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
        worker = subprocess.Popen(
            [sys.executable, "-m", *command, "-n", f"sizing{os.getpid()}@%h"],
            cwd=ROOT,
            env={**env, "LEAKCASE_FETCH_ALLOW_NETWORKS": "127.0.0.1/32"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            return _recheck_in(worker, ids)
        finally:
            worker.terminate()
            worker.wait(timeout=60)
    finally:
        slow.terminate()
        slow.wait()


def _dispatch() -> dict:
    """One run of rechecks_dispatch over every sighting here, all due, the sites' paces and
    the backpressure target lifted (the batches are counted, not sent): how many sightings a
    second the dispatcher itself claims, leases and hands out."""
    import datetime as dt

    from django.utils import timezone

    from evidence.models import Sighting
    from monitoring import services
    from platforms.models import Platform

    now = timezone.now()
    paces = sorted(set(Platform.objects.values_list("checks_per_minute", flat=True)))
    due = Sighting.objects.update(next_check_at=now - dt.timedelta(minutes=1))
    Platform.objects.update(checks_per_minute=10**9)
    tasks, lifted = [], {"DEFAULT_CHECKS_PER_MINUTE": 10**9, "QUEUE_TARGET_MIN": 10**9}
    # Hosts no platform claims (here 127.0.0.1) at no pace, and workers that keep up with any
    # amount in flight: what is measured is the dispatcher's own work.
    kept = {name: getattr(services, name) for name in lifted}
    for name, value in lifted.items():
        setattr(services, name, value)
    try:
        started = time.perf_counter()
        handed_out = services.rechecks_dispatch(send=tasks.append, now=now)
        elapsed = time.perf_counter() - started
    finally:
        for name, value in kept.items():
            setattr(services, name, value)
    return {
        "due": due,
        "handed_out": handed_out,
        "tasks": len(tasks),
        "seconds": round(elapsed, 2),
        "per_s": handed_out / elapsed,
        "directory_paces": paces,
    }


def _recheck_in(worker: subprocess.Popen, ids: list) -> dict:
    from monitoring.models import UrlCheck
    from monitoring.services import RECHECK_CHUNK
    from monitoring.tasks import recheck_sightings

    ready, last_lines = threading.Event(), collections.deque(maxlen=30)

    def watch():  # read all of its log, so the pipe never fills
        for line in worker.stderr:
            last_lines.append(line)
            if " ready." in line:
                ready.set()

    threading.Thread(target=watch, daemon=True).start()
    if not ready.wait(120):
        raise RuntimeError(f"sizing: no Celery worker within 120 s: {''.join(last_lines)}")
    time.sleep(2)
    idle = [_status(p) for p in (worker.pid, *_children(worker.pid))]
    started = time.perf_counter()
    for start in range(0, len(ids), RECHECK_CHUNK):
        recheck_sightings.apply_async(args=[[str(i) for i in ids[start : start + RECHECK_CHUNK]]])
    _wait_for(
        lambda: UrlCheck.objects.filter(sighting__in=ids).count() >= len(ids),
        timeout=600,
        what=f"{len(ids)} rechecks",
    )
    elapsed = time.perf_counter() - started
    after = [_status(p) for p in (worker.pid, *_children(worker.pid))]
    return {
        "concurrency": 2,
        "chunk": RECHECK_CHUNK,
        "rechecked": len(ids),
        "seconds": round(elapsed, 1),
        "per_s": len(ids) / elapsed,
        # Master and children: RSS each, and their Pss added up (forked children share
        # the pages Django's imports left in the master: RSS would count them thrice).
        "idle_rss_mb": [round(p["VmRSS"], 1) for p in idle],
        "idle_mb": round(sum(p["Pss"] for p in idle), 1),
        "after_rss_mb": [round(p["VmRSS"], 1) for p in after],
        "after_mb": round(sum(p["Pss"] for p in after), 1),
        "child_after_mb": round(max(p["VmRSS"] for p in after[1:]), 1),
        "child_peak_mb": round(max(p["VmHWM"] for p in after[1:]), 1),
    }


def _index_process(env: dict, args: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.benchmarks.sizing", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"sizing {args}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the tiers ------------------------------------------------------------------------------


def tiers_from(measured: dict) -> list[dict]:
    """Each tier's processes, memory, database, storage and Monday mail: linear in the
    measured figures, with ASSUMPTIONS where nothing was measured."""
    from leakcase.celery import app
    from monitoring.services import (
        CHECKS_KEPT_FOR,
        DISPATCH_MAX_SECONDS,
        RECHECK_LIVE,
        RECHECK_REMOVED_MAX,
    )
    from outbox.models import OutgoingEmail
    from platforms.models import DEFAULT_CHECKS_PER_MINUTE

    a = ASSUMPTIONS
    per_row, rows_per_case = measured["per_row"], measured["rows_per_case"]
    case_tables = {t: n for t, n in rows_per_case.items() if t != "evidence_urlcheck"}
    case_bytes = sum(per_row[t]["bytes_per_row"] * n for t, n in case_tables.items())
    hash_bytes = per_row["evidence_referencehash"]["bytes_per_row"]
    hashes_per_case = rows_per_case.get("evidence_referencehash", 0)
    check_bytes = per_row["evidence_urlcheck"]["bytes_per_row"]
    outbox = per_row.get(OutgoingEmail._meta.db_table, {"bytes_per_row": 0})
    outbox_bytes = outbox["bytes_per_row"]
    index_mb_for = _index_line(measured["index_from_database"], measured["index_synthetic"])
    web, worker = measured["web"], measured["worker"]
    storage = measured["storage"]
    screenshot = a["screenshot_mb"] * MB + storage["renditions_bytes_each"]
    screenshot += storage["sealing_overhead_bytes_each"]
    screenshots_per_case = rows_per_case.get("evidence_evidencefile", 0)
    day = 24 * 3600
    checks_per_sighting_day = (
        a["still_up_share"] * day / RECHECK_LIVE.total_seconds()
        + (1 - a["still_up_share"]) * day / RECHECK_REMOVED_MAX.total_seconds()
    )
    # No constant limit any more: a dispatch run claims for up to DISPATCH_MAX_SECONDS each
    # time beat runs it, at the rate measured; each site at its pace a minute.
    every = app.conf.beat_schedule["dispatch-rechecks"]["schedule"]
    dispatch_per_day = round(measured["dispatch"]["per_s"] * DISPATCH_MAX_SECONDS * day / every)
    # The directory's highest pace, as the migrations set it (platforms/0003).
    big_site_per_day = max(measured["dispatch"]["directory_paces"]) * 24 * 60
    other_site_per_day = DEFAULT_CHECKS_PER_MINUTE * 24 * 60
    # Rows each sighting keeps: its checks of the last CHECKS_KEPT_FOR, and the older ones
    # the rule keeps (first, changes, last).
    checks_kept_per_sighting = (
        checks_per_sighting_day * CHECKS_KEPT_FOR.days + a["old_checks_kept_per_sighting"]
    )

    out = []
    for name, cases, sightings, hashes in TIERS:
        sightings = sightings or cases * SHAPE["sightings"]
        extra_hashes = max(0, (hashes or 0) - cases * hashes_per_case)
        hashes = hashes or round(cases * hashes_per_case)
        open_cases = cases * a["open_months"] / 12
        caseworkers = math.ceil(open_cases / a["open_cases_per_caseworker"])
        supervisors = math.ceil(caseworkers / a["caseworkers_per_supervisor"])
        staff = caseworkers + supervisors
        survivor_mails = round(open_cases * (1 - a["weekly_opt_out"]))
        monday = survivor_mails + staff
        checks_day = sightings * checks_per_sighting_day
        checks_s = checks_day / day
        workers = max(1, math.ceil(checks_s * a["headroom"] / worker["per_s"]))
        peak_rps = staff * a["staff_requests_per_s_at_peak"]
        peak_rps += open_cases * a["open_case_requests_per_s_at_peak"]
        web_processes = max(2, math.ceil(peak_rps * web["median_page_ms"] / 1000 * a["headroom"]))
        index_mb = index_mb_for(hashes)
        web_mb = web["vm_rss_mb"] + index_mb
        # Each prefork child may match a fetched copy against every reference (evidence_add).
        worker_mb = worker["after_mb"] + 2 * index_mb
        database = cases * case_bytes + extra_hashes * hash_bytes
        url_checks = sightings * checks_kept_per_sighting * check_bytes
        outbox_year = monday * 52 * outbox_bytes
        out.append(
            {
                "tier": name,
                "cases_a_year": cases,
                "sightings": sightings,
                "reference_hashes": hashes,
                "open_cases": round(open_cases),
                "staff": staff,
                "web_processes": web_processes,
                "peak_requests_per_s": round(peak_rps, 1),
                "worker_processes": workers,
                "worker_concurrency": 2,
                "rechecks_per_day": round(checks_day),
                "rechecks_per_s": round(checks_s, 2),
                "dispatcher_per_day": dispatch_per_day,
                "over_dispatcher_limit": checks_day > dispatch_per_day,
                "big_platform_per_day": big_site_per_day,
                "other_site_per_day": other_site_per_day,
                # The share of the links being rechecked one big platform may hold before
                # its pace, not the workers, is what holds its checks back.
                "big_platform_share_max": round(min(1.0, big_site_per_day / checks_day), 3),
                "url_checks_kept": round(sightings * checks_kept_per_sighting),
                "hash_index_mb": round(index_mb, 1),
                "web_process_mb": round(web_mb),
                "worker_process_mb": round(worker_mb),
                "memory_total_mb": round(web_processes * web_mb + workers * worker_mb),
                "database_cases_gb": round(database / GB, 2),
                "database_url_checks_gb": round(url_checks / GB, 2),
                "database_outbox_gb_a_year": round(outbox_year / GB, 3),
                "database_gb_after_a_year": round((database + url_checks + outbox_year) / GB, 2),
                "evidence_storage_gb_a_year": round(
                    cases * screenshots_per_case * screenshot / GB, 1
                ),
                "mail_per_monday": monday,
                "mail_survivors": survivor_mails,
                "mail_staff": staff,
            }
        )
    return out


def _index_line(loaded: dict, synthetic: dict):
    """MB of hash index for n references: the line through the two measured indexes (the
    chunk tables' 2 MB of value starts are fixed, the rest grows with the rows)."""
    if synthetic["rows"] == loaded["rows"]:
        return lambda n: n * loaded["nbytes"] / loaded["rows"] / MB
    slope = (synthetic["nbytes"] - loaded["nbytes"]) / (synthetic["rows"] - loaded["rows"])
    return lambda n: (loaded["nbytes"] + slope * (n - loaded["rows"])) / MB


def _mbs(values) -> str:
    return " / ".join(f"{v:.0f}" for v in values) + " MB"


def report(measured: dict, tiers: list[dict], *, sample_cases: int) -> str:
    from evidence.matching.hash_index import UNSORTED_MAX
    from monitoring.services import CHECKS_KEPT_FOR, DISPATCH_MAX_SECONDS

    per_row, rows_per_case = measured["per_row"], measured["rows_per_case"]
    lines = [
        "",
        f"Sizing: LINEAR EXTRAPOLATION from the rows measured (a sample of {sample_cases} "
        "cases made through the services; tables at volume where marked).",
        "",
        "| table | rows a case | bytes a row (indexes, TOAST) | bytes a case | measured on "
        "| rows there |",
        "| --- | ---: | ---: | ---: | --- | ---: |",
    ]
    for table in sorted(
        per_row, key=lambda t: -per_row[t]["bytes_per_row"] * rows_per_case.get(t, 0)
    ):
        row = per_row[table]
        lines.append(
            f"| {table} | {rows_per_case.get(table, 0):,.1f} | {row['bytes_per_row']:,.0f} | "
            f"{row['bytes_per_row'] * rows_per_case.get(table, 0):,.0f} | {row['where']} | "
            f"{row['rows_measured']:,} |"
        )
    case_bytes = sum(
        per_row[t]["bytes_per_row"] * n
        for t, n in rows_per_case.items()
        if t != "evidence_urlcheck"
    )
    lines.append("")  # a paragraph after a markdown table must not read as one of its rows
    lines.append(
        f"'big database': bench/data.py's generated rows ({VOLUME_ROWS:,} or more); 'sizing "
        "database': the url checks COPYed and the weekly emails written there; 'sample, second "
        "half': what the sample's second half added (whole 8 kB pages: coarse on few rows)."
    )
    storage, mail = measured["storage"], measured["mail"]
    web, worker = measured["web"], measured["worker"]
    index, synthetic = measured["index_from_database"], measured["index_synthetic"]
    lines += [
        "",
        f"A case (its rows in every table): {case_bytes / 1024:,.1f} kB. A url check: "
        f"{per_row['evidence_urlcheck']['bytes_per_row']:,.0f} B. A reference hash: "
        f"{per_row['evidence_referencehash']['bytes_per_row']:,.0f} B.",
        "A screenshot in object storage (demo images, "
        f"{storage['uploaded_bytes_each'] / 1024:,.0f} kB uploaded): sealed file "
        f"{storage['sealed_file_bytes_each'] / 1024:,.0f} kB "
        f"(+{storage['sealing_overhead_bytes_each']:,.0f} B sealing), thumbnail and preview "
        f"{storage['renditions_bytes_each'] / 1024:,.0f} kB.",
        f"Weekly emails on the sample ({mail['survivors']} survivors, {mail['open_cases']} "
        f"open cases, {mail['opted_out_with_open_case']} of them turned off, {mail['staff']} "
        f"staff): {mail['survivor_weekly']} to survivors, {mail['staff_weekly']} to staff; "
        f"the rule (open case and not turned off, plus all staff) holds: {mail['rule_holds']}.",
        f"Web process (gunicorn sync worker): {web['vm_rss_mb']:.0f} MB RSS after "
        f"{web['requests']} page requests (peak {web['vm_hwm_mb']:.0f} MB; "
        f"{web['after_healthz_mb']:.0f} MB after /healthz; master {web['master_mb']:.0f} MB); "
        f"median page {web['median_page_ms']:.0f} ms.",
        "Celery worker (prefork, concurrency 2; master and 2 children, Pss added up): "
        f"{worker['idle_mb']:.0f} MB idle (RSS each {_mbs(worker['idle_rss_mb'])}), "
        f"{worker['after_mb']:.0f} MB after {worker['rechecked']:,} rechecks (RSS each "
        f"{_mbs(worker['after_rss_mb'])}; a child's peak {worker['child_peak_mb']:.0f} MB); "
        f"{worker['per_s']:.0f} rechecks/s in tasks of {worker['chunk']} at 100 ms a URL.",
        f"Hash index, loaded from PostgreSQL (measured): {index['rows']:,} references, "
        f"{index['nbytes'] / MB:,.1f} MB of arrays "
        f"({index['nbytes'] / max(index['rows'], 1):.1f} B a reference), "
        f"RSS +{index['rss_added_mb']:.1f} MB, loaded in {index['load_s']:.1f} s (below "
        f"{UNSORTED_MAX:,} references no chunk tables are built: 16 B a reference).",
        f"Hash index, synthetic hashes in memory, no database (measured arrays): "
        f"{synthetic['rows']:,} references, {synthetic['nbytes'] / MB:,.1f} MB of arrays, "
        f"RSS +{synthetic['rss_added_mb']:.1f} MB, built in {synthetic['build_s']:.1f} s.",
        "",
        "ASSUMPTIONS (nothing measured gives these): "
        + ", ".join(f"{k} = {v}" for k, v in ASSUMPTIONS.items())
        + f"; the network's cases and sightings (ten national services); {SHAPE['screenshots']}"
        " screenshots and the sample's shape per case.",
        "",
        "| tier | cases/yr | sightings | reference hashes | web processes | worker processes "
        "(concurrency) | memory per process / total | database after a year | evidence "
        "storage a year | mail per Monday |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |",
    ]
    for t in tiers:
        flag = " (over what the dispatcher hands out)" if t["over_dispatcher_limit"] else ""
        lines.append(
            f"| {t['tier']} | {t['cases_a_year']:,} | {t['sightings']:,} | "
            f"{t['reference_hashes']:,} | {t['web_processes']} | {t['worker_processes']} (2)"
            f"{flag} | web {t['web_process_mb']:,} MB, worker {t['worker_process_mb']:,} MB; "
            f"{t['memory_total_mb']:,} MB | {t['database_gb_after_a_year']:,.2f} GB (cases "
            f"{t['database_cases_gb']:,.2f}, url checks {t['database_url_checks_gb']:,.2f})"
            f" | {t['evidence_storage_gb_a_year']:,.1f} GB | {t['mail_per_monday']:,} "
            f"({t['mail_survivors']:,} survivors, {t['mail_staff']:,} staff) |"
        )
    lines.append("")
    lines.append(
        "Rechecks a day per tier: "
        + "; ".join(
            f"{t['tier']} {t['rechecks_per_day']:,} ({t['rechecks_per_s']}/s)" for t in tiers
        )
        + f"; one dispatcher hands out up to {tiers[0]['dispatcher_per_day']:,} a day (measured "
        f"{measured['dispatch']['per_s']:,.0f}/s for {DISPATCH_MAX_SECONDS} s a minute), a big "
        f"platform {tiers[0]['big_platform_per_day']:,} a day and any other site "
        f"{tiers[0]['other_site_per_day']:,} (their pace)."
    )
    lines.append(
        "Url checks kept (the first, the changes and the last of each sighting, and all of the "
        f"last {CHECKS_KEPT_FOR.days} days): "
        + "; ".join(f"{t['tier']} {t['url_checks_kept']:,}" for t in tiers)
        + "."
    )
    return "\n".join(lines)


# --- the measuring process for the hash index ---------------------------------------------


def _rss_mb() -> float:
    return _status(os.getpid())["VmRSS"]


def _child(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index-from-database", action="store_true")
    parser.add_argument("--index-synthetic", type=int, default=0)
    args = parser.parse_args(argv)

    import django
    import numpy as np

    django.setup()  # as in a web or worker process; the index's module needs the models
    if args.index_from_database:
        from django.db import connection

        from evidence.matching.hash_index import current_index

        connection.ensure_connection()
        before = _rss_mb()
        started = time.perf_counter()
        index = current_index()
        load_s = time.perf_counter() - started
        out = {"rows": len(index), "nbytes": index.nbytes, "load_s": round(load_s, 2)}
    else:
        from evidence.matching.hash_index import _chunk_tables

        rng = np.random.default_rng(16)
        before = _rss_mb()
        started = time.perf_counter()
        # Uniform random bits: the arrays' sizes do not depend on how the bits fall.
        phashes = rng.integers(0, 2**64 - 1, size=args.index_synthetic, dtype=np.uint64)
        dhashes = rng.integers(0, 2**64 - 1, size=args.index_synthetic, dtype=np.uint64)
        tables = _chunk_tables(phashes)
        nbytes = phashes.nbytes + dhashes.nbytes + sum(a.nbytes for t in tables for a in t)
        out = {
            "rows": args.index_synthetic,
            "nbytes": nbytes,
            "build_s": round(time.perf_counter() - started, 2),
        }
    out["rss_before_mb"] = round(before, 1)
    out["rss_added_mb"] = round(_rss_mb() - before, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    _child()

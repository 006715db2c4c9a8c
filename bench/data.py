"""Generated data for the benchmarks, written fast: COPY (psycopg) for the big tables,
bulk_create in large batches where Django's defaults matter. Nothing here is a real person,
address or image; addresses use the reserved .test domain and are never fetched.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import uuid

import numpy as np
from django.db import connection
from django.utils import timezone

from evidence.matching.hashing import PHASH_THRESHOLD, chunks16
from evidence.models import to_signed64

SEED = 9
# pHash sets exactly half of its 64 bits (split at the median): generated hashes do too, so
# the 16-bit chunks are as unevenly spread as real ones (the multi-index finds more
# candidates than with uniform random bits).
PHASH_BITS_SET = 32
# Planted near-copies of each lookup query, at these pHash distances (pHash distances are
# even): the first ones must be found, the ones past the threshold must not.
PLANTED_DISTANCES = (0, 2, 4, 6, 8, 10, 12, 14)


def copy_rows(
    model_or_table,
    columns: list[str],
    rows,
    *,
    drop_indexes: bool = False,
    past_triggers: bool = False,
) -> int:
    """COPY rows (tuples in `columns` order) into a table; returns how many.

    drop_indexes: drop the table's secondary indexes first and build them again after,
    which is several times faster for a million rows than keeping them up to date.
    past_triggers: turn the table's triggers off meanwhile (links and requests: the
    figures' stale days, a case's next due time), which would look rows up without those
    indexes (hours at 2.5M links); build() works out what they keep once, at the end
    (_derived)."""
    table = model_or_table if isinstance(model_or_table, str) else model_or_table._meta.db_table
    indexes = []
    if drop_indexes:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                [table],
            )
            indexes = cursor.fetchall()
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
    if past_triggers:
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
    count = 0
    statement = f'COPY "{table}" ({", ".join(columns)}) FROM STDIN'
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
        if past_triggers:
            cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
    return count


def _derived() -> None:
    """What the triggers keep, worked out once for all the rows COPYed past them: each
    case's next due time (the backfill of takedowns migration 0016) and the platform
    figures' summary (as the rebuild command does)."""
    import importlib

    from takedowns.services import platform_figures_rebuild

    migration = importlib.import_module("takedowns.migrations.0018_case_next_due_triggers")
    with connection.cursor() as cursor:
        cursor.execute(migration.BACKFILL)
    platform_figures_rebuild()


def copy_models(model, objects: list, *, now) -> int:
    """COPY unsaved model instances, every concrete column as its attribute holds it (the
    model's defaults, as Django set them on the instance); auto_now fields get `now`, as
    save() would have given them. For tables too big for bulk_create at ten times the data;
    the instances need their primary keys set (UUIDs are, by their default)."""
    fields = model._meta.concrete_fields
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objects:
                if getattr(obj, field.attname) is None:
                    setattr(obj, field.attname, now)
    return copy_rows(
        model,
        [field.column for field in fields],
        (tuple(getattr(obj, field.attname) for field in fields) for obj in objects),
        drop_indexes=True,
        past_triggers=True,
    )


def phash_like(rng: np.random.Generator, n: int) -> np.ndarray:
    """n 64-bit values (uint64) with exactly PHASH_BITS_SET bits set."""
    out = np.empty(n, dtype=np.uint64)
    weights = np.uint64(1) << np.arange(64, dtype=np.uint64)
    for start in range(0, n, 100_000):
        size = min(100_000, n - start)
        order = rng.random((size, 64)).argsort(axis=1)[:, :PHASH_BITS_SET]
        out[start : start + size] = weights[order].sum(axis=1, dtype=np.uint64)
    return out


def flip(value: int, distance: int, rng: random.Random) -> int:
    """A hash `distance` bits from value (even), keeping the number of set bits."""
    ones = [b for b in range(64) if value >> b & 1]
    zeros = [b for b in range(64) if not value >> b & 1]
    for bit in rng.sample(ones, distance // 2) + rng.sample(zeros, distance // 2):
        value ^= 1 << bit
    return value


def build(sizes: dict, *, log=print) -> dict:
    """Users, platforms, cases, sightings (with their logged events), takedown requests
    and reference hashes at `sizes`. Returns what the benchmarks need to find again."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from accounts.models import Role, User
    from cases.models import Case, CaseEvent, CaseStatus, EventKind, Priority, new_reference
    from evidence.models import ReferenceHash, Sighting
    from platforms.models import Platform, PlatformDomain
    from takedowns.models import TakedownRequest, TakedownStatus

    rng = random.Random(SEED)
    nrng = np.random.default_rng(SEED)
    timings = {}
    now = timezone.now()

    started = time.perf_counter()
    platforms = Platform.objects.bulk_create(
        Platform(name=f"Platform {i}", slug=f"platform-{i}", abuse_email=f"abuse@p{i}.test")
        for i in range(20)
    )
    PlatformDomain.objects.bulk_create(
        PlatformDomain(platform=p, domain=f"p{i}.test") for i, p in enumerate(platforms)
    )
    supervisor = User.objects.create_user(
        email="supervisor@bench.test", password=None, role=Role.SUPERVISOR
    )
    caseworkers = User.objects.bulk_create(
        User(email=f"caseworker{i}@bench.test", role=Role.CASEWORKER, password="!")
        for i in range(sizes["caseworkers"])
    )
    for staff in [supervisor, *caseworkers]:
        TOTP.activate(staff, generate_totp_secret())  # staff reach nothing without one
    survivors = User.objects.bulk_create(
        (
            User(email=f"survivor{i}@bench.test", role=Role.SURVIVOR, password="!")
            for i in range(sizes["cases"])
        ),
        batch_size=5000,
    )
    # Confirmed addresses, as after each opened allauth's link: weekly emails go only to
    # confirmed addresses (digests.selectors.statuses_due).
    EmailAddress.objects.bulk_create(
        (
            EmailAddress(user=user, email=user.email, verified=True, primary=True)
            for user in [supervisor, *caseworkers, *survivors]
        ),
        batch_size=5000,
    )
    timings["users_s"] = time.perf_counter() - started

    started = time.perf_counter()
    statuses = [CaseStatus.NEW, CaseStatus.ACTIVE, CaseStatus.ACTIVE, CaseStatus.MONITORING]
    statuses += [CaseStatus.RESOLVED, CaseStatus.CLOSED]
    priorities = [Priority.NORMAL] * 7 + [Priority.HIGH] * 2 + [Priority.URGENT]
    # Drawn distinct first: 10,000 random references (30^6 possible) share one about one run
    # in 14, and that failed the whole bulk_create (and the run).
    references: set[str] = set()
    while len(references) < len(survivors):
        references.add(new_reference())
    cases = Case.objects.bulk_create(
        (
            Case(
                reference=reference,
                survivor=survivor,
                contact_email=survivor.email,
                pseudonym=f"Person {i}",
                # The first case is the one the pages show: active, with its caseworker.
                status=CaseStatus.ACTIVE if i == 0 else rng.choice(statuses),
                priority=rng.choice(priorities),
                assigned_to=caseworkers[0]
                if i == 0
                else (None if rng.random() < 0.2 else rng.choice(caseworkers)),
                last_activity_at=now - dt.timedelta(hours=rng.randrange(24 * 90)),
            )
            for i, (survivor, reference) in enumerate(zip(survivors, references, strict=True))
        ),
        batch_size=5000,
    )
    timings["cases_s"] = time.perf_counter() - started

    # Sightings: the first case has case_page_sightings, the rest share what is left.
    started = time.perf_counter()
    rest = sizes["sightings"] - sizes["case_page_sightings"]
    per_case = [sizes["case_page_sightings"], *_spread(rest, len(cases) - 1, rng)]
    sighting_ids: list[list[uuid.UUID]] = []
    sighting_statuses = ["live"] * 5 + ["removed"] * 4 + ["unknown"]

    def sighting_rows():
        for case, count in zip(cases, per_case, strict=True):
            ids = []
            for n in range(count):
                pk = uuid.uuid4()
                ids.append(pk)
                platform_index = rng.randrange(len(platforms))
                status = rng.choice(sighting_statuses)
                created = now - dt.timedelta(minutes=rng.randrange(60 * 24 * 180))
                yield (
                    pk,
                    case.pk,
                    f"https://p{platform_index}.test/post/{case.pk}/{n}",
                    f"p{platform_index}.test",
                    platforms[platform_index].pk,
                    "",
                    status,
                    # Up as far as we know ("unknown") is due like live.
                    created + dt.timedelta(hours=24) if status != "removed" else None,
                    None,
                    None,
                    created if status == "removed" else None,
                    created,
                    "check",
                    "",
                )
            sighting_ids.append(ids)

    columns = ["id", "case_id", "url", "host", "platform_id", "note", "status"]
    columns += ["action_due_at", "last_checked_at", "next_check_at", "removed_verified_at"]
    columns += ["created_at", "status_source", "last_check_outcome"]
    copy_rows(Sighting, columns, sighting_rows(), drop_indexes=True, past_triggers=True)
    timings["sightings_s"] = time.perf_counter() - started

    started = time.perf_counter()

    def event_rows():
        for case, ids in zip(cases, sighting_ids, strict=True):
            yield (case.pk, EventKind.CASE_OPENED, False, "", "", None, "{}", now)
            for pk in ids:
                value = json.dumps({"url": f"https://post.test/{pk}"})
                yield (
                    case.pk,
                    EventKind.SIGHTING_LOGGED,
                    False,
                    "evidence.sighting",
                    str(pk),
                    None,
                    value,
                    now,
                )

    copy_rows(
        CaseEvent,
        [
            "case_id",
            "kind",
            "internal",
            "target_type",
            "target_id",
            "old_value",
            "new_value",
            "created_at",
        ],
        event_rows(),
        drop_indexes=True,
    )
    timings["events_s"] = time.perf_counter() - started

    # Takedown requests, each covering one sighting of its case; the first case has 20.
    started = time.perf_counter()
    request_statuses = [TakedownStatus.SENT] * 3 + [TakedownStatus.ACKNOWLEDGED]
    request_statuses += [TakedownStatus.REMOVED] * 4 + [TakedownStatus.REJECTED]
    request_statuses += [TakedownStatus.DRAFT]
    owners = [0] * min(20, sizes["takedown_requests"]) + [
        rng.randrange(len(cases)) for _ in range(max(0, sizes["takedown_requests"] - 20))
    ]
    requests, covered = [], []
    for index in owners:
        if not sighting_ids[index]:
            continue
        status = rng.choice(request_statuses)
        sent = (
            None
            if status == TakedownStatus.DRAFT
            else now - dt.timedelta(hours=rng.randrange(24 * 120))
        )
        platform = rng.choice(platforms)
        requests.append(
            TakedownRequest(
                case=cases[index],
                platform=platform,
                host=f"p{platforms.index(platform)}.test",
                status=status,
                sent_at=sent,
                due_at=sent + dt.timedelta(hours=48) if sent else None,
                removed_at=sent + dt.timedelta(hours=rng.randrange(1, 200))
                if status == TakedownStatus.REMOVED
                else None,
                created_by=caseworkers[0],
            )
        )
        covered.append(rng.choice(sighting_ids[index]))
    copy_models(TakedownRequest, requests, now=now)
    through = TakedownRequest.sightings.through
    copy_rows(
        through,
        ["takedownrequest_id", "sighting_id"],
        ((r.pk, s) for r, s in zip(requests, covered, strict=True)),
    )
    timings["takedown_requests_s"] = time.perf_counter() - started

    # Each case's next due time and the platform figures' summary, as the triggers and the
    # beat would leave them (the COPYs went past the triggers).
    started = time.perf_counter()
    _derived()
    timings["derived_s"] = time.perf_counter() - started

    # The outbox: a weekly status email for each survivor, sent over the last 90 days,
    # one in a hundred failed (the outbox page lists those first).
    started = time.perf_counter()

    def email_rows():
        for i, survivor in enumerate(survivors):
            created = now - dt.timedelta(minutes=rng.randrange(60 * 24 * 90))
            failed = i % 100 == 0
            yield (
                uuid.uuid4(),
                survivor.pk,
                "survivor_weekly",
                created,
                "{}",
                "{}",
                "failed" if failed else "sent",
                5 if failed else 1,
                "Connection refused" if failed else "",
                created,
                None if failed else created,
            )

    columns = ["id", "user_id", "kind", "scheduled_for", "counts", "headers", "status"]
    columns += ["attempts", "last_error", "created_at", "sent_at"]
    blank = ["to_address", "from_email", "reply_to", "subject", "body_text", "body_html"]
    blank += ["message_id"]
    copy_rows(
        "digests_outgoingemail",
        columns + blank,
        (row + ("",) * len(blank) for row in email_rows()),
        drop_indexes=True,
    )
    timings["outbox_s"] = time.perf_counter() - started

    started = time.perf_counter()
    lookups = _reference_hashes(sizes, cases, nrng, rng, now, ReferenceHash)
    timings["reference_hashes_s"] = time.perf_counter() - started

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    timings["analyze_s"] = time.perf_counter() - started
    log("  generated in " + ", ".join(f"{k[:-2]} {v:.1f} s" for k, v in timings.items()))
    return {
        "supervisor": supervisor.pk,
        "caseworker": caseworkers[0].pk,
        "survivor": survivors[0].pk,
        "case_reference": cases[0].reference,
        "takedown": str(requests[0].pk),  # one of the first case's requests
        "lookups": lookups,
        "generation_s": {k: round(v, 1) for k, v in timings.items()},
    }


def _spread(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` split over `parts` roughly evenly (each 50-150% of the mean)."""
    if parts <= 0:
        return []
    mean = total / parts
    counts = [max(0, round(mean * rng.uniform(0.5, 1.5))) for _ in range(parts)]
    difference = total - sum(counts)
    step = 1 if difference > 0 else -1
    index = 0
    while difference:
        if counts[index % parts] + step >= 0:
            counts[index % parts] += step
            difference -= step
        index += 1
    return counts


def _reference_hashes(sizes, cases, nrng, rng, now, ReferenceHash) -> list[tuple[int, int]]:
    """Random pHash-like hashes, plus near-copies planted around each lookup query at
    PLANTED_DISTANCES. Returns the queries (pHash, dHash), unsigned."""
    total = sizes["reference_hashes"]
    queries = sizes["lookup_queries"]
    planted_per_query = len(PLANTED_DISTANCES)
    query_phashes = [int(v) for v in phash_like(nrng, queries)]
    query_dhashes = [int(v) for v in nrng.integers(0, 2**63, size=queries, dtype=np.int64)]
    planted = []
    for index, (phash, dhash) in enumerate(zip(query_phashes, query_dhashes, strict=True)):
        if index % 2:  # half the queries have near-copies stored, half have none
            continue
        for distance in PLANTED_DISTANCES:
            planted.append((flip(phash, distance, rng), flip(dhash, min(distance, 12), rng)))
    randoms = total - len(planted)
    phashes = phash_like(nrng, randoms)
    dhashes = nrng.integers(0, 2**64 - 1, size=randoms, dtype=np.uint64)
    case_ids = [c.pk for c in cases]

    def rows():
        for phash, dhash in planted:
            yield _reference_row(phash, dhash, rng.choice(case_ids), now)
        for phash, dhash in zip(phashes.tolist(), dhashes.tolist(), strict=True):
            yield _reference_row(phash, dhash, case_ids[phash % len(case_ids)], now)

    copy_rows(
        ReferenceHash,
        ["id", "case_id", "label", "phash", "dhash", "pdq", "p0", "p1", "p2", "p3", "created_at"],
        rows(),
        drop_indexes=True,
    )
    assert planted_per_query * ((queries + 1) // 2) == len(planted)
    assert PLANTED_DISTANCES[-1] > PHASH_THRESHOLD
    return list(zip(query_phashes, query_dhashes, strict=True))


def _reference_row(phash: int, dhash: int, case_id: int, now):
    p0, p1, p2, p3 = chunks16(phash)
    return (
        uuid.uuid4(),
        case_id,
        "",
        to_signed64(phash),
        to_signed64(dhash),
        "",
        p0,
        p1,
        p2,
        p3,
        now,
    )


# A sealed file of this many bytes and its stand-in thumbnail and preview (a 320 px JPEG
# thumbnail and a blurred preview weigh tens of kB).
NOISE_RENDITION_BYTES = 40_000


def sealed_noise_evidence(*, case, uploaded_by, count: int, file_bytes: int) -> list:
    """`count` evidence files of `file_bytes` each on `case`, sealed through the vault as
    an upload is, without decoding an image: random bytes behind a JPEG start marker, which
    nothing compresses (as a photo's JPEG data is not compressed further). For measuring
    bundles and exports at gigabytes; one file is in memory at a time."""
    import hashlib
    import os

    from evidence import vault
    from evidence.models import EvidenceFile

    rows = []
    for _ in range(count):
        data = b"\xff\xd8\xff\xe0" + os.urandom(file_bytes - 4)
        evidence = EvidenceFile(
            case=case,
            content_type="image/jpeg",
            size=file_bytes,
            sha256=hashlib.sha256(data).hexdigest(),
            stored_sha256=hashlib.sha256(data).hexdigest(),
            width=4000,
            height=3000,
            phash="0" * 16,
            dhash="0" * 16,
            captured_at=timezone.now(),
            uploaded_by=uploaded_by,
        )
        vault.store(
            evidence,
            {
                "file": ("original.jpg", data),
                "thumbnail": ("thumbnail.jpg", os.urandom(NOISE_RENDITION_BYTES)),
                "preview": ("preview.jpg", os.urandom(NOISE_RENDITION_BYTES)),
            },
            original_name=f"noise-{len(rows)}.jpg",
        )
        del data
        rows.append(evidence)
    return EvidenceFile.objects.bulk_create(rows)

"""The in-process hash index (evidence/matching/hash_index.py) and the SQL path it falls back
to: both exactly what a full scan finds, and the index never stale, whoever wrote the rows."""

import json
import random
import subprocess
import sys
import uuid

import psycopg
import pytest
from django.db import connection, transaction
from django.utils import timezone

from cases.services import case_open
from evidence.matching import hash_index, reference_hashes, references_matching
from evidence.matching.hashing import ImageHashes, chunks16, is_possible_copy
from evidence.models import ReferenceHash, to_signed64


def _flip(value: int, bits: int, rng: random.Random) -> int:
    return value ^ sum(1 << b for b in rng.sample(range(64), bits))


def _phash_like(rng: random.Random) -> int:
    # 32 of 64 bits set, as pHash's median split gives: chunks far from uniform.
    return sum(1 << b for b in rng.sample(range(64), 32))


def _row(case, phash: int, dhash: int) -> ReferenceHash:
    return ReferenceHash(
        case=case,
        phash=to_signed64(phash),
        dhash=to_signed64(dhash),
        **{f"p{i}": c for i, c in enumerate(chunks16(phash))},
    )


def _found(query, references) -> set:
    return {m.reference.pk for m in references_matching(query, references)}


def _scanned(query, references) -> set:
    return {r.pk for r in references if is_possible_copy(query, reference_hashes(r))}


@pytest.mark.parametrize(
    ("in_memory", "unsorted_max"),
    [(True, 0), (True, 10**9), (False, 0)],
    ids=["memory-chunk-tables", "memory-scan", "sql"],
)
def test_every_path_finds_exactly_what_a_full_scan_finds(
    in_memory, unsorted_max, settings, monkeypatch, survivor, other_survivor, caseworker
):
    settings.EVIDENCE_HASH_INDEX = in_memory
    # 0: the chunk tables are built on every load; 10**9: never, every row is scanned.
    monkeypatch.setattr(hash_index, "UNSORTED_MAX", unsorted_max)
    rng = random.Random(11)
    cases = [
        case_open(survivor=owner, pseudonym=f"C{i}", acting_user=owner)
        for i, owner in enumerate([survivor, survivor, other_survivor])
    ]
    queries = [ImageHashes(_phash_like(rng), rng.getrandbits(64)) for _ in range(12)]
    rows = [_row(rng.choice(cases), _phash_like(rng), rng.getrandbits(64)) for _ in range(3000)]
    for query in queries[::2]:  # near-copies of half the queries, at 0-14 bits in each hash
        for bits in range(15):
            for _ in range(2):
                rows.append(
                    _row(
                        rng.choice(cases),
                        _flip(query.phash, bits, rng),
                        _flip(query.dhash, rng.choice([bits, 12, 13]), rng),
                    )
                )
    ReferenceHash.objects.bulk_create(rows)
    one_case = ReferenceHash.objects.filter(case=cases[0])
    # The staff suggestion's queryset: cases she may see, not the evidence's own.
    elsewhere = (
        ReferenceHash.objects.filter(case__in=cases[1:])
        .exclude(case=cases[1])
        .select_related("case")
    )
    if in_memory:
        snapshot = hash_index.current_index().snapshot
        if unsorted_max == 0:  # these rows are found through the chunk tables
            assert snapshot.sorted_rows == len(snapshot.phashes) >= len(rows)
        else:  # these rows are scanned one by one (earlier tests' rows may have tables)
            assert len(snapshot.phashes) - snapshot.sorted_rows >= len(rows)
    total = 0
    for query in queries:
        for references in (ReferenceHash.objects.all(), one_case, elsewhere):
            expected = _scanned(query, references)
            assert _found(query, references) == expected
            total += len(expected)
    assert total > 50  # planted copies were found, not just agreed on nothing


def test_distances_are_reported(survivor, case):
    rng = random.Random(3)
    query = ImageHashes(_phash_like(rng), rng.getrandbits(64))
    ReferenceHash.objects.bulk_create(
        [_row(case, _flip(query.phash, 6, rng), _flip(query.dhash, 4, rng))]
    )
    (match,) = references_matching(query, ReferenceHash.objects.all())
    assert (match.phash_distance, match.dhash_distance) == (6, 4)


def test_every_insert_statement_gets_one_new_generation_and_deletes_move_removed(case):
    rng = random.Random(5)
    ReferenceHash.objects.bulk_create([_row(case, rng.getrandbits(64), 1) for _ in range(3)])
    first = _counter()
    ReferenceHash.objects.bulk_create([_row(case, rng.getrandbits(64), 2) for _ in range(2)])
    second = _counter()
    assert second["added"] > first["added"] and second["removed"] == first["removed"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT dhash, generation FROM evidence_referencehash ORDER BY dhash")
        generations = cursor.fetchall()
    assert generations == [(1, first["added"])] * 3 + [(2, second["added"])] * 2
    ReferenceHash.objects.filter(dhash=5).delete()  # nothing deleted: nothing to reload
    assert _counter()["removed"] == second["removed"]
    ReferenceHash.objects.filter(dhash=1).update(label="renamed")  # hashes unchanged
    assert _counter()["removed"] == second["removed"]
    ReferenceHash.objects.filter(dhash=1).update(dhash=3)
    third = _counter()
    assert third["removed"] > second["removed"]
    ReferenceHash.objects.filter(dhash=2).delete()
    assert _counter()["removed"] > third["removed"]


def test_erasing_a_case_counts_as_removal(case):
    ReferenceHash.objects.bulk_create([_row(case, 12345, 678)])
    before = _counter()["removed"]
    case.delete()  # as account_erase does: the references go by Django's cascade
    assert _counter()["removed"] > before


def test_an_unchanged_index_costs_one_query_per_lookup(case, django_assert_num_queries):
    rng = random.Random(9)
    query = ImageHashes(_phash_like(rng), rng.getrandbits(64))
    rows = [_row(case, _phash_like(rng), rng.getrandbits(64)) for _ in range(500)]
    rows.append(_row(case, _flip(query.phash, 2, rng), query.dhash))
    ReferenceHash.objects.bulk_create(rows)
    references_matching(query, ReferenceHash.objects.all())  # loads
    with django_assert_num_queries(1):  # nothing near: the counter, to be sure
        assert references_matching(ImageHashes(0, 0), ReferenceHash.objects.all()) == []
    with django_assert_num_queries(1):  # the matching rows, with the counter as columns
        assert len(references_matching(query, ReferenceHash.objects.all())) == 1
    with django_assert_num_queries(2):  # near, but not in this queryset: the counter again
        assert references_matching(query, ReferenceHash.objects.exclude(case=case)) == []


# --- freshness across connections ----------------------------------------------------------


def _counter() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT added, removed FROM evidence_referencehash_generation")
        added, removed = cursor.fetchone()
    return {"added": added, "removed": removed}


def _other_connection() -> psycopg.Connection:
    """A connection of its own (another web process or worker, as far as the index knows)."""
    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"],
        password=s["PASSWORD"] or None,
        dbname=s["NAME"],
    )


def _insert_elsewhere(other, case, phash: int, dhash: int) -> uuid.UUID:
    pk = uuid.uuid4()
    other.execute(
        "INSERT INTO evidence_referencehash (id, case_id, label, phash, dhash, pdq,"
        " p0, p1, p2, p3, created_at) VALUES (%s, %s, '', %s, %s, '', %s, %s, %s, %s, %s)",
        [pk, case.pk, to_signed64(phash), to_signed64(dhash), *chunks16(phash), timezone.now()],
    )
    return pk


@pytest.mark.django_db(transaction=True)
def test_a_reference_added_or_removed_in_another_connection_is_seen_by_the_next_lookup(
    survivor,
):
    case = case_open(survivor=survivor, pseudonym="R", acting_user=survivor)
    rng = random.Random(21)
    query = ImageHashes(_phash_like(rng), rng.getrandbits(64))
    ReferenceHash.objects.bulk_create(
        [_row(case, _phash_like(rng), rng.getrandbits(64)) for _ in range(300)]
    )
    everything = ReferenceHash.objects.all()
    assert _found(query, everything) == set()
    index = hash_index.current_index()
    # At least the 300; rows of earlier tests' rolled-back transactions may be held too
    # (harmless: no row has them), until the next full load.
    held = len(index)
    assert held >= 300

    with _other_connection() as other:
        added = _insert_elsewhere(other, case, _flip(query.phash, 4, rng), query.dhash)
        other.commit()
        assert _found(query, everything) == {added}
        assert len(index) == held + 1  # only the new row was loaded

        # Not yet committed elsewhere: not seen (nor waited for).
        pending = _insert_elsewhere(other, case, _flip(query.phash, 2, rng), query.dhash)
        assert _found(query, everything) == {added}
        other.commit()
        assert _found(query, everything) == {added, pending}

        other.execute("DELETE FROM evidence_referencehash WHERE id = %s", [added])
        other.commit()
        assert _found(query, everything) == {pending}
        assert len(hash_index.current_index()) == 301  # all loaded again, without the row

        # A hash changed in place is found under its new value.
        moved = _flip(query.phash, 30, rng)
        other.execute(
            "UPDATE evidence_referencehash SET phash = %s, p0 = %s WHERE id = %s",
            [to_signed64(moved), chunks16(moved)[0], pending],
        )
        other.commit()
        assert _found(query, everything) == set()
        assert _found(ImageHashes(moved, query.dhash), everything) == {pending}


@pytest.mark.django_db(transaction=True)
def test_rows_of_a_rolled_back_transaction_are_never_found_and_hide_nothing(survivor):
    case = case_open(survivor=survivor, pseudonym="R", acting_user=survivor)
    rng = random.Random(22)
    query = ImageHashes(_phash_like(rng), rng.getrandbits(64))
    ReferenceHash.objects.bulk_create([_row(case, _phash_like(rng), 1) for _ in range(50)])
    everything = ReferenceHash.objects.all()
    with pytest.raises(RuntimeError), transaction.atomic():
        ReferenceHash.objects.bulk_create([_row(case, _flip(query.phash, 2, rng), query.dhash)])
        # Its own transaction sees it, and the shared index loads it...
        assert len(_found(query, everything)) == 1
        raise RuntimeError("rolled back")
    # ...but it is gone for everyone, and nothing committed later is missed.
    assert _found(query, everything) == set()
    with _other_connection() as other:
        later = _insert_elsewhere(other, case, _flip(query.phash, 6, rng), query.dhash)
        other.commit()
    assert _found(query, everything) == {later}


@pytest.mark.django_db(transaction=True)
def test_a_deletion_rolled_back_leaves_the_rows_findable(survivor):
    case = case_open(survivor=survivor, pseudonym="R", acting_user=survivor)
    rng = random.Random(23)
    query = ImageHashes(_phash_like(rng), rng.getrandbits(64))
    (kept,) = ReferenceHash.objects.bulk_create(
        [_row(case, _flip(query.phash, 2, rng), query.dhash)]
    )
    everything = ReferenceHash.objects.all()
    with pytest.raises(RuntimeError), transaction.atomic():
        ReferenceHash.objects.filter(pk=kept.pk).delete()
        assert _found(query, everything) == set()  # the index reloaded without it
        raise RuntimeError("rolled back")
    assert _found(query, everything) == {kept.pk}


def test_the_sql_fallback_is_used_when_the_index_is_off(case, settings, monkeypatch):
    settings.EVIDENCE_HASH_INDEX = False
    for name in ("known_snapshot", "current_snapshot"):
        monkeypatch.setattr(hash_index, name, lambda *a, **k: pytest.fail("index used"))
    ReferenceHash.objects.bulk_create([_row(case, 77, 88)])
    assert len(references_matching(ImageHashes(77, 88), ReferenceHash.objects.all())) == 1


class _LookupProcess:
    """tests/helpers/hash_lookups.py in a subprocess: another process's index, asked over a
    pipe."""

    def __init__(self):
        from tests.helpers.workers import ROOT, test_database_env

        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.hash_lookups"],
            cwd=ROOT,
            env=test_database_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert json.loads(self.process.stdout.readline()) == {"ready": True}

    def lookup(self, hashes: ImageHashes) -> tuple[set[str], int]:
        self.process.stdin.write(json.dumps({"phash": hashes.phash, "dhash": hashes.dhash}))
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        return set(answer["found"]), answer["held"]

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=15)


@pytest.mark.django_db(transaction=True)
def test_another_process_holding_the_index_sees_every_change_made_in_this_one(survivor):
    """Process A (a subprocess) has loaded the index; process B (this one) adds and deletes
    references through the services and changes a hash in place; A's next lookup is exact
    each time: the counter its triggers keep is read by every lookup, whoever wrote."""
    from evidence.demo_images import make_image
    from evidence.matching.hashing import hashes_of_bytes
    from evidence.services import reference_delete, reference_register

    case = case_open(survivor=survivor, pseudonym="R", acting_user=survivor)
    rng = random.Random(24)
    ReferenceHash.objects.bulk_create(
        [_row(case, _phash_like(rng), rng.getrandbits(64)) for _ in range(300)]
    )
    first_image, second_image = make_image(seed=301), make_image(seed=302)
    first_hashes, second_hashes = hashes_of_bytes(first_image), hashes_of_bytes(second_image)
    assert not is_possible_copy(first_hashes, second_hashes)  # two different pictures
    first = reference_register(case=case, data=first_image, acting_user=survivor)

    other = _LookupProcess()
    try:
        found, held = other.lookup(first_hashes)
        assert found == {str(first.pk)}
        assert held >= 301  # A holds the whole table (the 300, hers, earlier tests' rows)

        second = reference_register(case=case, data=second_image, acting_user=survivor)
        assert other.lookup(second_hashes) == ({str(second.pk)}, held + 1)  # the new row only

        reference_delete(reference=first, acting_user=survivor)
        found, held = other.lookup(first_hashes)
        assert found == set()
        assert held == ReferenceHash.objects.count()  # loaded again, without the deleted row

        # The second reference's hash changed in place (an admin, a re-hash): found under
        # its new value, no longer under its old one.
        ReferenceHash.objects.filter(pk=second.pk).update(
            phash=to_signed64(first_hashes.phash),
            dhash=to_signed64(first_hashes.dhash),
            **{f"p{i}": c for i, c in enumerate(chunks16(first_hashes.phash))},
        )
        assert other.lookup(first_hashes)[0] == {str(second.pk)}
        assert other.lookup(second_hashes)[0] == set()
    finally:
        other.close()


# --- warmed as a worker process starts ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_loads_the_index_as_it_starts(survivor):
    """leakcase/celery.py's worker_process_init receiver loads the index in a thread of its
    own (on its own connection): the first lookup afterwards finds it loaded and current."""
    from leakcase.celery import warm_the_hash_index

    case = case_open(survivor=survivor, pseudonym="Warm", acting_user=survivor)
    rng = random.Random(21)
    ReferenceHash.objects.bulk_create(
        _row(case, _phash_like(rng), rng.getrandbits(64)) for _ in range(300)
    )
    warm_the_hash_index().join(timeout=60)
    loaded = hash_index.loaded_index()
    assert loaded is not None and len(loaded) == 300
    assert loaded.snapshot.state == tuple(_counter().values())
    assert hash_index.current_index() is loaded  # nothing loaded again


# --- the chunk tables at the threshold ------------------------------------------------------


def _spread(query: int, per_chunk: tuple[int, int, int], rng: random.Random) -> int:
    """The query with this many bits flipped in each of the index's three chunks."""
    value = query
    for (shift, bits, _), flips in zip(hash_index.CHUNKS, per_chunk, strict=True):
        for bit in rng.sample(range(bits), flips):
            value ^= 1 << (shift + bit)
    return value


def test_the_chunk_tables_find_every_hash_at_the_threshold_however_its_bits_fall():
    """Adversarial rows: pHashes 10 and 11 bits from the query, the differing bits spread
    over the three chunks in every way (4+3+3 puts no chunk within radius 3 of two of
    them...), dHashes at 12 and 13; among thousands of unrelated ones. The tables' answer
    is the full scan's, for each query."""
    import numpy as np

    rng = random.Random(17)
    queries = [ImageHashes(_phash_like(rng), rng.getrandbits(64)) for _ in range(5)]
    rows = [(_phash_like(rng), rng.getrandbits(64)) for _ in range(5000)]
    spreads = [
        (a, b, distance - a - b)
        for distance in (9, 10, 11)
        for a in range(min(distance, 22) + 1)
        for b in range(min(distance - a, 21) + 1)
        if distance - a - b <= 21
    ]
    for query in queries:
        for spread in spreads:
            for dhash_distance in (0, 12, 13):
                rows.append(
                    (_spread(query.phash, spread, rng), _flip(query.dhash, dhash_distance, rng))
                )
    phashes = np.array([p for p, _ in rows], dtype=np.uint64)
    dhashes = np.array([d for _, d in rows], dtype=np.uint64)
    snapshot = hash_index.Snapshot(
        phashes, dhashes, 1, 1, hash_index._chunk_tables(phashes), len(phashes)
    )
    for query in queries:
        near = (np.bitwise_count(phashes ^ np.uint64(query.phash)) <= 10) & (
            np.bitwise_count(dhashes ^ np.uint64(query.dhash)) <= 12
        )
        truth = {int(v) for v in phashes[near]}
        # Every spread of 9 and 10 bits, each with dHash 0 and 12: found; none of 11 or 13.
        assert len(truth) == 2 * sum(1 for s in spreads if sum(s) <= 10)
        assert snapshot.matching_phashes(query.phash, query.dhash) == truth

"""Every reference's pHash and dHash held in this process, searched with numpy: the fast
path of evidence.matching.references_matching (bench/RESULTS.md, `hash_lookup`).

What it holds: two numpy uint64 arrays, the pHashes and dHashes of every reference hash in
the database (16 bytes a row), and a multi-index of its own (issue 21): the pHash cut into
three chunks of 22, 21 and 21 bits, and for each chunk the rows in the order of the chunk's
value (uint32, 4 bytes a row) and where each value starts (uint32, 2^bits + 1 of them: 32 MB
for the three, however many rows). 28 bytes a row and 32 MB: 60 MB for a million, 312 MB
for ten million, in each process that looks up (plus spare room, up to half again of the
hash arrays, for rows added later).

A lookup asks each chunk for the rows whose chunk is within its radius of the query's:
radius 2 for the 22-bit chunk, 3 for the others. Pigeonhole on the threshold: a pHash
within PHASH_THRESHOLD = 10 of the query has some chunk within 3 bits (three chunks of 4 or
more differing bits make 12), and if both 21-bit chunks differ by 4 or more, the 22-bit one
differs by at most 2. That is 254 + 1,562 + 1,562 chunk values, about 0.15% of the rows
(1,600 at a million, 16,000 at ten million; the four 16-bit chunks at radius 2 that the
database's own p0..p3 use gave 0.85%), checked with np.bitwise_count; the rows added since
the tables were built (at most UNSORTED_MAX) are scanned one by one, and a small table is
simply scanned.
No ids, no case ids: it yields the pHashes that match (pHash <= PHASH_THRESHOLD and dHash
<= DHASH_THRESHOLD), and the caller then asks PostgreSQL for the rows of ITS queryset with
those pHashes, so every restriction the caller applies (one case, the cases a user may see)
stays in SQL, and a reference deleted since the index was loaded is simply not returned.

Freshness: on every lookup, one query reads the counter row that PostgreSQL's own triggers
keep (evidence/migrations/0008_reference_hash_generation.py): a random epoch per database,
`added` (the generation of the last statement that inserted references) and `removed` (set
anew by any DELETE, TRUNCATE or change of a hash, however it happened: reference_delete,
an erased account's cases cascading, the admin, raw SQL). Then:
- same as last time: nothing to load;
- `removed` changed (or another database): load every row again;
- `added` grew: load only rows with generation in (last seen, added]. Generations are
  handed out under a lock held to commit, so every row at or below a committed `added` is
  committed and visible to this statement: nothing is skipped;
- `added` went down: this process loaded, inside a transaction of one of its connections,
  rows that were then rolled back (or not yet committed): load everything again, as this
  connection sees it. (Rows of a rolled-back transaction are also kept when no lookup saw
  the lower value before the next insertion: harmless, no row has them, so the SQL fetch
  finds nothing; the next full load drops them.) Sequence values are never handed out
  twice, so a number seen in a transaction that rolled back cannot come back meaning other
  rows.
So a lookup sees every reference committed before it started, in any process, and the rows
of its own open transaction. The cost: one query per lookup in the usual case: the counter
read as columns of the fetch of the matching rows (one statement, one snapshot), or alone
when nothing is near (evidence.matching._matching_in_memory).
"""

import itertools
import threading
import time
import weakref
from dataclasses import dataclass

import numpy as np
from django.db import connections
from django.db.models import Field
from django.db.models.expressions import RawSQL
from django.db.utils import DatabaseError

from evidence.matching.hashing import DHASH_THRESHOLD, PHASH_THRESHOLD

COUNTER_SQL = "SELECT added, removed FROM evidence_referencehash_generation WHERE id = 1"
# Rows added since the chunk tables were built are scanned one by one; past this many, the
# tables are built again (three sorts of the rows: the hash_lookup benchmark's
# `tables_built_s` says how long at ten million). Below it, a whole small table is simply
# scanned.
UNSORTED_MAX = 1 << 16
# The chunks of the pHash the index is cut into, high bits first: (shift, bits, radius). The
# radii follow from PHASH_THRESHOLD = 3 * 3 + 1 (pigeonhole, see the module's docstring):
# a + 1 = 2 chunks at radius 3, the other at 3 - 1 = 2; the larger chunk gets the smaller
# radius, as it has the more values to ask for.
CHUNKS = ((42, 22, 2), (21, 21, 3), (0, 21, 3))
assert sum(bits for _, bits, _ in CHUNKS) == 64
assert sum(radius + 1 for _, _, radius in CHUNKS) > PHASH_THRESHOLD  # complete


def _masks(bits: int, radius: int) -> np.ndarray:
    """Every `bits`-bit value with at most `radius` bits set (XORed with a chunk: the chunk
    values within `radius` of it)."""
    return np.array(
        [
            sum(1 << bit for bit in chosen)
            for count in range(radius + 1)
            for chosen in itertools.combinations(range(bits), count)
        ],
        dtype=np.int64,
    )


CHUNK_MASKS = tuple(_masks(bits, radius) for _, bits, radius in CHUNKS)
# Scanned in blocks this long: the XOR, bit counts and mask of a block stay in cache.
BLOCK = 1 << 18
# Binary COPY of two NOT NULL bigints: a field count, then (length, value) twice, big-endian.
_COPY_ROW = np.dtype(
    [("fields", ">i2"), ("plen", ">i4"), ("phash", ">i8"), ("dlen", ">i4"), ("dhash", ">i8")]
)
_COPY_HEADER = 19  # signature (11), flags (4), header extension length (4, zero)


@dataclass(frozen=True)
class Snapshot:
    """What one lookup scans: the first rows of the arrays (never written again once
    published), the counter state (`added`, `removed`) they reflect, and for the first
    `sorted_rows` rows the chunk tables (`chunk_tables`, see `_chunk_tables`)."""

    phashes: np.ndarray
    dhashes: np.ndarray
    added: int | None = None
    removed: int | None = None
    chunk_tables: tuple = ()
    sorted_rows: int = 0

    @property
    def state(self) -> tuple:
        return (self.added, self.removed)

    def matching_phashes(self, phash: int, dhash: int) -> set[int]:
        """pHashes (unsigned) of rows within both thresholds of the query's hashes."""
        query_p, query_d = np.uint64(phash), np.uint64(dhash)
        found: set[int] = set()
        if self.sorted_rows:
            rows = self._chunk_candidates(phash)
            self._check(rows, query_p, query_d, found)
        self._scan(self.sorted_rows, len(self.phashes), query_p, query_d, found)
        return found

    def _chunk_candidates(self, phash: int) -> np.ndarray:
        """Rows (of the sorted part) whose pHash has a chunk within that chunk's radius of
        the query's: every row within PHASH_THRESHOLD is among them (pigeonhole, see the
        module's docstring), read from the sorted chunk tables."""
        parts = []
        for (starts, order), (shift, bits, _), masks in zip(
            self.chunk_tables, CHUNKS, CHUNK_MASKS, strict=True
        ):
            needles = masks ^ ((phash >> shift) & ((1 << bits) - 1))
            low = starts[needles].astype(np.intp)
            lengths = starts[needles + 1] - low
            total = int(lengths.sum())
            if not total:
                continue
            # Positions low[k] .. low[k] + lengths[k] - 1 for every k, in one array.
            positions = np.repeat(low - (np.cumsum(lengths) - lengths), lengths)
            parts.append(order[positions + np.arange(total)])
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.uint32)

    def _check(self, rows, query_p, query_d, found: set) -> None:
        if not len(rows):
            return
        near = rows[np.bitwise_count(self.phashes[rows] ^ query_p) <= PHASH_THRESHOLD]
        close = near[np.bitwise_count(self.dhashes[near] ^ query_d) <= DHASH_THRESHOLD]
        found.update(int(v) for v in self.phashes[close])

    def _scan(self, first: int, size: int, query_p, query_d, found: set) -> None:
        """Rows first..size-1 one by one (those added since the chunk tables were built)."""
        if size <= first:
            return
        block = min(BLOCK, size - first)
        xor = np.empty(block, dtype=np.uint64)
        bits = np.empty(block, dtype=np.uint8)
        near = np.empty(block, dtype=bool)
        for start in range(first, size, BLOCK):
            stop = min(size, start + BLOCK)
            n = stop - start
            np.bitwise_xor(self.phashes[start:stop], query_p, out=xor[:n])
            np.bitwise_count(xor[:n], out=bits[:n])
            np.less_equal(bits[:n], PHASH_THRESHOLD, out=near[:n])
            if near[:n].any():
                self._check(np.flatnonzero(near[:n]) + start, query_p, query_d, found)


def _chunk_tables(phashes: np.ndarray) -> tuple:
    """For each chunk of CHUNKS: the rows in the order of that chunk's value (uint32, 4
    bytes a row) and where each of its 2^bits values starts in that order (uint32; 16 MB
    for the 22-bit chunk, 8 MB for each 21-bit one): the rows whose chunk is v are
    order[starts[v]:starts[v + 1]]."""
    if len(phashes) >= 1 << 32:
        raise ValueError("the chunk tables count rows in uint32")
    tables = []
    for shift, bits, _ in CHUNKS:
        chunk = ((phashes >> np.uint64(shift)) & np.uint64((1 << bits) - 1)).astype(np.uint32)
        order = np.argsort(chunk).astype(np.uint32)
        starts = np.zeros((1 << bits) + 1, dtype=np.uint32)
        np.cumsum(np.bincount(chunk, minlength=1 << bits), out=starts[1:])
        tables.append((starts, order))
    return tuple(tables)


class HashIndex:
    """One database's hashes in this process. Lookups read `snapshot`; refreshes (under
    `lock`) write past its end or into new arrays, then publish a new one."""

    def __init__(self):
        self._phashes = np.empty(0, dtype=np.uint64)
        self._dhashes = np.empty(0, dtype=np.uint64)
        self.snapshot = Snapshot(self._phashes, self._dhashes)
        self.lock = threading.Lock()

    def __len__(self):
        return len(self.snapshot.phashes)

    @property
    def nbytes(self) -> int:
        """Memory held, spare room and chunk tables included."""
        tables = sum(a.nbytes for table in self.snapshot.chunk_tables for a in table)
        return self._phashes.nbytes + self._dhashes.nbytes + tables

    def bring_up_to(self, cursor, added: int, removed: int) -> None:
        seen = self.snapshot
        tables, sorted_rows = seen.chunk_tables, seen.sorted_rows
        if seen.removed == removed and seen.added is not None and added > seen.added:
            since = f"generation > {int(seen.added)} AND generation <= {int(added)}"
            phashes, dhashes = self._append(*_load(cursor, since))
        else:
            phashes, dhashes = _load(cursor, f"generation <= {int(added)}")
            self._phashes, self._dhashes = phashes, dhashes
            tables, sorted_rows = (), 0
        if len(phashes) - sorted_rows > UNSORTED_MAX:
            tables, sorted_rows = _chunk_tables(phashes), len(phashes)
        self.snapshot = Snapshot(phashes, dhashes, added, removed, tables, sorted_rows)

    def _append(self, phashes: np.ndarray, dhashes: np.ndarray):
        size, more = len(self.snapshot.phashes), len(phashes)
        if size + more > len(self._phashes):
            # Grow by half, so a stream of single additions copies rarely; rows are written
            # past what published snapshots cover, so a scan running meanwhile is undisturbed.
            capacity = max(size + more, size + size // 2, 1024)
            grown_p = np.empty(capacity, dtype=np.uint64)
            grown_d = np.empty(capacity, dtype=np.uint64)
            grown_p[:size], grown_d[:size] = self._phashes[:size], self._dhashes[:size]
            self._phashes, self._dhashes = grown_p, grown_d
        self._phashes[size : size + more] = phashes
        self._dhashes[size : size + more] = dhashes
        return self._phashes[: size + more], self._dhashes[: size + more]


def _load(cursor, condition: str) -> tuple[np.ndarray, np.ndarray]:
    """pHashes and dHashes of the rows meeting `condition`, as uint64, by one binary COPY."""
    chunks = []
    # `condition` is made of integers (bring_up_to), never of input.
    statement = (
        f"COPY (SELECT phash, dhash FROM evidence_referencehash WHERE {condition}) "  # noqa: S608
        "TO STDOUT (FORMAT BINARY)"
    )
    with cursor.cursor.copy(statement) as copy:
        for data in copy:
            chunks.append(bytes(data))
    raw = b"".join(chunks)
    body = raw[_COPY_HEADER : len(raw) - 2]  # the trailer is a field count of -1
    rows = np.frombuffer(body, dtype=_COPY_ROW)
    if len(rows) and not ((rows["plen"] == 8).all() and (rows["dlen"] == 8).all()):
        raise DatabaseError("unexpected COPY layout for reference hashes")
    return (
        rows["phash"].astype(np.int64).view(np.uint64),
        rows["dhash"].astype(np.int64).view(np.uint64),
    )


_indexes: dict[tuple, HashIndex] = {}
_migrated: set[tuple] = set()
# Per open connection (weakly): the key of its database's index, found on its first lookup.
_keys: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_indexes_lock = threading.Lock()
KEEP = 2  # indexes of this many databases are kept (the benchmarks switch between two)

# The counter as one column of a query's rows, read in the same snapshot as the rows: an
# array [added, removed] (one expression to compile where two columns cost the lookup's hot
# path a tenth of its time, bench/RESULTS.md `hash_lookup`).
STATE_COLUMN = "hash_index_state"
STATE_SQL = "SELECT ARRAY[added, removed] FROM evidence_referencehash_generation WHERE id = 1"


def counter_columns() -> dict:
    # No output field: PostgreSQL's bigint[] arrives as a list of ints, used as it comes.
    return {STATE_COLUMN: RawSQL(STATE_SQL, [], output_field=Field())}  # noqa: S611 - constant


def state_of(row) -> tuple:
    return tuple(getattr(row, STATE_COLUMN))


def known_snapshot(using: str = "default") -> Snapshot | None:
    """The index's snapshot as it stands, without asking the database (None before this
    connection's first lookup). Usable only once checked against the counter."""
    raw = connections[using].connection
    key = _keys.get(raw) if raw is not None else None
    index = _indexes.get(key) if key is not None else None
    return index.snapshot if index is not None else None


def current_snapshot(using: str = "default") -> Snapshot | None:
    """A snapshot of the index for database `using` that is current for what this
    connection sees now (one query when nothing changed); None where there is no counter
    (not PostgreSQL, or not migrated)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    settings = connection.settings_dict
    server = (settings["HOST"], settings["PORT"], settings["NAME"])
    with connection.cursor() as cursor:
        if server not in _migrated:
            # Asked until the migration has run (a failing query would break the caller's
            # transaction); once there, the table stays.
            cursor.execute("SELECT to_regclass('evidence_referencehash_generation')")
            if cursor.fetchone()[0] is None:
                return None
            _migrated.add(server)
        key = _keys.get(connection.connection)
        if key is None:
            # A database copied from a template (the benchmarks' small database) shares the
            # epoch with its template: its own oid tells them apart. Once a connection.
            cursor.execute(
                "SELECT epoch, (SELECT oid FROM pg_database WHERE datname = current_database())"
                " FROM evidence_referencehash_generation WHERE id = 1"
            )
            key = _keys[connection.connection] = (*server, *cursor.fetchone())
        cursor.execute(COUNTER_SQL)
        added, removed = cursor.fetchone()
        with _indexes_lock:
            index = _indexes.pop(key, None) or HashIndex()
            _indexes[key] = index  # most recently used last
            while len(_indexes) > KEEP:
                del _indexes[next(iter(_indexes))]
        snapshot = index.snapshot
        if snapshot.state != (added, removed):
            with index.lock:
                if index.snapshot.state != (added, removed):
                    index.bring_up_to(cursor, added, removed)
                snapshot = index.snapshot
    return snapshot


def current_index(using: str = "default") -> HashIndex | None:
    """The index itself, brought up to date (tests and the benchmark look at its size)."""
    if current_snapshot(using) is None:
        return None
    return _indexes.get(_keys[connections[using].connection])


def warm(using: str = "default") -> dict | None:
    """Load the index of database `using` now, so a worker process's first lookup does not
    pay for it (about a second a million references here): called as each Celery worker
    process starts (leakcase/celery.py). Returns what it loaded and what that took, for the
    log; None where there is no index (not PostgreSQL, not migrated, the index off)."""
    from django.conf import settings

    if not getattr(settings, "EVIDENCE_HASH_INDEX", True):
        return None
    started = time.perf_counter()
    index = current_index(using)
    if index is None:
        return None
    return {
        "references": len(index),
        "bytes": index.nbytes,
        "seconds": round(time.perf_counter() - started, 3),
    }


def loaded_index(using: str = "default") -> HashIndex | None:
    """This process's index of database `using` as it stands, without asking the database
    (/metrics reports its size); None when no lookup here has loaded one yet."""
    settings = connections[using].settings_dict
    server = (settings["HOST"], settings["PORT"], settings["NAME"])
    with _indexes_lock:
        # Most recently used last: a database restored under the same name has a new key.
        found = [index for key, index in _indexes.items() if key[:3] == server]
    return found[-1] if found else None

"""Every reference's pHash and dHash held in this process, searched with numpy: the fast
path of evidence.matching.references_matching (bench/RESULTS.md, `hash_lookup`).

What it holds: two numpy uint64 arrays, the pHashes and dHashes of every reference hash in
the database (16 bytes a row), and the same multi-index the database has, in memory: for
each of the four 16-bit pHash chunks, the rows in the order of the chunk's value (uint32)
and where each value starts (16 bytes a row and 2 MB in all). 32 bytes a row: 34 MB for a
million, in each process that looks up (plus spare room, up to half again of the hash
arrays, for rows added later). A lookup takes the rows whose chunk is one of the 137 values
within 2 bits of the query's chunk, for each chunk (pigeonhole: every pHash within 10 bits
has such a chunk, evidence/matching/hashing.py), checks those few thousand with
np.bitwise_count, and scans one by one only the rows added since the tables were built (at
most UNSORTED_MAX; a small table is simply scanned).
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

import threading
import time
import weakref
from dataclasses import dataclass

import numpy as np
from django.db import connections
from django.db.models import BigIntegerField
from django.db.models.expressions import RawSQL
from django.db.utils import DatabaseError

from evidence.matching.hashing import DHASH_THRESHOLD, PHASH_THRESHOLD, chunks16, neighbour_radius

COUNTER_SQL = "SELECT added, removed FROM evidence_referencehash_generation WHERE id = 1"
# Rows added since the chunk tables were built are scanned one by one; past this many, the
# tables are built again (about 50 ms for a million rows here). Below it, a whole small
# table is simply scanned.
UNSORTED_MAX = 1 << 16
# The 16-bit values within neighbour_radius(PHASH_THRESHOLD) = 2 bits of zero: 137 masks.
NEIGHBOUR_MASKS = np.array(
    [m for m in range(1 << 16) if m.bit_count() <= neighbour_radius(PHASH_THRESHOLD)],
    dtype=np.uint16,
)
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
        """Rows (of the sorted part) whose pHash has a chunk within the radius of the
        query's: every row within PHASH_THRESHOLD is among them (pigeonhole, as in
        evidence/matching/hashing.py), read from the sorted chunk tables by binary search."""
        parts = []
        for (starts, order), chunk in zip(self.chunk_tables, chunks16(phash), strict=True):
            needles = (NEIGHBOUR_MASKS ^ np.uint16(chunk)).astype(np.intp)
            low = starts[needles]
            lengths = starts[needles + 1] - low
            total = int(lengths.sum())
            if not total:
                continue
            # Positions low[k] .. low[k] + lengths[k] - 1 for every k, in one array.
            starts = np.repeat(low - (np.cumsum(lengths) - lengths), lengths)
            parts.append(order[starts + np.arange(total)])
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
    """For each of the four 16-bit pHash chunks: the rows in the order of that chunk's value
    (uint32, 4 bytes a row) and where each of the 65,536 values starts in that order (512
    kB): the rows whose chunk is v are order[starts[v]:starts[v + 1]]. Stable sorts of
    uint16 are radix sorts."""
    tables = []
    for shift in (48, 32, 16, 0):
        chunk = ((phashes >> np.uint64(shift)) & np.uint64(0xFFFF)).astype(np.uint16)
        order = np.argsort(chunk, kind="stable").astype(np.uint32)
        starts = np.zeros(1 << 16 | 1, dtype=np.intp)
        np.cumsum(np.bincount(chunk, minlength=1 << 16), out=starts[1:])
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

# The counter as columns of a query's rows, read in the same snapshot as the rows.
COUNTER_COLUMNS = {
    "hash_index_added": "SELECT added FROM evidence_referencehash_generation WHERE id = 1",
    "hash_index_removed": "SELECT removed FROM evidence_referencehash_generation WHERE id = 1",
}


def counter_columns() -> dict:
    return {
        name: RawSQL(sql, [], output_field=BigIntegerField())  # noqa: S611 - constant SQL
        for name, sql in COUNTER_COLUMNS.items()
    }


def state_of(row) -> tuple:
    return tuple(getattr(row, name) for name in COUNTER_COLUMNS)


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

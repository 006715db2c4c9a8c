"""Every reference's pHash and dHash held in this process, scanned with numpy: the fast path
of evidence.matching.references_matching (bench/RESULTS.md, `hash_lookup`).

What it holds: two numpy uint64 arrays, the pHashes and dHashes of every reference hash in
the database, and nothing else: 16 bytes a row, 16 MB for a million (plus up to as much
again of spare room for rows added later). No ids, no case ids: the scan yields the pHashes
that match (pHash <= PHASH_THRESHOLD and dHash <= DHASH_THRESHOLD), and the caller then asks
PostgreSQL for the rows of ITS queryset with those pHashes, so every restriction the caller
applies (one case, the cases a user may see) stays in SQL, and a reference deleted since the
index was loaded is simply not returned.

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
of its own open transaction. The cost: one primary-key read of a one-row table per lookup.
"""

import threading
import weakref
from dataclasses import dataclass

import numpy as np
from django.db import connections
from django.db.models import BigIntegerField
from django.db.models.expressions import RawSQL
from django.db.utils import DatabaseError

from evidence.hashing import DHASH_THRESHOLD, PHASH_THRESHOLD

COUNTER_SQL = "SELECT added, removed FROM evidence_referencehash_generation WHERE id = 1"
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
    published) and the counter state (`added`, `removed`) they reflect."""

    phashes: np.ndarray
    dhashes: np.ndarray
    added: int | None = None
    removed: int | None = None

    @property
    def state(self) -> tuple:
        return (self.added, self.removed)

    def matching_phashes(self, phash: int, dhash: int) -> set[int]:
        """pHashes (unsigned) of rows within both thresholds of the query's hashes."""
        size = len(self.phashes)
        query_p, query_d = np.uint64(phash), np.uint64(dhash)
        block = min(BLOCK, size)
        xor = np.empty(block, dtype=np.uint64)
        bits = np.empty(block, dtype=np.uint8)
        near = np.empty(block, dtype=bool)
        found: set[int] = set()
        for start in range(0, size, BLOCK):
            stop = min(size, start + BLOCK)
            n = stop - start
            np.bitwise_xor(self.phashes[start:stop], query_p, out=xor[:n])
            np.bitwise_count(xor[:n], out=bits[:n])
            np.less_equal(bits[:n], PHASH_THRESHOLD, out=near[:n])
            if not near[:n].any():
                continue
            rows = np.flatnonzero(near[:n]) + start
            close = np.bitwise_count(self.dhashes[rows] ^ query_d) <= DHASH_THRESHOLD
            found.update(int(v) for v in self.phashes[rows[close]])
        return found


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
        """Memory held, spare room included."""
        return self._phashes.nbytes + self._dhashes.nbytes

    def bring_up_to(self, cursor, added: int, removed: int) -> None:
        seen = self.snapshot
        if seen.removed == removed and seen.added is not None and added > seen.added:
            since = f"generation > {int(seen.added)} AND generation <= {int(added)}"
            phashes, dhashes = self._append(*_load(cursor, since))
        else:
            phashes, dhashes = _load(cursor, f"generation <= {int(added)}")
            self._phashes, self._dhashes = phashes, dhashes
        self.snapshot = Snapshot(phashes, dhashes, added, removed)

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

"""A second process holding the hash index (evidence/matching/hash_index.py), as a worker or
another web process would: it answers lookups, one JSON line in ({"phash": .., "dhash": ..},
unsigned) and one out ({"found": [reference ids], "held": rows in its index}).

Started by tests/evidence/matching/test_hash_index.py with the test database's DATABASE_URL:
`python -m tests.helpers.hash_lookups`. Each lookup runs outside a transaction, as a task's
would, so it sees what was committed before it."""

import json
import sys

import django


def main() -> None:
    django.setup()
    from evidence.matching import hash_index, references_matching
    from evidence.matching.hashing import ImageHashes
    from evidence.models import ReferenceHash

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        query = json.loads(line)
        found = references_matching(
            ImageHashes(query["phash"], query["dhash"]), ReferenceHash.objects.all()
        )
        index = hash_index.current_index()
        answer = {
            "found": sorted(str(match.reference.pk) for match in found),
            "held": len(index) if index is not None else None,
        }
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()

"""The pages benchmark's timing, in a process of its own (bench/benchmarks/pages.py): Django
set up on one database (DATABASE_URL), then each page asked for as its user through the
test Client, after warm-ups. Reads a JSON object from stdin:

    {"pages": {name: [user id, path]}, "repeat": 30, "warmup": 3}

and prints one line of JSON: {name: {"ms": [...], "queries": n}}.

Why a process of its own: a web process holds Django and the request it serves. The
benchmark's own process also holds what it generated and kept (millions of objects), and
each full garbage collection during a page walked all of them: 5-7 ms a case page that a
web process does not spend (5 Dec 2026).
"""

import json
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leakcase.settings_test")


def main() -> int:
    import django

    django.setup()
    logging.disable(logging.INFO)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    asked = json.loads(sys.stdin.read())
    clients: dict = {}
    measured = {}
    for name, (user_id, path) in asked["pages"].items():
        if user_id not in clients:
            clients[user_id] = Client()
            clients[user_id].force_login(User.objects.get(pk=user_id))
        client = clients[user_id]

        def get(client=client, path=path, name=name):
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"pages: {name} answered {response.status_code}")

        for _ in range(asked["warmup"]):
            get()
        times = []
        for _ in range(asked["repeat"]):
            started = time.perf_counter()
            get()
            times.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as captured:
            get()
        measured[name] = {"ms": times, "queries": len(captured.captured_queries)}
    print(json.dumps(measured), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

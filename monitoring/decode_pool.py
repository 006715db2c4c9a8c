"""Processes that decode and hash fetched images for the concurrent recheck path
(monitoring.recheck_batch), so the worker's own process only fetches and writes.

In threads (as before issue 21) decoding and hashing shared the process's GIL with the
event loop and the writer: Pillow and numpy let go of it for the big steps, not for the
Python around them, and a full recheck managed 150-200 a second with the writing thread
waiting. Here each decoding process is a child started with subprocess (`python -m
monitoring.decode_pool`), not multiprocessing: Celery's prefork workers are daemonic
processes, which multiprocessing (and billiard) refuse to give children ("daemonic processes
are not allowed to have children", tried in a billiard pool, issue 21). A child reads jobs
from its stdin and writes answers to its stdout, length-prefixed pickles; it ends when its
stdin closes, so it never outlives the worker that started it, even one killed with SIGKILL.

Only functions of our own modules are sent (by name, as pickle does), with plain data: the
bytes and the wanted hashes in, a monitoring.recheck.Hashed out. A child that dies (a
decoder crash on a hostile file) fails its job with DecodeFailed (that check fails, is
logged and is handed out again later, as an unexpected error was before) and is started
again for the next one.

A pool belongs to one process: `shared_pool()` starts one on first use and again after a
fork (a prefork child gets its own, never its parent's pipes).
"""

from __future__ import annotations

import atexit
import concurrent.futures
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Two decoding processes for each worker process: the machines we measure on have 2 cores
# (bench/RESULTS.md), and each decode holds a picture of up to MAX_PIXELS in memory.
DECODE_PROCESSES = int(os.environ.get("LEAKCASE_RECHECK_DECODE_PROCESSES", "2"))
_LENGTH = struct.Struct(">I")


class DecodeFailed(RuntimeError):
    """The decoding process died, or raised, on this job."""


class DecodePool:
    """`processes` child processes, each fed by one thread of this process (the threads
    wait on pipes, holding no GIL). submit() returns a concurrent.futures.Future."""

    def __init__(self, processes: int = DECODE_PROCESSES):
        self.pid = os.getpid()
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._children: list[subprocess.Popen | None] = [None] * processes
        self._closed = False
        self._threads = [
            threading.Thread(
                target=self._serve, args=(n,), name=f"recheck-decode-{n}", daemon=True
            )
            for n in range(processes)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, function, *args) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._jobs.put((future, function, args))
        return future

    def child_pids(self) -> list[int]:
        return [child.pid for child in self._children if child is not None]

    def close(self) -> None:
        self._closed = True
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join(timeout=5)
        for n, child in enumerate(self._children):
            if child is not None:
                _stop(child)
                self._children[n] = None

    def _start(self) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "monitoring.decode_pool"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )

    def _serve(self, n: int) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            future, function, args = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                if self._children[n] is None or self._children[n].poll() is not None:
                    self._children[n] = self._start()
                answer = _ask(self._children[n], (function, args))
            except Exception as error:  # the child died: a new one for the next job
                child, self._children[n] = self._children[n], None
                if child is not None:
                    _stop(child)
                future.set_exception(DecodeFailed(f"the decoding process failed: {error!r}"))
                continue
            ok, value = answer
            if ok:
                future.set_result(value)
            else:
                future.set_exception(DecodeFailed(value))


def _ask(child: subprocess.Popen, job) -> tuple[bool, object]:
    data = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
    child.stdin.write(_LENGTH.pack(len(data)) + data)
    child.stdin.flush()
    return pickle.loads(_read(child.stdout))  # noqa: S301 - our own child's answer


def _read(stream) -> bytes:
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        raise EOFError("the decoding process ended")
    size = _LENGTH.unpack(header)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the decoding process ended mid-answer")
    return data


def _stop(child: subprocess.Popen) -> None:
    try:
        child.stdin.close()
        child.wait(timeout=2)
    except Exception:
        child.kill()
        child.wait()


_pool: DecodePool | None = None
_pool_lock = threading.Lock()


def shared_pool() -> DecodePool:
    """This process's pool, started on first use (and anew in a forked child)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool.pid != os.getpid():
            _pool = DecodePool()
        return _pool


@atexit.register
def _close_shared_pool() -> None:
    if _pool is not None and _pool.pid == os.getpid():
        _pool.close()


def main() -> None:
    """A decoding process: Django set up (the hashing code reads its settings' modules),
    then jobs from stdin until it closes."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    # Anything the code prints or logs to stdout (logging is set up next) must not end up
    # in the answers.
    sys.stdout = sys.stderr
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leakcase.settings")
    django.setup()
    _warm()
    while True:
        try:
            function, args = pickle.loads(_read(stdin))  # noqa: S301 - from our own parent
        except EOFError:
            return
        try:
            answer = (True, function(*args))
        except Exception as error:
            answer = (False, f"{type(error).__name__} while decoding")
        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        stdout.write(_LENGTH.pack(len(data)) + data)
        stdout.flush()


def _warm() -> None:
    """Hash one small picture made here before taking jobs: the first image decoded
    imported the hashing code (numpy, imagehash, Pillow's JPEG plugin) first, 250-280 ms,
    and every check in flight waiting on an image stalled behind it (the first wave of a
    batch took up to a second where the rest take 100 ms; bench/RESULTS.md, issue 21)."""
    import io

    from PIL import Image

    from monitoring import recheck

    picture = io.BytesIO()
    Image.linear_gradient("L").resize((64, 64)).convert("RGB").save(picture, "JPEG")
    recheck.image_hashes(picture.getvalue(), [])


if __name__ == "__main__":
    main()

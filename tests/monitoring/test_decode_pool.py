"""The decoding processes of the concurrent recheck path (monitoring/decode_pool.py): jobs
answered in processes of their own, each process ready to hash before its first job, a job
whose process dies fails alone, and a pool starts inside a daemonic process (a Celery
prefork worker), where multiprocessing cannot."""

import os

import billiard
import pytest

from evidence.demo_images import make_image
from evidence.matching.hashing import hashes_of_bytes
from monitoring import recheck
from monitoring.decode_pool import DecodeFailed, DecodePool


@pytest.fixture
def pool():
    pool = DecodePool(processes=1)
    yield pool
    pool.close()


def test_a_job_runs_in_a_process_of_its_own_and_hashes_as_here(pool):
    picture = make_image(seed=7, size=(400, 300))
    here = hashes_of_bytes(picture)
    assert pool.submit(os.getpid).result(timeout=60) == pool.child_pids()[0] != os.getpid()
    found = pool.submit(recheck.image_hashes, picture, [here]).result(timeout=60)
    assert found == recheck.Hashed(here.phash, here.dhash)


def test_a_process_has_the_hashing_code_loaded_before_its_first_job(pool):
    # Loading it at the first image took 250-280 ms, and every check in flight waiting on an
    # image stalled behind it. The job here (a builtin, pickled by name) loads nothing itself.
    loaded = "[name in __import__('sys').modules for name in %r]"
    names = ["monitoring.recheck", "imagehash", "PIL.JpegImagePlugin"]
    assert pool.submit(eval, loaded % names).result(timeout=60) == [True, True, True]


def test_a_job_whose_process_dies_fails_alone_and_the_next_one_gets_a_new_process(pool):
    first = pool.submit(os.getpid).result(timeout=60)
    with pytest.raises(DecodeFailed):
        pool.submit(os._exit, 3).result(timeout=60)
    assert pool.submit(len, b"four").result(timeout=60) == 4
    assert pool.child_pids()[0] != first


def test_an_error_in_a_job_is_a_decode_failure_saying_only_its_kind(pool):
    with pytest.raises(DecodeFailed, match=r"^ZeroDivisionError while decoding$"):
        pool.submit(divmod, 1, 0).result(timeout=60)


def _pool_in_a_daemonic_process(data):
    pool = DecodePool(processes=1)
    try:
        return pool.submit(len, data).result(timeout=60)
    finally:
        pool.close()


def test_a_pool_starts_inside_a_celery_prefork_worker_process():
    """billiard's pool children are daemonic, like a prefork worker's: multiprocessing
    would refuse them a child ("daemonic processes are not allowed to have children")."""
    with billiard.Pool(1) as workers:
        assert workers.apply(_pool_in_a_daemonic_process, (b"abc",)) == 3

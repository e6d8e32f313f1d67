"""The worker pool turns hangs, crashes and exceptions into per-task failures."""
import os
import signal
import time

import pytest

from shadowscan.pool import Failure, WorkerPool


def square(x):
    return x * x


def sleep_forever(_):
    time.sleep(60)


def segfault(_):
    os.kill(os.getpid(), signal.SIGSEGV)


def boom(_):
    raise RuntimeError("analyzer bug")


def hog(_):
    return bytearray(600 * 1024 * 1024)


def run(tasks, jobs=2, timeout=5.0, memory_mb=0):
    with WorkerPool(jobs, timeout, memory_mb) as pool:
        return dict(pool.map(iter(tasks)))


def test_results_come_back_for_every_task():
    assert run([(i, square, (i,)) for i in range(20)]) == {i: i * i for i in range(20)}


@pytest.mark.slow  # real processes and timeouts: `-m "not slow"` skips it
def test_timeout_costs_one_task_and_the_pool_goes_on():
    out = run([("slow", sleep_forever, (0,)), ("a", square, (3,)), ("b", square, (4,))], jobs=1, timeout=1.0)
    assert isinstance(out["slow"], Failure) and out["slow"].kind == "timeout"
    assert out["a"] == 9 and out["b"] == 16


def test_segfault_is_a_crash_with_its_signal():
    out = run([("bad", segfault, (0,)), ("good", square, (2,))], jobs=1)
    assert out["bad"].kind == "crashed" and "SIGSEGV" in out["bad"].reason
    assert out["good"] == 4


def test_exception_is_a_crash_with_its_message():
    out = run([("bad", boom, (0,))])
    assert out["bad"].kind == "crashed" and "analyzer bug" in out["bad"].reason


def test_memory_cap():
    out = run([("hog", hog, (0,)), ("ok", square, (5,))], jobs=1, memory_mb=400)
    assert out["hog"].kind == "crashed" and "memory" in out["hog"].reason
    assert out["ok"] == 25

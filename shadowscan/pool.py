"""A pool of analysis worker processes with a per-file timeout and memory cap.

Each worker takes one task at a time. The parent waits on the workers' pipes and
process sentinels together, so it notices at once when a worker answers, dies (a
segfault in an ODBC driver, the memory cap) or overruns its deadline; the task then
ends as ``analyzer-crashed`` or ``timeout`` and a fresh worker takes the next one.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

Task = tuple[Any, Callable[..., Any], tuple[Any, ...]]  # (key, function, args)


@dataclass(frozen=True)
class Failure:
    """A task that produced no result: ``timeout`` or ``crashed``, with a reason."""

    kind: str
    reason: str


def _limit_memory(memory_mb: int) -> None:
    if memory_mb <= 0:
        return
    try:
        import resource

        cap = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ImportError, ValueError, OSError):
        pass  # Windows, or a hard limit below ours: run without our cap


def _die_with_parent() -> None:
    """Linux: have the kernel kill this worker when the crawl process dies (even by kill -9)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _silence_native_stderr() -> None:
    """Native libraries (the MDBTools driver) print to fd 2; their words would scramble the
    progress line. Errors reach the parent as results, so the worker's stderr can go."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:
        pass


def _worker(conn: Connection, memory_mb: int, inherited: list[Connection]) -> None:
    for other in inherited:  # siblings' pipe ends, inherited by fork: holding them would hide the parent's death
        other.close()
    _die_with_parent()
    if os.getppid() == 1:  # the parent died before the signal was armed
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    _silence_native_stderr()
    _limit_memory(memory_mb)
    while True:
        try:
            message = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if message is None:
            return
        function, args = message
        try:
            result: Any = ("ok", function(*args))
        except MemoryError:
            result = ("error", f"exceeded the worker memory cap of {memory_mb} MiB")
        except Exception as exc:  # a bug or an input no analyzer guarded against: one file, not the crawl
            result = ("error", f"{type(exc).__name__}: {exc}"[:500])
        try:
            conn.send(result)
        except Exception as exc:  # e.g. an unpicklable result
            conn.send(("error", f"cannot return result: {type(exc).__name__}: {exc}"[:500]))


class _Slot:
    def __init__(self, ctx: Any, memory_mb: int, siblings: list[_Slot]) -> None:
        self.conn, child = ctx.Pipe()
        inherited = [s.conn for s in siblings] if ctx.get_start_method() == "fork" else []
        self.process = ctx.Process(target=_worker, args=(child, memory_mb, inherited), daemon=True)
        self.process.start()
        child.close()
        self.key: Any = None
        self.deadline = 0.0
        self.busy = False

    def stop(self, force: bool = False) -> None:
        if force:
            self.process.kill()
        else:
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _death_reason(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the analysis process died with {name}" + (
            " (a crash in a native library such as the ODBC driver)" if name == "SIGSEGV" else "")
    return f"the analysis process exited unexpectedly (exit code {code})"


class WorkerPool:
    """Run tasks in ``jobs`` processes; :meth:`map` yields (key, result | Failure) as they finish."""

    def __init__(self, jobs: int, timeout: float, memory_mb: int,
                 reaped: Callable[[], Any] | None = None) -> None:
        """``reaped`` is called after a worker was stopped mid-task (timeout, crash) and when the
        pool closes: whatever such a worker left behind (private copies) can then be removed."""
        method = "fork" if sys.platform.startswith("linux") else "spawn"
        self._ctx = multiprocessing.get_context(method)
        self._jobs = max(1, jobs)
        self._timeout = timeout
        self._memory_mb = memory_mb
        self._slots: list[_Slot] = []
        self._reaped = reaped

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            for slot in self._slots:
                slot.stop(force=slot.busy)
        finally:
            self._slots = []
            if self._reaped:
                self._reaped()

    def _replace(self, slot: _Slot) -> _Slot:
        slot.stop(force=True)
        fresh = _Slot(self._ctx, self._memory_mb, [s for s in self._slots if s is not slot])
        self._slots[self._slots.index(slot)] = fresh
        if self._reaped:
            self._reaped()
        return fresh

    def map(self, tasks: Iterator[Task]) -> Iterator[tuple[Any, Any]]:
        pending = iter(tasks)
        exhausted = False
        while True:
            while not exhausted and (len(self._slots) < self._jobs or any(not s.busy for s in self._slots)):
                try:
                    key, function, args = next(pending)
                except StopIteration:
                    exhausted = True
                    break
                slot = next((s for s in self._slots if not s.busy), None)
                if slot is None:  # workers start with the first tasks: a re-crawl that reads nothing starts none
                    slot = _Slot(self._ctx, self._memory_mb, self._slots)
                    self._slots.append(slot)
                slot.conn.send((function, args))
                slot.key, slot.busy = key, True
                slot.deadline = time.monotonic() + self._timeout
            busy = [s for s in self._slots if s.busy]
            if not busy:
                if exhausted:
                    return
                continue
            now = time.monotonic()
            wait_for = max(0.0, min(s.deadline for s in busy) - now)
            ready = set(wait([s.conn for s in busy] + [s.process.sentinel for s in busy], timeout=wait_for))
            for slot in busy:
                if slot.conn in ready:
                    try:
                        status, value = slot.conn.recv()
                    except (EOFError, OSError):
                        slot.process.join(timeout=5)
                        yield slot.key, Failure("crashed", _death_reason(slot.process.exitcode))
                        self._replace(slot)
                        continue
                    slot.busy = False
                    yield slot.key, value if status == "ok" else Failure("crashed", value)
                elif slot.process.sentinel in ready:
                    slot.process.join(timeout=5)
                    yield slot.key, Failure("crashed", _death_reason(slot.process.exitcode))
                    self._replace(slot)
                elif time.monotonic() >= slot.deadline:
                    yield slot.key, Failure("timeout", f"analysis took longer than {self._timeout:g} s and was stopped")
                    self._replace(slot)


def default_jobs() -> int:
    return os.cpu_count() or 1

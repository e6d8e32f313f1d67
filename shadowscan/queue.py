"""Distributed analysis: ``crawl --queue`` lists, ``worker`` processes on any host analyse.

The queue is procrastinate's (a maintained PostgreSQL task queue: jobs, worker heartbeats,
LISTEN/NOTIFY); its schema is migration 4 of the inventory. Shadowscan keeps its own
record of what a crawl still waits for in the ``pending`` table:

* the crawler writes a batch of ``pending`` rows, commits, then defers one job per
  :data:`JOB_FILES` files (job arguments: crawl id and paths, nothing else): the queue's own
  work (fetch, heartbeat, finish) is shared by several files, so workers scale with cores;
* a worker *takes* the file (its try counted and committed before the analysis starts),
  analyses it in the isolated process pool of :mod:`.pool` (a crashing file costs that file,
  ``analyzer-crashed``, never the worker), judges it, and stores the verdict and deletes the
  pending row in **one transaction**: a job retried after its worker was killed finds the row
  gone (done) or still there (redone), never half-stored, never stored twice;
* a worker killed mid-job leaves its job ``doing``; workers re-queue the jobs of workers whose
  heartbeat stopped (procrastinate's stalled jobs) every few seconds;
* a file that takes down a worker :data:`MAX_TRIES` times is stored as ``analyzer-crashed``
  without another try;
* the crawl is finished only when no file of it is pending (the crawler waits for that;
  a crawl whose crawler died with files pending stays incomplete in every report).
"""
from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import procrastinate

from .analysis import ENGINE, analyze_file
from .db import Row, conninfo
from .migrations import queue_schema_problem
from .model import Analysis, Candidate, Kind, Limits, Status
from .pool import WorkerPool
from .registry import Registry
from .scan import judge, one_line, outcome_analysis, registered_path_check
from .sources import SourceOptions, sweep_private_copies
from .store import Store, StoreError, safe_text

TASK = "shadowscan.analyse"
QUEUE = "shadowscan-analysis"
MAX_TRIES = 3  # workers a file may take down before it is stored as analyzer-crashed
BATCH = 200  # files per commit and deferral while listing
JOB_FILES = 10  # files per job
RETRY_BACKOFF = 2  # a failed job is retried after 2, 4, 8 s (the inventory restarting, a network cut)
ORPHAN_CHECK = 5.0  # seconds between the crawler's checks for pending files that no job will analyse
STALLED_AFTER = 30.0  # seconds without a worker heartbeat before its jobs are given to another worker


def _candidate_json(candidate: Candidate) -> str:
    data = asdict(candidate)
    data["kind"] = candidate.kind.value
    return json.dumps(data)  # ASCII: undecodable file names (surrogates) survive as escapes


def _candidate(text: str) -> Candidate:
    data = json.loads(text)
    data["kind"] = Kind(data["kind"])
    return Candidate(**data)


def _analyse(crawl_id: int, paths: list[str]) -> None:
    """The job: analyse files of a queued crawl (in a worker process started by :func:`run_worker`).
    An error with one file (the inventory gone a moment, a file that cannot be stored) costs that
    file's try, not the others': the job is retried (with backoff) for the files that failed only,
    the others being stored already."""
    if _WORKER is None:
        raise RuntimeError("the analysis job runs in `shadowscan worker` only")
    failed: list[str] = []
    for path in paths:
        try:
            _WORKER.analyse(crawl_id, path)
        except Exception as exc:  # noqa: BLE001 - one line per file; the job is retried below
            with contextlib.suppress(Exception):
                _WORKER.store.db.rollback()
            failed.append(f"{path}: {one_line(exc)}")
            with contextlib.suppress(Exception):
                _WORKER.reconnect()  # the inventory restarted: the next file (and the retry) on a new session
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(paths)} files failed (the job is retried): {failed[0]}")


def _app(url: str, sync: bool) -> procrastinate.App:
    # Imported here, not at the top: the CLI loads this module for every command, and the
    # queue library (with asyncio and its schema tooling) only matters to --queue and workers.
    import procrastinate

    connector: Any
    if sync:
        connector = procrastinate.SyncPsycopgConnector(conninfo=conninfo(url), min_size=1, max_size=2)
    else:
        connector = procrastinate.PsycopgConnector(conninfo=conninfo(url), min_size=1, max_size=4)
    app = procrastinate.App(connector=connector)
    # an error of our own (the database gone a moment) is retried; the try past MAX_TRIES stores the
    # file as analyzer-crashed, so a crawl never waits for a job that failed for good
    app.task(name=TASK, queue=QUEUE, retry=procrastinate.RetryStrategy(max_attempts=MAX_TRIES + 1,
                                                                        exponential_wait=RETRY_BACKOFF))(_analyse)
    return app


def _check_schema(store: Store) -> None:
    problem = queue_schema_problem(store.db)
    if problem:
        raise StoreError(problem)


class QueueSender:
    """The crawler's side (:class:`.scan.Queue`): pending rows and jobs in batches, then the wait."""

    def __init__(self, store: Store, url: str, progress: Callable[[int], None] | None = None,
                 poll: float = 0.5) -> None:
        self.store = store
        _check_schema(store)
        self.app = _app(url, sync=True)
        self.app.open()
        self.progress = progress
        self.poll = poll
        self.crawl_id = 0
        self.buffer: list[tuple[str, str, str, str]] = []
        self.sent = 0

    def add(self, crawl_id: int, root: str, candidate: Candidate, change: str) -> None:
        self.crawl_id = crawl_id
        self.buffer.append((safe_text(candidate.path), root, _candidate_json(candidate), change))
        if len(self.buffer) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        self.store.add_pending(self.crawl_id, self.buffer)  # committed before the jobs exist
        paths = [path for path, *_ in self.buffer]
        jobs: list[dict[str, Any]] = [{"crawl_id": self.crawl_id, "paths": paths[i:i + JOB_FILES]}
                                      for i in range(0, len(paths), JOB_FILES)]
        self.app.tasks[TASK].batch_defer(*jobs)
        self.sent += len(self.buffer)
        self.buffer = []

    def wait(self, crawl_id: int, orphan_check: float = ORPHAN_CHECK) -> None:
        """Until every file of the crawl is stored by a worker. Files that no waiting or running job
        covers any more (their job failed for good, or the crawler was cut between committing them and
        deferring their job) are deferred again; ones that already had every try end the crawl with
        the reason (:class:`.store.StoreError`), so the crawl always ends."""
        checked = time.monotonic()
        while True:
            left = self.store.pending_count(crawl_id)
            if self.progress:
                self.progress(left)
            if not left:
                return
            if time.monotonic() - checked >= orphan_check:
                self.requeue_orphans(crawl_id)
                checked = time.monotonic()
            time.sleep(self.poll)

    def requeue_orphans(self, crawl_id: int) -> int:
        """Defer again the pending files of the crawl that no ``todo``/``doing`` job covers; returns
        how many. Raises when such a file was taken more than :data:`MAX_TRIES` times already."""
        db = self.store.db
        rows = db.execute("SELECT path, tries FROM pending WHERE crawl_id = ?", (crawl_id,)).fetchall()
        queued: set[str] = set()
        for (paths,) in db.execute("SELECT args -> 'paths' FROM procrastinate_jobs WHERE queue_name = ? "
                                   "AND status IN ('todo', 'doing') AND (args ->> 'crawl_id')::bigint = ?",
                                   (QUEUE, crawl_id)).fetchall():
            queued.update(paths or ())
        db.commit()
        orphans = [row for row in rows if row["path"] not in queued]
        spent = [row["path"] for row in orphans if int(row["tries"]) > MAX_TRIES]
        if spent:
            raise StoreError(f"{len(spent)} file(s) of crawl {crawl_id} could be neither analysed nor stored "
                             f"after {MAX_TRIES + 1} tries (first: {spent[0]}; see the workers' messages): "
                             "the crawl stops incomplete")
        paths = [row["path"] for row in orphans]
        if paths:
            jobs: list[dict[str, Any]] = [{"crawl_id": crawl_id, "paths": paths[i:i + JOB_FILES]}
                                          for i in range(0, len(paths), JOB_FILES)]
            self.app.tasks[TASK].batch_defer(*jobs)
        return len(paths)

    def close(self) -> None:
        self.app.close()


class Worker:
    """One worker process: its inventory connection, analysis pools and what it knows of each crawl."""

    def __init__(self, url: str, source: SourceOptions) -> None:
        self.url = url
        self.store = Store(url)
        self.source = source
        self.pools: dict[tuple[float, int], WorkerPool] = {}
        self.crawls: dict[int, tuple[Registry, datetime, Limits, Callable[[str], bool]]] = {}
        self.done = 0

    def reconnect(self) -> None:
        """A new inventory connection when the old one is lost (a psycopg connection never comes back)."""
        if self.store.db.broken:
            with contextlib.suppress(Exception):
                self.store.close()
            self.store = Store(self.url)
            self.crawls.clear()  # their registries read through the old connection

    def _crawl(self, crawl_id: int) -> tuple[Registry, datetime, Limits, Callable[[str], bool]]:
        if crawl_id not in self.crawls:
            row = self.store.crawl(crawl_id)
            if row is None:
                raise LookupError(f"crawl {crawl_id} is not in the inventory (pruned?)")
            options = json.loads(row["options"])
            limits = Limits(max_file_size=int(options.get("max_file_size") or Limits().max_file_size),
                            timeout=float(options.get("timeout") or Limits().timeout),
                            memory_mb=int(options.get("memory_mb", Limits().memory_mb)))
            started = datetime.fromisoformat(row["started"]).astimezone(timezone.utc)
            source = SourceOptions(**{**asdict(self.source), "follow_links": bool(options.get("follow_links"))})
            self.crawls[crawl_id] = (Registry(self.store.db), started, limits,
                                     registered_path_check(self.store, json.loads(row["roots"]), source))
            self.store.commit()
        return self.crawls[crawl_id]

    def _pool(self, limits: Limits) -> WorkerPool:
        key = (limits.timeout, limits.memory_mb)
        if key not in self.pools:
            self.pools[key] = WorkerPool(1, limits.timeout, limits.memory_mb, reaped=sweep_private_copies)
        return self.pools[key]

    def analyse(self, crawl_id: int, path: str) -> None:
        taken = self.store.take_pending(crawl_id, path)
        if taken is None:  # stored already (a job retried after its worker stored it), or the crawl was pruned
            return
        try:
            self._analyse(crawl_id, path, taken)
        except Exception as exc:
            self.store.db.rollback()
            if int(taken["tries"]) != MAX_TRIES:
                raise  # tried again (the job's retry); past MAX_TRIES it is stored as analyzer-crashed
            # its last try: stored as analyzer-crashed with the reason, not tried again
            self._analyse(crawl_id, path, taken, crashed=f"analysing or storing this file failed {MAX_TRIES} "
                                                         f"times; the last error: {one_line(exc)}")

    def _analyse(self, crawl_id: int, path: str, taken: Row, crashed: str | None = None) -> None:
        candidate = _candidate(taken["candidate"])
        registry, now, limits, known = self._crawl(crawl_id)
        if crashed is None and int(taken["tries"]) > MAX_TRIES:
            crashed = (f"the analysis of this file stopped {MAX_TRIES} workers (killed or crashed mid-file); "
                       "it is not tried again")
        if crashed is not None:
            sha256, analysis = None, Analysis.failed(Status.ANALYZER_CRASHED, crashed)
        else:
            (_, outcome), = list(self._pool(limits).map(iter([(path, analyze_file, (candidate, limits,
                                                                                       self.source))])))
            sha256, analysis = outcome_analysis(outcome)
        try:
            if self.store.finish_pending(crawl_id, path):
                if sha256 is not None:  # read: remembered when no artifact
                    self.store.set_passed(candidate.path, taken["root"], candidate.size, candidate.mtime,
                                          None if analysis.is_artifact else ENGINE)
                if analysis.is_artifact:
                    artifact = judge(registry, candidate, sha256, analysis, now, self.source, known)
                    self.store.add(crawl_id, artifact, taken["change"], ENGINE, commit=False)
            self.store.commit()
        except BaseException:
            self.store.db.rollback()
            raise
        self.done += 1

    def close(self) -> None:
        for pool in self.pools.values():
            pool.__exit__(None, None, None)
        self.store.close()


_WORKER: Worker | None = None


async def _retry_stalled(app: procrastinate.App, stalled_after: float, once: bool = False) -> None:
    """Give the jobs of workers whose heartbeat stopped (killed, host gone) to the living."""
    import asyncio  # a worker's event loop only: every command line imports this module (start-up)

    while True:
        for job in await app.job_manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=stalled_after):
            await app.job_manager.retry_job(job)
        if once:
            return
        await asyncio.sleep(max(stalled_after / 3, 0.5))


def run_worker(url: str, source: SourceOptions, *, until_empty: bool = False,
               stalled_after: float = STALLED_AFTER, name: str | None = None) -> int:
    """Take analysis jobs until stopped (SIGTERM, Ctrl-C), or until the queue is empty; returns the
    number of files this worker handled."""
    import asyncio  # a worker's event loop only: every command line imports this module (start-up)

    global _WORKER
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    _WORKER = Worker(url, source)
    try:
        _check_schema(_WORKER.store)
    except BaseException:
        _WORKER.close()
        _WORKER = None
        raise
    app = _app(url, sync=False)

    async def main() -> None:
        async with app.open_async():
            await _retry_stalled(app, stalled_after, once=True)
            retrier = asyncio.create_task(_retry_stalled(app, stalled_after))
            try:
                await app.run_worker_async(queues=[QUEUE], wait=not until_empty, name=name or "shadowscan",
                                           concurrency=1,
                                           update_heartbeat_interval=max(stalled_after / 3, 0.5),
                                           stalled_worker_timeout=stalled_after, delete_jobs="successful",
                                           fetch_job_polling_interval=1.0)
            finally:
                retrier.cancel()

    try:
        asyncio.run(main())
    finally:
        done = _WORKER.done
        _WORKER.close()
        _WORKER = None
    return done

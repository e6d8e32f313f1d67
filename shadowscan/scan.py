"""The crawl engine: walk → analyse in workers → classify → store, one artifact at a time.

Listing runs in the parent and feeds the worker pool lazily, so listing and analysis
overlap and memory stays flat. Every candidate ends in the store with a status; an
error in one file never stops the crawl.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Sequence

from . import __version__
from . import crawl as crawling
from .analyzers import analyzer_for
from .classify import Registration, classify
from .governance import assess
from .model import Analysis, Artifact, Candidate, Kind, Limits, Status
from .pool import Failure, Task, WorkerPool, default_jobs
from .readfile import TooLarge, sha256_file, take_atime_failures
from .redact import redact_analysis
from .registry import Registry
from .sources import SourceOptions, source_for
from .store import Store, safe_text

ENGINE = f"shadowscan {__version__}"  # a stored analysis is reused only by the same engine
# Statuses an unchanged file is analysed again for. A timeout is not among them: a file that
# took longer than the limit once will again (a 300 KB one-liner would cost every crawl the
# whole timeout); it is retried with --full or a longer --timeout than the one it hit.
ATIME_NOT_KEPT = ("changed by reading: the scanning account is not the file's owner, so it can neither read "
                  "without updating the access time (O_NOATIME) nor put it back")
RETRY = frozenset({Status.ANALYZER_CRASHED, Status.UNREADABLE, Status.TOO_LARGE})


@dataclass(frozen=True)
class CrawlOptions:
    excludes: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    jobs: int = field(default_factory=default_jobs)
    source: SourceOptions = field(default_factory=SourceOptions)
    incremental: bool = True  # reuse the stored analysis of files whose size and mtime did not change


@dataclass
class CrawlResult:
    crawl_id: int
    seconds: float = 0.0
    interrupted: bool = False
    classifications: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    changes: Counter[str] = field(default_factory=Counter)  # new / changed / unchanged / removed
    atime_not_kept: int = 0  # files and folders whose access time the account could not preserve

    @property
    def total(self) -> int:
        return sum(self.statuses.values())


Progress = Callable[[Artifact], None]


def analyze_file(candidate: Candidate, limits: Limits,
                 options: SourceOptions | None = None) -> tuple[str | None, Analysis | None]:
    """Hash and analyse one file (runs inside a worker process); whatever the analyzer
    produced leaves the worker redacted (reason, facts, evidence)."""
    take_atime_failures()  # whatever this process noted before (a forked worker inherits the parent's)
    sha256, analysis = _analyze_file(candidate, limits, options)
    if take_atime_failures() and analysis is not None:
        analysis = replace(analysis, facts={**analysis.facts, "access_time": ATIME_NOT_KEPT})
    return sha256, redact_analysis(analysis)


def _analyze_file(candidate: Candidate, limits: Limits,
                  options: SourceOptions | None = None) -> tuple[str | None, Analysis | None]:
    analyzer = analyzer_for(candidate.kind)
    source = source_for(candidate.path, options)
    try:
        if candidate.kind in (Kind.EXCEL, Kind.SCRIPT):
            data = source.read_bytes(candidate.path, limits.max_file_size)
            return hashlib.sha256(data).hexdigest(), analyzer(candidate.path, candidate.format, limits, data=data)
        with source.local_file(candidate.path, limits.max_file_size) as local:
            return sha256_file(local), analyzer(local, candidate.format, limits)  # the private copy is local
    except TooLarge as exc:
        return None, Analysis.failed(Status.TOO_LARGE, f"{exc}; raise --max-size to analyse it")
    except FileNotFoundError:
        return None, Analysis.failed(Status.UNREADABLE, "the file vanished during the crawl (deleted or moved)")
    except PermissionError as exc:
        return None, Analysis.failed(Status.UNREADABLE, f"permission denied: {exc.strerror or exc}; "
                                                        "grant the scanning account read access")
    except OSError as exc:
        return None, Analysis.failed(Status.UNREADABLE, f"cannot read the file: {exc.strerror or exc} "
                                                        "(locked, offline or damaged storage)")


def judge(registry: Registry, candidate: Candidate, sha256: str | None, analysis: Analysis,
          now: datetime, options: SourceOptions | None = None,
          known: Callable[[str], bool] | None = None) -> Artifact:
    """Classify one analysed file against the policy and the registry.

    Registry paths are data: whether a registered path still holds the tool (a copy, not a
    move) is answered by ``known`` from the inventory, never by opening the path (an imported
    entry naming //HOST/... must not make a crawl contact HOST)."""
    exists = known or (lambda path: False)
    if candidate.owner:
        hints = {**(analysis.facts.get("owner_hints") or {}), "file_owner": candidate.owner}
        analysis = replace(analysis, facts={**analysis.facts, "owner_hints": hints})
    match = registry.match(candidate.path, analysis.fingerprint, exists)
    verdict = classify(analysis, Registration(registered=match is not None))
    governance, state = assess(match, analysis, verdict, now)
    analysis = replace(analysis, findings=analysis.findings + tuple(governance))
    return Artifact(candidate, sha256, analysis, verdict, state)


def _failure_analysis(failure: Failure) -> Analysis:
    status = Status.TIMEOUT if failure.kind == "timeout" else Status.ANALYZER_CRASHED
    return Analysis.failed(status, failure.reason)


def _problem_candidate(problem: crawling.Problem) -> Candidate:
    found = crawling.kind_of(problem.relpath.rsplit("/", 1)[-1]) if problem.relpath else None
    kind, fmt = found if found else (Kind.FOLDER, "")
    return Candidate(problem.path, problem.root, problem.relpath, kind, fmt, 0, 0.0)


def run_crawl(roots: Sequence[str], store: Store, options: CrawlOptions,
              progress: Progress | None = None) -> CrawlResult:
    """Crawl ``roots`` into ``store``; returns counts. Ctrl-C marks the crawl interrupted."""
    started = time.monotonic()
    crawl_id = store.begin_crawl(roots, {
        "excludes": list(options.excludes), "max_file_size": options.limits.max_file_size,
        "timeout": options.limits.timeout, "jobs": options.jobs})
    result = CrawlResult(crawl_id)
    take_atime_failures()
    registry = Registry(store.db)
    now = datetime.now(timezone.utc)

    last_commit = time.monotonic()

    def inside(path: str) -> bool:
        return any(path.replace("\\", "/").rstrip("/").startswith(root.replace("\\", "/").rstrip("/") + "/")
                   for root in roots)

    def known(path: str) -> bool:
        """Whether a registered path still holds its tool. Under a crawl root: a stat through the
        crawl's own source (it lists that tree anyway); anywhere else: the inventory's last
        word (seen, not vanished since) and no contact at all."""
        if inside(path):
            return source_for(path, options.source).exists(path)
        row = store.db.execute("SELECT status, status_reason FROM artifacts WHERE path = ? ORDER BY crawl_id DESC "
                               "LIMIT 1", (safe_text(path),)).fetchone()
        return row is not None and not (row["status"] == Status.UNREADABLE.value and "vanished" in row["status_reason"])

    def record(candidate: Candidate, sha256: str | None, analysis: Analysis, change: str,
               cheap: bool = False) -> None:
        """Store one verdict. A fresh analysis is committed at once; ``cheap`` ones (a reused
        analysis, redone in milliseconds after a kill) are committed at least every 0.5 s."""
        nonlocal last_commit
        artifact = judge(registry, candidate, sha256, analysis, now, options.source, known)
        commit = not cheap or time.monotonic() - last_commit > 0.5
        store.add(crawl_id, artifact, change, ENGINE, commit=commit)
        if commit:
            last_commit = time.monotonic()
        result.classifications[artifact.verdict.classification.value] += 1
        result.statuses[analysis.status.value] += 1
        result.changes[change] += 1
        if not cheap:  # read by this crawl (a reused row was not)
            result.atime_not_kept += analysis.facts.get("access_time") == ATIME_NOT_KEPT
        if progress:
            progress(artifact)

    timeouts: dict[int, float] = {}

    def timeout_of(earlier: int) -> float:
        """The --timeout an earlier crawl ran with."""
        if earlier not in timeouts:
            row = store.crawl(earlier)
            timeouts[earlier] = float(json.loads(row["options"]).get("timeout") or 0) if row else 0.0
        return timeouts[earlier]

    def change_of(candidate: Candidate) -> tuple[str, Any]:
        """new / changed / unchanged, and the stored row an unchanged file can reuse."""
        prev = store.previous(candidate.path, crawl_id)
        if prev is None:
            return "new", None
        same = prev["size"] == candidate.size and prev["mtime"] == candidate.mtime
        status = Status(prev["status"])
        reusable = same and options.incremental and prev["engine"] == ENGINE and status not in RETRY and not (
            status is Status.TIMEOUT and options.limits.timeout > timeout_of(prev["crawl_id"]))
        return ("unchanged" if same else "changed"), (prev if reusable else None)

    def tasks() -> Iterator[Task]:
        for item in crawling.walk(roots, options.excludes, options.source):
            if isinstance(item, crawling.Problem):
                problem = _problem_candidate(item)
                record(problem, None, Analysis.failed(Status(item.status), item.reason), change_of(problem)[0])
                continue
            change, reusable = change_of(item)
            if reusable is not None:
                record(item, reusable["sha256"], store.analysis_of(reusable), change, cheap=True)
            elif item.size > options.limits.max_file_size:
                record(item, None, Analysis.failed(
                    Status.TOO_LARGE, f"{item.size:,} bytes is over the {options.limits.max_file_size:,}-byte cap; "
                                      "raise --max-size to analyse it"), change)
            else:
                yield (item, change), analyze_file, (item, options.limits, options.source)

    state = "finished"
    try:
        with WorkerPool(options.jobs, options.limits.timeout, options.limits.memory_mb) as pool:
            for (candidate, change), outcome in pool.map(tasks()):
                if isinstance(outcome, Failure):
                    record(candidate, None, _failure_analysis(outcome), change)
                    continue
                sha256, analysis = outcome
                if analysis is not None:  # None: an .xlsx without macros, not an artifact
                    record(candidate, sha256, analysis, change)
        result.changes["removed"] = len(store.removed(crawl_id, roots))
        result.atime_not_kept += len(take_atime_failures())  # folders the walk listed (in this process)
    except KeyboardInterrupt:
        state = "interrupted"
        result.interrupted = True
        raise
    finally:
        store.end_crawl(crawl_id, state, started)
        result.seconds = time.monotonic() - started
    return result

"""The crawl engine: walk → analyse in workers → classify → store, one artifact at a time.

Listing runs in the parent and feeds the worker pool lazily, so listing and analysis
overlap and memory stays flat. Every candidate ends in the store with a status; an
error in one file never stops the crawl.
"""
from __future__ import annotations

import hashlib
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
from .readfile import TooLarge, sha256_file
from .registry import Registry
from .roots import overlaps
from .sources import SourceOptions, source_for
from .store import Store

ENGINE = f"shadowscan {__version__}"  # a stored analysis is reused only by the same engine
RETRY = frozenset({Status.TIMEOUT, Status.ANALYZER_CRASHED, Status.UNREADABLE, Status.TOO_LARGE})


@dataclass(frozen=True)
class CrawlOptions:
    excludes: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    jobs: int = field(default_factory=default_jobs)
    source: SourceOptions = field(default_factory=SourceOptions)
    incremental: bool = True  # reuse the stored analysis of files whose size and mtime did not change


@dataclass
class RootCoverage:
    """What one root of a crawl covered."""

    root: str
    baseline: int | None = None  # the last complete crawl of the root, compared with
    state: str = "complete"  # complete | partial | unreachable | incomplete
    reason: str | None = None  # why the root could not be opened
    unlisted: list[str] = field(default_factory=list)  # relpaths of folders that could not be listed
    unreadable: int = 0  # files that could not be read
    not_rechecked: int = 0  # artifacts kept as last seen
    removed: int = 0


@dataclass
class CrawlResult:
    crawl_id: int
    seconds: float = 0.0
    interrupted: bool = False
    classifications: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    changes: Counter[str] = field(default_factory=Counter)  # new / changed / unchanged / removed / not-rechecked
    coverage: list[RootCoverage] = field(default_factory=list)
    # each artifact counted once, at its highest --fail-on level: shadow-it > unregistered > stale-signoff
    levels: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    @property
    def complete(self) -> bool:
        """Every root was opened and listed, every file read, and the crawl ran to its end."""
        return not self.interrupted and all(c.state == "complete" for c in self.coverage)


Progress = Callable[[Artifact], None]


def analyze_file(candidate: Candidate, limits: Limits,
                 options: SourceOptions | None = None) -> tuple[str | None, Analysis | None]:
    """Hash and analyse one file (runs inside a worker process)."""
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
          now: datetime, options: SourceOptions | None = None) -> Artifact:
    """Classify one analysed file against the policy and the registry."""
    def exists(path: str) -> bool:  # a registered path, local or on a share: asked of its own source
        return source_for(path, options).exists(path)

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
    """Crawl ``roots`` (canonical: see :mod:`.roots`) into ``store``; returns counts and coverage.

    Ctrl-C marks the crawl ``interrupted``, any other exception ``failed`` with its reason
    (then re-raised): a crawl is ``finished`` only when it ran to its end."""
    started = time.monotonic()
    crawl_id = store.begin_crawl(roots, {
        "excludes": list(options.excludes), "max_file_size": options.limits.max_file_size,
        "timeout": options.limits.timeout, "jobs": options.jobs}, overlaps=overlaps)
    result = CrawlResult(crawl_id, coverage=[RootCoverage(root) for root in roots])
    coverage = {c.root: c for c in result.coverage}
    baselines = {root: store.baseline(root, crawl_id) for root in roots}
    for cov in result.coverage:
        cov.baseline = baselines[cov.root]
    registry = Registry(store.db)
    now = datetime.now(timezone.utc)
    listed, skipped = getattr(progress, "listed", None), getattr(progress, "skipped", None)

    last_commit = time.monotonic()

    def record(root: str, candidate: Candidate, sha256: str | None, analysis: Analysis, change: str,
               cheap: bool = False) -> None:
        """Store one verdict. A fresh analysis is committed at once; ``cheap`` ones (a reused
        analysis, redone in milliseconds after a kill) are committed at least every 0.5 s."""
        nonlocal last_commit
        artifact = judge(registry, candidate, sha256, analysis, now, options.source)
        commit = not cheap or time.monotonic() - last_commit > 0.5
        store.add(crawl_id, artifact, change, ENGINE, commit=commit)
        if commit:
            last_commit = time.monotonic()
        result.classifications[artifact.verdict.classification.value] += 1
        result.statuses[analysis.status.value] += 1
        result.changes[change] += 1
        _count(result, artifact)
        if analysis.status is Status.UNREADABLE:
            cov = coverage[root]
            if candidate.kind is not Kind.FOLDER:
                cov.unreadable += 1
            elif candidate.relpath == "":
                cov.state, cov.reason = "unreachable", analysis.reason
            else:
                cov.unlisted.append(candidate.relpath)
        if progress:
            progress(artifact)

    def change_of(candidate: Candidate, root: str) -> tuple[str, Any]:
        """new / changed / unchanged against the last complete crawl of the root, and the stored
        row an unchanged file can reuse (from any earlier crawl, an interrupted one too)."""
        def same(row: Any) -> bool:
            return bool(row["size"] == candidate.size and row["mtime"] == candidate.mtime)

        base = store.in_crawl(candidate.path, baselines[root])
        change = "new" if base is None else "unchanged" if same(base) else "changed"
        latest = store.latest(candidate.path)
        reusable = (latest is not None and same(latest) and options.incremental and latest["engine"] == ENGINE
                    and Status(latest["status"]) not in RETRY)
        return change, (latest if reusable else None)

    def tasks() -> Iterator[Task]:
        for root in roots:
            for item in crawling.walk([root], options.excludes, options.source):
                if isinstance(item, crawling.Problem):
                    problem = _problem_candidate(item)
                    if listed:
                        listed(problem)
                    record(root, problem, None, Analysis.failed(Status.UNREADABLE, item.reason),
                           change_of(problem, root)[0])
                    continue
                if listed:
                    listed(item)
                change, reusable = change_of(item, root)
                if reusable is not None:
                    record(root, item, reusable["sha256"], store.analysis_of(reusable), change, cheap=True)
                elif item.size > options.limits.max_file_size:
                    record(root, item, None, Analysis.failed(
                        Status.TOO_LARGE, f"{item.size:,} bytes is over the {options.limits.max_file_size:,}-byte "
                                          "cap; raise --max-size to analyse it"), change)
                else:
                    store.commit()  # no write transaction stays open while the pool works on a slow file
                    yield (item, change, root), analyze_file, (item, options.limits, options.source)
        store.commit()
        listing_done = getattr(progress, "listing_done", None)
        if listing_done:
            listing_done()

    state, reason = "finished", None
    try:
        with WorkerPool(options.jobs, options.limits.timeout, options.limits.memory_mb) as pool:
            for (candidate, change, root), outcome in pool.map(tasks()):
                if isinstance(outcome, Failure):
                    record(root, candidate, None, _failure_analysis(outcome), change)
                    continue
                sha256, analysis = outcome
                if analysis is not None:  # None: an .xlsx without macros, not an artifact
                    record(root, candidate, sha256, analysis, change)
                elif skipped:
                    skipped(candidate)
        store.commit()
        for cov in result.coverage:
            if cov.state == "complete" and (cov.unlisted or cov.unreadable):
                cov.state = "partial"
            cov.not_rechecked, cov.removed = store.close_root(
                crawl_id, cov.root, baselines[cov.root], cov.state, cov.reason, cov.unlisted, cov.unreadable)
            result.changes["removed"] += cov.removed
            result.changes["not-rechecked"] += cov.not_rechecked
    except KeyboardInterrupt:
        state, reason = "interrupted", "stopped by the user (Ctrl-C or a termination signal)"
        raise
    except BaseException as exc:
        state, reason = "failed", one_line(exc)
        raise
    finally:
        if state != "finished":
            result.interrupted = True
            for cov in result.coverage:
                cov.state = "incomplete"
        _end(store, crawl_id, state, started, reason)
        result.seconds = time.monotonic() - started
    return result


def _count(result: CrawlResult, artifact: Artifact) -> None:
    """The counts ``--fail-on`` looks at: the artifact's highest level, if any."""
    if artifact.verdict.classification.value == "shadow-it":
        result.levels["shadow-it"] += 1
    elif artifact.candidate.kind is not Kind.FOLDER and not artifact.registry.get("registered"):
        result.levels["unregistered"] += 1
    elif artifact.registry.get("signoff") == "stale":
        result.levels["stale-signoff"] += 1


def one_line(exc: BaseException) -> str:
    """An exception as one line of text for a person."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, OSError) else f"{type(exc).__name__}: {text}"


def _end(store: Store, crawl_id: int, state: str, started: float, reason: str | None) -> None:
    """Record how the crawl ended; when the inventory itself is failing (a full disk), roll back
    what cannot be written and try once more, so that the row never stays ``finished`` by mistake."""
    for attempt in range(2):
        try:
            store.end_crawl(crawl_id, state, started, reason)
            return
        except Exception:
            try:
                store.db.rollback()
            except Exception:
                pass
            if attempt:
                return  # the row stays 'running': reports show it as a crawl that did not finish

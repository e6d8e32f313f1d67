"""The crawl engine: walk → analyse in workers → classify → store, one artifact at a time.

Listing runs in the parent and feeds the worker pool lazily, so listing and analysis
overlap and memory stays flat. Every candidate ends in the store with a status; an
error in one file never stops the crawl.
"""
from __future__ import annotations

import contextlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Protocol

from . import crawl as crawling
from .analysis import ATIME_NOT_KEPT, ENGINE, analyze_file
from .classify import Registration, classify
from .coverage import NOT_ANALYSED
from .governance import apply_review, assess
from .model import Analysis, Artifact, Candidate, Limits, Status, Unscanned
from .pool import Failure, Task, WorkerPool, default_jobs
from .readfile import take_atime_failures
from .registry import Registry
from .roots import overlaps
from .sources import Listing, SourceOptions, source_for, sweep_private_copies
from .store import LeaseLost, Store, Stored, safe_text, split_path

HEARTBEAT_SECONDS = 5.0  # how often a crawl writes its progress into its row
# Statuses an unchanged file is analysed again for. A timeout is not among them: a file that
# took longer than the limit once will again (a 300 KB one-liner would cost every crawl the
# whole timeout); it is retried with --full or a longer --timeout than the one it hit.
RETRY = frozenset({Status.ANALYZER_CRASHED, Status.UNREADABLE, Status.TOO_LARGE})


@dataclass(frozen=True)
class CrawlOptions:
    excludes: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    jobs: int = field(default_factory=default_jobs)
    source: SourceOptions = field(default_factory=SourceOptions)
    incremental: bool = True  # reuse the stored analysis of files whose size and mtime did not change
    site: str | None = None  # the plant or site the crawler serves (crawls from many hosts share an inventory)


@dataclass
class RootCoverage:
    """What one root of a crawl covered."""

    root: str
    baseline: int | None = None  # the last complete crawl of the root, compared with
    state: str = "complete"  # complete | partial | unreachable | incomplete
    reason: str | None = None  # why the root could not be opened
    unlisted: list[str] = field(default_factory=list)  # relpaths of folders that could not be listed
    unreadable: int = 0  # files that could not be read
    not_analysed: Counter[str] = field(default_factory=Counter)  # listed, not (fully) analysed: by status
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
    atime_not_kept: int = 0  # files and folders whose access time the account could not preserve
    unscanned: int = 0  # roots and folders the crawl could not look into (not opened, not listed, links not followed)

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    @property
    def complete(self) -> bool:
        """Every root was opened and listed, every file read, and the crawl ran to its end."""
        return not self.interrupted and all(c.state == "complete" for c in self.coverage)

    @property
    def not_analysed(self) -> Counter[str]:
        """Files listed but not (fully) analysed, by status (coverage.NOT_ANALYSED)."""
        total: Counter[str] = Counter()
        for cov in self.coverage:
            total.update(cov.not_analysed)
        return total


Progress = Callable[[Artifact], None]


def judge(registry: Registry, candidate: Candidate, sha256: str | None, analysis: Analysis,
          now: datetime, options: SourceOptions | None = None,
          known: Callable[[str], bool] | None = None) -> Artifact:
    """Classify one analysed file against the policy and the registry.

    Registry paths are data: whether a registered path still holds the tool (a copy, not a
    move) is answered by ``known`` from the inventory, never by opening the path (an imported
    entry naming //HOST/... must not make a crawl contact HOST)."""
    exists = known or (lambda path: False)
    if candidate.owner and (analysis.facts.get("owner_hints") or {}).get("file_owner") != candidate.owner:
        hints = {**(analysis.facts.get("owner_hints") or {}), "file_owner": candidate.owner}
        analysis = replace(analysis, facts={**analysis.facts, "owner_hints": hints})
    match = registry.match(candidate.path, analysis.fingerprint, exists)
    verdict = classify(analysis, Registration(registered=match is not None))
    # a reviewer's recorded decision, applied beside the analysis's verdict (governance.apply_review)
    verdict, reviewed, review = apply_review(registry.review_of(candidate.path, analysis.fingerprint),
                                             analysis, verdict, match is not None)
    governance, state = assess(match, analysis, verdict, now)
    analysis = replace(analysis, findings=analysis.findings + tuple(reviewed) + tuple(governance))
    return Artifact(candidate, sha256, analysis, verdict, {**state, **({"review": review} if review else {})})


def registered_path_check(store: Store, roots: Sequence[str], source: SourceOptions) -> Callable[[str], bool]:
    """Whether a registered path still holds its tool. Under a crawl root: a stat through the
    crawl's own source (it lists that tree anyway); anywhere else: the inventory's last
    word (seen, not vanished since) and no contact at all."""
    def inside(path: str) -> bool:
        return any(path.replace("\\", "/").rstrip("/").startswith(root.replace("\\", "/").rstrip("/") + "/")
                   for root in roots)

    def known(path: str) -> bool:
        if inside(path):
            return source_for(path, source).exists(path)
        row = store.db.execute("SELECT status, status_reason FROM artifacts WHERE path = ? ORDER BY crawl_id DESC "
                               "LIMIT 1", (safe_text(path),)).fetchone()
        return row is not None and not (row["status"] == Status.UNREADABLE.value and "vanished" in row["status_reason"])
    return known


def outcome_analysis(outcome: Failure | tuple[str | None, Analysis]) -> tuple[str | None, Analysis]:
    """(sha256, analysis) of what the pool returned for a file (a failure becomes its status)."""
    if isinstance(outcome, Failure):
        return None, _failure_analysis(outcome)
    return outcome


class Queue(Protocol):
    """Where a queued crawl (``crawl --queue``) sends the files to analyse instead of its own pool."""

    def add(self, crawl_id: int, root: str, candidate: Candidate, change: str) -> None: ...

    def flush(self) -> None: ...

    def wait(self, crawl_id: int) -> None: ...


def _failure_analysis(failure: Failure) -> Analysis:
    status = Status.TIMEOUT if failure.kind == "timeout" else Status.ANALYZER_CRASHED
    return Analysis.failed(status, failure.reason)


def _problem_record(problem: crawling.Problem) -> Candidate | Unscanned:
    """What a problem of the walk is: a file it could not stat is an artifact it could not read; the root,
    a folder it could not list or a folder link it does not follow is a part of the root it could not look into."""
    found = None if problem.folder else crawling.kind_of(problem.relpath.rsplit("/", 1)[-1])
    if found is None:
        return Unscanned(problem.path, problem.root, problem.relpath, Status(problem.status), problem.reason)
    return Candidate(problem.path, problem.root, problem.relpath, found[0], found[1], 0, 0.0)


def remembered(store: Store, listing: Listing) -> set[tuple[str, int, float]]:
    """What the inventory remembers of ``listing``'s files that were read and found to be no
    artifact (table ``passed``), looked up once per folder, with the names the listing spells them
    with: an entry whose (name, size, mtime) is among them is unchanged since it was read.

    The table keys files by ``split_path(safe_text(path))``: for a plain name (ASCII, no
    backslash) that is the folder's key and the name itself. Any other name (undecodable bytes,
    a backslash, non-ASCII letters) is keyed exactly as :meth:`Store.set_passed` keys it."""
    folder = split_path(safe_text(listing.prefix + "x"))[0]
    known = store.passed_in(folder, ENGINE)
    odd = [entry[0] for entry in listing.files if not entry[0].isascii() or "\\" in entry[0]]
    if odd:
        folders: dict[str, dict[str, tuple[int, float]]] = {}
        for name in odd:
            where, key = split_path(safe_text(listing.prefix + name))
            if where not in folders:
                rows = known if where == folder else store.passed_in(where, ENGINE)
                folders[where] = {n: (size, mtime) for n, size, mtime in rows}
            if key in folders[where]:
                known.add((name, *folders[where][key]))
    return known


def run_crawl(roots: Sequence[str], store: Store, options: CrawlOptions,
              progress: Progress | None = None, queue: Queue | None = None) -> CrawlResult:
    """Crawl ``roots`` (canonical: see :mod:`.roots`) into ``store``; returns counts and coverage.

    With a ``queue``, the files to analyse go to it (analysis workers on any host store their
    verdicts) and the crawl waits until they are all stored: it is finished only then.

    Ctrl-C marks the crawl ``interrupted``, any other exception ``failed`` with its reason
    (then re-raised): a crawl is ``finished`` only when it ran to its end."""
    started = time.monotonic()
    sweep_private_copies()  # database copies left in the temporary folder by crawls that were killed
    crawl_id = store.begin_crawl(roots, {
        "excludes": list(options.excludes), "max_file_size": options.limits.max_file_size,
        "timeout": options.limits.timeout, "jobs": options.jobs, "memory_mb": options.limits.memory_mb,
        "follow_links": options.source.follow_links}, overlaps=overlaps, site=options.site, queued=queue is not None)
    result = CrawlResult(crawl_id, coverage=[RootCoverage(root) for root in roots])
    take_atime_failures()
    coverage = {c.root: c for c in result.coverage}
    baselines = {root: store.baseline(root, crawl_id) for root in roots}
    for cov in result.coverage:
        cov.baseline = baselines[cov.root]
    registry = Registry(store.db, history=False)  # judging needs no entry's change history
    now = datetime.now(timezone.utc)
    # the progress display's hooks, each optional: files listed (a count), a file to read or judge, a
    # file read and found to be no artifact, files remembered as no artifact and unchanged (a count)
    listed, pending, skipped, unread = (getattr(progress, hook, None)
                                             for hook in ("listed", "pending", "skipped", "remembered"))

    last_commit = last_beat = time.monotonic()
    counts = {"listed": 0, "stored": 0}

    def heartbeat(force: bool = False) -> None:
        """The crawl's progress in its row (``shadowscan crawls``), every few seconds, with a commit."""
        nonlocal last_beat
        if force or time.monotonic() - last_beat > HEARTBEAT_SECONDS:
            store.progress(crawl_id, counts["listed"], counts["stored"])
            last_beat = time.monotonic()

    known = registered_path_check(store, roots, options.source)

    def record(root: str, candidate: Candidate, sha256: str | None, analysis: Analysis, change: str,
               cheap: bool = False, stored: Stored | None = None) -> None:
        """Store one verdict. A fresh analysis is committed at once; ``cheap`` ones (a reused
        analysis, redone in milliseconds after a kill) are committed at least every 0.5 s."""
        nonlocal last_commit
        artifact = judge(registry, candidate, sha256, analysis, now, options.source, known)
        commit = not cheap or time.monotonic() - last_commit > 0.5
        counts["stored"] += 1
        if commit:
            heartbeat()
        # a reused row comes straight from the walk, which yields each path once: nothing to replace
        store.add(crawl_id, artifact, change, ENGINE, commit=commit, stored=stored, replace=not cheap)
        if commit:
            last_commit = time.monotonic()
        result.classifications[artifact.verdict.classification.value] += 1
        result.statuses[analysis.status.value] += 1
        result.changes[change] += 1
        _count(result, artifact)
        if analysis.status is Status.UNREADABLE:
            coverage[root].unreadable += 1
        elif analysis.status.value in NOT_ANALYSED:
            coverage[root].not_analysed[analysis.status.value] += 1
        if not cheap:  # read by this crawl (a reused row was not)
            result.atime_not_kept += analysis.facts.get("access_time") == ATIME_NOT_KEPT
        if progress:
            progress(artifact)

    def record_unscanned(root: str, part: Unscanned) -> None:
        """Store a part of the root the crawl could not look into; a root or folder that could not be
        opened or listed makes the root's coverage unreachable or partial (a link not followed does not)."""
        store.add_unscanned(crawl_id, part)
        result.unscanned += 1
        if part.status is Status.UNREADABLE:
            cov = coverage[root]
            if part.relpath == "":
                cov.state, cov.reason = "unreachable", part.reason
            else:
                cov.unlisted.append(part.relpath)

    timeouts: dict[int, float] = {}

    def timeout_of(version: int) -> float:
        """The --timeout of the crawl that recorded a stored version (the first crawl holding it)."""
        if version not in timeouts:
            row = store.db.execute("SELECT options FROM crawls WHERE id = (SELECT MIN(crawl_id) FROM members "
                                   "WHERE version_id = ?)", (version,)).fetchone()
            timeouts[version] = float(json.loads(row["options"]).get("timeout") or 0) if row else 0.0
        return timeouts[version]

    def change_of(candidate: Candidate, root: str) -> tuple[str, Any]:
        """new / changed / unchanged against the last complete crawl of the root, and the stored
        row an unchanged file can reuse (from any earlier crawl, an interrupted one too)."""
        def same(row: Any) -> bool:
            return bool(row["size"] == candidate.size and row["mtime"] == candidate.mtime)

        latest, base = store.latest_and_in(candidate.path, baselines[root])
        change = "new" if base is None else "unchanged" if same(base) else "changed"
        reusable = (latest is not None and same(latest) and options.incremental and latest["engine"] == ENGINE
                    and Status(latest["status"]) not in RETRY
                    and not (latest["status"] == Status.TIMEOUT.value  # retried with a longer --timeout only
                             and options.limits.timeout > timeout_of(latest["id"])))
        return change, (latest if reusable else None)

    def tasks() -> Iterator[Task]:
        for root in roots:
            for item in crawling.listings([root], options.excludes, options.source):
                if isinstance(item, crawling.Problem):
                    problem = _problem_record(item)
                    if isinstance(problem, Unscanned):
                        record_unscanned(root, problem)
                        continue
                    counts["listed"] += 1
                    if listed:
                        listed(1)
                    if pending:
                        pending(problem)
                    record(root, problem, None, Analysis.failed(Status(item.status), item.reason),
                           change_of(problem, root)[0])
                    continue
                counts["listed"] += len(item.files)
                if listed:
                    listed(len(item.files))
                # read before and found to be no artifact, unchanged since: nothing to do (no record, no query)
                unchanged = remembered(store, item) if options.incremental else set()
                left = [entry for entry in item.files if (entry[0], entry[3], entry[4]) not in unchanged] \
                    if unchanged else item.files
                if unread and len(left) < len(item.files):
                    unread(len(item.files) - len(left))
                for entry in left:
                    candidate = item.candidate(entry)
                    if pending:
                        pending(candidate)
                    change, reusable = change_of(candidate, root)
                    if reusable is not None:
                        stored = store.stored(reusable)
                        record(root, candidate, reusable["sha256"], stored.analysis, change, cheap=True, stored=stored)
                    elif candidate.size > options.limits.max_file_size:
                        record(root, candidate, None, Analysis.failed(
                            Status.TOO_LARGE, f"{candidate.size:,} bytes is over the "
                                              f"{options.limits.max_file_size:,}-byte cap; raise --max-size to "
                                              "analyse it"), change)
                    else:
                        store.commit()  # no write transaction stays open while the pool works on a slow file
                        yield (candidate, change, root), analyze_file, (candidate, options.limits, options.source)
        store.commit()
        listing_done = getattr(progress, "listing_done", None)
        if listing_done:
            listing_done()

    state, reason = "finished", None
    try:
        if queue is not None:
            for (candidate, change, root), _function, _args in tasks():
                queue.add(crawl_id, root, candidate, change)
            queue.flush()
            heartbeat(force=True)
            store.commit()
            queue.wait(crawl_id)
            _count_stored(store, result)
        else:
            with WorkerPool(options.jobs, options.limits.timeout, options.limits.memory_mb,
                            reaped=sweep_private_copies) as pool:
                for (candidate, change, root), outcome in pool.map(tasks()):
                    if isinstance(outcome, Failure):
                        record(root, candidate, None, _failure_analysis(outcome), change)
                        continue
                    sha256, analysis = outcome
                    # not an artifact (an .xlsx without macros, a .json that is no dashboard): remembered so
                    # that it is read again only when it changes (and forgotten once the file is an artifact)
                    store.set_passed(candidate.path, root, candidate.size, candidate.mtime,
                                     None if analysis.is_artifact else ENGINE)
                    if analysis.is_artifact:
                        record(root, candidate, sha256, analysis, change)
                        continue
                    store.commit()  # a write transaction never stays open while the pool waits
                    if skipped:
                        skipped(candidate)
        heartbeat(force=True)
        store.commit()
        for cov in result.coverage:
            if cov.state == "complete" and (cov.unlisted or cov.unreadable):
                cov.state = "partial"
            cov.not_rechecked, cov.removed = store.close_root(
                crawl_id, cov.root, baselines[cov.root], cov.state, cov.reason, cov.unlisted, cov.unreadable)
            result.changes["removed"] += cov.removed
            result.changes["not-rechecked"] += cov.not_rechecked
        result.atime_not_kept += len(take_atime_failures())  # folders the walk listed (in this process)
    except KeyboardInterrupt:
        state, reason = "interrupted", "stopped by the user (Ctrl-C or a termination signal)"
        raise
    except LeaseLost as exc:
        state, reason = "interrupted", str(exc)
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


def _count_stored(store: Store, result: CrawlResult) -> None:
    """The counts of a queued crawl, from what the crawler and the workers stored."""
    result.classifications.clear()
    result.statuses.clear()
    result.levels.clear()
    for change in ("new", "changed", "unchanged"):
        result.changes.pop(change, None)
    unreadable: Counter[str] = Counter()
    failed: dict[str, Counter[str]] = {}
    for row in store.artifacts(result.crawl_id):
        result.classifications[row["classification"]] += 1
        result.statuses[row["status"]] += 1
        result.changes[row["change"]] += 1
        registry = json.loads(row["registry"])
        if row["classification"] == "shadow-it":
            result.levels["shadow-it"] += 1
        elif not registry.get("registered"):
            result.levels["unregistered"] += 1
        elif registry.get("signoff") == "stale":
            result.levels["stale-signoff"] += 1
        if row["status"] == Status.UNREADABLE.value:
            unreadable[row["root"]] += 1
        elif row["status"] in NOT_ANALYSED:
            failed.setdefault(row["root"], Counter())[row["status"]] += 1
    for cov in result.coverage:
        cov.unreadable = unreadable[cov.root]
        cov.not_analysed = failed.get(cov.root, Counter())


def _count(result: CrawlResult, artifact: Artifact) -> None:
    """The counts ``--fail-on`` looks at: the artifact's highest level, if any."""
    if artifact.verdict.classification.value == "shadow-it":
        result.levels["shadow-it"] += 1
    elif not artifact.registry.get("registered"):
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
            with contextlib.suppress(Exception):
                store.db.rollback()
            if attempt:
                return  # the row stays 'running': reports show it as a crawl that did not finish

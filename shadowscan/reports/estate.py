"""The estate: which crawl speaks for which root, so one report covers every share.

An inventory holds crawls of several shares (one per plant, or two shares in one
command) and several crawls of each. The estate is, for every root ever crawled, the
latest crawl of that root; a root inside another root is taken from whichever was
crawled later. ``--crawl ID`` narrows it to one crawl, ``--root PATH`` to what lies
under a path. Pure functions of the crawls' ids and roots; no store, no I/O.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..roots import contains
from .view import Coverage


@dataclass(frozen=True)
class Part:
    """One root of the estate and the crawl that speaks for it; artifacts under ``excluded``
    come from a later crawl of a root inside this one."""

    crawl_id: int
    root: str
    excluded: tuple[str, ...] = field(default=())

    def holds(self, path: str) -> bool:
        return not any(contains(x, path) for x in self.excluded)


def select(crawls: Iterable[tuple[int, Sequence[str]]], scope: Sequence[str] = ()) -> list[Part]:
    """The parts of the estate from ``(crawl id, roots)`` pairs: the latest crawl per root.
    ``scope`` (canonical paths) keeps the roots that lie under one of them or contain one."""
    latest: dict[str, int] = {}
    for crawl_id, roots in sorted(crawls, key=lambda c: c[0]):
        for root in roots:
            latest[root] = crawl_id
    if scope:
        latest = {r: c for r, c in latest.items() if any(contains(s, r) or contains(r, s) for s in scope)}
    # a root inside another root that was crawled later is covered by that later crawl
    kept = {r: c for r, c in latest.items()
            if not any(o != r and contains(o, r) and latest[o] > c for o in latest)}
    parts = []
    for root, crawl_id in sorted(kept.items(), key=lambda rc: (rc[1], rc[0])):
        newer = tuple(o for o, c in kept.items() if o != root and contains(root, o) and c > crawl_id)
        parts.append(Part(crawl_id, root, newer))
    return parts


def labels(roots: Sequence[str]) -> dict[str, str]:
    """A short, unique name per root (its last folder, more when two roots end alike)."""
    split = {r: [p for p in r.replace("\\", "/").split("/") if p] for r in roots}
    out: dict[str, str] = {}
    for root, parts in split.items():
        depth = 1
        while True:
            label = "/".join(parts[-depth:]) or root
            clash = [o for o, p in split.items() if o != root and "/".join(p[-depth:]) == label]
            if not clash or depth >= len(parts):
                break
            depth += 1
        out[root] = label
    return out


def merge_coverage(summaries: Sequence[Coverage]) -> Coverage:
    """One ``coverage`` section from the coverage of each crawl in the estate."""
    if len(summaries) == 1:
        return summaries[0]
    roots = tuple(r for s in summaries for r in s.roots)
    complete = bool(summaries) and all(s.complete for s in summaries)
    if complete:
        statement = summaries[0].statement
    else:
        prefix = "Coverage INCOMPLETE: the figures below count only what was scanned, they are not an all-clear. "
        statement = prefix + " ".join(s.statement.removeprefix(prefix) for s in summaries if not s.complete)
    return Coverage(complete, statement, roots)

"""Find candidate files under one or more roots, reading nothing but directory entries.

The walk is iterative (no recursion limit), follows directory symlinks at most once per
(device, inode) so loops end, skips Office lock files, and turns every folder it cannot
list into a :class:`Problem` instead of stopping.
"""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

from .model import Candidate, Kind

KINDS: dict[str, Kind] = {
    **{ext: Kind.EXCEL for ext in ("xlsm", "xlsb", "xls", "xlam", "xltm", "xla", "xlsx")},
    **{ext: Kind.ACCESS for ext in ("mdb", "accdb", "mde", "accde")},
    **{ext: Kind.SCRIPT for ext in ("py", "ps1", "psm1", "vbs", "bat", "cmd", "sql", "r")},
}
LOCK_PREFIX = "~$"
LOCK_SUFFIXES = (".ldb", ".laccdb")


@dataclass(frozen=True)
class Problem:
    """A folder or file the crawl could not list or stat, with the reason."""

    path: str
    root: str
    relpath: str
    reason: str


def kind_of(name: str) -> tuple[Kind, str] | None:
    """(kind, format) for a candidate file name, None for anything else."""
    if name.startswith(LOCK_PREFIX) or name.lower().endswith(LOCK_SUFFIXES):
        return None
    _, dot, ext = name.rpartition(".")
    if not dot:
        return None
    fmt = ext.lower()
    kind = KINDS.get(fmt)
    return (kind, fmt) if kind else None


def excluded(relpath: str, name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(relpath, p) or fnmatch.fnmatch(name, p) for p in patterns)


def _join(rel: str, name: str) -> str:
    return f"{rel}/{name}" if rel else name


def walk(roots: Iterable[str], excludes: Sequence[str] = ()) -> Iterator[Candidate | Problem]:
    """Yield candidates (and problems) under each root, in directory order."""
    for root in roots:
        yield from _walk_local(root, excludes)


def _walk_local(root: str, excludes: Sequence[str]) -> Iterator[Candidate | Problem]:
    try:
        st = os.stat(root)
    except OSError as exc:
        yield Problem(root, root, "", f"cannot open the crawl root: {exc.strerror or exc}")
        return
    if not os.path.isdir(root):
        found = kind_of(os.path.basename(root))
        if found:
            yield Candidate(root, os.path.dirname(root) or ".", os.path.basename(root), found[0], found[1],
                            st.st_size, st.st_mtime)
        return
    seen = {(st.st_dev, st.st_ino)}
    stack = [(root, "")]
    while stack:
        folder, rel = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            yield Problem(folder, root, rel, f"cannot list folder: {exc.strerror or exc}")
            continue
        subdirs = []
        for entry in entries:
            relpath = _join(rel, entry.name)
            if excluded(relpath, entry.name, excludes):
                continue
            try:
                if entry.is_dir():
                    st = entry.stat()
                    key = (st.st_dev, st.st_ino)
                    if key not in seen:
                        seen.add(key)
                        subdirs.append((entry.path, relpath))
                    continue
                found = kind_of(entry.name)
                if not found or not entry.is_file():
                    continue
                st = entry.stat()
            except OSError as exc:
                yield Problem(entry.path, root, relpath, f"cannot stat: {exc.strerror or exc}")
                continue
            yield Candidate(entry.path, root, relpath, found[0], found[1], st.st_size, st.st_mtime)
        stack.extend(reversed(subdirs))

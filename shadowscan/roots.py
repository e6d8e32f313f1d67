"""Crawl roots as the inventory records them: one spelling per place, whatever was typed.

``./share``, ``share/`` and ``/abs/path/share`` are the same root (absolute, normalised;
symlinks are not resolved, a mount point stays what the user named). ``//FS01/Quality``,
``\\\\fs01\\quality\\`` and ``//fs01/quality`` are the same share: server and share names
are case-insensitive on SMB, so they are lower-cased; folders below keep their case.
Roots inside another root of the same crawl are dropped (their files are crawled once,
as part of the outer root) and the caller is told so.
"""
from __future__ import annotations

import os

from .sources import is_smb


def canonical(path: str) -> str:
    """The one spelling of a crawl root (or a registered path)."""
    if is_smb(path):
        parts = [p for p in path.replace("\\", "/").split("/") if p and p != "."]
        if len(parts) >= 2:
            parts[0], parts[1] = parts[0].lower(), parts[1].lower()
        return "//" + "/".join(parts)
    return os.path.normpath(os.path.abspath(path))


def _key(root: str) -> str:
    return root.casefold() if is_smb(root) else os.path.normcase(root)


def contains(outer: str, inner: str) -> bool:
    """Whether canonical root ``inner`` is ``outer`` or lies below it."""
    a, b = _key(outer), _key(inner)
    if a == b:
        return True
    sep = "/" if is_smb(outer) or os.sep == "/" else os.sep
    return is_smb(outer) == is_smb(inner) and b.startswith(a.rstrip(sep) + sep)


def overlaps(a: str, b: str) -> bool:
    """Two roots whose crawls would read some of the same files."""
    return contains(a, b) or contains(b, a)


def dedupe(paths: list[str] | tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(canonical roots in the order given, without repeats or roots inside another;
    one sentence per root dropped)."""
    roots = [canonical(p) for p in paths]
    kept: list[str] = []
    notes: list[str] = []
    for typed, root in zip(paths, roots):
        outer = next((other for other in roots if other != root and contains(other, root)), None)
        if outer is not None:
            notes.append(f"{typed} is inside {outer}: crawled once, as part of it")
        elif any(_key(k) == _key(root) for k in kept):
            notes.append(f"{typed} was given twice: crawled once")
        else:
            kept.append(root)
    return kept, notes


__all__ = ["canonical", "contains", "overlaps", "dedupe"]

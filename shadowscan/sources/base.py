"""What every source shares: the problem record, options, the protocol, private copies.

``local`` and ``smb`` import this module, and the package imports them: no circle.
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from ..model import Candidate, Kind

# One candidate file of a listing: name, kind, format, size, mtime, owner account (or None)
Entry = tuple[str, Kind, str, int, float, "str | None"]


@dataclass(frozen=True, slots=True)
class Listing:
    """The candidate files of one folder as listed (name and stat only, sorted by name).

    A crawl compares most entries with what the inventory remembers (size and mtime) and needs a
    :class:`Candidate` only for the few that are new or changed: :meth:`candidate` builds it then,
    so an unchanged file costs no path, relative path or record of its own."""

    prefix: str  # the folder's path as the user would open it, with its separator: prefix + name is the path
    root: str  # the crawl root (for a root that is a file: its folder)
    rel_prefix: str  # the folder relative to the root, "/" separators, ending in "/" ("" for the root)
    files: list[Entry]

    def candidate(self, entry: Entry) -> Candidate:
        name, kind, fmt, size, mtime, owner = entry
        return Candidate(self.prefix + name, self.root, self.rel_prefix + name, kind, fmt, size, mtime, owner)

    def candidates(self) -> Iterator[Candidate]:
        return map(self.candidate, self.files)


def flatten(items: Iterable[Listing | Problem]) -> Iterator[Candidate | Problem]:
    """Listings as one stream of candidates (and the problems between them)."""
    for item in items:
        if isinstance(item, Listing):
            yield from item.candidates()
        else:
            yield item


@dataclass(frozen=True)
class Problem:
    """A folder or file the crawl could not list or stat, with the reason."""

    path: str
    root: str
    relpath: str
    reason: str
    status: str = "unreadable"  # or "unsupported": a FIFO, a device, a link not followed
    folder: bool = False  # the root or a folder (a part not scanned), not a file (an artifact it could not read)


@dataclass(frozen=True)
class SourceOptions:
    """How to reach remote shares. Picklable: analysis workers get a copy.

    The password is never printed (``repr=False``), logged or stored."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    port: int = 445
    domain: str | None = None
    follow_links: bool = False  # follow symbolic links that lead out of the crawl root


class Source(Protocol):
    def listings(self, root: str, excludes: Sequence[str]) -> Iterator[Listing | Problem]: ...

    def walk(self, root: str, excludes: Sequence[str]) -> Iterator[Candidate | Problem]: ...

    def read_bytes(self, path: str, cap: int) -> bytes: ...

    def local_file(self, path: str, cap: int) -> AbstractContextManager[str]: ...

    def exists(self, path: str) -> bool: ...


COPY_PREFIX = "shadowscan-"
# shadowscan-p<pid>-s<process start time>-<random>: the owner is in the name, so a folder is
# never without one (not even between its creation and a first write) and a PID the kernel
# has given to another process since does not keep a dead crawl's copy alive.
_COPY_DIR = re.compile(r"^shadowscan-p(\d+)-s(\d+)-[A-Za-z0-9_]+$")


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux ``/proc``), ``None`` when gone;
    0 where the system has no ``/proc`` (the PID alone is then the owner's mark)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except FileNotFoundError:
        return None
    except OSError:
        return 0
    fields = stat[stat.rindex(b")") + 2:].split()
    if fields[0] == b"Z":  # a zombie: it has ended, only its exit status waits to be collected
        return None
    return int(fields[19])


def _owner_alive(pid: int, start: int) -> bool:
    if os.name != "posix":
        return True  # no safe liveness probe here (os.kill would terminate): never remove
    if os.path.isdir("/proc"):
        now = _start_time(pid)
        return now is not None and (start == 0 or now == 0 or now == start)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _copy_folder() -> str:
    """A fresh private (0700) folder whose name records this process as its owner."""
    pid = os.getpid()
    return tempfile.mkdtemp(prefix=f"{COPY_PREFIX}p{pid}-s{_start_time(pid) or 0}-")


def sweep_private_copies(folder: str | None = None) -> list[str]:
    """Remove private copies whose owning process is gone: left by a worker killed at its
    timeout or by a driver crash, or by a crawl stopped with kill -9 (its workers die with it).
    Folders of live processes (another crawl's running workers) are never touched, nor anything
    that is not a folder of this user with a name this module gives. Returns what was removed."""
    base = folder or tempfile.gettempdir()
    removed: list[str] = []
    try:
        entries = list(os.scandir(base))
    except OSError:
        return removed
    uid = os.getuid() if hasattr(os, "getuid") else None
    for entry in entries:
        match = _COPY_DIR.match(entry.name)
        if not match:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or (uid is not None and info.st_uid != uid):
            continue
        if _owner_alive(int(match.group(1)), int(match.group(2))):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        if not os.path.lexists(entry.path):
            removed.append(entry.path)
    return removed


@contextmanager
def private_copy(name: str, chunks: Iterable[bytes]) -> Iterator[str]:
    """Write ``chunks`` to a file in a fresh 0700 temporary folder; both are removed afterwards.

    When the process dies before it can remove them (a timeout, a driver crash, kill -9), the
    folder's name says whose it was, and :func:`sweep_private_copies` removes it: the crawl
    does after every worker it loses and when it ends, and every crawl when it starts."""
    folder = _copy_folder()
    # The copy keeps only the extension: drivers choke on odd names (the MDBTools ODBC
    # driver cannot open a path with non-ASCII characters).
    ext = os.path.splitext(os.path.basename(name))[1]
    safe_ext = ext if ext.isascii() and ext[1:].isalnum() else ""
    target = os.path.join(folder, "artifact" + safe_ext.lower())
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_BINARY", 0), 0o600)
        with open(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def is_smb(path: str) -> bool:
    """``//server/share`` or ``\\\\server\\share`` on a system without native UNC support."""
    return path.startswith(("//", "\\\\")) and not sys.platform.startswith("win")

"""Where files come from: local paths and mounted shares, or SMB shares without a mount.

A :class:`Source` lists candidates (stat only) and reads files for analysis; the crawl
engine and the analysis workers use nothing else to touch the share. Remote sources
hand analyzers that need a real file (ODBC drivers) a private temporary copy, deleted
afterwards, so nothing is ever opened for writing on the share.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Protocol, Sequence

from ..model import Candidate


@dataclass(frozen=True)
class Problem:
    """A folder or file the crawl could not list or stat, with the reason."""

    path: str
    root: str
    relpath: str
    reason: str
    status: str = "unreadable"  # or "unsupported": a FIFO, a device, a link not followed


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
    def walk(self, root: str, excludes: Sequence[str]) -> Iterator[Candidate | Problem]: ...

    def read_bytes(self, path: str, cap: int) -> bytes: ...

    def local_file(self, path: str, cap: int) -> AbstractContextManager[str]: ...

    def exists(self, path: str) -> bool: ...


@contextmanager
def private_copy(name: str, chunks: Iterable[bytes]) -> Iterator[str]:
    """Write ``chunks`` to a file in a fresh 0700 temporary folder; both are removed afterwards."""
    folder = tempfile.mkdtemp(prefix="shadowscan-")
    # The copy keeps only the extension: drivers choke on odd names (the MDBTools ODBC
    # driver cannot open a path with non-ASCII characters).
    ext = os.path.splitext(os.path.basename(name))[1]
    safe_ext = ext if ext.isascii() and ext[1:].isalnum() else ""
    target = os.path.join(folder, "artifact" + safe_ext.lower())
    try:
        with open(target, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def is_smb(path: str) -> bool:
    """``//server/share`` or ``\\\\server\\share`` on a system without native UNC support."""
    return path.startswith(("//", "\\\\")) and not sys.platform.startswith("win")


_CACHE: dict[tuple[str, SourceOptions], Source] = {}


def source_for(path: str, options: SourceOptions | None = None) -> Source:
    """The source that can read ``path`` (one per server and options per process)."""
    options = options or SourceOptions()
    if not is_smb(path):
        from .local import LocalSource

        key = ("", SourceOptions(follow_links=options.follow_links))
        if key not in _CACHE:
            _CACHE[key] = LocalSource(options.follow_links)
        return _CACHE[key]
    from .smb import SmbSource, server_of

    key = (server_of(path), options)
    if key not in _CACHE:
        _CACHE[key] = SmbSource(server_of(path), options)
    return _CACHE[key]


def display_path(path: str) -> str:
    """Paths as a user types them (``//server/share/x`` keeps its slashes)."""
    return path.replace("\\", "/") if is_smb(path) else path


__all__ = ["Problem", "Source", "SourceOptions", "source_for", "is_smb", "display_path", "private_copy"]

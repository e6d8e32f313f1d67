"""Read a file from a share without leaving a trace.

Files are opened read-only, with ``O_NOATIME`` where the OS allows it (so even the access
time stays as it was), and read whole into memory up to a cap: analyzers then work on
bytes and never hold a handle on the share.

``O_NOATIME`` needs the file's owner (or root). An account that is neither (the usual
service account) reads with a plain open; the access time from before the read is then
put back with ``futimens`` where the account may, and where it may not the path is noted
(:func:`take_atime_failures`) so the crawl can say so instead of staying silent.
"""
from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator

_NOATIME = getattr(os, "O_NOATIME", 0)
_BINARY = getattr(os, "O_BINARY", 0)


class TooLarge(Exception):
    """The file is larger than the cap."""


_ATIME_FAILURES: list[str] = []  # paths read in this process whose access time could not be kept


def take_atime_failures() -> list[str]:
    """Paths whose access time changed and could not be restored since the last call."""
    taken = list(_ATIME_FAILURES)
    _ATIME_FAILURES.clear()
    return taken


def keep_link_atime(path: str, before: os.stat_result) -> None:
    """Put back the access time of the symbolic link ``path`` (``before``: its ``lstat``). Following
    a link (a stat, an open through it) or reading its target (``readlink``) moves the link's own
    access time, and no flag prevents that (``O_NOATIME`` is for a file's content): so the crawl
    sets it back, link only (its change time moves, as with any attribute the owner sets), or
    notes the path when the account may not (:func:`take_atime_failures`)."""
    try:
        after = os.lstat(path)
    except OSError:
        return
    if not stat.S_ISLNK(after.st_mode) or after.st_atime_ns == before.st_atime_ns:
        return
    if os.utime not in os.supports_follow_symlinks:
        _ATIME_FAILURES.append(path)
        return
    try:
        os.utime(path, ns=(before.st_atime_ns, after.st_mtime_ns), follow_symlinks=False)
    except OSError:
        _ATIME_FAILURES.append(path)


def link_stat(path: str) -> os.stat_result | None:
    """The ``lstat`` of ``path`` when it is a symbolic link (to keep its access time), else None."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st if stat.S_ISLNK(st.st_mode) else None


def open_readonly(path: str, directory: bool = False) -> tuple[int, os.stat_result | None]:
    """A read-only descriptor, and the stat from before opening when ``O_NOATIME`` was refused
    (then :func:`close_restoring` puts the access time back). Opened through a symbolic link, the
    link's own access time is put back at once (the descriptor never touches the link again)."""
    link = link_stat(path)
    try:
        return _open(path, directory)
    finally:
        if link is not None:
            keep_link_atime(path, link)


def _open(path: str, directory: bool) -> tuple[int, os.stat_result | None]:
    flags = os.O_RDONLY | _BINARY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        return os.open(path, flags | _NOATIME), None
    except PermissionError:
        if not _NOATIME:
            raise
    before = os.stat(path)  # O_NOATIME needs ownership (or root): remember, read, put back
    return os.open(path, flags), before


def close_restoring(fd: int, path: str, before: os.stat_result | None) -> None:
    """Close ``fd``; if the read moved the access time, restore it (content unchanged) or note it."""
    try:
        if before is not None:
            after = os.fstat(fd)
            if after.st_atime_ns != before.st_atime_ns:
                if after.st_mtime_ns != before.st_mtime_ns:  # changed while read: never put an old mtime back
                    _ATIME_FAILURES.append(path)
                else:
                    try:
                        os.utime(fd if os.utime in os.supports_fd else path,
                                 ns=(before.st_atime_ns, before.st_mtime_ns))
                    except OSError:  # only the owner may set times: say so rather than stay silent
                        _ATIME_FAILURES.append(path)
    finally:
        os.close(fd)


def iter_chunks(path: str, cap: int) -> Iterator[bytes]:
    """The file in 1 MiB chunks; :class:`TooLarge` once more than ``cap`` bytes came."""
    fd, before = open_readonly(path)
    try:
        total = 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return
            total += len(chunk)
            if total > cap:
                raise TooLarge(f"file is larger than the {cap:,}-byte cap")
            yield chunk
    finally:
        close_restoring(fd, path, before)


def read_bytes(path: str, cap: int) -> bytes:
    """The whole file, or :class:`TooLarge` when it holds more than ``cap`` bytes."""
    return b"".join(iter_chunks(path, cap))


def sha256_file(path: str) -> str:
    """Hash a file in a streaming read (used where the bytes are not needed in memory)."""
    digest = hashlib.sha256()
    fd, before = open_readonly(path)
    try:
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            digest.update(chunk)
    finally:
        close_restoring(fd, path, before)
    return digest.hexdigest()

"""Local paths and mounted shares (on Windows also UNC paths, through the OS)."""
from __future__ import annotations

import functools
import os
import stat

try:
    import pwd
except ImportError:  # Windows
    pwd = None  # type: ignore[assignment]
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ..kinds import KINDS, excluded, kind_of
from ..model import Candidate, Kind
from ..readfile import close_restoring, iter_chunks, keep_link_atime, open_readonly, read_bytes
from .base import Problem, private_copy


@functools.lru_cache(maxsize=4096)
def owner_name(uid: int) -> str | None:
    """The account that owns a file, as an ownership hint (POSIX; Windows gives no uid here)."""
    if pwd is None or os.name == "nt":
        return None
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


_Dir = tuple[str, str, "os.stat_result | None", "str | OSError | None"]  # name, path, stat, error
_File = tuple[str, str, tuple[Kind, str], "os.stat_result | None", "str | OSError | None"]  # str: record, never open


def _join(rel: str, name: str) -> str:
    return f"{rel}/{name}" if rel else name


class _Skip(str):
    """A folder entry the walk records but does not enter (a link out of the root)."""


def _target(path: str) -> str:
    try:
        return os.readlink(path)  # moves the link's access time: the caller puts it back (keep_link_atime)
    except OSError:
        return "?"


def _link_stat(entry: os.DirEntry[str]) -> os.stat_result | None:
    """The link's own stat (lstat: it moves no access time) for a symbolic link, else None."""
    try:
        return entry.stat(follow_symlinks=False) if entry.is_symlink() else None
    except OSError:
        return None


def _special(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    for test, what in ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return what
    return "not a regular file"


class LocalSource:
    """Walks with ``os.scandir`` (iterative, loop-safe); reads with O_NOATIME. Symbolic links
    that lead out of the crawl root are recorded with their target and not followed, unless
    ``follow_links``; FIFOs, devices and dangling links are recorded, never opened."""

    def __init__(self, follow_links: bool = False) -> None:
        self.follow_links = follow_links

    def _outside(self, entry: os.DirEntry[str], path: str, real_root: str) -> str | None:
        """The target of a link that leaves the root (None for anything else, or when following)."""
        if self.follow_links or not entry.is_symlink():
            return None
        target = os.path.realpath(path)
        return None if target == real_root or target.startswith(real_root.rstrip(os.sep) + os.sep) else target

    def walk(self, root: str, excludes: Sequence[str]) -> Iterator[Candidate | Problem]:

        try:
            st = os.stat(root)
        except OSError as exc:
            yield Problem(root, root, "", f"cannot open the crawl root: {exc.strerror or exc}", folder=True)
            return
        if not os.path.isdir(root):
            found = kind_of(os.path.basename(root))
            if found:
                yield Candidate(root, os.path.dirname(root) or ".", os.path.basename(root), found[0], found[1],
                                st.st_size, st.st_mtime)
            return
        seen = {(st.st_dev, st.st_ino)}
        real_root = os.path.realpath(root)
        stack = [(root, "")]
        while stack:
            folder, rel = stack.pop()
            try:
                dirs, files = self._list(folder, real_root)
            except OSError as exc:
                yield Problem(folder, root, rel, f"cannot list folder: {exc.strerror or exc}", folder=True)
                continue
            subdirs = []
            for name, path, dir_st, error in dirs:
                relpath = _join(rel, name)
                if excludes and excluded(relpath, name, excludes):
                    continue
                if isinstance(error, _Skip):
                    yield Problem(path, root, relpath, str(error), "unsupported", folder=True)
                    continue
                if dir_st is None:
                    yield Problem(path, root, relpath, f"cannot stat folder: {error}", folder=True)
                    continue
                if (dir_st.st_dev, dir_st.st_ino) not in seen:  # a symlink back up the tree is walked once
                    seen.add((dir_st.st_dev, dir_st.st_ino))
                    subdirs.append((path, relpath))
            for name, path, (kind, fmt), file_st, error in files:
                relpath = _join(rel, name)
                if excludes and excluded(relpath, name, excludes):
                    continue
                if isinstance(error, str):  # not a file to read: recorded, never opened
                    yield Problem(path, root, relpath, error, "unsupported")
                    continue
                if file_st is None:
                    if isinstance(error, FileNotFoundError):
                        yield Problem(path, root, relpath, "vanished after it was listed (deleted or moved "
                                                           "during the crawl)")
                    else:
                        yield Problem(path, root, relpath, f"cannot stat: {getattr(error, 'strerror', None) or error}")
                    continue
                yield Candidate(path, root, relpath, kind, fmt, file_st.st_size, file_st.st_mtime,
                                owner_name(file_st.st_uid))
            stack.extend(reversed(subdirs))

    def _list(self, folder: str, real_root: str) -> tuple[list[_Dir], list[_File]]:
        """Folders and candidate files of one folder, by name, each with its stat (or the error);
        other files cost one name check. The folder is opened with O_NOATIME (or its access
        time restored afterwards, see readfile.py): listing it leaves no trace."""

        dirs: list[_Dir] = []
        files: list[_File] = []
        by_fd = os.scandir in os.supports_fd
        fd, before = open_readonly(folder, directory=True) if by_fd else (-1, None)
        candidate_extensions = KINDS  # a local name: looked up for every entry of the share
        try:
            with os.scandir(fd if by_fd else folder) as it:
                for entry in it:
                    if entry.is_symlink():  # the listing's file type (or an lstat): no access time moves
                        link = _link_stat(entry)
                        try:  # following a link or reading its target moves the link's access time: put back
                            self._entry(entry, folder, real_root, candidate_extensions, dirs, files)
                        finally:
                            if link is not None:
                                keep_link_atime(os.path.join(folder, entry.name), link)
                        continue
                    try:
                        is_dir = entry.is_dir()  # the listing's file type: no system call for most entries
                    except OSError:
                        is_dir = False
                    # Most files of a share are no candidate: one look at the extension, before
                    # any other work (a path, a link check, a stat) is spent on them.
                    if is_dir or entry.name.rpartition(".")[2].lower() in candidate_extensions:
                        self._entry(entry, folder, real_root, candidate_extensions, dirs, files, is_dir)
        finally:
            if by_fd:
                close_restoring(fd, folder, before)
        dirs.sort(key=lambda d: d[0])
        files.sort(key=lambda f: f[0])
        return dirs, files

    def _entry(self, entry: os.DirEntry[str], folder: str, real_root: str, candidate_extensions: dict[str, Kind],
               dirs: list[_Dir], files: list[_File], is_dir: bool | None = None) -> None:
        """One folder entry: a folder to walk, a candidate file with its stat, or a part to record."""
        name = entry.name
        if is_dir is None:
            try:
                is_dir = entry.is_dir()  # through a link: follows it
            except OSError:
                is_dir = False
        found = None
        if not is_dir:
            if name.rpartition(".")[2].lower() not in candidate_extensions:
                return
            found = kind_of(name)
            if found is None:
                return
        path = os.path.join(folder, name)
        outside = self._outside(entry, path, real_root)
        if outside:
            skip = (f"a symbolic link to {outside}, outside the crawl root: not followed "
                    "(--follow-links follows it)")
            if is_dir:
                dirs.append((name, path, None, _Skip(skip)))
            else:
                files.append((name, path, found, None, skip))  # type: ignore[arg-type]
            return
        if is_dir and not self.follow_links and entry.is_symlink():
            return  # a folder link inside the root: its target is walked where it is, never through the link
        if is_dir:
            try:
                dirs.append((name, path, entry.stat(), None))
            except OSError as exc:
                dirs.append((name, path, None, exc.strerror or exc))
            return
        if found is None:  # (never: only a candidate's name gets here)
            return
        try:
            st = entry.stat()
        except FileNotFoundError as exc:
            if entry.is_symlink():
                files.append((entry.name, path, found, None, "a symbolic link whose target does not "
                              f"exist ({_target(path)}): nothing to read"))
            else:
                files.append((entry.name, path, found, None, exc))
            return
        except OSError as exc:
            files.append((entry.name, path, found, None, exc))
            return
        special = _special(st.st_mode)
        if special:  # never opened: a FIFO would block the read, a device never ends
            files.append((entry.name, path, found, None, f"{special}, not a file: never opened"))
        else:
            files.append((entry.name, path, found, st, None))

    def read_bytes(self, path: str, cap: int) -> bytes:
        return read_bytes(path, cap)

    @contextmanager
    def local_file(self, path: str, cap: int) -> Iterator[str]:
        """A private copy for drivers that need a file (ODBC): whatever they do, the share is untouched."""
        with private_copy(os.path.basename(path), iter_chunks(path, cap)) as copy:
            yield copy

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

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

from ..kinds import KINDS, LOCK_PREFIX, SPELLINGS, excluded, kind_of, kind_of_extension
from ..model import Candidate
from ..readfile import close_restoring, iter_chunks, keep_link_atime, open_readonly, read_bytes
from .base import Entry, Listing, Problem, flatten, private_copy


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
_Trouble = tuple[str, str, "str | OSError"]  # name, path, error (str: a file to record, never open)


def _join(rel: str, name: str) -> str:
    return f"{rel}/{name}" if rel else name


class _Skip(str):
    """A folder entry the walk records but does not enter (a link out of the root)."""


def _target(path: str) -> str:
    try:
        return os.readlink(path)  # moves the link's access time: the listing puts it back (keep_link_atime)
    except OSError:
        return "?"


def _link_stat(entry: os.DirEntry[str]) -> os.stat_result | None:
    """A symbolic link's own stat (lstat: it moves no access time), to put its access time back."""
    try:
        return entry.stat(follow_symlinks=False)
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


def _problem(path: str, root: str, relpath: str, error: str | OSError) -> Problem:
    """The record of a candidate file that is not read: not a file (a str), or its stat failed."""
    if isinstance(error, str):  # not a file to read: recorded, never opened
        return Problem(path, root, relpath, error, "unsupported")
    if isinstance(error, FileNotFoundError):
        return Problem(path, root, relpath, "vanished after it was listed (deleted or moved during the crawl)")
    return Problem(path, root, relpath, f"cannot stat: {error.strerror or error}")


class LocalSource:
    """Walks with ``os.scandir`` (iterative, loop-safe); reads with O_NOATIME. Symbolic links
    that lead out of the crawl root are recorded with their target and not followed, unless
    ``follow_links``; FIFOs, devices and dangling links are recorded, never opened."""

    def __init__(self, follow_links: bool = False) -> None:
        self.follow_links = follow_links

    def _outside(self, path: str, real_root: str) -> str | None:
        """The target of a link (``path``) when it leaves the root, else None."""
        target = os.path.realpath(path)
        return None if target == real_root or target.startswith(real_root.rstrip(os.sep) + os.sep) else target

    def walk(self, root: str, excludes: Sequence[str]) -> Iterator[Candidate | Problem]:
        return flatten(self.listings(root, excludes))

    def listings(self, root: str, excludes: Sequence[str]) -> Iterator[Listing | Problem]:
        """Per folder: the problems of its subfolders, its candidate files (a :class:`Listing`),
        then the candidate files it could not stat or will not open; folders depth-first by name."""
        try:
            st = os.stat(root)
        except OSError as exc:
            yield Problem(root, root, "", f"cannot open the crawl root: {exc.strerror or exc}", folder=True)
            return
        if not os.path.isdir(root):
            name = os.path.basename(root)
            found = kind_of(name)
            if found:
                yield Listing(root[:len(root) - len(name)], os.path.dirname(root) or ".", "",
                              [(name, found[0], found[1], st.st_size, st.st_mtime, owner_name(st.st_uid))])
            return
        seen = {(st.st_dev, st.st_ino)}
        real_root = os.path.realpath(root)
        stack = [(root, "")]
        while stack:
            folder, rel = stack.pop()
            prefix = folder if folder.endswith(os.sep) else folder + os.sep
            try:
                dirs, files, troubles = self._list(folder, prefix, real_root)
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
            rel_prefix = rel + "/" if rel else ""
            if excludes:
                files = [f for f in files if not excluded(rel_prefix + f[0], f[0], excludes)]
                troubles = [t for t in troubles if not excluded(rel_prefix + t[0], t[0], excludes)]
            if files:
                yield Listing(prefix, root, rel_prefix, files)
            for name, path, error in troubles:
                yield _problem(path, root, rel_prefix + name, error)
            stack.extend(reversed(subdirs))

    def _list(self, folder: str, prefix: str, real_root: str) -> tuple[list[_Dir], list[Entry], list[_Trouble]]:
        """Folders, candidate files and candidate files not to read (or not stat'ed) of one folder,
        by name, each with its stat (or the error); other files cost one look at the name. The
        folder is opened with O_NOATIME (or its access time restored afterwards, see readfile.py):
        listing it leaves no trace."""

        dirs: list[_Dir] = []
        files: list[Entry] = []
        troubles: list[_Trouble] = []
        by_fd = os.scandir in os.supports_fd
        fd, before = open_readonly(folder, directory=True) if by_fd else (-1, None)
        candidate_extensions = KINDS  # local names: looked up for every entry of the share
        spellings = SPELLINGS
        is_regular = stat.S_ISREG
        follow = self.follow_links
        try:
            with os.scandir(fd if by_fd else folder) as it:
                for entry in it:
                    link = _link_stat(entry) if entry.is_symlink() else None  # lstat: moves no atime
                    try:  # following a link or reading its target moves the link's atime: put back
                        name = entry.name
                        try:
                            is_dir = entry.is_dir()  # the listing's file type: no system call for most entries
                        except OSError:
                            is_dir = False
                        found = None
                        if not is_dir:
                            # Most files of a share are no candidate: one look at the extension, before
                            # any other work (a path, a link check, a stat) is spent on them.
                            _, dot, ext = name.rpartition(".")
                            if ext.lower() not in candidate_extensions or not dot or name.startswith(LOCK_PREFIX):
                                continue
                            found = spellings.get(ext) or kind_of_extension(ext)  # each spelling classified once
                        if not follow and entry.is_symlink():
                            path = prefix + name
                            outside = self._outside(path, real_root)
                            if outside:
                                skip = (f"a symbolic link to {outside}, outside the crawl root: not followed "
                                        "(--follow-links follows it)")
                                if is_dir:
                                    dirs.append((name, path, None, _Skip(skip)))
                                else:
                                    troubles.append((name, path, skip))
                                continue
                            if is_dir:  # a folder link inside the root: its target is walked where it is, not through it
                                continue
                        if is_dir:
                            try:
                                dirs.append((name, prefix + name, entry.stat(), None))
                            except OSError as exc:
                                dirs.append((name, prefix + name, None, exc.strerror or exc))
                            continue
                        if found is None:  # (never: only a candidate's name gets here)
                            continue
                        try:
                            st = entry.stat()
                        except FileNotFoundError as exc:
                            path = prefix + name
                            if entry.is_symlink():
                                troubles.append((name, path, "a symbolic link whose target does not "
                                                 f"exist ({_target(path)}): nothing to read"))
                            else:
                                troubles.append((name, path, exc))
                            continue
                        except OSError as exc:
                            troubles.append((name, prefix + name, exc))
                            continue
                        if is_regular(st.st_mode):
                            files.append((name, found[0], found[1], st.st_size, st.st_mtime, owner_name(st.st_uid)))
                        else:  # never opened: a FIFO would block the read, a device never ends
                            troubles.append((name, prefix + name, f"{_special(st.st_mode)}, not a file: never opened"))
                    finally:
                        if link is not None:
                            keep_link_atime(prefix + entry.name, link)
        finally:
            if by_fd:
                close_restoring(fd, folder, before)
        dirs.sort(key=lambda d: d[0])
        files.sort()  # by name: names differ, so nothing past the name is compared
        troubles.sort(key=lambda t: t[0])
        return dirs, files, troubles

    def read_bytes(self, path: str, cap: int) -> bytes:
        return read_bytes(path, cap)

    @contextmanager
    def local_file(self, path: str, cap: int) -> Iterator[str]:
        """A private copy for drivers that need a file (ODBC): whatever they do, the share is untouched."""
        with private_copy(os.path.basename(path), iter_chunks(path, cap)) as copy:
            yield copy

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

"""Local paths and mounted shares (on Windows also UNC paths, through the OS)."""
from __future__ import annotations

import functools
import os

try:
    import pwd
except ImportError:  # Windows
    pwd = None  # type: ignore[assignment]
from contextlib import contextmanager
from typing import Iterator, Sequence

from ..model import Candidate, Kind
from ..readfile import iter_chunks, read_bytes, sha256_file
from . import Problem, private_copy


@functools.lru_cache(maxsize=4096)
def owner_name(uid: int) -> str | None:
    """The account that owns a file, as an ownership hint (POSIX; Windows gives no uid here)."""
    if pwd is None or os.name == "nt":
        return None
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _join(rel: str, name: str) -> str:
    return f"{rel}/{name}" if rel else name


class LocalSource:
    """Walks with ``os.scandir`` (iterative, loop-safe); reads with O_NOATIME."""

    def walk(self, root: str, excludes: Sequence[str]) -> Iterator[Candidate | Problem]:
        from ..crawl import excluded, kind_of

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
                dirs, files = self._list(folder)
            except OSError as exc:
                yield Problem(folder, root, rel, f"cannot list folder: {exc.strerror or exc}")
                continue
            subdirs = []
            for entry in dirs:
                relpath = _join(rel, entry.name)
                if excludes and excluded(relpath, entry.name, excludes):
                    continue
                try:
                    st = entry.stat()
                except OSError as exc:
                    yield Problem(entry.path, root, relpath, f"cannot stat folder: {exc.strerror or exc}")
                    continue
                if (st.st_dev, st.st_ino) not in seen:  # a symlink back up the tree is walked once
                    seen.add((st.st_dev, st.st_ino))
                    subdirs.append((entry.path, relpath))
            for entry, (kind, fmt) in files:
                relpath = _join(rel, entry.name)
                if excludes and excluded(relpath, entry.name, excludes):
                    continue
                try:
                    if not entry.is_file():
                        continue
                    st = entry.stat()
                except FileNotFoundError:
                    yield Problem(entry.path, root, relpath, "vanished after it was listed (deleted or moved "
                                                             "during the crawl)")
                    continue
                except OSError as exc:
                    yield Problem(entry.path, root, relpath, f"cannot stat: {exc.strerror or exc}")
                    continue
                yield Candidate(entry.path, root, relpath, kind, fmt, st.st_size, st.st_mtime, owner_name(st.st_uid))
            stack.extend(reversed(subdirs))

    @staticmethod
    def _list(folder: str) -> tuple[list[os.DirEntry[str]], list[tuple[os.DirEntry[str], tuple[Kind, str]]]]:
        """Folders and candidate files of one folder, by name; other files cost one name check."""
        from ..crawl import kind_of

        dirs, files = [], []
        with os.scandir(folder) as it:
            for entry in it:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if is_dir:
                    dirs.append(entry)
                else:
                    found = kind_of(entry.name)
                    if found is not None:
                        files.append((entry, found))
        dirs.sort(key=lambda e: e.name)
        files.sort(key=lambda pair: pair[0].name)
        return dirs, files

    def read_bytes(self, path: str, cap: int) -> bytes:
        return read_bytes(path, cap)

    def sha256(self, path: str) -> str:
        return sha256_file(path)

    @contextmanager
    def local_file(self, path: str, cap: int) -> Iterator[str]:
        """A private copy for drivers that need a file (ODBC): whatever they do, the share is untouched."""
        with private_copy(os.path.basename(path), iter_chunks(path, cap)) as copy:
            yield copy

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

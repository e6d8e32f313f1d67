"""Local paths and mounted shares (on Windows also UNC paths, through the OS)."""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator, Sequence

from ..model import Candidate
from ..readfile import read_bytes, sha256_file
from . import Problem


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

    def read_bytes(self, path: str, cap: int) -> bytes:
        return read_bytes(path, cap)

    def sha256(self, path: str) -> str:
        return sha256_file(path)

    @contextmanager
    def local_file(self, path: str, cap: int) -> Iterator[str]:
        yield path

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

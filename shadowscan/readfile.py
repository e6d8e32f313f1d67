"""Read a file from a share without leaving a trace.

Files are opened read-only, with ``O_NOATIME`` where the OS allows it (so even the access
time stays as it was), and read whole into memory up to a cap: analyzers then work on
bytes and never hold a handle on the share.
"""
from __future__ import annotations

import hashlib
import os
from typing import Iterator

_NOATIME = getattr(os, "O_NOATIME", 0)
_BINARY = getattr(os, "O_BINARY", 0)


class TooLarge(Exception):
    """The file is larger than the cap."""


def open_readonly(path: str) -> int:
    """A read-only descriptor, without updating atime where the OS allows it."""
    flags = os.O_RDONLY | _BINARY
    try:
        return os.open(path, flags | _NOATIME)
    except PermissionError:
        if not _NOATIME:
            raise
        return os.open(path, flags)  # O_NOATIME needs ownership (or root)


def iter_chunks(path: str, cap: int) -> Iterator[bytes]:
    """The file in 1 MiB chunks; :class:`TooLarge` once more than ``cap`` bytes came."""
    fd = open_readonly(path)
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
        os.close(fd)


def read_bytes(path: str, cap: int) -> bytes:
    """The whole file, or :class:`TooLarge` when it holds more than ``cap`` bytes."""
    return b"".join(iter_chunks(path, cap))


def sha256_file(path: str) -> str:
    """Hash a file in a streaming read (used where the bytes are not needed in memory)."""
    digest = hashlib.sha256()
    fd = open_readonly(path)
    try:
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            digest.update(chunk)
    finally:
        os.close(fd)
    return digest.hexdigest()

"""Read a file from a share without leaving a trace.

Files are opened read-only, with ``O_NOATIME`` where the OS allows it (so even the access
time stays as it was), and read whole into memory up to a cap: analyzers then work on
bytes and never hold a handle on the share.
"""
from __future__ import annotations

import hashlib
import os

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


def read_bytes(path: str, cap: int) -> bytes:
    """The whole file, or :class:`TooLarge` when it holds more than ``cap`` bytes."""
    fd = open_readonly(path)
    try:
        chunks = []
        total = 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > cap:
                raise TooLarge(f"file is larger than the {cap:,}-byte cap")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


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

"""Where files come from: local paths and mounted shares, or SMB shares without a mount.

A :class:`Source` lists candidates (stat only) and reads files for analysis; the crawl
engine and the analysis workers use nothing else to touch the share. Remote sources
hand analyzers that need a real file (ODBC drivers) a private temporary copy, deleted
afterwards, so nothing is ever opened for writing on the share.
"""
from __future__ import annotations

from .base import (
    COPY_PREFIX,
    Listing,
    Problem,
    Source,
    SourceOptions,
    is_smb,
    private_copy,
    sweep_private_copies,
)
from .local import LocalSource

_CACHE: dict[tuple[str, SourceOptions], Source] = {}


def source_for(path: str, options: SourceOptions | None = None) -> Source:
    """The source that can read ``path`` (one per server and options per process)."""
    options = options or SourceOptions()
    if not is_smb(path):
        key = ("", SourceOptions(follow_links=options.follow_links))
        if key not in _CACHE:
            _CACHE[key] = LocalSource(options.follow_links)
        return _CACHE[key]
    # Loaded with the first SMB path, not at start-up: smbprotocol's client, its threads and
    # struct layouts cost every local crawl (and every command) several milliseconds otherwise.
    from .smb import SmbSource, server_of

    key = (server_of(path), options)
    if key not in _CACHE:
        _CACHE[key] = SmbSource(server_of(path), options)
    return _CACHE[key]


def display_path(path: str) -> str:
    """Paths as a user types them (``//server/share/x`` keeps its slashes)."""
    return path.replace("\\", "/") if is_smb(path) else path


__all__ = ["COPY_PREFIX", "Listing", "Problem", "Source", "SourceOptions", "source_for", "is_smb", "display_path",
           "private_copy", "sweep_private_copies"]

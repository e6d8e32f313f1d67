"""The walk over one or more roots. Which files are candidates is :mod:`.kinds` (by name
only); the walking itself is the source's (``sources/local.py``, ``sources/smb.py``): iterative,
loop-safe, and every folder it cannot list becomes a :class:`Problem`, not a stop.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from .kinds import KINDS, excluded, kind_of
from .model import Candidate
from .sources import Listing, Problem, SourceOptions, source_for

__all__ = ["KINDS", "Listing", "Problem", "kind_of", "excluded", "walk", "listings"]


def walk(roots: Iterable[str], excludes: Sequence[str] = (),
         options: SourceOptions | None = None) -> Iterator[Candidate | Problem]:
    """Yield candidates (and problems) under each root, local or SMB, in directory order."""
    for root in roots:
        yield from source_for(root, options).walk(root, excludes)


def listings(roots: Iterable[str], excludes: Sequence[str] = (),
             options: SourceOptions | None = None) -> Iterator[Listing | Problem]:
    """The same walk, folder by folder: each folder's candidate files come as one :class:`Listing`
    (name and stat only), so that a crawl builds a :class:`Candidate` only for a file it must look at."""
    for root in roots:
        yield from source_for(root, options).listings(root, excludes)

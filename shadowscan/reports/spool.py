"""The report's scratch table: a few short columns per artifact, kept on disk while a report lives.

Building a report reads every artifact once and keeps, per artifact, only what the summaries cannot fold
into counts: where it is in the inventory (crawl, version), its place in the report order (risk, then
name), its path and change (the ``changes`` lists), and its tool with what the ``tools`` section lists of
each copy (name, department, modified, bytes). A report of 100,000 artifacts held these as Python objects
(hundreds of MiB, growing with the inventory); here they sit in a private temporary SQLite database that
SQLite deletes when the connection closes, with a bounded page cache, so the report's memory stays flat.

This is not the inventory (``store.py`` holds that and all its SQL): nothing here is kept or shared, and
it works the same whichever backend the inventory is on.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

CACHE_KIB = 4096  # page cache of the scratch database; the rest lives in its temporary file
BATCH = 1000  # rows inserted at a time
CHUNK = 500  # rows read at a time

_SCHEMA = """
CREATE TABLE items (seq INTEGER PRIMARY KEY, part INTEGER NOT NULL, crawl INTEGER NOT NULL, version INTEGER NOT NULL,
                    risk INTEGER NOT NULL, name TEXT NOT NULL, path TEXT NOT NULL, relpath TEXT NOT NULL,
                    change TEXT NOT NULL, tool TEXT NOT NULL, basename TEXT NOT NULL, mtime REAL, sha256 TEXT,
                    department TEXT NOT NULL, findings INTEGER NOT NULL, gaps INTEGER NOT NULL);
CREATE TABLE ordered (pos INTEGER PRIMARY KEY, part INTEGER NOT NULL, crawl INTEGER NOT NULL,
                      version INTEGER NOT NULL, name TEXT NOT NULL, path TEXT NOT NULL, relpath TEXT NOT NULL,
                      change TEXT NOT NULL, tool TEXT NOT NULL, basename TEXT NOT NULL, mtime REAL, sha256 TEXT,
                      department TEXT NOT NULL, findings INTEGER NOT NULL, gaps INTEGER NOT NULL);
CREATE TABLE tools (tool TEXT PRIMARY KEY, rank INTEGER NOT NULL);
"""
_COLUMNS = ("part", "crawl", "version", "name", "path", "relpath", "change", "tool", "basename", "mtime", "sha256",
            "department", "findings", "gaps")


@dataclass(frozen=True)
class Item:
    """One artifact as the scratch table keeps it."""

    part: int  # index of the estate part it came from
    crawl: int
    version: int
    risk: int
    name: str
    path: str
    relpath: str
    change: str
    tool: str  # the tool's key (reports/families.py key_of)
    mtime: float | None
    sha256: str | None
    department: str
    findings: int
    gaps: bool  # a governed artifact (no folder) with a governance gap


@dataclass(frozen=True)
class Placed:
    """An artifact in report order: ``pos`` counts from 0."""

    pos: int
    part: int
    crawl: int
    version: int
    path: str
    findings: int


@dataclass(frozen=True)
class Location:
    """One copy of a tool, as the ``tools`` section lists it."""

    path: str
    name: str
    department: str
    mtime: float | None
    change: str
    sha256: str | None


class Spool:
    """Fill with :meth:`add`, then :meth:`order` once; then read as often as the formats need."""

    def __init__(self) -> None:
        # "": a private temporary database on disk, deleted when the connection closes
        self.db = sqlite3.connect("", check_same_thread=False)
        self.db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        self.db.executescript(_SCHEMA)
        self._batch: list[tuple[Any, ...]] = []
        self.count = 0

    def close(self) -> None:
        self.db.close()

    def add(self, item: Item) -> None:
        self._batch.append((item.part, item.crawl, item.version, item.risk, item.name, item.path, item.relpath,
                            item.change, item.tool, item.relpath.rsplit("/", 1)[-1], item.mtime, item.sha256,
                            item.department, item.findings, int(item.gaps)))
        if len(self._batch) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        self.db.executemany("INSERT INTO items (part, crawl, version, risk, name, path, relpath, change, tool, "
                            "basename, mtime, sha256, department, findings, gaps) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self._batch)
        self.count += len(self._batch)
        self._batch = []

    def order(self) -> None:
        """Put the artifacts in report order: highest risk first, then by name (then as they came)."""
        self._flush()
        cols = ", ".join(_COLUMNS)
        self.db.execute(f"INSERT INTO ordered ({cols}) SELECT {cols} FROM items ORDER BY risk DESC, name, seq")
        self.db.execute("DROP TABLE items")
        self.db.execute("CREATE INDEX ordered_tool ON ordered (tool, pos)")
        self.db.execute("CREATE INDEX ordered_path ON ordered (path)")
        self.db.commit()

    # reading -------------------------------------------------------------------------------------------
    def placed(self, start: int = 0, stop: int | None = None) -> Iterator[list[Placed]]:
        """The artifacts in report order from position ``start`` (to ``stop``), :data:`CHUNK` at a time."""
        end = self.count if stop is None else min(stop, self.count)
        # ``pos`` of the ordered table is its rowid: 1 for the first artifact
        while start < end:
            rows = self.db.execute("SELECT pos, part, crawl, version, path, findings FROM ordered "
                                   "WHERE pos > ? AND pos <= ? ORDER BY pos", (start, min(end, start + CHUNK)))
            chunk = [Placed(int(r[0]) - 1, *r[1:]) for r in rows]
            if not chunk:
                return
            yield chunk
            start = chunk[-1].pos + 1

    def at_paths(self, paths: Iterable[str]) -> list[Placed]:
        """The artifacts of some paths, in report order."""
        wanted = sorted(set(paths))
        out: list[Placed] = []
        for n in range(0, len(wanted), CHUNK):
            part = wanted[n:n + CHUNK]
            out += [Placed(int(r[0]) - 1, *r[1:]) for r in self.db.execute(
                "SELECT pos, part, crawl, version, path, findings FROM ordered "
                f"WHERE path IN ({','.join('?' * len(part))})", part)]
        return sorted(out, key=lambda p: p.pos)

    def with_gaps(self, limit: int) -> list[Placed]:
        """The first ``limit`` governed artifacts with a governance gap, in report order."""
        return [Placed(int(r[0]) - 1, *r[1:]) for r in self.db.execute(
            "SELECT pos, part, crawl, version, path, findings FROM ordered WHERE gaps ORDER BY pos LIMIT ?", (limit,))]

    def change_of(self, path: str) -> str | None:
        row = self.db.execute("SELECT change FROM ordered WHERE path = ? LIMIT 1", (path,)).fetchone()
        return None if row is None else str(row[0])

    def paths(self, change: str) -> Iterator[str]:
        """The paths with a change (new, changed, ...), by part, then relative path and path."""
        for row in self.db.execute("SELECT path FROM ordered WHERE change = ? ORDER BY part, relpath, path",
                                   (change,)):
            yield str(row[0])

    def changed(self, changes: Sequence[str]) -> Iterator[tuple[str, str]]:
        """(path, change) of the artifacts whose change is one of ``changes``."""
        marks = ",".join("?" * len(changes))
        for row in self.db.execute(f"SELECT path, change FROM ordered WHERE change IN ({marks})", list(changes)):
            yield str(row[0]), str(row[1])

    def count_of(self, change: str) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM ordered WHERE change = ?", (change,)).fetchone()[0])

    def tool_facts(self) -> Iterator[tuple[str, str, int, int]]:
        """Per tool (by key): its most common file name (the earliest in report order among equals), how many
        distinct contents its copies have, and the report position of its first copy."""
        name_rows = self.db.execute("SELECT tool, basename, COUNT(*), MIN(pos) FROM ordered GROUP BY tool, basename "
                                    "ORDER BY tool")
        variant_rows = self.db.execute("SELECT tool, COUNT(DISTINCT IFNULL(sha256, x'00')), MIN(pos) FROM ordered "
                                       "GROUP BY tool ORDER BY tool")
        best: tuple[str, str, int, int] | None = None
        for tool, basename, count, first in name_rows:
            if best is not None and best[0] != tool:
                variants = next(variant_rows)
                yield best[0], best[1], int(variants[1]), int(variants[2]) - 1
                best = None
            if best is None or count > best[2] or (count == best[2] and first < best[3]):
                best = (tool, basename, count, first)
        if best is not None:
            variants = next(variant_rows)
            yield best[0], best[1], int(variants[1]), int(variants[2]) - 1

    def rank_tools(self, keys: Sequence[str]) -> None:
        """The order of the ``tools`` section (its keys, first to last)."""
        self.db.execute("DELETE FROM tools")
        self.db.executemany("INSERT INTO tools (tool, rank) VALUES (?, ?)", ((k, n) for n, k in enumerate(keys)))
        self.db.commit()

    def locations(self, tool: str, limit: int) -> list[Location]:
        """The first ``limit`` copies of one tool, latest change first."""
        return [Location(*r) for r in self.db.execute(
            "SELECT path, name, department, mtime, change, sha256 FROM ordered WHERE tool = ? "
            "ORDER BY IFNULL(mtime, 0) DESC, path LIMIT ?", (tool, limit))]

    def tool_copies(self) -> Iterator[tuple[int, list[str], list[Location]]]:
        """Per tool in the order of :meth:`rank_tools`: (rank, its file names sorted, every copy latest change
        first). One tool's copies at a time."""
        names = self.db.execute("SELECT DISTINCT t.rank, o.basename FROM ordered o JOIN tools t ON t.tool = o.tool "
                                "ORDER BY t.rank, o.basename")
        copies = self.db.execute("SELECT t.rank, o.path, o.name, o.department, o.mtime, o.change, o.sha256 "
                                 "FROM ordered o JOIN tools t ON t.tool = o.tool "
                                 "ORDER BY t.rank, IFNULL(o.mtime, 0) DESC, o.path")
        name_row = next(names, None)
        copy_row = next(copies, None)
        while copy_row is not None:
            rank = int(copy_row[0])
            these: list[str] = []
            while name_row is not None and name_row[0] == rank:
                these.append(str(name_row[1]))
                name_row = next(names, None)
            located: list[Location] = []
            while copy_row is not None and copy_row[0] == rank:
                located.append(Location(*copy_row[1:]))
                copy_row = next(copies, None)
            yield rank, these, located

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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .view import Location

CACHE_KIB = 1024  # page cache (and sort memory) of the scratch database; the rest lives in its temporary file
BATCH = 1000  # rows inserted at a time
CHUNK = 500  # rows read at a time

_COPY = ("class_rank INTEGER NOT NULL, risk INTEGER NOT NULL, mtime REAL, name TEXT NOT NULL, path TEXT NOT NULL, "
         "registered INTEGER NOT NULL, stale INTEGER NOT NULL, impacts TEXT NOT NULL, department TEXT NOT NULL, "
         "sha256 TEXT, basename TEXT NOT NULL, change TEXT NOT NULL, rep TEXT NOT NULL")
_SCHEMA = f"""
CREATE TABLE items (seq INTEGER PRIMARY KEY, part INTEGER NOT NULL, crawl INTEGER NOT NULL, version INTEGER NOT NULL,
                    relpath TEXT NOT NULL, tool TEXT NOT NULL, findings INTEGER NOT NULL, gaps INTEGER NOT NULL, {_COPY});
CREATE TABLE ordered (pos INTEGER PRIMARY KEY, part INTEGER NOT NULL, crawl INTEGER NOT NULL, version INTEGER NOT NULL,
                      relpath TEXT NOT NULL, tool TEXT NOT NULL, findings INTEGER NOT NULL, gaps INTEGER NOT NULL,
                      {_COPY});
CREATE TABLE folded (tool TEXT NOT NULL, class_rank INTEGER NOT NULL, risk INTEGER NOT NULL, copies INTEGER NOT NULL,
                     name TEXT NOT NULL, first INTEGER NOT NULL, brief TEXT NOT NULL);
CREATE TABLE tools (rank INTEGER PRIMARY KEY, tool TEXT NOT NULL, class TEXT NOT NULL, brief TEXT NOT NULL);
"""
_PLACED = ("o.pos, o.part, o.crawl, o.version, o.path, o.findings, IFNULL(t.rank, -1) "
           "FROM ordered o LEFT JOIN tools t ON t.tool = o.tool")
_COLUMNS = ("part", "crawl", "version", "relpath", "tool", "findings", "gaps", "class_rank", "risk", "mtime", "name",
            "path", "registered", "stale", "impacts", "department", "sha256", "basename", "change", "rep")


@dataclass(frozen=True)
class Item:
    """One artifact as the scratch table keeps it."""

    part: int  # index of the estate part it came from
    crawl: int
    version: int
    relpath: str
    tool: str  # the tool's key (reports/families.py key_of)
    findings: int
    gaps: bool  # a governed artifact (no folder) with a governance gap
    copy: Copy


@dataclass(frozen=True)
class Copy:
    """What a tool is made of, per copy: how it ranks as the tool's representative (class, risk, change),
    what the tool counts and lists of it, and ``rep``: the representative's own fields (JSON), read only
    for the copy that represents the tool."""

    class_rank: int
    risk: int
    mtime: float | None
    name: str
    path: str
    registered: bool
    stale: bool
    impacts: str  # ";"-joined
    department: str
    sha256: str | None
    basename: str
    change: str
    rep: str


@dataclass(frozen=True)
class Placed:
    """An artifact in report order: ``pos`` counts from 0."""

    pos: int
    part: int
    crawl: int
    version: int
    path: str
    findings: int
    tool: int  # the place of its tool in the ``tools`` section (-1 before the tools are folded)




class Spool:
    """Fill with :meth:`add`, then :meth:`order` once; then read as often as the formats need."""

    def __init__(self) -> None:
        # "": a private temporary database on disk, deleted when the connection closes
        self.db = sqlite3.connect("", check_same_thread=False)
        self.db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        self.db.executescript(_SCHEMA)
        self._batch: list[tuple[Any, ...]] = []
        self.count = 0
        self.tool_count = 0

    def close(self) -> None:
        self.db.close()

    def add(self, item: Item) -> None:
        c = item.copy
        self._batch.append((item.part, item.crawl, item.version, item.relpath, item.tool, item.findings,
                            int(item.gaps), c.class_rank, c.risk, c.mtime, c.name, c.path, int(c.registered),
                            int(c.stale), c.impacts, c.department, c.sha256, c.basename, c.change, c.rep))
        if len(self._batch) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        self.db.executemany(f"INSERT INTO items ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                            self._batch)
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
            rows = self.db.execute(f"SELECT {_PLACED} WHERE o.pos > ? AND o.pos <= ? ORDER BY o.pos",
                                   (start, min(end, start + CHUNK)))
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
                f"SELECT {_PLACED} WHERE o.path IN ({','.join('?' * len(part))})", part)]
        return sorted(out, key=lambda p: p.pos)

    def with_gaps(self, limit: int) -> list[Placed]:
        """The first ``limit`` governed artifacts with a governance gap, in report order."""
        return [Placed(int(r[0]) - 1, *r[1:]) for r in self.db.execute(
            f"SELECT {_PLACED} WHERE o.gaps ORDER BY o.pos LIMIT ?", (limit,))]

    def paths(self, change: str) -> Iterator[str]:
        """The paths with a change (new, changed, ...), by part, then relative path and path."""
        for row in self.db.execute("SELECT path FROM ordered WHERE change = ? ORDER BY part, relpath, path",
                                   (change,)):
            yield str(row[0])

    def count_of(self, change: str) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM ordered WHERE change = ?", (change,)).fetchone()[0])

    def copies_by_tool(self) -> Iterator[tuple[str, list[tuple[int, Copy]]]]:
        """Per tool (by key), its copies as (report position, copy) in report order: one tool at a time."""
        rows = self.db.execute("SELECT tool, pos, class_rank, risk, mtime, name, path, registered, stale, impacts, "
                               "department, sha256, basename, change, rep FROM ordered ORDER BY tool, pos")
        tool: str | None = None
        copies: list[tuple[int, Copy]] = []
        for row in rows:
            if row[0] != tool:
                if tool is not None:
                    yield tool, copies
                tool, copies = row[0], []
            copies.append((int(row[1]) - 1, Copy(row[2], row[3], row[4], row[5], row[6], bool(row[7]), bool(row[8]),
                                                  *row[9:])))
        if tool is not None:
            yield tool, copies

    def fold(self, tools: Iterable[tuple[str, int, int, int, str, int, str]]) -> None:
        """Keep the tools made of :meth:`copies_by_tool` (key, class rank, risk, copies, name, position of the
        first copy, the tool as JSON), then rank them: worst class, highest risk, most copies, name, first."""
        batch: list[tuple[str, int, int, int, str, int, str]] = []
        for tool in tools:
            batch.append(tool)
            if len(batch) >= BATCH:
                self.db.executemany("INSERT INTO folded VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
                batch = []
        self.db.executemany("INSERT INTO folded VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
        self.db.execute("INSERT INTO tools (rank, tool, class, brief) SELECT ROW_NUMBER() OVER "
                        "(ORDER BY class_rank, risk DESC, copies DESC, name, first) - 1, tool, "
                        "json_extract(brief, '$.classification'), brief FROM folded")
        self.db.execute("DROP TABLE folded")
        self.db.execute("CREATE INDEX tools_tool ON tools (tool)")
        self.db.commit()
        self.tool_count = int(self.db.execute("SELECT COUNT(*) FROM tools").fetchone()[0])

    def briefs(self, classification: str | None = None) -> Iterator[tuple[int, str, str]]:
        """(rank, key, the tool as JSON) in the order of :meth:`fold` (of one class)."""
        where, args = ("WHERE class = ?", (classification,)) if classification else ("", ())
        for row in self.db.execute(f"SELECT rank, tool, brief FROM tools {where} ORDER BY rank", args):
            yield int(row[0]), str(row[1]), str(row[2])

    def locations(self, tool: str, limit: int) -> list[Location]:
        """The first ``limit`` copies of one tool, latest change first."""
        return [Location(*r) for r in self.db.execute(
            "SELECT path, name, department, mtime, change, sha256 FROM ordered WHERE tool = ? "
            "ORDER BY IFNULL(mtime, 0) DESC, path LIMIT ?", (tool, limit))]

    def tool_copies(self) -> Iterator[tuple[int, list[str], list[Location]]]:
        """Per tool in the order of :meth:`rank_tools`: (rank, its file names sorted, every copy latest change
        first). One tool's copies at a time."""
        names = self.db.execute("SELECT DISTINCT t.rank, o.basename FROM tools t JOIN ordered o ON o.tool = t.tool "
                                "ORDER BY t.rank, o.basename")
        copies = self.db.execute("SELECT t.rank, o.path, o.name, o.department, o.mtime, o.change, o.sha256 "
                                 "FROM tools t JOIN ordered o ON o.tool = t.tool "
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

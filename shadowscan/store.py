"""The inventory: one SQLite file holding crawls, artifacts, findings and verdicts.

Each freshly analysed artifact is committed as soon as it is classified (WAL journal), so a
crawl that is killed keeps everything it analysed; reused verdicts of unchanged files are
committed at least every half second (redoing them costs milliseconds). The crawl row stays
``running`` until it ends.
Paths are stored as text that SQLite can hold even when a file name is not valid UTF-8
(undecodable bytes become ``\\xNN`` escapes).
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
from datetime import datetime, timezone
from typing import Any, Iterator, Sequence

from .model import Analysis, Artifact, Evidence, Family, Finding, Impact, Severity, Status

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS crawls (
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    state TEXT NOT NULL,             -- running | finished | interrupted
    roots TEXT NOT NULL,             -- JSON list
    options TEXT NOT NULL,           -- JSON
    seconds REAL
);
CREATE TABLE IF NOT EXISTS artifacts (
    id INTEGER PRIMARY KEY,
    crawl_id INTEGER NOT NULL REFERENCES crawls(id),
    path TEXT NOT NULL,
    root TEXT NOT NULL,
    relpath TEXT NOT NULL,
    kind TEXT NOT NULL,
    format TEXT NOT NULL,
    size INTEGER,
    mtime REAL,
    sha256 TEXT,
    fingerprint TEXT,                -- logic fingerprint (fingerprint.py)
    status TEXT NOT NULL,
    status_reason TEXT NOT NULL,
    classification TEXT NOT NULL,
    impacts TEXT NOT NULL,           -- JSON list
    risk_score INTEGER NOT NULL,
    factors TEXT NOT NULL,           -- JSON list of [name, points]
    action TEXT NOT NULL,
    reasons TEXT NOT NULL,           -- JSON list
    facts TEXT NOT NULL,             -- JSON object
    registry TEXT NOT NULL,          -- JSON: registered, registry_id, owner, signoff, registry_match
    change TEXT NOT NULL,            -- new | changed | unchanged, against the last earlier crawl of the path
    engine TEXT NOT NULL,            -- analysis version that produced the row (reuse needs the same)
    UNIQUE (crawl_id, path)
);
CREATE TABLE IF NOT EXISTS findings (
    id INTEGER PRIMARY KEY,
    artifact_id INTEGER NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
    rule TEXT NOT NULL,
    family TEXT NOT NULL,
    title TEXT NOT NULL,
    severity TEXT NOT NULL,
    impact TEXT,
    evidence TEXT NOT NULL           -- JSON list of {location, line, snippet}
);
CREATE INDEX IF NOT EXISTS artifacts_crawl ON artifacts (crawl_id);
CREATE INDEX IF NOT EXISTS artifacts_path ON artifacts (path, crawl_id);
CREATE INDEX IF NOT EXISTS findings_artifact ON findings (artifact_id);
"""


def safe_text(text: str) -> str:
    """Text SQLite and JSON can hold: undecodable file-name bytes become \\xNN escapes."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", errors="backslashreplace")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# One encoder for every row (json.dumps with options builds a new encoder per call).
_json = json.JSONEncoder(ensure_ascii=False, default=str).encode


class Store:
    """The inventory database. Use as a context manager."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.db = sqlite3.connect(path, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        self.db.commit()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    # crawls -------------------------------------------------------------------------
    def begin_crawl(self, roots: Sequence[str], options: dict[str, Any]) -> int:
        cur = self.db.execute(
            "INSERT INTO crawls (started, state, roots, options) VALUES (?, 'running', ?, ?)",
            (_now(), json.dumps([safe_text(r) for r in roots]), json.dumps(options)))
        self.db.commit()
        return int(cur.lastrowid or 0)

    def end_crawl(self, crawl_id: int, state: str, started_monotonic: float) -> None:
        self.db.execute("UPDATE crawls SET finished = ?, state = ?, seconds = ? WHERE id = ?",
                        (_now(), state, round(time.monotonic() - started_monotonic, 3), crawl_id))
        self.db.commit()

    def crawl(self, crawl_id: int | None = None) -> sqlite3.Row | None:
        """One crawl; by default the latest one."""
        if crawl_id is None:
            return self.db.execute("SELECT * FROM crawls ORDER BY id DESC LIMIT 1").fetchone()
        return self.db.execute("SELECT * FROM crawls WHERE id = ?", (crawl_id,)).fetchone()

    # artifacts ----------------------------------------------------------------------
    def add(self, crawl_id: int, artifact: Artifact, change: str = "new", engine: str = "",
            commit: bool = True) -> int:
        """Store one artifact with its findings and verdict, committed at once unless ``commit``
        is false (then with the next committed artifact or the end of the crawl: for rows that
        cost nothing to redo, such as the reused analysis of an unchanged file)."""
        c, a, v = artifact.candidate, artifact.analysis, artifact.verdict
        try:
            cur = self.db.execute(
                "INSERT OR REPLACE INTO artifacts (crawl_id, path, root, relpath, kind, format, size, mtime, sha256,"
                " fingerprint, status, status_reason, classification, impacts, risk_score, factors, action, reasons,"
                " facts, registry, change, engine) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (crawl_id, safe_text(c.path), safe_text(c.root), safe_text(c.relpath), c.kind.value, c.format,
                 c.size, c.mtime, artifact.sha256, a.fingerprint, a.status.value, a.reason, v.classification.value,
                 _json([i.value for i in v.impacts]), v.risk_score,
                 _json([[f.name, f.points] for f in v.factors]), v.action.value,
                 _json(list(v.reasons)), _json(a.facts), _json(dict(artifact.registry)), change, engine))
            artifact_id = int(cur.lastrowid or 0)
            self.db.executemany(
                "INSERT INTO findings (artifact_id, rule, family, title, severity, impact, evidence)"
                " VALUES (?,?,?,?,?,?,?)",
                [(artifact_id, *self._finding_row(f)) for f in a.findings])
        except BaseException:
            self.db.rollback()
            raise
        if commit:
            self.db.commit()
        return artifact_id

    @staticmethod
    def _finding_row(f: Finding) -> tuple[Any, ...]:
        return (f.rule, f.family.value, f.title, f.severity.value, f.impact.value if f.impact else None,
                _json([e.to_dict() for e in f.evidence]))

    def previous(self, path: str, crawl_id: int) -> sqlite3.Row | None:
        """The latest row for ``path`` from a crawl before ``crawl_id`` (finished or interrupted)."""
        return self.db.execute(
            "SELECT * FROM artifacts WHERE path = ? AND crawl_id < ? ORDER BY crawl_id DESC LIMIT 1",
            (safe_text(path), crawl_id)).fetchone()

    def analysis_of(self, row: sqlite3.Row) -> Analysis:
        """Rebuild what the analyzer produced for a stored row (governance findings are re-judged)."""
        findings = tuple(
            Finding(f["rule"], Family(f["family"]), f["title"], Severity(f["severity"]),
                    tuple(Evidence(e["location"], e["line"], e["snippet"]) for e in json.loads(f["evidence"])),
                    Impact(f["impact"]) if f["impact"] else None)
            for f in self.findings(row["id"]) if f["family"] != Family.GOVERNANCE.value)
        return Analysis(Status(row["status"]), row["status_reason"], findings, json.loads(row["facts"]),
                        row["fingerprint"])

    def removed(self, crawl_id: int, roots: Sequence[str]) -> list[str]:
        """Paths under ``roots`` seen by earlier crawls but not by this one."""
        out = []
        for root in map(safe_text, roots):
            prev = self.db.execute("SELECT MAX(crawl_id) FROM artifacts WHERE root = ? AND crawl_id < ?",
                                   (root, crawl_id)).fetchone()[0]
            if prev is not None:
                out += [r[0] for r in self.db.execute(
                    "SELECT path FROM artifacts WHERE root = ? AND crawl_id = ?"
                    " AND path NOT IN (SELECT path FROM artifacts WHERE crawl_id = ?)", (root, prev, crawl_id))]
        return sorted(out)

    def artifacts(self, crawl_id: int) -> Iterator[sqlite3.Row]:
        yield from self.db.execute("SELECT * FROM artifacts WHERE crawl_id = ? ORDER BY relpath, path", (crawl_id,))

    def findings(self, artifact_id: int) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM findings WHERE artifact_id = ? ORDER BY id", (artifact_id,)).fetchall()

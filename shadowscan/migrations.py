"""Versioned schema migrations of the inventory, for SQLite and PostgreSQL alike.

Each migration is numbered and applied once, in order, in its own transaction; the
``schema_migrations`` table records which ran and when (``meta.schema_version`` holds the
newest, which older shadowscan versions read to refuse an inventory they do not know).
A fresh inventory starts at the baseline (2); an SQLite inventory of schema 1 is converted
by migration 2's upgrade path. ``shadowscan db upgrade`` runs what is missing; a crawl
or a registry change does it when it first opens an older inventory.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .db import Database
from .registry import SCHEMA as REGISTRY_SCHEMA

# The inventory tables as of schema 2 (the baseline of fresh inventories), in SQLite's spelling;
# PostgreSQL gets them through Database.ddl (BIGINT identities, DOUBLE PRECISION, no WITHOUT ROWID).
BASELINE = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS crawls (
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    state TEXT NOT NULL,             -- running | finished | interrupted | failed
    roots TEXT NOT NULL,             -- JSON list (canonical roots)
    options TEXT NOT NULL,           -- JSON
    seconds REAL,
    reason TEXT,                     -- why a crawl failed or was interrupted
    pid INTEGER,                     -- the crawling process (a second crawl of the same roots is refused)
    host TEXT
);
CREATE TABLE IF NOT EXISTS crawl_roots (  -- coverage: what each root of a crawl really covered
    crawl_id INTEGER NOT NULL REFERENCES crawls(id) ON DELETE CASCADE,
    root TEXT NOT NULL,
    state TEXT NOT NULL,             -- complete | partial | unreachable | incomplete (crawl did not finish)
    reason TEXT,                     -- why the root could not be opened
    baseline INTEGER,                -- the last complete crawl of this root it was compared with
    unlisted INTEGER NOT NULL DEFAULT 0,      -- folders that could not be listed
    unreadable INTEGER NOT NULL DEFAULT 0,    -- files that could not be read
    not_rechecked INTEGER NOT NULL DEFAULT 0, -- artifacts kept as last seen (root or folder not reached)
    PRIMARY KEY (crawl_id, root)
);
CREATE TABLE IF NOT EXISTS versions (  -- one analysed state of a path; crawls share unchanged versions
    id INTEGER PRIMARY KEY,
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
    engine TEXT NOT NULL,            -- analysis version that produced the row (reuse needs the same)
    digest TEXT NOT NULL             -- hash of all of the above and the findings: equal versions are shared
);
CREATE TABLE IF NOT EXISTS members (  -- which versions a crawl saw: about 20 bytes per artifact and crawl
    crawl_id INTEGER NOT NULL,
    version_id INTEGER NOT NULL,
    change TEXT NOT NULL,            -- new | changed | unchanged (vs the baseline) | not-rechecked | removed
    PRIMARY KEY (crawl_id, version_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS findings (
    id INTEGER PRIMARY KEY,
    artifact_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    rule TEXT NOT NULL,
    family TEXT NOT NULL,
    title TEXT NOT NULL,
    severity TEXT NOT NULL,
    impact TEXT,
    evidence TEXT NOT NULL           -- JSON list of {location, line, snippet}
);
CREATE INDEX IF NOT EXISTS versions_path ON versions (path);
CREATE INDEX IF NOT EXISTS members_version ON members (version_id);
CREATE INDEX IF NOT EXISTS findings_artifact ON findings (artifact_id);
CREATE VIEW IF NOT EXISTS artifacts AS  -- what each crawl holds, as one row per artifact
    SELECT v.*, m.crawl_id, m.change FROM members m JOIN versions v ON v.id = m.version_id
    WHERE m.change != 'removed';
"""
_VERSION_COLUMNS = ("path, root, relpath, kind, format, size, mtime, sha256, fingerprint, status, status_reason, "
                    "classification, impacts, risk_score, factors, action, reasons, facts, registry, engine")
# Schema 1 (SQLite only) stored a full artifact row per crawl (table ``artifacts`` with crawl_id and change).
_FROM_1 = f"""
ALTER TABLE crawls ADD COLUMN reason TEXT;
ALTER TABLE crawls ADD COLUMN pid INTEGER;
ALTER TABLE crawls ADD COLUMN host TEXT;
ALTER TABLE artifacts RENAME TO artifacts_v1;
{BASELINE.replace("CREATE TABLE IF NOT EXISTS findings", "CREATE TABLE IF NOT EXISTS findings_v2")}
INSERT INTO versions (id, {_VERSION_COLUMNS}, digest) SELECT id, {_VERSION_COLUMNS}, 'v1-' || id FROM artifacts_v1;
INSERT INTO members (crawl_id, version_id, change) SELECT crawl_id, id, change FROM artifacts_v1;
INSERT INTO findings_v2 SELECT * FROM findings;
DROP TABLE findings;
ALTER TABLE findings_v2 RENAME TO findings;
DROP TABLE artifacts_v1;
INSERT INTO crawl_roots (crawl_id, root, state)
    SELECT c.id, j.value, CASE c.state WHEN 'finished' THEN 'complete' ELSE 'incomplete' END
    FROM crawls c, json_each(c.roots) j;
"""
# Schema 3: what crawls remember of files read and found to be no artifact (an .xlsx without macros),
# so that a re-crawl reads them again only when they change.
_PASSED = """
CREATE TABLE IF NOT EXISTS passed (  -- files read and found to be no artifact (an .xlsx without macros),
    folder TEXT NOT NULL,            -- not read again while size, mtime and engine are the same; by folder
    name TEXT NOT NULL,              -- and name: a re-crawl reads one folder's rows at a time
    root TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime REAL NOT NULL,
    engine TEXT NOT NULL,
    PRIMARY KEY (folder, name)
) WITHOUT ROWID;
"""
# Schema 4 (issue 17): crawls from many hosts and sites, their progress, and queued analysis.
_SITES = """
ALTER TABLE crawls ADD COLUMN site TEXT;
ALTER TABLE crawls ADD COLUMN listed INTEGER NOT NULL DEFAULT 0;     -- files listed so far
ALTER TABLE crawls ADD COLUMN analysed INTEGER NOT NULL DEFAULT 0;   -- artifacts stored so far
ALTER TABLE crawls ADD COLUMN heartbeat TEXT;                        -- the crawler's last sign of life
ALTER TABLE crawls ADD COLUMN queued INTEGER NOT NULL DEFAULT 0;     -- 1: analysis by workers (crawl --queue)
CREATE TABLE IF NOT EXISTS pending (   -- files of a queued crawl listed but not analysed yet
    crawl_id INTEGER NOT NULL REFERENCES crawls(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    root TEXT NOT NULL,
    candidate TEXT NOT NULL,         -- JSON: what the worker analyses
    change TEXT NOT NULL,            -- new | changed (against the crawl's baseline)
    tries INTEGER NOT NULL DEFAULT 0,  -- workers that took it (a poison file ends after a bounded number)
    PRIMARY KEY (crawl_id, path)
);
"""
# Schema 6 (issue 15): what the analyzer found stored apart from how it was judged. A version (the
# artifact as judged: verdict, registry state, governance findings in ``findings``) points at its
# analysis (status, fingerprint and the analyzer's findings in ``analysis_findings``); versions that
# differ only in their judgement (a registry entry, review or sign-off changed) share one analysis,
# and a re-crawl re-judges a stored analysis without encoding it again. The facts stay with the
# version (the judgement adds the file owner's hint to them; reports read them there).
_ANALYSES = """
CREATE TABLE IF NOT EXISTS analyses (  -- what the analyzer found in one state of a file
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL,
    status_reason TEXT NOT NULL,
    fingerprint TEXT,
    engine TEXT NOT NULL,            -- the analysis version that produced it
    digest TEXT NOT NULL             -- hash of the above and the findings: equal analyses are shared
);
CREATE TABLE IF NOT EXISTS analysis_findings (  -- the analyzer's findings (``findings``: the judgement's)
    id INTEGER PRIMARY KEY,
    analysis_id INTEGER NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
    rule TEXT NOT NULL,
    family TEXT NOT NULL,
    title TEXT NOT NULL,
    severity TEXT NOT NULL,
    impact TEXT,
    evidence TEXT NOT NULL           -- JSON list of {location, line, snippet}
);
CREATE INDEX IF NOT EXISTS analyses_digest ON analyses (digest);
CREATE INDEX IF NOT EXISTS analysis_findings_analysis ON analysis_findings (analysis_id);
ALTER TABLE versions ADD COLUMN analysis_id INTEGER REFERENCES analyses(id);
INSERT INTO analyses (status, status_reason, fingerprint, engine, digest)
    SELECT status, status_reason, fingerprint, engine, 'v5-' || id FROM versions ORDER BY id;
UPDATE versions SET analysis_id = (SELECT a.id FROM analyses a WHERE a.digest = 'v5-' || versions.id);
INSERT INTO analysis_findings (analysis_id, rule, family, title, severity, impact, evidence)
    SELECT v.analysis_id, f.rule, f.family, f.title, f.severity, f.impact, f.evidence
    FROM findings f JOIN versions v ON v.id = f.artifact_id WHERE f.family != 'governance' ORDER BY f.id;
DELETE FROM findings WHERE family != 'governance';
CREATE INDEX IF NOT EXISTS versions_analysis ON versions (analysis_id);
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: Callable[[Database, int], str]  # (database, the version it is at) -> the statements to run


def _baseline(db: Database, at: int) -> str:
    if at == 1:  # SQLite only: schema 1 existed before PostgreSQL
        return _FROM_1 + BASELINE + REGISTRY_SCHEMA
    sql = db.ddl(BASELINE + REGISTRY_SCHEMA)
    if "registry" in db.tables() and "accepted_writes" not in db.columns("registry"):
        sql += "ALTER TABLE registry ADD COLUMN accepted_writes TEXT;"  # registries from before accepted writes
    return sql


def _passed(db: Database, _at: int) -> str:
    return db.ddl(_PASSED)


def _sites(db: Database, _at: int) -> str:
    return db.ddl(_SITES)


def _analyses(db: Database, _at: int) -> str:
    return db.ddl(_ANALYSES)


QUEUE_SCHEMA_KEY = "queue_schema"  # meta: procrastinate's schema level (its newest migration) and version


def queue_schema_level() -> str:
    """The installed procrastinate's schema level: the name of the newest migration it ships
    (``03.04.00_50_post_...``), which its full schema (``get_schema``) corresponds to."""
    import procrastinate  # PostgreSQL only: not loaded for an SQLite inventory
    from procrastinate.schema import SchemaManager

    files = sorted(p.name for p in Path(SchemaManager.get_migrations_path()).glob("*.sql"))
    level = files[-1].rsplit(".sql", 1)[0] if files else "unknown"
    return f"{level} (procrastinate {getattr(procrastinate, '__version__', '?')})"


def _level(text: str) -> str:
    return text.split(" ", 1)[0]


def _queue(db: Database, _at: int) -> str:
    """PostgreSQL: the task queue's own tables and functions (procrastinate's schema, as it ships it),
    with the schema level it is at in ``meta``; SQLite has no queue (an SQLite inventory is one
    machine's), so nothing."""
    if db.dialect != "postgresql" or "procrastinate_jobs" in db.tables():
        return ""
    from procrastinate.schema import SchemaManager

    level = queue_schema_level().replace("'", "''")
    return (str(SchemaManager.get_schema()) + f";INSERT INTO meta (key, value) VALUES ('{QUEUE_SCHEMA_KEY}', "
            f"'{level}') ON CONFLICT (key) DO UPDATE SET value = excluded.value")


def queue_schema_problem(db: Database) -> str | None:
    """Why this process's procrastinate cannot use the inventory's queue (None: it can). Migration 5
    applies the installed procrastinate's schema once; a worker or crawler with a procrastinate of
    another schema level would read and write tables it does not know. An inventory from before the
    level was recorded is taken to be at the installed level, which is recorded."""
    installed = queue_schema_level()
    row = db.execute("SELECT value FROM meta WHERE key = ?", (QUEUE_SCHEMA_KEY,)).fetchone()
    if row is None:
        db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                   (QUEUE_SCHEMA_KEY, installed))
        db.commit()
        return None
    db.commit()
    if _level(str(row[0])) == _level(installed):
        return None
    return (f"the analysis queue in {db.name} has the schema of {row[0]}, this shadowscan has {installed}: "
            "run workers and crawlers with that procrastinate version (pip install 'procrastinate==...')")


MIGRATIONS = (
    Migration(2, "baseline: versions shared between crawls, coverage per root, the registry", _baseline),
    Migration(3, "files read and found to be no artifact (not read again while unchanged)", _passed),
    Migration(4, "crawls of many hosts and sites: site, progress, heartbeat; queued analysis", _sites),
    Migration(5, "the analysis queue (procrastinate's schema; PostgreSQL only)", _queue),
    Migration(6, "the analysis stored apart from its judgement (analyses, analysis_findings)", _analyses),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def current(db: Database) -> int:
    """The schema version of the inventory (0: empty)."""
    tables = db.tables()
    if "schema_migrations" in tables:
        row = db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        if row is not None and row[0] is not None:
            return int(row[0])
    if "meta" in tables:
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0
    return 0


def pending(db: Database, to: int = SCHEMA_VERSION) -> list[Migration]:
    at = current(db)
    return [m for m in MIGRATIONS if at < m.version <= to]


def upgrade(db: Database, to: int = SCHEMA_VERSION) -> list[Migration]:
    """Apply the migrations the inventory lacks (up to schema ``to``), in order, each in one
    transaction with its record in ``schema_migrations``; returns them. Processes starting together
    take turns: PostgreSQL through an advisory lock around the whole upgrade, and on both backends
    each migration runs in a write transaction (SQLite: ``BEGIN IMMEDIATE``, waiting up to the busy
    timeout) that re-reads the version first, so one that another process applied meanwhile is skipped."""
    with db.schema_lock():
        return _upgrade(db, to)


def _record(migration: Migration) -> str:
    applied = datetime.now(timezone.utc).isoformat(timespec="seconds")
    name = migration.name.replace("'", "''")
    return (f";CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            f"applied TEXT NOT NULL);"
            f"INSERT INTO schema_migrations (version, name, applied) VALUES "
            f"({migration.version}, '{name}', '{applied}') ON CONFLICT (version) DO NOTHING;"
            f"INSERT INTO meta (key, value) VALUES ('schema_version', '{migration.version}') "
            f"ON CONFLICT (key) DO UPDATE SET value = excluded.value;")


def _upgrade(db: Database, to: int) -> list[Migration]:
    done: list[Migration] = []
    while True:
        db.commit()
        if db.dialect == "sqlite":  # a table rebuild (schema 1) must not cascade into its children
            db.execute("PRAGMA foreign_keys=OFF")  # (only outside a transaction)
        try:
            db.begin_exclusive()
            todo = pending(db, to)  # read inside the write transaction: another process may have run it
            if not todo:
                db.rollback()
                return done
            migration = todo[0]
            db.statements(migration.sql(db, current(db)) + _record(migration))
            db.commit()
        except BaseException:
            db.rollback()
            raise
        finally:
            if db.dialect == "sqlite":
                db.execute("PRAGMA foreign_keys=ON")
        done.append(migration)

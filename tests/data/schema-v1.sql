-- An inventory as shadowscan wrote it with schema version 1 (one full artifact row per crawl).

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

CREATE TABLE IF NOT EXISTS registry (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    sha256 TEXT,
    owner TEXT NOT NULL,
    function TEXT NOT NULL,
    purpose TEXT NOT NULL,
    platform TEXT NOT NULL,
    data_access TEXT NOT NULL,
    product_owner TEXT,
    contributors TEXT NOT NULL,      -- JSON list
    cost_center TEXT,
    review_every INTEGER,
    scale_decision TEXT,
    registered_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS signoffs (
    id INTEGER PRIMARY KEY,
    registry_id INTEGER NOT NULL REFERENCES registry(id) ON DELETE CASCADE,
    signed_by TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    sha256 TEXT,
    fingerprint TEXT NOT NULL,
    note TEXT
);
CREATE INDEX IF NOT EXISTS registry_fingerprint ON registry (fingerprint);
CREATE INDEX IF NOT EXISTS registry_path ON registry (path);
INSERT INTO meta VALUES ('schema_version', '1');
INSERT INTO crawls VALUES (1, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:05+00:00', 'finished', '["/srv/share"]', '{}', 5.0);
INSERT INTO artifacts VALUES (1, 1, '/srv/share/q/reject.py', '/srv/share', 'q/reject.py', 'script', 'py', 80, 1700000000.0,
  'ab', 'lf1:00', 'analyzed', '', 'shadow-it', '["quality"]', 70, '[["quality impact", 70]]',
  'migrate to an enterprise system now', '["sets a quality decision"]', '{}', '{"registered": false, "signoff": "missing"}',
  'new', 'shadowscan 0.0');
INSERT INTO findings VALUES (1, 1, 'quality.decision', 'quality', 'Sets a quality decision', 'high', 'quality',
  '[{"location": "script", "line": 2, "snippet": "Disposition = REJECT"}]');

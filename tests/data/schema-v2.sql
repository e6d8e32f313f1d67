-- An inventory as shadowscan wrote it with schema version 2 (main before issue 17): one crawl of
-- /tmp/v2mk/share (q/reject.py, shadow IT) and one registry entry; the upgrade test loads it.
BEGIN TRANSACTION;
CREATE TABLE crawl_roots (  -- coverage: what each root of a crawl really covered
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
INSERT INTO "crawl_roots" VALUES(1,'/tmp/v2mk/share','complete',NULL,NULL,0,0,0);
CREATE TABLE crawls (
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
INSERT INTO "crawls" VALUES(1,'2026-11-29T23:18:12+00:00','2026-11-29T23:18:12+00:00','finished','["/tmp/v2mk/share"]','{"excludes": [], "max_file_size": 209715200, "timeout": 120.0, "jobs": 1}',0.032,NULL,17929,'vm');
CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    artifact_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    rule TEXT NOT NULL,
    family TEXT NOT NULL,
    title TEXT NOT NULL,
    severity TEXT NOT NULL,
    impact TEXT,
    evidence TEXT NOT NULL           -- JSON list of {location, line, snippet}
);
INSERT INTO "findings" VALUES(1,1,'reach.database','reach','Connects to a database (connection string, DSN, driver)','medium',NULL,'[{"location": "script", "line": 2, "snippet": "cn = pyodbc.connect(\"DSN=QMS;UID=qa\")"}]');
INSERT INTO "findings" VALUES(2,1,'reach.qms-mes','reach','Reaches a QMS, MES, LIMS or historian','low',NULL,'[{"location": "script", "line": 2, "snippet": "cn = pyodbc.connect(\"DSN=QMS;UID=qa\")"}]');
INSERT INTO "findings" VALUES(3,1,'quality.term','quality','Mentions quality data (limits, tolerances, pass/fail, dispositions)','info',NULL,'[{"location": "script", "line": 3, "snippet": "cn.execute(\"UPDATE Lots SET Disposition = ''REJECT'' WHERE Cpk < 1.33\")"}]');
INSERT INTO "findings" VALUES(4,1,'writes.sql','writes','Changes database data (SQL INSERT/UPDATE/DELETE/MERGE, make-table, DDL)','high',NULL,'[{"location": "script", "line": 3, "snippet": "cn.execute(\"UPDATE Lots SET Disposition = ''REJECT'' WHERE Cpk < 1.33\")"}]');
INSERT INTO "findings" VALUES(5,1,'quality.writes','quality','Writes quality data (limits, results, dispositions)','high','quality','[{"location": "script", "line": 3, "snippet": "cn.execute(\"UPDATE Lots SET Disposition = ''REJECT'' WHERE Cpk < 1.33\")"}]');
INSERT INTO "findings" VALUES(6,1,'quality.decision','quality','Sets a quality decision (pass/fail, release, reject)','high','quality','[{"location": "script", "line": 3, "snippet": "cn.execute(\"UPDATE Lots SET Disposition = ''REJECT'' WHERE Cpk < 1.33\")"}]');
INSERT INTO "findings" VALUES(7,1,'governance.no-owner','governance','No registered business owner','medium',NULL,'[{"location": "registry", "line": null, "snippet": "not in the registry (document file owner: root)"}]');
CREATE TABLE members (  -- which versions a crawl saw: about 20 bytes per artifact and crawl
    crawl_id INTEGER NOT NULL,
    version_id INTEGER NOT NULL,
    change TEXT NOT NULL,            -- new | changed | unchanged (vs the baseline) | not-rechecked | removed
    PRIMARY KEY (crawl_id, version_id)
) WITHOUT ROWID;
INSERT INTO "members" VALUES(1,1,'new');
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO "meta" VALUES('schema_version','2');
CREATE TABLE registry (
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
    registered_at TEXT NOT NULL,
    accepted_writes TEXT             -- JSON: reason, by, at, fingerprint, evidence (read-only that writes)
);
INSERT INTO "registry" VALUES(1,'/tmp/v2mk/share/q/reject.py','script','lf1:05b8351d6dd83a217c7b8d550013e18ccdc4a6de1df31e5fbcf1914b24478752','32705432f0071909a7394eaebd947db4118109adbe562a542a7b95972342c5eb','Anna Nowak','quality','rejects lots','python','read-write',NULL,'[]',NULL,NULL,NULL,'2026-11-29T23:18:12+00:00',NULL);
CREATE TABLE registry_events (  -- history; kept when the entry is removed
    id INTEGER PRIMARY KEY,
    registry_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    by TEXT NOT NULL,
    action TEXT NOT NULL,            -- register | edit | signoff | remove | import
    changes TEXT NOT NULL            -- JSON object: field -> [before, after], or what was done
);
INSERT INTO "registry_events" VALUES(1,1,'2026-11-29T23:18:12+00:00','Anna Nowak','register','{"path": [null, "/tmp/v2mk/share/q/reject.py"], "contributors": [null, []], "owner": [null, "Anna Nowak"], "function": [null, "quality"], "purpose": [null, "rejects lots"], "platform": [null, "python"], "data_access": [null, "read-write"]}');
CREATE TABLE reviews (  -- reviewers' decisions, bound to the logic they reviewed
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    sha256 TEXT,
    verdict TEXT NOT NULL,           -- shadow-it | citizen-development
    impacts TEXT NOT NULL,           -- JSON list
    by TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL,
    analysis TEXT NOT NULL           -- JSON: the analysis verdict at review time (classification, impacts)
);
CREATE TABLE signoffs (
    id INTEGER PRIMARY KEY,
    registry_id INTEGER NOT NULL REFERENCES registry(id) ON DELETE CASCADE,
    signed_by TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    sha256 TEXT,
    fingerprint TEXT NOT NULL,
    note TEXT
);
CREATE TABLE versions (  -- one analysed state of a path; crawls share unchanged versions
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
INSERT INTO "versions" VALUES(1,'/tmp/v2mk/share/q/reject.py','/tmp/v2mk/share','q/reject.py','script','py',122,1.79599429202198672297e+09,'32705432f0071909a7394eaebd947db4118109adbe562a542a7b95972342c5eb','lf1:05b8351d6dd83a217c7b8d550013e18ccdc4a6de1df31e5fbcf1914b24478752','analyzed','','shadow-it','["quality"]',70,'[["base: shadow-it", 20], ["controls quality decisions", 30], ["writes to databases or web services", 10], ["reaches other systems", 5], ["no registered owner", 5]]','migrate to an enterprise system now','["Writes quality data (limits, results, dispositions) — script line 3: cn.execute(\"UPDATE Lots SET Disposition = ''REJECT'' WHERE Cpk < 1.33\")", "Sets a quality decision (pass/fail, release, reject) — script line 3: cn.execute(\"UPDATE Lots SET Disposition = ''REJECT'' WHERE Cpk < 1.33\")"]','{"language": "python", "encoding": "utf-8", "lines": 4, "imports": ["pyodbc"], "procedures": 0, "owner_hints": {"file_owner": "root"}}','{"registered": false, "registry_id": null, "owner": null, "signoff": "missing", "registry_match": null}','shadowscan 0.1.0','b547b8e3bc42f174f7a3f697ecc8e2101e027ac98dcb165eb298213a79b931e7');
CREATE INDEX versions_path ON versions (path);
CREATE INDEX members_version ON members (version_id);
CREATE INDEX findings_artifact ON findings (artifact_id);
CREATE VIEW artifacts AS  -- what each crawl holds, as one row per artifact
    SELECT v.*, m.crawl_id, m.change FROM members m JOIN versions v ON v.id = m.version_id
    WHERE m.change != 'removed';
CREATE INDEX registry_events_entry ON registry_events (registry_id);
CREATE INDEX reviews_path ON reviews (path);
CREATE INDEX reviews_fingerprint ON reviews (fingerprint);
CREATE INDEX registry_fingerprint ON registry (fingerprint);
CREATE INDEX registry_path ON registry (path);
COMMIT;

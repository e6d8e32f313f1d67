"""Registry of sanctioned apps: named business owners and sign-offs bound to what was signed.

Entries live in the inventory database beside the crawls. An entry is matched to
artifacts by its **logic fingerprint** (see fingerprint.py), so data edits, moves and
copies keep their identity; a file at the registered path whose logic changed is
matched by path and flagged. A sign-off records who, when, the content hash and the
logic fingerprint; it covers the artifact only while the logic is the one signed.

Every change to an entry (register, edit, sign-off, remove, import) is kept as an *event*
with who, when and what changed; events outlive the entry, so ids are never reused.
*Reviews* are reviewers' decisions on an artifact (shadow IT or citizen development, with
the reason), bound to the logic fingerprint that was reviewed, like a detect-secrets
baseline carries ``is_secret`` forward: they apply across rescans until the logic changes.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from .db import Database, Row, errors
from .registry_exchange import (
    EXPORT_SCHEMA,
    IMPORT_SCHEMA,
    IMPORTABLE_SCHEMAS,
    check_import,
    entries_as_rows,
    parse_export,
    parse_reviews,
)
from .registry_policy import check_platform, check_review, check_signer, is_it_name, same_person, validate, who_am_i
from .registry_types import (
    DATA_ACCESS,
    EDITABLE,
    FUNCTIONS,
    IMPACTS,
    NOT_BUSINESS,
    PLATFORM_OF_FORMAT,
    PLATFORMS,
    VERDICTS,
    Entry,
    Event,
    Match,
    RegistryError,
    Review,
    Signoff,
    now_iso,
)

# The registry is four modules, one job each: registry_types.py (records, vocabulary),
# registry_policy.py (checks of what is entered), registry_exchange.py (export, import, listing
# rows) and this one, the storage. Callers import from here.
__all__ = [
    "DATA_ACCESS", "EDITABLE", "EXPORT_SCHEMA", "FUNCTIONS", "IMPACTS", "IMPORTABLE_SCHEMAS", "IMPORT_SCHEMA",
    "NOT_BUSINESS", "PLATFORMS", "PLATFORM_OF_FORMAT", "SCHEMA", "VERDICTS", "Entry", "Event", "Match", "Registry",
    "RegistryError", "Review", "Signoff", "check_import", "check_platform", "check_review", "check_signer",
    "entries_as_rows", "is_it_name", "now_iso", "same_person", "validate", "who_am_i",
]

SCHEMA = """
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
    registered_at TEXT NOT NULL,
    accepted_writes TEXT             -- JSON: reason, by, at, fingerprint, evidence (read-only that writes)
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
CREATE TABLE IF NOT EXISTS registry_events (  -- history; kept when the entry is removed
    id INTEGER PRIMARY KEY,
    registry_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    by TEXT NOT NULL,
    action TEXT NOT NULL,            -- register | edit | signoff | remove | import
    changes TEXT NOT NULL            -- JSON object: field -> [before, after], or what was done
);
CREATE TABLE IF NOT EXISTS reviews (  -- reviewers' decisions, bound to the logic they reviewed
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
CREATE INDEX IF NOT EXISTS registry_events_entry ON registry_events (registry_id);
CREATE INDEX IF NOT EXISTS reviews_path ON reviews (path);
CREATE INDEX IF NOT EXISTS reviews_fingerprint ON reviews (fingerprint);
CREATE INDEX IF NOT EXISTS registry_fingerprint ON registry (fingerprint);
CREATE INDEX IF NOT EXISTS registry_path ON registry (path);
"""


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


class Registry:
    """The registry tables of an inventory database (shares the Store's connection)."""

    def __init__(self, db: Database, history: bool = True) -> None:
        """``history=False`` reads the entries without their change history (``Entry.history`` is
        empty): what a crawl needs to judge artifacts, and much less to read in a large registry."""
        self.db = db
        self._with_history = history
        needed = {"registry", "signoffs", "registry_events", "reviews"}
        # the tables come with the inventory's schema (migrations.py); an inventory of an older release
        # may lack some: they are added where it can be written, and what a read-only one lacks is empty
        self._missing: set[str] = needed - db.tables()
        try:
            if self._missing:
                db.script(db.ddl(SCHEMA))
            if "accepted_writes" not in db.columns("registry"):
                db.script("ALTER TABLE registry ADD COLUMN accepted_writes TEXT")
            self._missing = set()
        except errors():
            if db.in_transaction:
                db.rollback()
        self._cache: list[Entry] | None = None
        self._reviews: list[Review] | None = None
        # look-ups by path and by logic, rebuilt whenever the entries or reviews are read again
        self._entry_index: _Index[Entry] | None = None
        self._review_index: _Index[Review] | None = None

    def _rows(self, table: str, sql: str, args: tuple[Any, ...] = ()) -> list[Row]:
        return [] if table in self._missing else self.db.execute(sql, args).fetchall()

    # reading ------------------------------------------------------------------------
    def entries(self) -> list[Entry]:
        if self._cache is None:
            signoffs: dict[int, list[Signoff]] = {}
            for row in self._rows("signoffs", "SELECT * FROM signoffs ORDER BY signed_at, id"):
                signoffs.setdefault(row["registry_id"], []).append(Signoff(
                    row["signed_by"], row["signed_at"], row["sha256"], row["fingerprint"], row["note"]))
            events = self._events() if self._with_history else {}
            self._cache = [self._entry(row, signoffs.get(row["id"], []), events.get(row["id"], [])) for row in
                           self._rows("registry", "SELECT * FROM registry ORDER BY id")]
        return self._cache

    def _events(self) -> dict[int, list[Event]]:
        events: dict[int, list[Event]] = {}
        for row in self._rows("registry_events", "SELECT * FROM registry_events ORDER BY id"):
            events.setdefault(row["registry_id"], []).append(
                Event(row["at"], row["by"], row["action"], json.loads(row["changes"])))
        return events

    @staticmethod
    def _entry(row: Row, signoffs: list[Signoff], events: list[Event]) -> Entry:
        accepted = row["accepted_writes"] if "accepted_writes" in row.keys() else None  # noqa: SIM118 - a Row is no dict
        return Entry(row["id"], row["path"], row["kind"], row["fingerprint"], row["sha256"], row["owner"],
                     row["function"], row["purpose"], row["platform"], row["data_access"], row["product_owner"],
                     tuple(json.loads(row["contributors"])), row["cost_center"], row["review_every"],
                     row["scale_decision"], row["registered_at"], tuple(signoffs),
                     json.loads(accepted) if accepted else None, tuple(events))

    def find(self, ref: str) -> Entry:
        """An entry by id or registered path."""
        entries = self.entries()
        by_id = next((n for n, entry in enumerate(entries) if ref == str(entry.id)), None)
        at_path = self._entries_indexed().by_path.get(_path_key(ref))
        by_path = entries.index(at_path[0]) if at_path else None
        first = min((n for n in (by_id, by_path) if n is not None), default=None)
        if first is not None:
            return entries[first]
        raise RegistryError(f"no registry entry for {ref!r} (see `shadowscan registry list`)")

    def history(self, ref: str) -> tuple[int, list[Event]]:
        """The events of an entry by id or path, a removed entry's (by id) too."""
        try:
            entry = self.find(ref)
            return entry.id, list(entry.history)
        except RegistryError:
            if ref.isdigit() and int(ref) in self._events():
                return int(ref), self._events()[int(ref)]
            raise

    def match(self, path: str, fingerprint: str | None,
              exists: Callable[[str], bool] = os.path.exists) -> Match | None:
        """The entry an artifact belongs to: by logic first, then by registered path (dictionary
        look-ups: a crawl asks this for every artifact, the registry may hold thousands)."""
        index = self._entries_indexed()
        key = _path_key(path)
        if fingerprint:
            same_logic = index.by_logic.get(fingerprint, [])
            for entry in same_logic:
                if index.keys[id(entry)] == key:
                    return Match(entry, "registered")
            if same_logic:
                entry = same_logic[0]
                return Match(entry, "copy" if exists(entry.path) else "moved")
        at_path = index.by_path.get(key)
        return Match(at_path[0], "changed") if at_path else None

    def _entries_indexed(self) -> _Index[Entry]:
        entries = self.entries()
        if self._entry_index is None or self._entry_index.items is not entries:
            self._entry_index = _Index(entries, lambda e: (e.fingerprint, e.last_signoff.fingerprint
                                                           if e.last_signoff else None))
        return self._entry_index

    def _reviews_indexed(self) -> _Index[Review]:
        reviews = self.reviews()
        if self._review_index is None or self._review_index.items is not reviews:
            self._review_index = _Index(reviews, lambda r: (r.fingerprint,))
        return self._review_index

    def reviews(self) -> list[Review]:
        if self._reviews is None:
            self._reviews = [Review(r["id"], r["path"], r["fingerprint"], r["sha256"], r["verdict"],
                                    tuple(json.loads(r["impacts"])), r["by"], r["at"], r["reason"],
                                    json.loads(r["analysis"]))
                             for r in self._rows("reviews", "SELECT * FROM reviews ORDER BY at, id")]
        return self._reviews

    def review_of(self, path: str, fingerprint: str | None) -> Review | None:
        """The decision in force for an artifact: the latest review of its path (stale when the logic
        there changed since), else the latest review of the same logic elsewhere (a move or a copy)."""
        index = self._reviews_indexed()
        at_path = index.by_path.get(_path_key(path))
        if at_path:
            return at_path[-1]
        same_logic = index.by_logic.get(fingerprint, []) if fingerprint else []
        return same_logic[-1] if same_logic else None

    # writing ------------------------------------------------------------------------
    def _next_id(self) -> int:
        """Ids are never reused: one past any entry that exists or ever had an event."""
        row = self.db.execute("SELECT MAX(m) FROM (SELECT MAX(id) AS m FROM registry "
                              "UNION ALL SELECT MAX(registry_id) FROM registry_events) AS ids").fetchone()
        return int(row[0] or 0) + 1

    def _event(self, registry_id: int, action: str, by: str | None, changes: dict[str, Any],
               at: str | None = None) -> None:
        self.db.execute("INSERT INTO registry_events (registry_id, at, by, action, changes) VALUES (?,?,?,?,?)",
                        (registry_id, at or now_iso(), (by or "").strip() or who_am_i(), action,
                         json.dumps(changes, ensure_ascii=False)))

    def register(self, *, path: str, kind: str, fingerprint: str, sha256: str | None, by: str | None = None,
                 accepted_writes: dict[str, Any] | None = None, **fields: Any) -> Entry:
        clean = validate(fields)
        check_platform(clean["platform"], path)
        for entry in self._entries_indexed().by_path.get(_path_key(path), [])[:1]:
            raise RegistryError(f"{path} is already registered as entry {entry.id} "
                                    f"(owner {entry.owner}); change it with `shadowscan registry edit {entry.id}`")
        with self.db.transaction():
            entry_id = self._next_id()
            self.db.execute(
                "INSERT INTO registry (id, path, kind, fingerprint, sha256, owner, function, purpose, platform,"
                " data_access, product_owner, contributors, cost_center, review_every, scale_decision,"
                " registered_at, accepted_writes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (entry_id, path, kind, fingerprint, sha256, clean["owner"], clean["function"], clean["purpose"],
                 clean["platform"], clean["data_access"], clean["product_owner"],
                 json.dumps(list(clean["contributors"])), clean["cost_center"], clean.get("review_every"),
                 clean["scale_decision"], clean.get("registered_at") or now_iso(),
                 json.dumps(accepted_writes, ensure_ascii=False) if accepted_writes else None))
            after = {k: (list(v) if isinstance(v, tuple) else v) for k, v in clean.items() if k in EDITABLE}
            changes: dict[str, Any] = {"path": [None, path], **_diff({}, after)}
            if accepted_writes:
                changes["accepted_writes"] = [None, accepted_writes["reason"]]
            self._event(entry_id, "register", by, changes)
        self._cache = None
        return self.find(str(entry_id))

    def edit(self, entry: Entry, *, by: str | None = None, accepted_writes: Any = ..., **changes: Any) -> Entry:
        """Change some fields of an entry (validated whole); the event records before and after.
        ``accepted_writes``: a new acceptance (dict), None to drop it, ``...`` to keep it."""
        before = entry.fields()
        merged = {**before, **{k: v for k, v in changes.items() if k in EDITABLE}}
        clean = validate(merged)
        check_platform(clean["platform"], entry.path)
        after = {k: (list(v) if isinstance(v, tuple) else v) for k, v in clean.items() if k in EDITABLE}
        diff = _diff(before, after)
        new_accept = entry.accepted_writes if accepted_writes is ... else accepted_writes
        if after["data_access"] != "read-only":
            new_accept = None  # an acceptance only qualifies a read-only registration
        if (new_accept or {}).get("reason") != (entry.accepted_writes or {}).get("reason"):
            diff["accepted_writes"] = [(entry.accepted_writes or {}).get("reason"), (new_accept or {}).get("reason")]
        if not diff:
            raise RegistryError(f"nothing to change: entry {entry.id} already holds these values")
        with self.db.transaction():
            self.db.execute(
                "UPDATE registry SET owner=?, function=?, purpose=?, platform=?, data_access=?, product_owner=?,"
                " contributors=?, cost_center=?, review_every=?, scale_decision=?, accepted_writes=? WHERE id=?",
                (clean["owner"], clean["function"], clean["purpose"], clean["platform"], clean["data_access"],
                 clean["product_owner"], json.dumps(list(clean["contributors"])), clean["cost_center"],
                 clean.get("review_every"), clean["scale_decision"],
                 json.dumps(new_accept, ensure_ascii=False) if new_accept else None, entry.id))
            self._event(entry.id, "edit", by, diff)
        self._cache = None
        return self.find(str(entry.id))

    def signoff(self, entry: Entry, *, by: str, sha256: str | None, fingerprint: str, note: str | None = None,
                at: str | None = None) -> Signoff:
        signer = check_signer(entry, by)
        signoff = Signoff(signer, at or now_iso(), sha256, fingerprint, (note or "").strip() or None)
        with self.db.transaction():
            self.db.execute("INSERT INTO signoffs (registry_id, signed_by, signed_at, sha256, fingerprint, note)"
                            " VALUES (?,?,?,?,?,?)", (entry.id, signoff.signed_by, signoff.signed_at,
                                                      signoff.sha256, signoff.fingerprint, signoff.note))
            self._event(entry.id, "signoff", signer, {"fingerprint": fingerprint, "sha256": sha256,
                                                      **({"note": signoff.note} if signoff.note else {})},
                        at=signoff.signed_at)
        self._cache = None
        return signoff

    def remove(self, entry: Entry, by: str | None = None) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM signoffs WHERE registry_id = ?", (entry.id,))
            self.db.execute("DELETE FROM registry WHERE id = ?", (entry.id,))
            self._event(entry.id, "remove", by, {"path": [entry.path, None], "owner": [entry.owner, None]})
        self._cache = None

    def review(self, *, path: str, fingerprint: str, sha256: str | None, verdict: str, impacts: Iterable[str],
               by: str, reason: str, analysis: dict[str, Any]) -> Review:
        verdict, found, by, reason = check_review(verdict, impacts, by, reason)
        at = now_iso()
        with self.db.transaction():
            review_id = self.db.execute(
                "INSERT INTO reviews (path, fingerprint, sha256, verdict, impacts, by, at, reason, analysis)"
                " VALUES (?,?,?,?,?,?,?,?,?) RETURNING id", (path, fingerprint, sha256, verdict, json.dumps(list(found)), by, at,
                                                reason, json.dumps(analysis, ensure_ascii=False))).fetchone()[0]
        self._reviews = None
        return next(r for r in self.reviews() if r.id == review_id)

    # exchange -----------------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        return {"schema": EXPORT_SCHEMA, "entries": [e.to_dict() for e in self.entries()],
                "reviews": [r.to_dict() for r in self.reviews()]}

    def import_(self, data: Any, *, by: str | None = None, source: str = "") -> int:
        """Replace the registry (and the reviews, when the file has them) with ``data`` (an export),
        keeping its history and adding an ``import`` event per entry. All or nothing."""
        entries = parse_export(data)
        reviews = parse_reviews(data)
        old = {e.id: e for e in self.entries()}
        try:
            with self.db.transaction():
                self.db.execute("DELETE FROM signoffs")
                self.db.execute("DELETE FROM registry")
                for gone in set(old) - {e.id for e in entries}:
                    self._event(gone, "remove", by, {"path": [old[gone].path, None], "by import": source})
                for e in entries:
                    self.db.execute(
                        "INSERT INTO registry (id, path, kind, fingerprint, sha256, owner, function, purpose, platform,"
                        " data_access, product_owner, contributors, cost_center, review_every, scale_decision,"
                        " registered_at, accepted_writes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        (e.id, e.path, e.kind, e.fingerprint, e.sha256, e.owner, e.function, e.purpose, e.platform,
                         e.data_access, e.product_owner, json.dumps(list(e.contributors)), e.cost_center,
                         e.review_every, e.scale_decision, e.registered_at,
                         json.dumps(e.accepted_writes, ensure_ascii=False) if e.accepted_writes else None))
                    self.db.executemany(
                        "INSERT INTO signoffs (registry_id, signed_by, signed_at, sha256, fingerprint, note)"
                        " VALUES (?,?,?,?,?,?)",
                        [(e.id, s.signed_by, s.signed_at, s.sha256, s.fingerprint, s.note) for s in e.signoffs])
                    if "history" in _raw_entry(data, e.id):  # the file carries the history: it is the record
                        self.db.execute("DELETE FROM registry_events WHERE registry_id = ?", (e.id,))
                        self.db.executemany(
                            "INSERT INTO registry_events (registry_id, at, by, action, changes) VALUES (?,?,?,?,?)",
                            [(e.id, ev.at, ev.by, ev.action, json.dumps(ev.changes, ensure_ascii=False))
                             for ev in e.history])
                    before = old[e.id].fields() if e.id in old else {}
                    self._event(e.id, "import", by, {**_diff(before, e.fields()), "from": source})
                if reviews is not None:
                    self.db.execute("DELETE FROM reviews")
                    self.db.executemany(
                        "INSERT INTO reviews (id, path, fingerprint, sha256, verdict, impacts, by, at, reason, analysis)"
                        " VALUES (?,?,?,?,?,?,?,?,?,?)",
                        [(r.id, r.path, r.fingerprint, r.sha256, r.verdict, json.dumps(list(r.impacts)), r.by, r.at,
                          r.reason, json.dumps(r.analysis, ensure_ascii=False)) for r in reviews])
                    self.db.resync_ids("reviews")
        finally:
            self._cache = None
            self._reviews = None
        return len(entries)


def _raw_entry(data: Any, entry_id: int) -> dict[str, Any]:
    return next(raw for raw in data["entries"] if raw["id"] == entry_id)

def _path_key(path: str) -> str:
    """A path as the registry compares paths: absolute, normalised, in the system's case."""
    return os.path.normcase(os.path.abspath(path))


_Item = TypeVar("_Item", Entry, Review)


class _Index(Generic[_Item]):
    """Registry entries or reviews by path key and by logic fingerprint, each list in the order
    of ``items`` (an item is listed once under each distinct fingerprint it carries)."""

    def __init__(self, items: list[_Item], fingerprints: Callable[[_Item], Iterable[str | None]]) -> None:
        self.items: list[_Item] = items
        self.keys: dict[int, str] = {}
        self.by_path: dict[str, list[_Item]] = {}
        self.by_logic: dict[str, list[_Item]] = {}
        for item in items:
            key = self.keys[id(item)] = _path_key(item.path)
            self.by_path.setdefault(key, []).append(item)
            for fingerprint in dict.fromkeys(f for f in fingerprints(item) if f):
                self.by_logic.setdefault(fingerprint, []).append(item)

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

import getpass
import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

FUNCTIONS = ("operations", "production", "quality", "maintenance", "engineering", "finance", "logistics",
             "purchasing", "supply-chain", "ehs", "hr", "it")
NOT_BUSINESS = frozenset({"it"})
PLATFORMS = ("excel", "access", "python", "powershell", "vbscript", "batch", "sql", "r", "powerapps", "grafana",
             "powerbi", "other")
DATA_ACCESS = ("read-only", "read-write")
EXPORT_SCHEMA = "shadowscan/registry-v2"  # v2: per-entry history, accepted writes, reviews
IMPORTABLE_SCHEMAS = ("shadowscan/registry-v1", EXPORT_SCHEMA)
# Which platform a file of each format can be (kind_of's formats); "other" for none of these.
PLATFORM_OF_FORMAT = {
    **{ext: "excel" for ext in ("xlsm", "xlsb", "xls", "xlam", "xltm", "xla", "xlsx")},
    **{ext: "access" for ext in ("mdb", "accdb", "mde", "accde")},
    "py": "python", "ps1": "powershell", "psm1": "powershell", "vbs": "vbscript", "bat": "batch",
    "cmd": "batch", "sql": "sql", "r": "r",
}
VERDICTS = ("shadow-it", "citizen-development")
IMPACTS = ("financial", "quality")
EDITABLE = ("owner", "function", "purpose", "platform", "data_access", "product_owner", "contributors",
            "cost_center", "review_every", "scale_decision")
# Words that make a name an IT function (or IT's own account), never a business signer or owner.
_IT_WORDS = frozenset({"it", "ict", "edv", "helpdesk", "servicedesk", "sysadmin", "admin", "administrator",
                       "informatik", "informatyka", "itsupport", "itops"})
_PLACEHOLDER_OWNERS = frozenset({"", "it", "n/a", "na", "none", "unknown", "tbd", "team", "everyone", "all"})

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


class RegistryError(ValueError):
    """Bad input to the registry; the message says what to fix. Nothing was written."""


@dataclass(frozen=True)
class Signoff:
    signed_by: str
    signed_at: str
    sha256: str | None
    fingerprint: str
    note: str | None = None


@dataclass(frozen=True)
class Event:
    """One change to a registry entry: who, when, what (``changes``: field -> [before, after])."""

    at: str
    by: str
    action: str  # register | edit | signoff | remove | import
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    id: int
    path: str
    kind: str
    fingerprint: str
    sha256: str | None
    owner: str
    function: str
    purpose: str
    platform: str
    data_access: str
    product_owner: str | None = None
    contributors: tuple[str, ...] = ()
    cost_center: str | None = None
    review_every: int | None = None
    scale_decision: str | None = None
    registered_at: str = ""
    signoffs: tuple[Signoff, ...] = field(default=())
    # a read-only registration of a tool that writes, accepted with a reason (bound to the logic then)
    accepted_writes: dict[str, Any] | None = None
    history: tuple[Event, ...] = field(default=())

    @property
    def last_signoff(self) -> Signoff | None:
        return self.signoffs[-1] if self.signoffs else None

    @property
    def signer(self) -> str:
        """Who may sign off: the Product Owner, or the business owner where none is named."""
        return self.product_owner or self.owner

    def fields(self) -> dict[str, Any]:
        """The editable fields, as they are compared in events."""
        return {name: (list(self.contributors) if name == "contributors" else getattr(self, name))
                for name in EDITABLE}

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["contributors"] = list(self.contributors)
        data["signoffs"] = [asdict(s) for s in self.signoffs]
        data["history"] = [asdict(e) for e in self.history]
        return data


@dataclass(frozen=True)
class Review:
    """A reviewer's decision on an artifact, bound to the logic fingerprint that was reviewed."""

    id: int
    path: str
    fingerprint: str
    sha256: str | None
    verdict: str  # shadow-it | citizen-development
    impacts: tuple[str, ...]
    by: str
    at: str
    reason: str
    analysis: dict[str, Any] = field(default_factory=dict)  # classification, impacts when it was reviewed

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["impacts"] = list(self.impacts)
        return data


@dataclass(frozen=True)
class Match:
    """How an artifact relates to a registry entry."""

    entry: Entry
    how: str  # "registered" | "moved" | "copy" | "changed" (same path, different logic)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def who_am_i() -> str:
    """The account running the command: who an event names when no --by was given."""
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container without a passwd entry)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[^\w]+|_", name.casefold()) if t]


def is_it_name(name: str | None) -> bool:
    """``IT``, ``IT-Support``, ``Anna Nowak (IT)``, ``EDV``, ``Helpdesk``: an IT function, not the business."""
    return bool(name) and any(t in _IT_WORDS for t in _tokens(str(name)))


def same_person(a: str | None, b: str | None) -> bool:
    """Names compared as people write them: case and runs of spaces do not matter."""
    return bool(a) and bool(b) and _tokens(str(a)) == _tokens(str(b))


def _named(name: str) -> bool:
    return name.strip().lower() not in _PLACEHOLDER_OWNERS and any(ch.isalpha() for ch in name)


def validate(fields: dict[str, Any]) -> dict[str, Any]:
    """Check registration fields against POLICY.md; returns the cleaned fields."""
    owner = (fields.get("owner") or "").strip()
    function = (fields.get("function") or "").strip().lower()
    if not _named(owner):
        raise RegistryError(f"owner {owner!r} is not a named person: name the one accountable business owner")
    if function not in FUNCTIONS:
        raise RegistryError(f"unknown function {function!r}: choose one of {', '.join(FUNCTIONS)}")
    if function in NOT_BUSINESS or is_it_name(owner):
        raise RegistryError("the accountable owner must come from the business (operations, quality, maintenance, "
                            "finance, ...), not IT; IT may be named with --contributors")
    product_owner = (fields.get("product_owner") or "").strip() or None
    if product_owner is not None and (not _named(product_owner) or is_it_name(product_owner)):
        raise RegistryError(f"product owner {product_owner!r} cannot sign off: the Product Owner is a named person "
                            "from the business, not IT (IT writes the code, Operations certifies it)")
    platform = (fields.get("platform") or "").strip().lower()
    if platform not in PLATFORMS:
        raise RegistryError(f"unknown platform {platform!r}: choose one of {', '.join(PLATFORMS)}")
    access = (fields.get("data_access") or "").strip().lower()
    if access not in DATA_ACCESS:
        raise RegistryError(f"unknown data access {access!r}: choose read-only or read-write")
    purpose = (fields.get("purpose") or "").strip()
    if not purpose:
        raise RegistryError("say what the tool is for with --purpose")
    review = fields.get("review_every")
    if review is not None and (not isinstance(review, int) or review <= 0):
        raise RegistryError(f"review interval must be a positive number of days, not {review!r}")
    contributors = tuple(c.strip() for c in (fields.get("contributors") or ()) if c and c.strip())
    return {**fields, "owner": owner, "function": function, "platform": platform, "data_access": access,
            "purpose": purpose, "contributors": contributors, "product_owner": product_owner,
            "cost_center": (fields.get("cost_center") or "").strip() or None,
            "scale_decision": (fields.get("scale_decision") or "").strip() or None}


def check_platform(platform: str, path: str) -> None:
    """The platform must be what the file is: a ``.py`` is python, an ``.xlsm`` excel."""
    fmt = path.rpartition(".")[2].lower() if "." in path.rsplit("/", 1)[-1] else ""
    fits = PLATFORM_OF_FORMAT.get(fmt)
    if fits is not None and platform != fits:
        raise RegistryError(f"platform {platform!r} does not fit a .{fmt} file: it is {fits} "
                            f"(use --platform {fits})")


def check_signer(entry: Entry, by: str) -> str:
    """Only the entry's Product Owner (or its business owner where none is named) signs off;
    an IT function never does. Returns the signer's name as registered."""
    by = (by or "").strip()
    who = f"only {entry.signer} ({'Product Owner' if entry.product_owner else 'business owner; no Product Owner named'})" \
          f" may sign off entry {entry.id}"
    if not by or not any(ch.isalpha() for ch in by):
        raise RegistryError(f"name who signs off with --by: {who}")
    if is_it_name(by):
        raise RegistryError(f"{by!r} is IT, and IT writes the code while Operations certifies it: {who}")
    if not same_person(by, entry.signer):
        raise RegistryError(f"{by!r} is not the Product Owner of entry {entry.id}: {who}")
    return entry.signer


def check_review(verdict: str, impacts: Iterable[str], by: str, reason: str) -> tuple[str, tuple[str, ...], str, str]:
    """A reviewer's decision: a verdict, the impacts a shadow-IT verdict names, a named reviewer and a reason."""
    verdict = (verdict or "").strip().lower()
    if verdict not in VERDICTS:
        raise RegistryError(f"unknown verdict {verdict!r}: choose shadow-it or citizen-development")
    found = tuple(sorted({i.strip().lower() for i in impacts if i and i.strip()}))
    unknown = [i for i in found if i not in IMPACTS]
    if unknown:
        raise RegistryError(f"unknown impact {unknown[0]!r}: choose financial, quality or both")
    if verdict == "shadow-it" and not found:
        raise RegistryError("a shadow-IT verdict names what it decides: --impacts financial, quality or both")
    if verdict == "citizen-development" and found:
        raise RegistryError("citizen development generates no financial data and controls no quality decision: "
                            "drop --impacts, or give the verdict shadow-it")
    by = (by or "").strip()
    if not _named(by):
        raise RegistryError(f"reviewer {by!r} is not a named person: say who reviewed it with --by")
    reason = " ".join((reason or "").split())
    if len(reason) < 10 or not any(ch.isalpha() for ch in reason):
        raise RegistryError(f"--reason {reason!r} is too short: say why in a sentence of at least 10 characters "
                            "(the report shows it beside the decision)")
    return verdict, found, by, reason


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


class Registry:
    """The registry tables of an inventory database (shares the Store's connection)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        self._missing: set[str] = set()
        needed = {"registry", "signoffs", "registry_events", "reviews"}
        try:
            if not needed <= tables:
                self.db.executescript("BEGIN;" + SCHEMA + "COMMIT;")
            columns = {r[1] for r in db.execute("PRAGMA table_info(registry)")}
            if "accepted_writes" not in columns:
                with self.db:
                    self.db.execute("ALTER TABLE registry ADD COLUMN accepted_writes TEXT")
        except sqlite3.OperationalError:
            # a read-only inventory of an older shadowscan (reports): what is not there is empty
            if self.db.in_transaction:
                self.db.rollback()
            self._missing = needed - {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        self._cache: list[Entry] | None = None
        self._reviews: list[Review] | None = None

    def _rows(self, table: str, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        return [] if table in self._missing else self.db.execute(sql, args).fetchall()

    # reading ------------------------------------------------------------------------
    def entries(self) -> list[Entry]:
        if self._cache is None:
            signoffs: dict[int, list[Signoff]] = {}
            for row in self._rows("signoffs", "SELECT * FROM signoffs ORDER BY signed_at, id"):
                signoffs.setdefault(row["registry_id"], []).append(Signoff(
                    row["signed_by"], row["signed_at"], row["sha256"], row["fingerprint"], row["note"]))
            events = self._events()
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
    def _entry(row: sqlite3.Row, signoffs: list[Signoff], events: list[Event]) -> Entry:
        accepted = row["accepted_writes"] if "accepted_writes" in row.keys() else None  # noqa: SIM118 - a Row is no dict
        return Entry(row["id"], row["path"], row["kind"], row["fingerprint"], row["sha256"], row["owner"],
                     row["function"], row["purpose"], row["platform"], row["data_access"], row["product_owner"],
                     tuple(json.loads(row["contributors"])), row["cost_center"], row["review_every"],
                     row["scale_decision"], row["registered_at"], tuple(signoffs),
                     json.loads(accepted) if accepted else None, tuple(events))

    def find(self, ref: str) -> Entry:
        """An entry by id or registered path."""
        for entry in self.entries():
            if ref == str(entry.id) or _same_path(ref, entry.path):
                return entry
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
        """The entry an artifact belongs to: by logic first, then by registered path."""
        if fingerprint:
            same_logic = [e for e in self.entries() if e.fingerprint == fingerprint
                          or (e.last_signoff and e.last_signoff.fingerprint == fingerprint)]
            for entry in same_logic:
                if _same_path(path, entry.path):
                    return Match(entry, "registered")
            if same_logic:
                entry = same_logic[0]
                return Match(entry, "copy" if exists(entry.path) else "moved")
        for entry in self.entries():
            if _same_path(path, entry.path):
                return Match(entry, "changed")
        return None

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
        at_path = [r for r in self.reviews() if _same_path(path, r.path)]
        if at_path:
            return at_path[-1]
        same_logic = [r for r in self.reviews() if fingerprint and r.fingerprint == fingerprint]
        return same_logic[-1] if same_logic else None

    # writing ------------------------------------------------------------------------
    def _next_id(self) -> int:
        """Ids are never reused: one past any entry that exists or ever had an event."""
        row = self.db.execute("SELECT MAX(m) FROM (SELECT MAX(id) AS m FROM registry "
                              "UNION ALL SELECT MAX(registry_id) FROM registry_events)").fetchone()
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
        for entry in self.entries():
            if _same_path(path, entry.path):
                raise RegistryError(f"{path} is already registered as entry {entry.id} "
                                    f"(owner {entry.owner}); change it with `shadowscan registry edit {entry.id}`")
        with self.db:
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
        with self.db:
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
        with self.db:
            self.db.execute("INSERT INTO signoffs (registry_id, signed_by, signed_at, sha256, fingerprint, note)"
                            " VALUES (?,?,?,?,?,?)", (entry.id, signoff.signed_by, signoff.signed_at,
                                                      signoff.sha256, signoff.fingerprint, signoff.note))
            self._event(entry.id, "signoff", signer, {"fingerprint": fingerprint, "sha256": sha256,
                                                      **({"note": signoff.note} if signoff.note else {})},
                        at=signoff.signed_at)
        self._cache = None
        return signoff

    def remove(self, entry: Entry, by: str | None = None) -> None:
        with self.db:
            self.db.execute("DELETE FROM signoffs WHERE registry_id = ?", (entry.id,))
            self.db.execute("DELETE FROM registry WHERE id = ?", (entry.id,))
            self._event(entry.id, "remove", by, {"path": [entry.path, None], "owner": [entry.owner, None]})
        self._cache = None

    def review(self, *, path: str, fingerprint: str, sha256: str | None, verdict: str, impacts: Iterable[str],
               by: str, reason: str, analysis: dict[str, Any]) -> Review:
        verdict, found, by, reason = check_review(verdict, impacts, by, reason)
        at = now_iso()
        with self.db:
            cur = self.db.execute(
                "INSERT INTO reviews (path, fingerprint, sha256, verdict, impacts, by, at, reason, analysis)"
                " VALUES (?,?,?,?,?,?,?,?,?)", (path, fingerprint, sha256, verdict, json.dumps(list(found)), by, at,
                                                reason, json.dumps(analysis, ensure_ascii=False)))
        self._reviews = None
        return next(r for r in self.reviews() if r.id == cur.lastrowid)

    # exchange -----------------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        return {"schema": EXPORT_SCHEMA, "entries": [e.to_dict() for e in self.entries()],
                "reviews": [r.to_dict() for r in self.reviews()]}

    def import_(self, data: Any, *, by: str | None = None, source: str = "") -> int:
        """Replace the registry (and the reviews, when the file has them) with ``data`` (an export),
        keeping its history and adding an ``import`` event per entry. All or nothing."""
        entries = _parse_export(data)
        reviews = _parse_reviews(data)
        old = {e.id: e for e in self.entries()}
        try:
            with self.db:
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
        finally:
            self._cache = None
            self._reviews = None
        return len(entries)


def _raw_entry(data: Any, entry_id: int) -> dict[str, Any]:
    return next(raw for raw in data["entries"] if raw["id"] == entry_id)

def _same_path(a: str, b: str) -> bool:
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


_NAME = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"[^\W\d_]"}  # a name has a letter
_TEXT = {"type": "string", "maxLength": 2000}
_OPTIONAL_TEXT = {"type": ["string", "null"], "maxLength": 2000}
_SHA256 = {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"}
_FINGERPRINT = {"type": "string", "pattern": "^[a-z0-9]{1,8}:[0-9a-f]{64}$"}
_TIMESTAMP = {"type": "string", "maxLength": 40, "pattern": r"^$|^\d{4}-\d{2}-\d{2}"}
# An absolute local path (/..., C:\...) or a share (//server/share/..., \\server\share\...), without ".." parts.
_PATH = {"type": "string", "minLength": 2, "maxLength": 4096,
         "pattern": r"^(?!.*(?:^|[\\/])\.\.(?:[\\/]|$))(?:/|[A-Za-z]:[\\/]|//|\\\\)"}
_EVIDENCE = {"type": "object", "additionalProperties": False, "required": ["location"],
             "properties": {"location": {"type": "string", "maxLength": 2000},
                            "line": {"type": ["integer", "null"], "minimum": 0},
                            "snippet": {"type": "string", "maxLength": 2000}}}
_ACCEPTED_WRITES = {"type": ["object", "null"], "additionalProperties": False,
                    "required": ["reason", "by", "at", "fingerprint"],
                    "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 2000}, "by": _NAME,
                                   "at": _TIMESTAMP, "fingerprint": _FINGERPRINT,
                                   "evidence": {"type": "array", "maxItems": 100, "items": _EVIDENCE}}}
_EVENT = {"type": "object", "additionalProperties": False, "required": ["at", "by", "action", "changes"],
          "properties": {"at": _TIMESTAMP, "by": {"type": "string", "minLength": 1, "maxLength": 200},
                         "action": {"enum": ["register", "edit", "signoff", "remove", "import"]},
                         "changes": {"type": "object", "maxProperties": 50}}}
_REVIEW = {"type": "object", "additionalProperties": False,
           "required": ["id", "path", "fingerprint", "verdict", "impacts", "by", "at", "reason"],
           "properties": {"id": {"type": "integer", "minimum": 1, "maximum": 2 ** 53 - 1}, "path": _PATH,
                          "fingerprint": _FINGERPRINT, "sha256": _SHA256, "verdict": {"enum": list(VERDICTS)},
                          "impacts": {"type": "array", "maxItems": 2, "uniqueItems": True,
                                      "items": {"enum": list(IMPACTS)}},
                          "by": _NAME, "at": _TIMESTAMP, "reason": {"type": "string", "minLength": 1, "maxLength": 2000},
                          "analysis": {"type": "object", "additionalProperties": False, "properties": {
                              "classification": {"enum": ["shadow-it", "citizen-development", "unknown"]},
                              "impacts": {"type": "array", "maxItems": 2, "items": {"enum": list(IMPACTS)}}}}}}
IMPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["schema", "entries"],
    "additionalProperties": False,
    "properties": {
        "schema": {"enum": list(IMPORTABLE_SCHEMAS)},
        "reviews": {"type": "array", "maxItems": 100_000, "items": _REVIEW},
        "entries": {"type": "array", "maxItems": 100_000, "items": {
            "type": "object",
            "required": ["id", "path", "kind", "fingerprint", "owner", "function", "purpose", "platform",
                         "data_access"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "integer", "minimum": 1, "maximum": 2 ** 53 - 1},
                "path": _PATH,
                "kind": {"enum": ["excel", "access", "script"]},
                "fingerprint": _FINGERPRINT,
                "sha256": _SHA256,
                "owner": _NAME,
                "function": {"enum": list(FUNCTIONS)},
                "purpose": {"type": "string", "minLength": 1, "maxLength": 2000},
                "platform": {"enum": list(PLATFORMS)},
                "data_access": {"enum": list(DATA_ACCESS)},
                "product_owner": {"anyOf": [{"type": "null"}, _NAME]},
                "contributors": {"type": "array", "maxItems": 100, "items": {"type": "string", "minLength": 1,
                                                                              "maxLength": 200}},
                "cost_center": _OPTIONAL_TEXT,
                "review_every": {"type": ["integer", "null"], "minimum": 1, "maximum": 36_500},
                "scale_decision": _OPTIONAL_TEXT,
                "registered_at": _TIMESTAMP,
                "signoffs": {"type": "array", "maxItems": 10_000, "items": {
                    "type": "object",
                    "required": ["signed_by", "signed_at", "fingerprint"],
                    "additionalProperties": False,
                    "properties": {"signed_by": _NAME, "signed_at": _TIMESTAMP, "sha256": _SHA256,
                                   "fingerprint": _FINGERPRINT, "note": _OPTIONAL_TEXT},
                }},
                "accepted_writes": _ACCEPTED_WRITES,
                "history": {"type": "array", "maxItems": 100_000, "items": _EVENT},
            },
        }},
    },
}


def check_import(data: Any) -> None:
    """Refuse an import that does not match :data:`IMPORT_SCHEMA`, naming the first problem by
    its JSON path (``$.entries[0].owner: 42 is not of type 'string'``)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(IMPORT_SCHEMA)
    try:
        error = next(iter(sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])),
                     None)
    except RecursionError:
        raise RegistryError("nested too deeply to be a registry export") from None
    if error is not None:
        message = error.message if len(error.message) <= 200 else error.message[:200] + "…"
        raise RegistryError(f"{error.json_path}: {message}")


def _parse_export(data: Any) -> list[Entry]:
    """Validate a whole export (schema first, then the policy) before anything is written."""
    check_import(data)
    out: list[Entry] = []
    ids: set[int] = set()
    for number, raw in enumerate(data["entries"]):
        where = f"$.entries[{number}]"
        try:
            clean = validate(dict(raw, contributors=raw.get("contributors") or ()))
            check_platform(clean["platform"], raw["path"])
        except RegistryError as exc:
            raise RegistryError(f"{where}: {exc}") from exc
        for n, s in enumerate(raw.get("signoffs") or ()):
            if is_it_name(s["signed_by"]):
                raise RegistryError(f"{where}.signoffs[{n}].signed_by: {s['signed_by']!r} is IT; the Product Owner "
                                    "signs off, not IT")
        entry_id = int(raw["id"])
        if entry_id in ids:
            raise RegistryError(f"{where}.id: duplicate id {entry_id}")
        ids.add(entry_id)
        signoffs = tuple(Signoff(s["signed_by"].strip(), s["signed_at"], s.get("sha256"), s["fingerprint"],
                                 s.get("note")) for s in raw.get("signoffs") or ())
        out.append(Entry(entry_id, raw["path"], raw["kind"], raw["fingerprint"], raw.get("sha256"), clean["owner"],
                         clean["function"], clean["purpose"], clean["platform"], clean["data_access"],
                         clean["product_owner"], clean["contributors"], clean["cost_center"],
                         raw.get("review_every"), clean["scale_decision"], raw.get("registered_at") or "", signoffs,
                         raw.get("accepted_writes") or None,
                         tuple(Event(e["at"], e["by"], e["action"], e["changes"]) for e in raw.get("history") or ())))
    return out


def _parse_reviews(data: Any) -> list[Review] | None:
    """The reviews of an export (None when the file has none: an older export keeps the inventory's)."""
    if "reviews" not in data:
        return None
    out, ids = [], set()
    for number, raw in enumerate(data["reviews"]):
        try:
            verdict, impacts, by, reason = check_review(raw["verdict"], raw["impacts"], raw["by"], raw["reason"])
        except RegistryError as exc:
            raise RegistryError(f"$.reviews[{number}]: {exc}") from exc
        if raw["id"] in ids:
            raise RegistryError(f"$.reviews[{number}].id: duplicate id {raw['id']}")
        ids.add(raw["id"])
        out.append(Review(raw["id"], raw["path"], raw["fingerprint"], raw.get("sha256"), verdict, impacts, by,
                          raw["at"], reason, raw.get("analysis") or {}))
    return out


def entries_as_rows(entries: Iterable[Entry], states: dict[int, str] | None = None) -> list[dict[str, Any]]:
    """Flat rows for listings and exports (``states``: entry id -> sign-off state valid/stale/missing)."""
    rows = []
    for e in entries:
        last = e.last_signoff
        rows.append({"id": e.id, "path": e.path, "owner": e.owner, "function": e.function, "platform": e.platform,
                     "data_access": e.data_access, "product_owner": e.product_owner or "",
                     "signoff": (states or {}).get(e.id, "missing" if last is None else "valid"),
                     "signed_off": f"{last.signed_by} {last.signed_at}" if last else "",
                     "cost_center": e.cost_center or "", "review_every": e.review_every or "",
                     "accepted_writes": (e.accepted_writes or {}).get("reason", "")})
    return rows

"""Registry of sanctioned apps: named business owners and sign-offs bound to what was signed.

Entries live in the inventory database beside the crawls. An entry is matched to
artifacts by its **logic fingerprint** (see fingerprint.py), so data edits, moves and
copies keep their identity; a file at the registered path whose logic changed is
matched by path and flagged. A sign-off records who, when, the content hash and the
logic fingerprint; it covers the artifact only while the logic is the one signed.
"""
from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

FUNCTIONS = ("operations", "production", "quality", "maintenance", "engineering", "finance", "logistics",
             "purchasing", "supply-chain", "ehs", "hr", "it")
NOT_BUSINESS = frozenset({"it"})
PLATFORMS = ("excel", "access", "python", "powershell", "vbscript", "batch", "sql", "r", "powerapps", "grafana",
             "powerbi", "other")
DATA_ACCESS = ("read-only", "read-write")
EXPORT_SCHEMA = "shadowscan/registry-v1"
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

    @property
    def last_signoff(self) -> Signoff | None:
        return self.signoffs[-1] if self.signoffs else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["contributors"] = list(self.contributors)
        data["signoffs"] = [asdict(s) for s in self.signoffs]
        return data


@dataclass(frozen=True)
class Match:
    """How an artifact relates to a registry entry."""

    entry: Entry
    how: str  # "registered" | "moved" | "copy" | "changed" (same path, different logic)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def validate(fields: dict[str, Any]) -> dict[str, Any]:
    """Check registration fields against POLICY.md; returns the cleaned fields."""
    owner = (fields.get("owner") or "").strip()
    function = (fields.get("function") or "").strip().lower()
    if owner.lower() in _PLACEHOLDER_OWNERS or not any(ch.isalpha() for ch in owner):
        raise RegistryError(f"owner {owner!r} is not a named person: name the one accountable business owner")
    if function not in FUNCTIONS:
        raise RegistryError(f"unknown function {function!r}: choose one of {', '.join(FUNCTIONS)}")
    if function in NOT_BUSINESS:
        raise RegistryError("the accountable owner must come from the business (operations, quality, maintenance, "
                            "finance, ...), not IT; IT may be named with --contributors")
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
            "purpose": purpose, "contributors": contributors,
            "product_owner": (fields.get("product_owner") or "").strip() or None,
            "cost_center": (fields.get("cost_center") or "").strip() or None,
            "scale_decision": (fields.get("scale_decision") or "").strip() or None}


class Registry:
    """The registry tables of an inventory database (shares the Store's connection)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.db.executescript(SCHEMA)
        self._cache: list[Entry] | None = None

    # reading ------------------------------------------------------------------------
    def entries(self) -> list[Entry]:
        if self._cache is None:
            signoffs: dict[int, list[Signoff]] = {}
            for row in self.db.execute("SELECT * FROM signoffs ORDER BY signed_at, id"):
                signoffs.setdefault(row["registry_id"], []).append(Signoff(
                    row["signed_by"], row["signed_at"], row["sha256"], row["fingerprint"], row["note"]))
            self._cache = [self._entry(row, signoffs.get(row["id"], [])) for row in
                           self.db.execute("SELECT * FROM registry ORDER BY id")]
        return self._cache

    @staticmethod
    def _entry(row: sqlite3.Row, signoffs: list[Signoff]) -> Entry:
        return Entry(row["id"], row["path"], row["kind"], row["fingerprint"], row["sha256"], row["owner"],
                     row["function"], row["purpose"], row["platform"], row["data_access"], row["product_owner"],
                     tuple(json.loads(row["contributors"])), row["cost_center"], row["review_every"],
                     row["scale_decision"], row["registered_at"], tuple(signoffs))

    def find(self, ref: str) -> Entry:
        """An entry by id or registered path."""
        for entry in self.entries():
            if ref == str(entry.id) or _same_path(ref, entry.path):
                return entry
        raise RegistryError(f"no registry entry for {ref!r} (see `shadowscan registry list`)")

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

    # writing ------------------------------------------------------------------------
    def register(self, *, path: str, kind: str, fingerprint: str, sha256: str | None, **fields: Any) -> Entry:
        clean = validate(fields)
        for entry in self.entries():
            if _same_path(path, entry.path):
                raise RegistryError(f"{path} is already registered as entry {entry.id} "
                                    f"(owner {entry.owner}); remove it first to register it again")
        with self.db:
            cur = self.db.execute(
                "INSERT INTO registry (path, kind, fingerprint, sha256, owner, function, purpose, platform,"
                " data_access, product_owner, contributors, cost_center, review_every, scale_decision,"
                " registered_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (path, kind, fingerprint, sha256, clean["owner"], clean["function"], clean["purpose"],
                 clean["platform"], clean["data_access"], clean["product_owner"],
                 json.dumps(list(clean["contributors"])), clean["cost_center"], clean.get("review_every"),
                 clean["scale_decision"], clean.get("registered_at") or now_iso()))
        self._cache = None
        return self.find(str(cur.lastrowid))

    def signoff(self, entry: Entry, *, by: str, sha256: str | None, fingerprint: str, note: str | None = None,
                at: str | None = None) -> Signoff:
        if not by.strip() or not any(ch.isalpha() for ch in by):
            raise RegistryError("name the Product Owner who signs off with --by")
        signoff = Signoff(by.strip(), at or now_iso(), sha256, fingerprint, (note or "").strip() or None)
        with self.db:
            self.db.execute("INSERT INTO signoffs (registry_id, signed_by, signed_at, sha256, fingerprint, note)"
                            " VALUES (?,?,?,?,?,?)", (entry.id, signoff.signed_by, signoff.signed_at,
                                                      signoff.sha256, signoff.fingerprint, signoff.note))
        self._cache = None
        return signoff

    def remove(self, entry: Entry) -> None:
        with self.db:
            self.db.execute("DELETE FROM signoffs WHERE registry_id = ?", (entry.id,))
            self.db.execute("DELETE FROM registry WHERE id = ?", (entry.id,))
        self._cache = None

    # exchange -----------------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        return {"schema": EXPORT_SCHEMA, "entries": [e.to_dict() for e in self.entries()]}

    def import_(self, data: Any) -> int:
        """Replace the registry with ``data`` (an export). All or nothing."""
        entries = _parse_export(data)
        try:
            with self.db:
                self.db.execute("DELETE FROM signoffs")
                self.db.execute("DELETE FROM registry")
                for e in entries:
                    self.db.execute(
                        "INSERT INTO registry (id, path, kind, fingerprint, sha256, owner, function, purpose, platform,"
                        " data_access, product_owner, contributors, cost_center, review_every, scale_decision,"
                        " registered_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        (e.id, e.path, e.kind, e.fingerprint, e.sha256, e.owner, e.function, e.purpose, e.platform,
                         e.data_access, e.product_owner, json.dumps(list(e.contributors)), e.cost_center,
                         e.review_every, e.scale_decision, e.registered_at))
                    self.db.executemany(
                        "INSERT INTO signoffs (registry_id, signed_by, signed_at, sha256, fingerprint, note)"
                        " VALUES (?,?,?,?,?,?)",
                        [(e.id, s.signed_by, s.signed_at, s.sha256, s.fingerprint, s.note) for s in e.signoffs])
        finally:
            self._cache = None
        return len(entries)


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
IMPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["schema", "entries"],
    "additionalProperties": False,
    "properties": {
        "schema": {"const": EXPORT_SCHEMA},
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
        except RegistryError as exc:
            raise RegistryError(f"{where}: {exc}") from exc
        entry_id = int(raw["id"])
        if entry_id in ids:
            raise RegistryError(f"{where}.id: duplicate id {entry_id}")
        ids.add(entry_id)
        signoffs = tuple(Signoff(s["signed_by"].strip(), s["signed_at"], s.get("sha256"), s["fingerprint"],
                                 s.get("note")) for s in raw.get("signoffs") or ())
        out.append(Entry(entry_id, raw["path"], raw["kind"], raw["fingerprint"], raw.get("sha256"), clean["owner"],
                         clean["function"], clean["purpose"], clean["platform"], clean["data_access"],
                         clean["product_owner"], clean["contributors"], clean["cost_center"],
                         raw.get("review_every"), clean["scale_decision"], raw.get("registered_at") or "", signoffs))
    return out


def entries_as_rows(entries: Iterable[Entry]) -> list[dict[str, Any]]:
    """Flat rows for listings and exports."""
    rows = []
    for e in entries:
        last = e.last_signoff
        rows.append({"id": e.id, "path": e.path, "owner": e.owner, "function": e.function, "platform": e.platform,
                     "data_access": e.data_access, "product_owner": e.product_owner or "",
                     "signed_off": f"{last.signed_by} {last.signed_at}" if last else "",
                     "cost_center": e.cost_center or "", "review_every": e.review_every or ""})
    return rows

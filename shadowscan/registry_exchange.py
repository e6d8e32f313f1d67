"""The registry as a file: the export (entries with sign-offs and history, and reviews), the JSON
schema an import must match, the parsing of an import against the policy before anything is
written, and the flat rows of ``registry list``."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .registry_policy import check_platform, check_review, is_it_name, validate
from .registry_types import DATA_ACCESS, FUNCTIONS, IMPACTS, PLATFORMS, VERDICTS, Entry, Event, RegistryError, Review, Signoff

EXPORT_SCHEMA = "shadowscan/registry-v2"  # v2: per-entry history, accepted writes, reviews
IMPORTABLE_SCHEMAS = ("shadowscan/registry-v1", EXPORT_SCHEMA)

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
    import jsonschema  # here, not at the top: only `registry import` needs it (40 ms at every start)

    validator = jsonschema.Draft202012Validator(IMPORT_SCHEMA)
    try:
        error = next(iter(sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])),
                     None)
    except RecursionError:
        raise RegistryError("nested too deeply to be a registry export") from None
    if error is not None:
        message = error.message if len(error.message) <= 200 else error.message[:200] + "…"
        raise RegistryError(f"{error.json_path}: {message}")


def parse_export(data: Any) -> list[Entry]:
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


def parse_reviews(data: Any) -> list[Review] | None:
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

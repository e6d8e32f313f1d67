"""CSV: one row per artifact, safe to open in Excel (no formula injection)."""
from __future__ import annotations

import csv
import io
from typing import Any

COLUMNS = ("relpath", "root", "kind", "format", "size", "status", "status_reason", "classification",
           "impacts", "risk_score", "action", "owner", "rules", "reasons", "sha256", "path")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Prefix text that a spreadsheet would read as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _row(a: dict[str, Any]) -> list[Any]:
    hints = a["facts"].get("owner_hints") or {}
    values = {
        **a,
        "impacts": ";".join(a["impacts"]),
        "owner": hints.get("last_modified_by") or hints.get("author") or "",
        "rules": ";".join(f["rule"] for f in a["findings"]),
        "reasons": " | ".join(a["reasons"]),
    }
    return [neutralise(values.get(c, "")) for c in COLUMNS]


def render(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for artifact in report["artifacts"]:
        writer.writerow(_row(artifact))
    return out.getvalue()

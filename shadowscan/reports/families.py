"""Tool families: the copies of one tool grouped into one tool.

Real shares hold the same workbook saved in every line's folder. Leadership needs the
number of distinct tools and how many copies each has, not the number of files. Artifacts
with the same logic fingerprint (``fingerprint.py``: the code without comments, layout and
cell values; the registry matches by it too) are one tool; an artifact without logic is
grouped with its byte-identical copies (same SHA-256), else it stands alone.

Pure functions of the report's artifact dicts (see :mod:`.data`); no store, no I/O.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from .. import owners

CLASS_ORDER = {"shadow-it": 0, "unknown": 1, "citizen-development": 2}
LOCATIONS = 50  # copies listed by name per tool in the HTML page (exports carry every copy's tool_id)


def key_of(a: dict[str, Any]) -> str:
    """What makes two artifacts the same tool: the logic fingerprint, else identical bytes, else the path."""
    if a.get("fingerprint"):
        return f"fp:{a['fingerprint']}"
    if a.get("sha256"):
        return f"sha:{a['sha256']}"
    return f"path:{a['path']}"


def tool_id(key: str) -> str:
    """A short id that is the same in every crawl for the same logic (``T-`` and 10 hex digits)."""
    return "T-" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def _representative(copies: list[dict[str, Any]]) -> dict[str, Any]:
    """The copy a tool is judged and planned by: the worst class, the highest risk, the latest change."""
    return min(copies, key=lambda a: (CLASS_ORDER.get(a["classification"], 3), -a["risk_score"],
                                      -(a.get("mtime") or 0), a.get("name") or a["relpath"]))


def ask(a: dict[str, Any]) -> dict[str, str]:
    """Who to ask about an artifact: the registered owner, else the last editor, else the author,
    else the account that owns the file (unless a system account), else the department."""
    role, name = owners.who_to_ask(owners.hints_of(a["facts"]), a.get("owner") if a.get("registered") else None,
                                   a["department"])
    return {"role": role, "name": name}


def group(artifacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One dict per tool, worst first; sets ``tool_id`` on every artifact."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for a in artifacts:
        key = key_of(a)
        a["tool_id"] = tool_id(key)
        by_key.setdefault(key, []).append(a)
    tools = []
    for copies in by_key.values():
        rep = _representative(copies)
        names = Counter(a["relpath"].rsplit("/", 1)[-1] for a in copies)
        latest = max(copies, key=lambda a: (a.get("mtime") or 0, a["path"]))
        variants = len({a.get("sha256") for a in copies})
        impacts = sorted({i for a in copies for i in a["impacts"]})
        tools.append({
            "tool_id": rep["tool_id"],
            "name": names.most_common(1)[0][0],
            "names": sorted(names),
            "kind": rep["kind"], "format": rep["format"],
            "classification": rep["classification"], "impacts": impacts, "risk_score": rep["risk_score"],
            "risk_factors": rep["risk_factors"], "action": rep["action"], "headline": rep["headline"],
            "copies": len(copies),
            # same logic by construction; do the bytes differ too (cell values, saved data)?
            "copies_differ": "identical" if variants == 1 else "in data only",
            "variants": variants,
            "departments": sorted({a["department"] for a in copies}),
            "representative": rep["path"],
            "last_changed": {"path": latest["path"], "name": latest.get("name") or latest["relpath"],
                             "mtime": latest.get("mtime")},
            "registered": sum(1 for a in copies if a["registered"]),
            "changed_without_signoff": sum(1 for a in copies if a["signoff"] == "stale"),
            "ask": ask(rep),
            "fingerprint": rep.get("fingerprint"),
            "locations": [{"path": a["path"], "name": a.get("name") or a["relpath"], "department": a["department"],
                           "mtime": a.get("mtime"), "change": a.get("change"), "sha256": a.get("sha256")}
                          for a in sorted(copies, key=lambda a: (-(a.get("mtime") or 0), a["path"]))],
        })
    tools.sort(key=lambda t: (CLASS_ORDER.get(t["classification"], 3), -t["risk_score"], -t["copies"], t["name"]))
    return tools


def counts(tools: list[dict[str, Any]]) -> dict[str, int]:
    """Tools per class, and how many files they are."""
    out = {"total": len(tools), "shadow-it": 0, "citizen-development": 0, "unknown": 0,
           "files": sum(t["copies"] for t in tools), "with_copies": sum(1 for t in tools if t["copies"] > 1)}
    for t in tools:
        out[t["classification"]] = out.get(t["classification"], 0) + 1
    out["shadow-it_files"] = sum(t["copies"] for t in tools if t["classification"] == "shadow-it")
    return out


def by_department(tools: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per department, the tools that have a copy there (a tool in three departments counts in each)."""
    out: dict[str, dict[str, int]] = {}
    for t in tools:
        for d in t["departments"]:
            row = out.setdefault(d, {"total": 0, "shadow-it": 0, "citizen-development": 0, "unknown": 0})
            row["total"] += 1
            row[t["classification"]] += 1
    return dict(sorted(out.items(), key=lambda kv: (-kv[1]["shadow-it"], -kv[1]["total"], kv[0])))

"""Tool families: the copies of one tool grouped into one tool.

Real shares hold the same workbook saved in every line's folder. Leadership needs the
number of distinct tools and how many copies each has, not the number of files. Artifacts
with the same logic fingerprint (``fingerprint.py``: the code without comments, layout and
cell values; the registry matches by it too) are one tool; an artifact without logic is
grouped with its byte-identical copies (same SHA-256), else it stands alone.

Fed the report's artifacts one at a time (see :mod:`.data`); no store, no I/O.
"""
from __future__ import annotations

import hashlib
from typing import Any

from .. import owners

CLASS_ORDER = {"shadow-it": 0, "unknown": 1, "citizen-development": 2}
LOCATIONS = 50  # copies listed by name per tool in the HTML page (exports carry every copy's tool_id)


def key_of(a: dict[str, Any]) -> str:
    """What makes two artifacts the same tool: the logic fingerprint, else identical bytes, else the path."""
    if a.get("fingerprint"):
        return f"fp:{a['fingerprint']}"
    if a.get("sha256") and a.get("kind") != "folder":
        return f"sha:{a['sha256']}"
    return f"path:{a['path']}"


def tool_id(key: str) -> str:
    """A short id that is the same in every crawl for the same logic (``T-`` and 10 hex digits)."""
    return "T-" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def _rank(a: dict[str, Any]) -> tuple[int, int, float, str]:
    """The copy a tool is judged and planned by is the one that ranks first: the worst class, the highest
    risk, the latest change."""
    return (CLASS_ORDER.get(a["classification"], 3), -a["risk_score"], -(a.get("mtime") or 0),
            a.get("name") or a["relpath"])


def ask(a: dict[str, Any]) -> dict[str, str]:
    """Who to ask about an artifact: the registered owner, else the last editor, else the author,
    else the account that owns the file (unless a system account), else the department."""
    role, name = owners.who_to_ask(owners.hints_of(a["facts"]), a.get("owner") if a.get("registered") else None,
                                   a["department"])
    return {"role": role, "name": name}


class _Tool:
    """What a tool keeps while the artifacts stream past: its representative's fields, counts and the few
    small sets (impacts, departments); never its copies (the report's scratch table lists them)."""

    __slots__ = ("rank", "rep", "copies", "latest", "impacts", "departments", "registered", "stale")

    def __init__(self, a: dict[str, Any]) -> None:
        self.rank: tuple[int, int, float, str] = _rank(a)
        self.rep = self._keep(a)
        self.copies = 0
        self.latest: tuple[float, str, str, float | None] = (a.get("mtime") or 0, a["path"],
                                                             a.get("name") or a["relpath"], a.get("mtime"))
        self.impacts: set[str] = set()
        self.departments: set[str] = set()
        self.registered = 0
        self.stale = 0

    @staticmethod
    def _keep(a: dict[str, Any]) -> dict[str, Any]:
        return {"tool_id": a["tool_id"], "kind": a["kind"], "format": a["format"],
                "classification": a["classification"], "risk_score": a["risk_score"],
                "risk_factors": a["risk_factors"], "action": a["action"], "headline": a["headline"],
                "representative": a["path"], "ask": ask(a), "fingerprint": a.get("fingerprint")}

    def add(self, a: dict[str, Any]) -> None:
        rank = _rank(a)
        if rank < self.rank:
            self.rank, self.rep = rank, self._keep(a)
        latest = (a.get("mtime") or 0, a["path"])
        if latest > self.latest[:2]:
            self.latest = (*latest, a.get("name") or a["relpath"], a.get("mtime"))
        self.copies += 1
        self.impacts.update(a["impacts"])
        self.departments.add(a["department"])
        self.registered += bool(a["registered"])
        self.stale += a["signoff"] == "stale"


class Grouper:
    """Copies grouped into tools as the artifacts come, one :class:`_Tool` per tool (see :func:`key_of`)."""

    def __init__(self) -> None:
        self.tools: dict[str, _Tool] = {}

    def add(self, key: str, a: dict[str, Any]) -> None:
        tool = self.tools.get(key)
        if tool is None:
            tool = self.tools[key] = _Tool(a)
        tool.add(a)

    def brief(self, name: dict[str, str], variants: dict[str, int],
              first: dict[str, int]) -> list[tuple[str, dict[str, Any]]]:
        """(key, tool) per tool, worst first: every field of the ``tools`` section but ``names`` and
        ``locations`` (the copies, read from the scratch table when the section is written). ``name``: each
        tool's most common file name; ``variants``: how many distinct contents its copies have; ``first``: the
        report position of its first copy (tools that tie come in the order their copies first appear)."""
        out = []
        for key, t in self.tools.items():
            rep = t.rep
            out.append((key, {
                "tool_id": rep["tool_id"], "name": name[key],
                "kind": rep["kind"], "format": rep["format"],
                "classification": rep["classification"], "impacts": sorted(t.impacts),
                "risk_score": rep["risk_score"], "risk_factors": rep["risk_factors"], "action": rep["action"],
                "headline": rep["headline"], "copies": t.copies,
                # same logic by construction; do the bytes differ too (cell values, saved data)?
                "copies_differ": "identical" if variants[key] == 1 else "in data only",
                "variants": variants[key],
                "departments": sorted(t.departments),
                "representative": rep["representative"],
                "last_changed": {"path": t.latest[1], "name": t.latest[2], "mtime": t.latest[3]},
                "registered": t.registered,
                "changed_without_signoff": t.stale,
                "ask": rep["ask"],
                "fingerprint": rep["fingerprint"],
            }))
        out.sort(key=lambda kt: (CLASS_ORDER.get(kt[1]["classification"], 3), -kt[1]["risk_score"],
                                 -kt[1]["copies"], kt[1]["name"], first[kt[0]]))
        return out


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

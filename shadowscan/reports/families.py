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
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .. import owners
from .spool import Copy
from .view import CLASS_NAMES, ArtifactRow, ClassCounts, Tool, ToolCounts

CLASS_ORDER = {"shadow-it": 0, "unknown": 1, "citizen-development": 2}
LOCATIONS = 50  # copies listed by name per tool in the HTML page (exports carry every copy's tool_id)


def key(fingerprint: str | None, sha256: str | None, path: str) -> str:
    """What makes two artifacts the same tool: the logic fingerprint, else identical bytes, else the path."""
    if fingerprint:
        return f"fp:{fingerprint}"
    if sha256:
        return f"sha:{sha256}"
    return f"path:{path}"


def key_of(a: ArtifactRow) -> str:
    """The tool key of an artifact (:func:`key`)."""
    return key(a.fingerprint, a.sha256, a.path)


def tool_id(key: str) -> str:
    """A short id that is the same in every crawl for the same logic (``T-`` and 10 hex digits)."""
    return "T-" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def ask(a: ArtifactRow) -> dict[str, str]:
    """Who to ask about an artifact: the registered owner, else the last editor, else the author,
    else the account that owns the file (unless a system account), else the department."""
    return _ask(a.facts, a.owner if a.registered else None, a.department)


def _ask(facts: Mapping[str, Any], owner: str | None, department: str) -> dict[str, str]:
    role, name = owners.who_to_ask(owners.hints_of(facts), owner, department)
    return {"role": role, "name": name}


def copy_of(a: ArtifactRow) -> Copy:
    """What the tool of an artifact keeps of it (see :func:`fold`)."""
    rep = {"tool_id": a.tool_id, "kind": a.kind, "format": a.format, "classification": a.classification,
           "risk_factors": [f.json() for f in a.risk_factors], "action": a.action, "headline": a.headline,
           "fingerprint": a.fingerprint, "owner": a.owner, "owner_hints": a.facts.get("owner_hints") or {}}
    return Copy(CLASS_ORDER.get(a.classification, 3), a.risk_score, a.mtime, a.name or a.relpath,
                a.path, a.registered, a.signoff == "stale", ";".join(a.impacts), a.department,
                a.sha256, a.relpath.rsplit("/", 1)[-1], a.change, json.dumps(rep))


def fold(key: str, copies: Sequence[tuple[int, Copy]]) -> tuple[str, int, int, int, str, int, str]:
    """One tool from its copies (report position, copy) in report order: (key, class rank, risk, copies, name,
    position of its first copy, the tool as JSON: every field of the ``tools`` section but ``names`` and
    ``locations``, which are listed from the report's scratch table when the section is written).

    The tool is judged by its representative: the copy of the worst class, the highest risk, the latest
    change; it is named by its most common file name (the first in report order among equals)."""
    rep = min((c for _, c in copies), key=lambda c: (c.class_rank, -c.risk, -(c.mtime or 0), c.name))
    latest = max((c for _, c in copies), key=lambda c: (c.mtime or 0, c.path))
    names = Counter(c.basename for _, c in copies)
    variants = len({c.sha256 for _, c in copies})
    fields = json.loads(rep.rep)
    tool = {
        "tool_id": fields["tool_id"], "name": names.most_common(1)[0][0],
        "kind": fields["kind"], "format": fields["format"],
        "classification": fields["classification"],
        "impacts": sorted({i for _, c in copies for i in c.impacts.split(";") if i}),
        "risk_score": rep.risk, "risk_factors": fields["risk_factors"], "action": fields["action"],
        "headline": fields["headline"], "copies": len(copies),
        # same logic by construction; do the bytes differ too (cell values, saved data)?
        "copies_differ": "identical" if variants == 1 else "in data only",
        "variants": variants,
        "departments": sorted({c.department for _, c in copies}),
        "representative": rep.path,
        "last_changed": {"path": latest.path, "name": latest.name, "mtime": latest.mtime},
        "registered": sum(1 for _, c in copies if c.registered),
        "changed_without_signoff": sum(1 for _, c in copies if c.stale),
        "ask": _ask({"owner_hints": fields["owner_hints"]}, fields["owner"] if rep.registered else None,
                    rep.department),
        "fingerprint": fields["fingerprint"],
    }
    return key, rep.class_rank, rep.risk, len(copies), tool["name"], copies[0][0], json.dumps(tool)


def counts(tools: Iterable[Tool]) -> ToolCounts:
    """Tools per class, and how many files they are (one pass over the tools)."""
    out: Counter[str] = Counter()
    total = files = with_copies = shadow_files = 0
    for t in tools:
        total += 1
        files += t.copies
        with_copies += t.copies > 1
        out[t.classification] += 1
        shadow_files += t.copies if t.classification == "shadow-it" else 0
    return ToolCounts(total, out["shadow-it"], out["citizen-development"], out["unknown"], files, with_copies,
                      shadow_files)


def by_department(tools: Iterable[Tool]) -> dict[str, ClassCounts]:
    """Per department, the tools that have a copy there (a tool in three departments counts in each)."""
    out: dict[str, list[int]] = {}  # total, shadow-it, citizen-development, unknown
    for t in tools:
        for d in t.departments:
            row = out.setdefault(d, [0, 0, 0, 0])
            row[0] += 1
            row[1 + CLASS_NAMES.index(t.classification)] += 1
    return {d: ClassCounts(*row) for d, row in sorted(out.items(), key=lambda kv: (-kv[1][1], -kv[1][0], kv[0]))}

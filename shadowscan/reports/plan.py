"""The migration backlog: one card per high-risk artifact, ordered so IT can plan from it.

Pure functions of the report's artifact dicts (see :mod:`.data`); no store, no I/O.

* **What it does** — inputs, what it computes, what it writes, from its findings' evidence.
* **Where it reaches** — databases, ERP/QMS/MES, web, shares, linked tables, connections.
* **Target class** — ERP, QMS, MES or data platform/BI, with the reason (table below).
* **Effort** — from measured size: VBA lines and procedures, XLM formulas, queries, forms,
  reports, linked tables, connections, script lines; plus every write target and system
  reached (each one is an interface to rebuild).
* **Priority** — impact x risk x recency of use: an artifact edited last week is in use.
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from .. import owners
from ..model import Family, Impact
from ..rules import catalogue
from . import exposure
from .view import ArtifactRow, EvidenceRow, FindingRow

IMPACT_WEIGHT = {0: 1.0, 1: 2.0, 2: 3.0}  # number of impacts (financial, quality) -> weight
RECENCY = ((30, 1.0), (90, 0.8), (365, 0.6))  # modified within N days -> weight; older: 0.4
OLD = 0.4
EFFORT = ((6, "S", "2-5 person-days"), (15, "M", "1-3 person-weeks"), (35, "L", "1-2 person-months"))
LOCATIONS = 20  # copies named on a card (the tools section of the JSON lists all)
MIGRATE_WITH = 20  # tools named on a card under "migrate together" (the rest counted; the groups list all)
XL = ("XL", "a project: more than 2 person-months")
# each band as a range of person-weeks, for the totals on the first screen (XL counted as 2-4 months)
WEEKS = {"S": (0.4, 1.0), "M": (1.0, 3.0), "L": (4.0, 9.0), "XL": (9.0, 18.0)}
_MES = re.compile(r"\b(?:mes|historian|wonderware|osisoft|pi\s*server)\w*", re.IGNORECASE)

# What a card lists under inputs, computations and writes: selected from the rule catalogue by property.
REACH_LABEL = {r.id: r.reach for r in catalogue.RULES if r.reach and r.family is Family.REACH}
INPUT_RULES = tuple(REACH_LABEL)
FINANCIAL_RECORDS = frozenset(r.id for r in catalogue.RULES if r.impact is Impact.FINANCIAL)
COMPUTE_RULES = tuple(sorted(catalogue.ids(computes=True)))
WRITE_RULES = tuple(sorted(catalogue.ids(persistent=True) | {r.id for r in catalogue.RULES
                                                             if r.impact is not None and not r.computes}))


_SQL_TARGET = re.compile(r"\b(?:insert\s+into|update|delete\s+(?:\*\s+)?from|merge\s+into|into)\s+"
                         r"\[?([\w.$#\"`-]+)\]?", re.IGNORECASE)
_SHARE_PATH = re.compile(r"(?<![:\w])((?:\\\\|//)[^\"'\s,;)$%&]+|[A-Za-z]:\\[^\"'\s,;)$%&]+)")
_URL = re.compile(r"https?://([^/\s\"']+)(/[^\s\"'?]*)?", re.IGNORECASE)
_SQL_WORDS = frozenset({"set", "values", "select", "from", "where", "the", "a", "table"})


def targets(evidence: Iterable[EvidenceRow]) -> list[str]:
    """What a write finding writes to, read from its snippets: tables, files on shares, web endpoints."""
    out: list[str] = []
    for ev in evidence:
        text = ev.snippet or ""
        found = [m.group(1).strip("\"`") for m in _SQL_TARGET.finditer(text)]
        found = [t for t in found if t.lower() not in _SQL_WORDS and not t.isdigit()]
        if not found:
            found = [re.split(r"[\\/]", m.group(1).rstrip("\\/"))[-1] for m in _SHARE_PATH.finditer(text)]
        if not found:
            found = [m.group(1) + (m.group(2) or "") for m in _URL.finditer(text)]
        for name in found:
            if name.endswith(("_", "-")):  # a name built at run time ("Ausschuss_" & year): say it is a pattern
                name += "*"
            if name and name not in out:
                out.append(name)
    return out[:4]


def _where(ev: EvidenceRow) -> str:
    return str(ev.location) + (f" line {ev.line}" if ev.line else "")


def _items(findings: Sequence[FindingRow], rules: tuple[str, ...], limit: int = 6) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for rule in rules:
        for f in findings:
            if f.rule != rule:
                continue
            for ev in f.evidence[:3]:
                key = (_where(ev), ev.snippet or "")
                if key in seen:
                    continue
                seen.add(key)
                out.append({"what": f.title, "where": key[0], "snippet": key[1]})
    return out[:limit]


def measure(facts: dict[str, Any]) -> dict[str, int]:
    """The size figures an estimate rests on, as measured by the analyzers."""
    modules = facts.get("modules") or []
    size = {
        "vba_lines": int(facts.get("vba_lines") or 0),
        "vba_modules": sum(1 for m in modules if m.get("lines")),
        "procedures": sum(int(m.get("procedures") or 0) for m in modules),
        "xlm_formulas": int(facts.get("xlm_cells") or 0),
        "connections": len(facts.get("connections") or []),
        "tables": len(facts.get("tables") or []),
        "queries": len(facts.get("queries") or []),
        "linked_tables": len(facts.get("linked_tables") or []),
        "forms": int(facts.get("forms") or 0),
        "reports": int(facts.get("reports") or 0),
        "script_lines": int(facts.get("lines") or 0) if "language" in facts else 0,
    }
    if "language" in facts:
        size["procedures"] += int(facts.get("procedures") or 0)
    return {k: v for k, v in size.items() if v}


def effort(size: dict[str, int], interfaces: int) -> dict[str, Any]:
    """T-shirt size from measured size; ``points`` shows the arithmetic."""
    points = (size.get("vba_lines", 0) / 50 + size.get("script_lines", 0) / 50 + size.get("procedures", 0) * 0.5
              + size.get("xlm_formulas", 0) / 20 + size.get("queries", 0) + size.get("forms", 0) * 2
              + size.get("reports", 0) + size.get("linked_tables", 0) + size.get("connections", 0)
              + size.get("tables", 0) * 0.5 + interfaces * 1.5)
    points = round(points, 1)
    for limit, label, days in EFFORT:
        if points < limit:
            return {"size": label, "estimate": days, "points": points, "weeks": list(WEEKS[label])}
    return {"size": XL[0], "estimate": XL[1], "points": points, "weeks": list(WEEKS[XL[0]])}


def target(a: ArtifactRow, writes: list[str]) -> dict[str, str]:
    """Where the logic belongs: ERP, QMS, MES or data platform/BI, and why."""
    rules = {f.rule for f in a.findings}
    mes = any(_MES.search(ev.snippet or "") for f in a.findings if f.rule == "reach.qms-mes" for ev in f.evidence)
    into = f" ({', '.join(writes)})" if writes else ""
    if "financial" in a.impacts:
        if rules & FINANCIAL_RECORDS or "reach.erp" in rules:
            return {"class": "ERP", "reason": f"it posts, issues or keeps financial data{into}: postings, invoices, "
                                              "prices and ledgers belong in the ERP, with its approvals, period "
                                              "controls and audit trail"}
        return {"class": "data platform / BI", "reason": "it calculates financial figures without posting them: a "
                                                        "governed data model on the data platform replaces the "
                                                        "private calculator"}
    if mes and "quality.computes-limits" not in rules:
        return {"class": "MES", "reason": f"it takes line-side quality decisions on MES data{into}: implement "
                                          "them as an MES quality rule, where the line already runs"}
    what = "limits" if "quality.computes-limits" in rules else "pass/fail and release decisions"
    return {"class": "QMS", "reason": f"it owns quality {what}{into}: specifications and dispositions belong in "
                                      "the QMS, with approval workflow and audit trail"}


def _recency(a: ArtifactRow, mtime: float | None, now: datetime) -> tuple[float, int | None]:
    stamps = [mtime or 0.0]
    for key in ("last_changed",):
        with contextlib.suppress(KeyError, TypeError, ValueError):
            stamps.append(datetime.fromisoformat(a.facts[key]).replace(tzinfo=timezone.utc).timestamp())
    last = max(stamps)
    if not last:
        return OLD, None
    days = max(0, int((now.timestamp() - last) // 86400))
    return next((w for limit, w in RECENCY if days <= limit), OLD), days


def owner(a: ArtifactRow) -> dict[str, Any]:
    hints = a.facts.get("owner_hints") or {}
    return {"registered": a.registered, "name": a.owner, "signoff": a.signoff,
            "author": hints.get("author"), "last_modified_by": hints.get("last_modified_by"),
            "file_owner": hints.get("file_owner")}


def article(word: str) -> str:
    """'an ERP', 'a QMS', 'an MES', 'a data platform / BI'."""
    return ("an " if word[:1] in "AEIMO" and word.isupper() or word[:1] in "aeio" else "a ") + word


def next_step(a: ArtifactRow, target_class: str) -> str:
    hints = owners.hints_of(a.facts)
    who = owners.document_person(hints)
    if not a.registered:
        first = (f"Confirm the business owner (the file was last edited by {who})" if who
                 else f"Find the business owner (no document author recorded; the file belongs to account "
                      f"{hints['file_owner']}; ask the folder's department)" if hints.get("file_owner")
                 else "Find the business owner (no document author recorded; ask the folder's department)")
        return (f"{first}, register it and freeze changes; then open {article(target_class)} change request "
                "with this card as the specification.")
    if a.signoff == "stale":
        return (f"{a.owner}: get the Product Owner's sign-off of the current logic or roll it back, "
                f"then open {article(target_class)} change request.")
    return f"{a.owner}: open {article(target_class)} change request and plan retirement of the tool."


def data_of(facts: dict[str, Any], limit: int = 40) -> dict[str, list[dict[str, Any]]]:
    """What a database tool holds and reads, for its card: tables with their columns and rows, queries
    (name and type), linked tables with where they point (only the parts that exist)."""
    out: dict[str, list[dict[str, Any]]] = {}
    tables = [t for t in facts.get("tables") or [] if isinstance(t, dict)]
    if tables:
        out["tables"] = [{"name": t.get("name", "?"), "columns": list(t.get("columns") or [])[:limit],
                          "rows": t.get("rows")} for t in tables[:limit]]
    queries = [q for q in facts.get("queries") or [] if isinstance(q, dict)]
    if queries:
        out["queries"] = [{"name": q.get("name", "?"), "type": q.get("type") or ""} for q in queries[:limit]]
    links = [t for t in facts.get("linked_tables") or [] if isinstance(t, dict)]
    if links:
        out["links"] = [{"name": t.get("name", "?"), "to": " ".join(str(x) for x in (
            t.get("foreign_name"), *(m.group(1) for m in _ENDPOINT.finditer(str(t.get("connect") or ""))),
            t.get("database")) if x)} for t in links[:limit]]
    return out


def card(a: ArtifactRow, now: datetime, mtime: float | None = None) -> dict[str, Any]:
    """The card of a high-risk artifact; ``mtime``: the latest change of any copy of its tool (else its own)."""
    findings = a.findings
    write_targets = targets(ev for f in findings if f.rule in WRITE_RULES for ev in f.evidence)
    reaches = []
    for rule, label in REACH_LABEL.items():
        for f in findings:
            if f.rule == rule:
                reaches.append({"system": label, "where": _where(f.evidence[0]) if f.evidence else "",
                                "snippet": f.evidence[0].snippet if f.evidence else ""})
                break
    for conn in (a.facts.get("connections") or [])[:5]:
        reaches.append({"system": "workbook data connection", "where": f"connection {conn.get('name', '?')}",
                        "snippet": conn.get("connection", "")})
    for link in (a.facts.get("linked_tables") or [])[:5]:
        reaches.append({"system": "linked table", "where": f"table {link.get('name', '?')}",
                        "snippet": str(link.get("database") or link.get("connect") or "")})
    size = measure(a.facts)
    interfaces = len(write_targets) + len({r["system"] for r in reaches})
    recency, days = _recency(a, a.mtime if mtime is None else mtime, now)
    weight = IMPACT_WEIGHT[min(2, len(a.impacts))]
    goal = target(a, write_targets)
    return {
        "relpath": a.relpath, "name": a.name, "path": a.path,
        "department": a.department, "kind": a.kind,
        "format": a.format, "impacts": list(a.impacts), "risk_score": a.risk_score, "headline": a.headline,
        "risk_factors": [f.json() for f in a.risk_factors],
        "priority": round(weight * a.risk_score * recency, 1),
        "priority_basis": {"impact_weight": weight, "risk_score": a.risk_score, "recency_weight": recency,
                           "days_since_change": days},
        "does": {"inputs": _items(findings, INPUT_RULES), "computes": _items(findings, COMPUTE_RULES),
                 "writes": _items(findings, WRITE_RULES), "write_targets": write_targets},
        "reaches": reaches,
        "data": data_of(a.facts),
        # GL accounts, cost centers, quality limits named in the evidence (see exposure.py)
        "exposure": exposure.find(ev.snippet or "" for f in findings for ev in f.evidence),
        "target": goal["class"], "target_reason": goal["reason"],
        "size": size, "effort": effort(size, interfaces),
        "owner": owner(a), "next_step": next_step(a, goal["class"]),
    }


def backlog(artifacts: Iterable[ArtifactRow], crawl_started: str | None,
            tools: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """One card per high-risk tool (see :mod:`.families`; without ``tools``, per artifact), planned from
    its representative copy with the latest change of any copy, highest priority first, ranked from 1.
    ``artifacts`` (the representatives) are taken one at a time: only the cards are kept."""
    try:
        now = datetime.fromisoformat(crawl_started) if crawl_started else datetime.now(timezone.utc)
    except ValueError:
        now = datetime.now(timezone.utc)
    by_path = {t["representative"]: t for t in tools or () if t["classification"] == "shadow-it"}
    cards = []
    for rep in artifacts:
        if tools is None:
            t: dict[str, Any] = {"tool_id": None, "representative": rep.path, "classification": rep.classification,
                                 "copies": 1, "copies_differ": "identical", "departments": [rep.department],
                                 "last_changed": {"path": rep.path, "mtime": rep.mtime}, "locations": [],
                                 "ask": {}}
        elif rep.path in by_path:
            t = by_path[rep.path]
        else:
            continue
        if t["classification"] != "shadow-it":
            continue
        c = card(rep, now, max(rep.mtime or 0, t["last_changed"].get("mtime") or 0) or None)
        c.update({"tool_id": t["tool_id"], "tool_name": t.get("name") or c["name"], "copies": t["copies"],
                  "copies_differ": t["copies_differ"],
                  "departments": t["departments"], "last_changed": t["last_changed"], "ask": t["ask"],
                  "locations": [loc["name"] for loc in t["locations"][:LOCATIONS]]})
        cards.append(c)
    cards.sort(key=lambda c: (-c["priority"], -c["risk_score"], c["name"]))
    for rank, c in enumerate(cards, 1):
        c["rank"] = rank
    link(cards)
    return cards


_ENDPOINT = re.compile(r"(?:server|data\s*source|dsn|host|dbq|database)\s*=\s*([^;'\"&)]+)", re.IGNORECASE)


def shares(c: dict[str, Any]) -> set[str]:
    """What a card's tool writes to or reaches that another tool may share: its write targets (tables,
    files, endpoints), the databases of its linked tables and connections, the hosts it posts to."""
    out = {f"writes {t}" for t in c["does"]["write_targets"] if not t.endswith("*")}
    for r in c["reaches"]:
        text = r.get("snippet") or ""
        hosts = [m.group(1) for m in _URL.finditer(text)] + [m.group(1).strip() for m in _ENDPOINT.finditer(text)]
        if r["system"] == "linked table" and text:
            hosts.append(re.split(r"[\\/]", text.rstrip("\\/"))[-1])
        out |= {f"{r['system']} {h}" for h in hosts if h}
    return {key.lower() for key in out}


def link(cards: list[dict[str, Any]]) -> None:
    """Tools that write to or reach the same place (the same table, file, linked database or ERP endpoint)
    are migrated together: each card gets ``migrate_with`` (the others, with what they share) and
    ``group`` (the rank of the first card of its group; its own rank when it stands alone). A card names at
    most :data:`MIGRATE_WITH` of the others (``migrate_with_more`` counts the rest): listing every other tool
    on every card of a group of thousands would grow with the square of the group."""
    keys = [shares(c) for c in cards]
    group = list(range(len(cards)))

    def root(n: int) -> int:
        while group[n] != n:
            group[n] = group[group[n]]
            n = group[n]
        return n

    owner: dict[str, int] = {}
    for n, ks in enumerate(keys):
        for k in ks:
            if k in owner:
                a, b = root(owner[k]), root(n)
                group[max(a, b)] = min(a, b)
            else:
                owner[k] = n
    members: dict[int, list[int]] = {}
    for n in range(len(cards)):
        members.setdefault(root(n), []).append(n)
    shared: dict[frozenset[str], list[str]] = {}  # what two tools share, one list per distinct answer
    for n, c in enumerate(cards):
        c["group"] = cards[root(n)]["rank"]
        others = [m for m in members[root(n)] if m != n]
        c["migrate_with"] = [{"rank": cards[m]["rank"], "tool_id": cards[m].get("tool_id"),
                              "name": cards[m].get("tool_name", cards[m]["name"]),
                              "shares": shared.setdefault(frozenset(keys[n] & keys[m]), sorted(keys[n] & keys[m]))}
                             for m in others[:MIGRATE_WITH]]
        if len(others) > MIGRATE_WITH:  # a group of hundreds: the first named, the rest counted
            c["migrate_with_more"] = len(others) - MIGRATE_WITH


def groups(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The backlog by target system, then business process (what the tools decide: the impacts), then the
    tools that go together: {target, process, cards (ranks), effort weeks [low, high]}, largest first."""
    together: dict[int, list[int]] = {}  # the first card's rank -> the ranks of its group
    for c in cards:
        together.setdefault(c["group"], []).append(c["rank"])
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for c in cards:
        process = " + ".join(c["impacts"]) or "other"
        row = out.setdefault((c["target"], process), {"target": c["target"], "process": process, "cards": [],
                                                       "together": [], "weeks": [0.0, 0.0]})
        row["cards"].append(c["rank"])
        row["weeks"] = [round(row["weeks"][0] + c["effort"]["weeks"][0], 1),
                        round(row["weeks"][1] + c["effort"]["weeks"][1], 1)]
        if c["group"] == c["rank"] and len(together[c["rank"]]) > 1:
            row["together"].append(sorted(together[c["rank"]]))
    return sorted(out.values(), key=lambda g: (-len(g["cards"]), g["target"], g["process"]))

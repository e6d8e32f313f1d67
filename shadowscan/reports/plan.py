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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Literal

from .. import owners
from ..model import Family, Impact
from ..rules import catalogue
from . import exposure
from .view import (
    ArtifactRow,
    Card,
    CardOwner,
    DataOf,
    Does,
    Effort,
    EvidenceRow,
    FindingRow,
    LinkInfo,
    MigrationGroup,
    Partner,
    PriorityBasis,
    QueryInfo,
    Reach,
    Step,
    TableInfo,
    Target,
    Tool,
)

IMPACT_WEIGHT = {0: 1.0, 1: 2.0, 2: 3.0}  # number of impacts (financial, quality) -> weight
RECENCY = ((30, 1.0), (90, 0.8), (365, 0.6))  # modified within N days -> weight; older: 0.4
OLD = 0.4
EFFORT: tuple[tuple[int, Literal["S", "M", "L"], str], ...] = (
    (6, "S", "2-5 person-days"), (15, "M", "1-3 person-weeks"), (35, "L", "1-2 person-months"))
LOCATIONS = 20  # copies named on a card (the tools section of the JSON lists all)
MIGRATE_WITH = 20  # tools named on a card under "migrate together" (the rest counted; the groups list all)
XL: tuple[Literal["XL"], str] = ("XL", "a project: more than 2 person-months")
# each band as a range of person-weeks, for the totals on the first screen (XL counted as 2-4 months)
WEEKS: dict[str, tuple[float, float]] = {"S": (0.4, 1.0), "M": (1.0, 3.0), "L": (4.0, 9.0), "XL": (9.0, 18.0)}
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


def _items(findings: Sequence[FindingRow], rules: tuple[str, ...], limit: int = 6) -> tuple[Step, ...]:
    out: list[Step] = []
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
                out.append(Step(f.title, key[0], key[1]))
    return tuple(out[:limit])


def measure(facts: Mapping[str, Any]) -> dict[str, int]:
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


def effort(size: dict[str, int], interfaces: int) -> Effort:
    """T-shirt size from measured size; ``points`` shows the arithmetic."""
    points = (size.get("vba_lines", 0) / 50 + size.get("script_lines", 0) / 50 + size.get("procedures", 0) * 0.5
              + size.get("xlm_formulas", 0) / 20 + size.get("queries", 0) + size.get("forms", 0) * 2
              + size.get("reports", 0) + size.get("linked_tables", 0) + size.get("connections", 0)
              + size.get("tables", 0) * 0.5 + interfaces * 1.5)
    points = round(points, 1)
    for limit, label, days in EFFORT:
        if points < limit:
            return Effort(label, days, points, WEEKS[label])
    return Effort(XL[0], XL[1], points, WEEKS[XL[0]])


def target(a: ArtifactRow, writes: list[str]) -> tuple[Target, str]:
    """Where the logic belongs: ERP, QMS, MES or data platform/BI, and why."""
    rules = {f.rule for f in a.findings}
    mes = any(_MES.search(ev.snippet or "") for f in a.findings if f.rule == "reach.qms-mes" for ev in f.evidence)
    into = f" ({', '.join(writes)})" if writes else ""
    if "financial" in a.impacts:
        if rules & FINANCIAL_RECORDS or "reach.erp" in rules:
            return "ERP", (f"it posts, issues or keeps financial data{into}: postings, invoices, prices and ledgers "
                           "belong in the ERP, with its approvals, period controls and audit trail")
        return "data platform / BI", ("it calculates financial figures without posting them: a governed data model "
                                      "on the data platform replaces the private calculator")
    if mes and "quality.computes-limits" not in rules:
        return "MES", (f"it takes line-side quality decisions on MES data{into}: implement them as an MES quality "
                       "rule, where the line already runs")
    what = "limits" if "quality.computes-limits" in rules else "pass/fail and release decisions"
    return "QMS", (f"it owns quality {what}{into}: specifications and dispositions belong in the QMS, with approval "
                   "workflow and audit trail")


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


def owner(a: ArtifactRow) -> CardOwner:
    hints = a.facts.get("owner_hints") or {}
    return CardOwner(a.registered, a.owner, a.signoff, hints.get("author"), hints.get("last_modified_by"),
                     hints.get("file_owner"), owners.document_person(owners.hints_of(a.facts)))


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


def data_of(facts: Mapping[str, Any], limit: int = 40) -> DataOf:
    """What a database tool holds and reads, for its card: tables with their columns and rows, queries
    (name and type), linked tables with where they point (only the parts that exist)."""
    tables = [t for t in facts.get("tables") or [] if isinstance(t, dict)]
    queries = [q for q in facts.get("queries") or [] if isinstance(q, dict)]
    links = [t for t in facts.get("linked_tables") or [] if isinstance(t, dict)]
    return DataOf(
        tuple(TableInfo(t.get("name", "?"), tuple(list(t.get("columns") or [])[:limit]), t.get("rows"))
              for t in tables[:limit]) if tables else None,
        tuple(QueryInfo(q.get("name", "?"), q.get("type") or "") for q in queries[:limit]) if queries else None,
        tuple(LinkInfo(t.get("name", "?"), " ".join(str(x) for x in (
            t.get("foreign_name"), *(m.group(1) for m in _ENDPOINT.finditer(str(t.get("connect") or ""))),
            t.get("database")) if x)) for t in links[:limit]) if links else None)


def card(a: ArtifactRow, tool: Tool, now: datetime) -> Card:
    """The card of a high-risk tool, planned from its representative copy ``a`` with the latest change of any
    copy (unranked: :func:`backlog` ranks and links the cards)."""
    findings = a.findings
    write_targets = targets(ev for f in findings if f.rule in WRITE_RULES for ev in f.evidence)
    reaches = []
    for rule, label in REACH_LABEL.items():
        for f in findings:
            if f.rule == rule:
                reaches.append(Reach(label, _where(f.evidence[0]) if f.evidence else "",
                                     f.evidence[0].snippet if f.evidence else ""))
                break
    for conn in (a.facts.get("connections") or [])[:5]:
        reaches.append(Reach("workbook data connection", f"connection {conn.get('name', '?')}",
                             conn.get("connection", "")))
    for link in (a.facts.get("linked_tables") or [])[:5]:
        reaches.append(Reach("linked table", f"table {link.get('name', '?')}",
                             str(link.get("database") or link.get("connect") or "")))
    size = measure(a.facts)
    interfaces = len(write_targets) + len({r.system for r in reaches})
    recency, days = _recency(a, max(a.mtime or 0, tool.last_changed.mtime or 0) or None, now)
    weight = IMPACT_WEIGHT[min(2, len(a.impacts))]
    goal, reason = target(a, write_targets)
    return Card(
        relpath=a.relpath, name=a.name, path=a.path, department=a.department, kind=a.kind, format=a.format,
        impacts=a.impacts, risk_score=a.risk_score, headline=a.headline, risk_factors=a.risk_factors,
        priority=round(weight * a.risk_score * recency, 1),
        priority_basis=PriorityBasis(weight, a.risk_score, recency, days),
        does=Does(_items(findings, INPUT_RULES), _items(findings, COMPUTE_RULES), _items(findings, WRITE_RULES),
                  tuple(write_targets)),
        reaches=tuple(reaches),
        data=data_of(a.facts),
        # GL accounts, cost centers, quality limits named in the evidence (see exposure.py)
        exposure=exposure.find(ev.snippet or "" for f in findings for ev in f.evidence),
        target=goal, target_reason=reason,
        size=size, effort=effort(size, interfaces),
        owner=owner(a), next_step=next_step(a, goal),
        tool_id=tool.tool_id, tool_name=tool.name or a.name, copies=tool.copies, copies_differ=tool.copies_differ,
        departments=tool.departments, last_changed=tool.last_changed, ask=tool.ask,
        locations=tuple(loc.name for loc in (tool.locations or ())[:LOCATIONS]),
    )


def backlog(artifacts: Iterable[ArtifactRow], crawl_started: str | None, tools: Sequence[Tool]) -> tuple[Card, ...]:
    """One card per high-risk tool (see :mod:`.families`), planned from its representative copy with the
    latest change of any copy, highest priority first, ranked from 1. ``artifacts`` (the representatives) are
    taken one at a time: only the cards are kept."""
    try:
        now = datetime.fromisoformat(crawl_started) if crawl_started else datetime.now(timezone.utc)
    except ValueError:
        now = datetime.now(timezone.utc)
    by_path = {t.representative: t for t in tools if t.classification == "shadow-it"}
    cards = [card(rep, by_path[rep.path], now) for rep in artifacts if rep.path in by_path]
    cards.sort(key=lambda c: (-c.priority, -c.risk_score, c.name))
    return link([replace(c, rank=rank) for rank, c in enumerate(cards, 1)])


_ENDPOINT = re.compile(r"(?:server|data\s*source|dsn|host|dbq|database)\s*=\s*([^;'\"&)]+)", re.IGNORECASE)


def shares(c: Card) -> set[str]:
    """What a card's tool writes to or reaches that another tool may share: its write targets (tables,
    files, endpoints), the databases of its linked tables and connections, the hosts it posts to."""
    out = {f"writes {t}" for t in c.does.write_targets if not t.endswith("*")}
    for r in c.reaches:
        text = r.snippet or ""
        hosts = [m.group(1) for m in _URL.finditer(text)] + [m.group(1).strip() for m in _ENDPOINT.finditer(text)]
        if r.system == "linked table" and text:
            hosts.append(re.split(r"[\\/]", text.rstrip("\\/"))[-1])
        out |= {f"{r.system} {h}" for h in hosts if h}
    return {key.lower() for key in out}


def link(cards: Sequence[Card]) -> tuple[Card, ...]:
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
    shared: dict[frozenset[str], tuple[str, ...]] = {}  # what two tools share, one tuple per distinct answer
    out = []
    for n, c in enumerate(cards):
        others = [m for m in members[root(n)] if m != n]
        out.append(replace(
            c, group=cards[root(n)].rank,
            migrate_with=tuple(Partner(cards[m].rank, cards[m].tool_id, cards[m].tool_name,
                                       shared.setdefault(frozenset(keys[n] & keys[m]),
                                                         tuple(sorted(keys[n] & keys[m]))))
                               for m in others[:MIGRATE_WITH]),
            # a group of hundreds: the first named, the rest counted
            migrate_with_more=len(others) - MIGRATE_WITH if len(others) > MIGRATE_WITH else None))
    return tuple(out)


def groups(cards: Sequence[Card]) -> tuple[MigrationGroup, ...]:
    """The backlog by target system, then business process (what the tools decide: the impacts), then the
    tools that go together: {target, process, cards (ranks), effort weeks [low, high]}, largest first."""
    together: dict[int, list[int]] = {}  # the first card's rank -> the ranks of its group
    for c in cards:
        together.setdefault(c.group, []).append(c.rank)
    out: dict[tuple[Target, str], tuple[list[int], list[tuple[int, ...]], list[float]]] = {}
    for c in cards:
        process = " + ".join(c.impacts) or "other"
        ranks, joined, weeks = out.setdefault((c.target, process), ([], [], [0.0, 0.0]))
        ranks.append(c.rank)
        weeks[:] = [round(weeks[0] + c.effort.weeks[0], 1), round(weeks[1] + c.effort.weeks[1], 1)]
        if c.group == c.rank and len(together[c.rank]) > 1:
            joined.append(tuple(sorted(together[c.rank])))
    rows = [MigrationGroup(target, process, tuple(ranks), tuple(joined), (weeks[0], weeks[1]))
            for (target, process), (ranks, joined, weeks) in out.items()]
    return tuple(sorted(rows, key=lambda g: (-len(g.cards), g.target, g.process)))

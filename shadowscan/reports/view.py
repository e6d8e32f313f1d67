r"""The typed report model: what :func:`.data.build` returns and every renderer and template reads.

Frozen dataclasses with ``slots=True``, one per part a format shows, except the rows made once per artifact
(or copy) per format pass: ``ArtifactRow``, ``FindingRow``, ``EvidenceRow``, ``Factor``, ``Checklist``,
``Location`` and ``Tool`` are ``NamedTuple``\ s, immutable and typed as well. A frozen dataclass sets each field
through ``object.__setattr__``: an ``ArtifactRow`` of 40 fields cost about 8x a tuple's construction, and the
20,000-artifact benchmark paid it in every format (0.3-0.6 s of CPU each). The parts are: the crawl, the
coverage, the parts not scanned, the summary figures with the first screen's decision, the trend, the
changes since the previous crawl, the registry and reviews, the artifacts (each with its findings and their
evidence, its checklist, registry fields and change), the tools and the migration backlog.

Each class's ``json()`` is its part of the public contract ``shadowscan/report-v1`` (README), key for key in
the documented order; the renderers read attributes and never keys. A field with a closed set of values is
a ``Literal`` of them: mypy checks every value against the set, and the value is the very text every format
writes (the model's ``str`` enums would print as ``Classification.SHADOW_IT`` through ``str()``).

Pure data and its JSON; no store, no I/O. The lazy sequences that read the artifacts and tools back from the
report's scratch table (:mod:`.data`) are typed here by the protocols the renderers use.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Protocol, TypeVar

from ..registry_types import Entry, Review
from ..textio import visible, visible_deep

ClassName = Literal["shadow-it", "citizen-development", "unknown"]
CLASS_NAMES: tuple[ClassName, ...] = ("shadow-it", "citizen-development", "unknown")
CrawlState = Literal["running", "finished", "interrupted", "failed", "stopped"]
CoverageState = Literal["complete", "incomplete", "partial", "unreachable"]  # of a root (coverage.py)
UnscannedStatus = Literal["unreadable", "unsupported"]
Status = Literal["analyzed", "encrypted", "corrupt", "unsupported", "too-large", "timeout", "unreadable",
                 "analyzer-crashed", "not-an-artifact"]  # model.Status
ImpactName = Literal["financial", "quality"]  # model.Impact
SeverityName = Literal["info", "low", "medium", "high"]  # model.Severity
Change = Literal["new", "changed", "unchanged", "not-rechecked"]
Signoff = Literal["valid", "stale", "missing"]
Target = Literal["ERP", "QMS", "MES", "data platform / BI"]  # where a high-risk tool's logic belongs (plan.py)

JSON = Any  # a value of the JSON contract (dicts, lists, strings, numbers, None): open by nature
K = TypeVar("K", bound=str)


def _pairs(value: Mapping[K, Any]) -> dict[K, JSON]:
    return {k: v.json() if hasattr(v, "json") else v for k, v in value.items()}


# the crawl and its coverage -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Crawl:
    """The newest crawl of the report (``crawl``)."""

    id: int
    roots: tuple[str, ...]
    started: str
    finished: str | None
    state: CrawlState  # a crawl killed while running reads "stopped"
    reason: str | None
    seconds: float | None
    previous: int | None  # the crawl the changes are counted against

    def json(self) -> JSON:
        return {"id": self.id, "roots": list(self.roots), "started": self.started, "finished": self.finished,
                "state": self.state, "reason": self.reason, "seconds": self.seconds, "previous": self.previous}


@dataclass(frozen=True, slots=True)
class CrawlRef:
    """One crawl of the estate (``crawls``): the roots it speaks for, with their short labels."""

    id: int
    roots: tuple[str, ...]
    label: tuple[str, ...]
    started: str
    finished: str | None
    state: CrawlState

    def json(self) -> JSON:
        return {"id": self.id, "roots": list(self.roots), "label": list(self.label), "started": self.started,
                "finished": self.finished, "state": self.state}


@dataclass(frozen=True, slots=True)
class RootCoverage:
    """What the crawl covered of one root, and the sentence that says it."""

    root: str
    state: CoverageState
    reason: str | None
    baseline: int | None
    unlisted: int
    unreadable: int
    not_rechecked: int
    sentence: str

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> RootCoverage:
        return cls(row["root"], row["state"], row["reason"], row["baseline"], row["unlisted"], row["unreadable"],
                   row["not_rechecked"], row["sentence"])

    def json(self) -> JSON:
        return {"root": self.root, "state": self.state, "reason": self.reason, "baseline": self.baseline,
                "unlisted": self.unlisted, "unreadable": self.unreadable, "not_rechecked": self.not_rechecked,
                "sentence": self.sentence}


@dataclass(frozen=True, slots=True)
class Coverage:
    complete: bool
    statement: str
    roots: tuple[RootCoverage, ...]

    @classmethod
    def of(cls, section: Mapping[str, Any]) -> Coverage:
        return cls(bool(section["complete"]), section["statement"], tuple(RootCoverage.of(r) for r in section["roots"]))

    def json(self) -> JSON:
        return {"complete": self.complete, "statement": self.statement, "roots": [r.json() for r in self.roots]}


@dataclass(frozen=True, slots=True)
class UnscannedPart:
    """A root or folder the crawl could not look into (``unscanned``): named as an artifact would be."""

    path: str
    root: str
    relpath: str
    name: str
    status: UnscannedStatus
    reason: str
    crawl_id: int

    def json(self) -> JSON:
        return {"path": self.path, "root": self.root, "relpath": self.relpath, "name": self.name,
                "status": self.status, "reason": self.reason, "crawl_id": self.crawl_id}


# the summary ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ClassCounts:
    """Artifacts or tools of one kind or department, per class."""

    total: int = 0
    shadow_it: int = 0
    citizen_development: int = 0
    unknown: int = 0

    def of(self, classification: str) -> int:
        """The count of one class by its name (``shadow-it``...)."""
        return {"shadow-it": self.shadow_it, "citizen-development": self.citizen_development,
                "unknown": self.unknown}.get(classification, 0)

    def json(self) -> JSON:
        return {"total": self.total, "shadow-it": self.shadow_it, "citizen-development": self.citizen_development,
                "unknown": self.unknown}


@dataclass(frozen=True, slots=True)
class Owners:
    artifacts: int
    registered: int
    business_owner: int
    shadow_it_with_owner: int
    owner_hints_only: int

    def json(self) -> JSON:
        return {"artifacts": self.artifacts, "registered": self.registered, "business_owner": self.business_owner,
                "shadow_it_with_owner": self.shadow_it_with_owner, "owner_hints_only": self.owner_hints_only}


@dataclass(frozen=True, slots=True)
class Governance:
    """POLICY.md's checklist over the governed artifacts: how many meet each item (named as
    ``data.CHECKLIST``), all four, and how many have a gap."""

    population: int
    business_owner: int
    signoff: int
    cost_center: int
    review_cadence: int
    complete: int
    with_gaps: int

    def json(self) -> JSON:
        return {"population": self.population, "business_owner": self.business_owner, "signoff": self.signoff,
                "cost_center": self.cost_center, "review_cadence": self.review_cadence, "complete": self.complete,
                "with_gaps": self.with_gaps}


@dataclass(frozen=True, slots=True)
class ToolCounts:
    """Distinct tools per class, and the files they are."""

    total: int
    shadow_it: int
    citizen_development: int
    unknown: int
    files: int
    with_copies: int
    shadow_it_files: int

    def json(self) -> JSON:
        return {"total": self.total, "shadow-it": self.shadow_it, "citizen-development": self.citizen_development,
                "unknown": self.unknown, "files": self.files, "with_copies": self.with_copies,
                "shadow-it_files": self.shadow_it_files}


@dataclass(frozen=True, slots=True)
class ChangeCounts:
    """What moved since the previous crawl (``previous_crawl`` None: this is the first)."""

    previous_crawl: int | None
    new: int
    changed: int
    unchanged: int
    not_rechecked: int
    removed: int
    changed_without_signoff: int

    def json(self) -> JSON:
        return {"previous_crawl": self.previous_crawl, "new": self.new, "changed": self.changed,
                "unchanged": self.unchanged, "not_rechecked": self.not_rechecked, "removed": self.removed,
                "changed_without_signoff": self.changed_without_signoff}


@dataclass(frozen=True, slots=True)
class ReviewCounts:
    reviewed: int
    overrules: int
    downgrades: int
    stale: int

    def json(self) -> JSON:
        return {"reviewed": self.reviewed, "overrules": self.overrules, "downgrades": self.downgrades,
                "stale": self.stale}


@dataclass(frozen=True, slots=True)
class TargetEffort:
    """The high-risk tools bound for one target system and the effort to move them."""

    tools: int
    weeks: tuple[float, float]

    def json(self) -> JSON:
        return {"tools": self.tools, "weeks": list(self.weeks)}


@dataclass(frozen=True, slots=True)
class Ask:
    """Who to ask first about a high-risk tool (the first screen)."""

    tool_id: str | None
    tool: str
    who: str | None
    role: str | None

    def json(self) -> JSON:
        return {"tool_id": self.tool_id, "tool": self.tool, "who": self.who, "role": self.role}


@dataclass(frozen=True, slots=True)
class Decision:
    """The first screen: how many high-risk tools, the effort by target system, what they write into and
    expose, who to ask; ``sentence`` says it in one line."""

    shadow_it_tools: int
    shadow_it_files: int
    effort_weeks: tuple[float, float]
    by_target: dict[Target, TargetEffort]  # target system -> effort, most tools first
    writes_into: dict[ImpactName, tuple[str, ...]]  # impact -> write targets
    exposure: dict[str, list[str]]  # GL accounts / cost centers / quality limits -> values (exposure.py)
    ask: tuple[Ask, ...]
    sentence: str

    def json(self) -> JSON:
        return {"shadow_it_tools": self.shadow_it_tools, "shadow_it_files": self.shadow_it_files,
                "effort_weeks": list(self.effort_weeks), "by_target": _pairs(self.by_target),
                "writes_into": {k: list(v) for k, v in self.writes_into.items()},
                "exposure": {k: list(v) for k, v in self.exposure.items()}, "ask": [a.json() for a in self.ask],
                "sentence": self.sentence}


@dataclass(frozen=True, slots=True)
class Summary:
    """The report's figures: artifacts per class, status, impact, kind and department; owners; the
    governance checklist; tools; changes; reviews; and the first screen's decision."""

    total: int
    shadow_it: int
    citizen_development: int
    unknown: int
    by_status: dict[str, int]
    by_impact: dict[str, int]
    by_impact_combined: dict[str, int]
    by_kind: dict[str, int]
    in_sandbox: int
    by_kind_class: dict[str, ClassCounts]
    by_department: dict[str, ClassCounts]
    owners: Owners
    governance: Governance
    tools: ToolCounts
    by_department_tools: dict[str, ClassCounts]
    changes: ChangeCounts
    access_times_not_kept: int  # files whose access time this crawl's account could not preserve
    coverage_complete: bool
    reviews: ReviewCounts
    decision: Decision

    def json(self) -> JSON:
        return {
            "total": self.total, "shadow-it": self.shadow_it, "citizen-development": self.citizen_development,
            "unknown": self.unknown, "by_status": dict(self.by_status), "by_impact": dict(self.by_impact),
            "by_impact_combined": dict(self.by_impact_combined), "by_kind": dict(self.by_kind),
            "in_sandbox": self.in_sandbox, "by_kind_class": _pairs(self.by_kind_class),
            "by_department": _pairs(self.by_department), "owners": self.owners.json(),
            "governance": self.governance.json(), "tools": self.tools.json(),
            "by_department_tools": _pairs(self.by_department_tools), "changes": self.changes.json(),
            "access_times_not_kept": self.access_times_not_kept, "coverage_complete": self.coverage_complete,
            "reviews": self.reviews.json(), "decision": self.decision.json(),
        }


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """The estate as it stood after one crawl: distinct tools high-risk, unregistered, changed without
    sign-off, and the artifacts."""

    crawl: int
    shadow_it_tools: int
    unregistered_tools: int
    changed_without_signoff: int
    artifacts: int

    def json(self) -> JSON:
        return {"crawl": self.crawl, "shadow_it_tools": self.shadow_it_tools,
                "unregistered_tools": self.unregistered_tools, "changed_without_signoff": self.changed_without_signoff,
                "artifacts": self.artifacts}


# changes since the previous crawl --------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Removed:
    """An artifact of the previous crawl that is gone."""

    path: str
    root: str
    relpath: str
    classification: ClassName
    last_crawl: int | None

    def json(self) -> JSON:
        return {"path": self.path, "root": self.root, "relpath": self.relpath, "classification": self.classification,
                "last_crawl": self.last_crawl}


@dataclass(frozen=True, slots=True)
class Changes:
    """The paths of each kind of change (read from the report's scratch table when iterated)."""

    previous_crawl: int | None
    new: Sequence[str]
    changed: Sequence[str]
    not_rechecked: Sequence[str]
    removed: tuple[Removed, ...]

    def lists(self) -> Iterator[tuple[str, JSON | Iterable[str]]]:
        """The section's members for the JSON writer (the path lists as they are read)."""
        yield "previous_crawl", self.previous_crawl
        yield "new", self.new
        yield "changed", self.changed
        yield "not_rechecked", self.not_rechecked
        yield "removed", [r.json() for r in self.removed]


# one artifact -----------------------------------------------------------------------------------


class EvidenceRow(NamedTuple):
    """Where a finding was seen (redacted before it was stored)."""

    location: str
    line: int | None
    snippet: str

    def json(self) -> JSON:
        return {"location": self.location, "line": self.line, "snippet": self.snippet}


class FindingRow(NamedTuple):
    rule: str
    family: str
    title: str
    severity: SeverityName
    impact: ImpactName | None
    evidence: tuple[EvidenceRow, ...]

    def json(self) -> JSON:
        return {"rule": self.rule, "family": self.family, "title": self.title, "severity": self.severity,
                "impact": self.impact, "evidence": [e.json() for e in self.evidence]}


class Factor(NamedTuple):
    """One term of the risk score."""

    factor: str
    points: int

    def json(self) -> JSON:
        return {"factor": self.factor, "points": self.points}


class Checklist(NamedTuple):
    """POLICY.md's governance checklist of one artifact: which items hold (``data.CHECKLIST`` names them)."""

    business_owner: bool
    signoff: bool
    cost_center: bool
    review_cadence: bool

    def complete(self) -> bool:
        return self.business_owner and self.signoff and self.cost_center and self.review_cadence

    def json(self) -> JSON:
        return {"business_owner": self.business_owner, "signoff": self.signoff, "cost_center": self.cost_center,
                "review_cadence": self.review_cadence}


@dataclass(frozen=True, slots=True)
class ReviewState:
    """A reviewer's decision as it applies to an artifact (governance.apply_review): in force (``current``,
    ``overrules`` when it differs from the analysis) or ``stale`` (the logic changed since)."""

    id: int
    verdict: str
    impacts: tuple[str, ...]
    by: str
    at: str
    reason: str
    path: str
    analysis_classification: str
    analysis_impacts: tuple[str, ...]
    state: Literal["current", "stale"]
    overrules: bool

    @classmethod
    def of(cls, state: Mapping[str, Any]) -> ReviewState:
        return cls(state["id"], state["verdict"], tuple(state["impacts"]), state["by"], state["at"], state["reason"],
                   state["path"], state["analysis_classification"], tuple(state["analysis_impacts"]),
                   "stale" if state["state"] == "stale" else "current", bool(state["overrules"]))

    def json(self) -> JSON:
        return {"id": self.id, "verdict": self.verdict, "impacts": list(self.impacts), "by": self.by, "at": self.at,
                "reason": self.reason, "path": self.path, "analysis_classification": self.analysis_classification,
                "analysis_impacts": list(self.analysis_impacts), "state": self.state, "overrules": self.overrules}


class ArtifactRow(NamedTuple):
    """One artifact as every format shows it: what the analysis and the judgement stored (class, impacts,
    risk, reasons, findings with evidence, facts, registry state, review, change), and what the report
    decides of it (department and name in the estate, checklist and gaps, sandbox, headline, coverage,
    tool). ``structure`` is None in the pass that folds the summaries (only the formats show it)."""

    path: str
    root: str
    relpath: str
    kind: str
    format: str
    size: int | None
    mtime: float | None
    sha256: str | None
    fingerprint: str | None
    status: Status
    status_reason: str
    classification: ClassName
    impacts: tuple[ImpactName, ...]
    risk_score: int
    risk_factors: tuple[Factor, ...]
    action: str
    reasons: tuple[str, ...]
    findings: tuple[FindingRow, ...]
    # the analyzer's facts, as stored: open by nature (each kind declares its own keys, model.py's
    # *Facts), and the contract carries them as they are
    facts: dict[str, Any]
    registered: bool
    registry_id: int | None
    owner: str | None
    signoff: Signoff
    registry_match: str | None
    review: ReviewState | None
    change: Change
    crawl_id: int
    department: str
    name: str
    checklist: Checklist
    gaps: tuple[str, ...]
    sandbox: str | None
    headline: str
    structure: tuple[str, ...] | None
    coverage: str
    last_checked: int | None  # the last crawl that looked at it: only for an artifact not re-checked
    tool_id: str
    # not in the contract (its facts hold the hints): the person to name for it, decided once in data.py
    shown_owner: str  # the registered owner, else the person the document names (owners.document_person), else ""
    document_author: bool  # the document names a person to ask (the file system's owner account does not count)

    def json(self) -> JSON:
        out = {
            "path": self.path, "root": self.root, "relpath": self.relpath, "kind": self.kind, "format": self.format,
            "size": self.size, "mtime": self.mtime, "sha256": self.sha256, "fingerprint": self.fingerprint,
            "status": self.status, "status_reason": self.status_reason, "classification": self.classification,
            "impacts": list(self.impacts), "risk_score": self.risk_score,
            "risk_factors": [f.json() for f in self.risk_factors], "action": self.action,
            "reasons": list(self.reasons), "findings": [f.json() for f in self.findings], "facts": self.facts,
            "registered": self.registered, "registry_id": self.registry_id, "owner": self.owner,
            "signoff": self.signoff, "registry_match": self.registry_match,
            "review": self.review.json() if self.review else None, "change": self.change, "crawl_id": self.crawl_id,
            "department": self.department, "name": self.name, "checklist": self.checklist.json(),
            "gaps": list(self.gaps), "sandbox": self.sandbox, "headline": self.headline,
        }
        if self.structure is not None:
            out["structure"] = list(self.structure)
        out["coverage"] = self.coverage
        if self.change == "not-rechecked":
            out["last_checked"] = self.last_checked
        out["tool_id"] = self.tool_id
        return out


# tools: the copies of one tool grouped -----------------------------------------------------------
class Location(NamedTuple):
    """One copy of a tool, as the ``tools`` section lists it."""

    path: str
    name: str
    department: str
    mtime: float | None
    change: Change
    sha256: str | None

    def json(self) -> JSON:
        return {"path": self.path, "name": self.name, "department": self.department, "mtime": self.mtime,
                "change": self.change, "sha256": self.sha256}


@dataclass(frozen=True, slots=True)
class LastChanged:
    """The copy of a tool changed last."""

    path: str
    name: str
    mtime: float | None

    def json(self) -> JSON:
        return {"path": self.path, "name": self.name, "mtime": self.mtime}


@dataclass(frozen=True, slots=True)
class Contact:
    """Who to ask about a tool, and in which role (owners.who_to_ask)."""

    role: str
    name: str

    def json(self) -> JSON:
        return {"role": self.role, "name": self.name}


class Tool(NamedTuple):
    """One tool: its copies judged by the representative (worst class, highest risk, latest change).
    ``names`` (every file name) and ``locations`` (its copies) are None where they are not read: what shows
    only counts and the first copies reads the tools without them."""

    tool_id: str
    name: str
    kind: str
    format: str
    classification: ClassName
    impacts: tuple[ImpactName, ...]
    risk_score: int
    risk_factors: tuple[Factor, ...]
    action: str
    headline: str
    copies: int
    copies_differ: Literal["identical", "in data only"]
    variants: int
    departments: tuple[str, ...]
    representative: str  # the path of the copy that represents it
    last_changed: LastChanged
    registered: int  # copies registered
    changed_without_signoff: int  # copies
    ask: Contact
    fingerprint: str | None
    names: tuple[str, ...] | None = None
    locations: tuple[Location, ...] | None = None

    @classmethod
    def of(cls, t: Mapping[str, Any], names: Sequence[str] | None = None,
           locations: Sequence[Location] | None = None) -> Tool:
        """The tool from its stored JSON (families.fold)."""
        last, ask = t["last_changed"], t["ask"]
        return cls(t["tool_id"], t["name"], t["kind"], t["format"], t["classification"], tuple(t["impacts"]),
                   t["risk_score"], tuple(Factor(f["factor"], f["points"]) for f in t["risk_factors"]), t["action"],
                   t["headline"], t["copies"], "identical" if t["copies_differ"] == "identical" else "in data only",
                   t["variants"], tuple(t["departments"]), t["representative"],
                   LastChanged(last["path"], last["name"], last["mtime"]), t["registered"],
                   t["changed_without_signoff"], Contact(ask["role"], ask["name"]), t["fingerprint"],
                   None if names is None else tuple(names), None if locations is None else tuple(locations))

    def json(self) -> JSON:
        out: dict[str, Any] = {"tool_id": self.tool_id, "name": self.name}
        if self.names is not None:
            out["names"] = list(self.names)
        out.update({
            "kind": self.kind, "format": self.format, "classification": self.classification,
            "impacts": list(self.impacts), "risk_score": self.risk_score,
            "risk_factors": [f.json() for f in self.risk_factors], "action": self.action, "headline": self.headline,
            "copies": self.copies, "copies_differ": self.copies_differ, "variants": self.variants,
            "departments": list(self.departments), "representative": self.representative,
            "last_changed": self.last_changed.json(), "registered": self.registered,
            "changed_without_signoff": self.changed_without_signoff, "ask": self.ask.json(),
            "fingerprint": self.fingerprint})
        if self.locations is not None:
            out["locations"] = [loc.json() for loc in self.locations]
        return out


# the migration backlog ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PriorityBasis:
    """Priority = impact weight x risk score x recency weight."""

    impact_weight: float
    risk_score: int
    recency_weight: float
    days_since_change: int | None

    def json(self) -> JSON:
        return {"impact_weight": self.impact_weight, "risk_score": self.risk_score,
                "recency_weight": self.recency_weight, "days_since_change": self.days_since_change}


@dataclass(frozen=True, slots=True)
class Step:
    """An input, computation or write of a tool, with its evidence."""

    what: str
    where: str
    snippet: str

    def json(self) -> JSON:
        return {"what": self.what, "where": self.where, "snippet": self.snippet}


@dataclass(frozen=True, slots=True)
class Does:
    inputs: tuple[Step, ...]
    computes: tuple[Step, ...]
    writes: tuple[Step, ...]
    write_targets: tuple[str, ...]  # tables, files, endpoints read from the write evidence

    def json(self) -> JSON:
        return {"inputs": [i.json() for i in self.inputs], "computes": [i.json() for i in self.computes],
                "writes": [i.json() for i in self.writes], "write_targets": list(self.write_targets)}


@dataclass(frozen=True, slots=True)
class Reach:
    """A system a tool reaches (ERP, database, web, share, data connection, linked table)."""

    system: str
    where: str
    snippet: str

    def json(self) -> JSON:
        return {"system": self.system, "where": self.where, "snippet": self.snippet}


@dataclass(frozen=True, slots=True)
class TableInfo:
    name: str
    columns: tuple[str, ...]
    rows: int | None

    def json(self) -> JSON:
        return {"name": self.name, "columns": list(self.columns), "rows": self.rows}


@dataclass(frozen=True, slots=True)
class QueryInfo:
    name: str
    type: str

    def json(self) -> JSON:
        return {"name": self.name, "type": self.type}


@dataclass(frozen=True, slots=True)
class LinkInfo:
    name: str
    to: str

    def json(self) -> JSON:
        return {"name": self.name, "to": self.to}


@dataclass(frozen=True, slots=True)
class DataOf:
    """What a database tool holds and reads (only the parts that exist: None where there are none)."""

    tables: tuple[TableInfo, ...] | None = None
    queries: tuple[QueryInfo, ...] | None = None
    links: tuple[LinkInfo, ...] | None = None

    def __bool__(self) -> bool:
        return bool(self.tables or self.queries or self.links)

    def json(self) -> JSON:
        out: dict[str, Any] = {}
        if self.tables is not None:
            out["tables"] = [t.json() for t in self.tables]
        if self.queries is not None:
            out["queries"] = [q.json() for q in self.queries]
        if self.links is not None:
            out["links"] = [link.json() for link in self.links]
        return out


@dataclass(frozen=True, slots=True)
class Effort:
    """A T-shirt size from measured size; ``points`` shows the arithmetic, ``weeks`` the range."""

    size: Literal["S", "M", "L", "XL"]
    estimate: str
    points: float
    weeks: tuple[float, float]

    def json(self) -> JSON:
        return {"size": self.size, "estimate": self.estimate, "points": self.points, "weeks": list(self.weeks)}


@dataclass(frozen=True, slots=True)
class CardOwner:
    """Who owns a high-risk tool: the registered owner and sign-off, else what the document says."""

    registered: bool
    name: str | None
    signoff: Signoff
    author: str | None
    last_modified_by: str | None
    file_owner: str | None
    document_person: str | None  # not in the contract: the person the document names (owners.document_person)

    def json(self) -> JSON:
        return {"registered": self.registered, "name": self.name, "signoff": self.signoff, "author": self.author,
                "last_modified_by": self.last_modified_by, "file_owner": self.file_owner}


@dataclass(frozen=True, slots=True)
class Partner:
    """Another card to migrate together with, and what the two share."""

    rank: int
    tool_id: str | None
    name: str
    shares: tuple[str, ...]

    def json(self) -> JSON:
        return {"rank": self.rank, "tool_id": self.tool_id, "name": self.name, "shares": list(self.shares)}


@dataclass(frozen=True, slots=True)
class Card:
    """One high-risk tool on the migration backlog (plan.py): what it does, where it reaches, where it
    belongs, the effort, the owner and the next step; ranked by priority (``rank`` from 1) and grouped with
    the tools it must move with (``group``: the rank of its group's first card)."""

    relpath: str
    name: str
    path: str
    department: str
    kind: str
    format: str
    impacts: tuple[ImpactName, ...]
    risk_score: int
    headline: str
    risk_factors: tuple[Factor, ...]
    priority: float
    priority_basis: PriorityBasis
    does: Does
    reaches: tuple[Reach, ...]
    data: DataOf
    exposure: dict[str, list[str]]  # GL accounts / cost centers / quality limits -> values (exposure.py)
    target: Target
    target_reason: str
    size: dict[str, int]  # measured size: vba_lines, procedures, queries... (only those measured)
    effort: Effort
    owner: CardOwner
    next_step: str
    tool_id: str | None
    tool_name: str
    copies: int
    copies_differ: Literal["identical", "in data only"]
    departments: tuple[str, ...]
    last_changed: LastChanged
    ask: Contact
    locations: tuple[str, ...]  # the first copies by name
    rank: int = 0
    group: int = 0
    migrate_with: tuple[Partner, ...] = ()
    migrate_with_more: int | None = None  # the others of a large group not named

    def json(self) -> JSON:
        out = {
            "relpath": self.relpath, "name": self.name, "path": self.path, "department": self.department,
            "kind": self.kind, "format": self.format, "impacts": list(self.impacts), "risk_score": self.risk_score,
            "headline": self.headline, "risk_factors": [f.json() for f in self.risk_factors],
            "priority": self.priority, "priority_basis": self.priority_basis.json(), "does": self.does.json(),
            "reaches": [r.json() for r in self.reaches], "data": self.data.json(), "exposure": self.exposure,
            "target": self.target, "target_reason": self.target_reason, "size": self.size,
            "effort": self.effort.json(), "owner": self.owner.json(), "next_step": self.next_step,
            "tool_id": self.tool_id, "tool_name": self.tool_name, "copies": self.copies,
            "copies_differ": self.copies_differ, "departments": list(self.departments),
            "last_changed": self.last_changed.json(), "ask": self.ask.json(), "locations": list(self.locations),
            "rank": self.rank, "group": self.group, "migrate_with": [m.json() for m in self.migrate_with],
        }
        if self.migrate_with_more is not None:
            out["migrate_with_more"] = self.migrate_with_more
        return out


@dataclass(frozen=True, slots=True)
class MigrationGroup:
    """The backlog by target system and business process: the cards (ranks), the groups of them that go
    together, and the effort."""

    target: Target
    process: str
    cards: tuple[int, ...]
    together: tuple[tuple[int, ...], ...]
    weeks: tuple[float, float]

    def json(self) -> JSON:
        return {"target": self.target, "process": self.process, "cards": list(self.cards),
                "together": [list(t) for t in self.together], "weeks": list(self.weeks)}


# what the HTML page draws: computed by html.py from the parts above ----------------------------
@dataclass(frozen=True, slots=True)
class Dot:
    """A card on the risk x effort chart: its centre and radius, and where its rank's label goes (the text's
    anchor point and whether the text ends there), None where it has no label."""

    card: Card
    x: float
    y: float
    r: float
    label: tuple[float, float, bool] | None = None


@dataclass(frozen=True, slots=True)
class Others:
    """The departments after the top ones (by high-risk tools, then tools), summed."""

    count: int
    row: ClassCounts


# the artifacts, tools and backlog as the renderers read them ------------------------------------
class ArtifactList(Protocol):
    """The report's artifacts in report order, read again each time they are iterated (:class:`.data.Artifacts`)."""

    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[ArtifactRow]: ...
    def with_tools(self) -> Iterator[tuple[ArtifactRow, int]]: ...
    def positions(self, wanted: Iterable[str]) -> dict[str, int]: ...
    def with_gaps(self, limit: int) -> list[tuple[ArtifactRow, int]]: ...


class ToolList(Protocol):
    """The ``tools`` section, read one tool at a time (:class:`.data.Tools`)."""

    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Tool]: ...
    def brief(self, classification: str | None = None) -> Iterator[Tool]: ...


@dataclass(frozen=True, slots=True)
class Report:
    """The report of the estate (``shadowscan/report-v1``)."""

    schema: str
    crawl: Crawl
    crawls: tuple[CrawlRef, ...]
    coverage: Coverage
    unscanned: tuple[UnscannedPart, ...]
    summary: Summary
    trend: tuple[TrendPoint, ...]
    tools: ToolList
    artifacts: ArtifactList
    changes: Changes
    registry: tuple[Entry, ...]
    reviews: tuple[Review, ...]
    migration: tuple[Card, ...]
    migration_groups: tuple[MigrationGroup, ...]

    def sections(self) -> Iterator[tuple[str, Any]]:
        """The contract's top-level members in order, each as JSON, but for the three that are written as
        they are read: ``tools`` and ``artifacts`` (iterators of JSON) and ``changes`` (:class:`Changes`)."""
        yield "schema", self.schema
        yield "crawl", self.crawl.json()
        yield "crawls", [c.json() for c in self.crawls]
        yield "coverage", self.coverage.json()
        yield "unscanned", [u.json() for u in self.unscanned]
        yield "summary", self.summary.json()
        yield "trend", [p.json() for p in self.trend]
        yield "tools", (t.json() for t in self.tools)
        yield "artifacts", (a.json() for a in self.artifacts)
        yield "changes", self.changes
        yield "registry", [e.to_dict() for e in self.registry]
        yield "reviews", [r.to_dict() for r in self.reviews]
        yield "migration", [c.json() for c in self.migration]
        yield "migration_groups", [g.json() for g in self.migration_groups]


def shown(value: Any) -> Any:
    """A part of the report with every string's control and bidi characters shown as escapes (see
    :func:`..textio.visible`), for the HTML pages: dataclasses field by field (the same type back), JSON-like
    values through :func:`..textio.visible_deep`; the lazy artifact and tool lists as they are (their
    rows are escaped as they are written)."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a typed row (NamedTuple): the same type back
        return type(value)(*(shown(v) for v in value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: shown(getattr(value, f.name))
                                             for f in dataclasses.fields(value) if f.init})
    if isinstance(value, dict):
        return {shown(k): shown(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(shown(v) for v in value)
    if isinstance(value, list):
        return [shown(v) for v in value]
    return visible_deep(value) if isinstance(value, Mapping) else value

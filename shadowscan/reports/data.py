"""Build the typed report (:mod:`.view`) from the inventory: the one input every output format reads.

Its shape is the public JSON contract ``shadowscan/report-v1`` (documented in README).
Formats never query the store or look at findings to decide anything: what a report
shows (headlines, governance gaps, changes since the previous crawl, the migration
backlog) is worked out here, once, and every format renders the same answer.

Memory stays flat in the size of the inventory: the summaries are folded as counts while the
artifacts stream past (:class:`Summaries`); what is listed per artifact (the report order, the
``changes`` paths, every tool's copies) is kept in the report's scratch table (:mod:`.spool`) and
read from it by :class:`Artifacts`, :class:`Paths` and :class:`Tools`.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

from .. import coverage, owners
from ..classify import in_sandbox
from ..coverage import plural
from ..model import Family, Unscanned
from ..registry import NOT_BUSINESS, Registry
from ..registry_types import Entry
from ..roots import contains
from ..rules import catalogue
from ..store import Store
from . import NoCrawl, estate, families, plan, view
from .exposure import merge as merge_exposure
from .spool import CHUNK, Item, Placed, Spool

SCHEMA = "shadowscan/report-v1"
CLASSES = ("shadow-it", "citizen-development", "unknown")
CHECKLIST = (  # POLICY.md "Ownership and sign-off", in the order the reports show it
    ("business_owner", "named business owner (not IT)"),
    ("signoff", "Product Owner sign-off of the current logic"),
    ("cost_center", "cost center that pays"),
    ("review_cadence", "review cadence, not overdue"),
)
TOP_LEVEL = "(top level)"
TREND_POINTS = 24  # crawls in the trend chart


@dataclass(frozen=True)
class _Context:
    """What turns a stored row into a report artifact: the same answer in both passes over the inventory."""

    label: dict[str, str]
    several: bool
    entries: dict[int, Entry]
    coverage: dict[str, view.RootCoverage]  # root -> its coverage record
    roots: tuple[view.RootCoverage, ...]
    last_checked: dict[int, dict[str, int | None]]  # crawl -> path -> the last crawl that looked at it

    def artifact(self, row: Any, part: estate.Part, whole: bool = True) -> view.ArtifactRow:
        """The report's artifact of a stored row; not ``whole``: without what only the formats show
        (its structure), for the pass that makes the summaries."""
        findings = tuple(view.FindingRow(rule, family, title, severity, impact, tuple(
            view.EvidenceRow(e["location"], e.get("line"), e.get("snippet", "")) for e in evidence))
            for rule, family, title, severity, impact, evidence in json.loads(row["findings_json"]))
        facts = json.loads(row["facts"])
        impacts = tuple(json.loads(row["impacts"]))
        state = json.loads(row["registry"])
        registered, registry_id = bool(state.get("registered")), state.get("registry_id")
        owner, signoff = state.get("owner"), state.get("signoff", "missing")
        review = view.ReviewState.of(state["review"]) if state.get("review") else None
        relpath, root, path, change = row["relpath"], part.root, row["path"], row["change"]
        top = department(relpath)
        if self.several:
            dept = f"{self.label[root]}/{top}" if top != TOP_LEVEL else self.label[root]
            name = f"{self.label[root]}/{relpath}"
        else:
            dept, name = top, relpath
        items, gaps = checklist(findings, signoff, self.entries.get(registry_id))
        classification = row["classification"]
        # issue 16: a sanctioned platform that only reads is "in sandbox" (classify.in_sandbox decides)
        sandbox = in_sandbox(facts.get("platform"), {Family(f.family) for f in findings}, impacts) \
            if classification == "citizen-development" else None
        text = headline(row["status"], row["status_reason"], classification, findings, impacts, sandbox,
                        _owner_phrase(registered, owner, signoff))
        if review and review.state == "current" and review.overrules:
            text = (f"Reviewed as {review.verdict} by {review.by} on {review.at[:10]} ({review.reason}); "
                    f"the analysis said {review.analysis_classification}: {text}")
        elif review and review.state == "stale":
            text += f" Review by {review.by} is stale: the logic changed since."
        covered = self.coverage.get(row["root"]) or next((r for r in self.roots if r.root == path), None)
        sentence = covered.sentence if covered else ""
        last = None
        if change == "not-rechecked":
            last = self.last_checked.get(part.crawl_id, {}).get(path)
            sentence = f"not re-checked in this crawl (last checked in crawl {last}): " + sentence
            text = f"Not re-checked in this crawl (as last seen in crawl {last}): {text}"
        person = owners.document_person(owners.hints_of(facts))
        return view.ArtifactRow(
            path=path, root=row["root"], relpath=relpath, kind=row["kind"], format=row["format"], size=row["size"],
            mtime=row["mtime"], sha256=row["sha256"], fingerprint=row["fingerprint"], status=row["status"],
            status_reason=row["status_reason"], classification=classification, impacts=impacts,
            risk_score=row["risk_score"],
            risk_factors=tuple(view.Factor(name, points) for name, points in json.loads(row["factors"])),
            action=row["action"], reasons=tuple(json.loads(row["reasons"])), findings=findings, facts=facts,
            registered=registered, registry_id=registry_id, owner=owner, signoff=signoff,
            registry_match=state.get("registry_match"), review=review, change=change, crawl_id=part.crawl_id,
            department=dept, name=name, checklist=items, gaps=gaps, sandbox=sandbox, headline=text,
            structure=structure(facts) if whole else None, coverage=sentence, last_checked=last,
            tool_id=families.tool_id(families.key(row["fingerprint"], row["sha256"], path)),
            shown_owner=str(owner) if owner else person or "", document_author=person is not None)


class Artifacts:
    """The report's artifacts, worst first (risk, then name), read from the inventory each time they are
    iterated, a few hundred at a time: a report of 100,000 artifacts never holds them all at once. Where
    each one is (crawl, version) and its place in the order are kept in the report's scratch table
    (:mod:`.spool`), not in memory."""

    def __init__(self, db: str, spool: Spool, parts: Sequence[estate.Part], context: _Context) -> None:
        self.db, self.spool, self.parts, self.context = db, spool, tuple(parts), context

    def __len__(self) -> int:
        return self.spool.count

    def _read(self, placed: Iterable[Sequence[Placed]]) -> Iterator[view.ArtifactRow]:
        return (a for a, _ in self._read_placed(placed))

    def _read_placed(self, placed: Iterable[Sequence[Placed]]) -> Iterator[tuple[view.ArtifactRow, Placed]]:
        with Store(self.db, readonly=True) as store:
            for chunk in placed:
                rows: dict[tuple[int, int], Any] = {}
                for cid in {p.crawl for p in chunk}:
                    rows.update(((cid, vid), row) for vid, row in
                                store.report_rows_of(cid, [p.version for p in chunk if p.crawl == cid]).items())
                for p in chunk:
                    row = rows.get((p.crawl, p.version))
                    if row is not None:  # pruned since the report was built
                        yield self.context.artifact(row, self.parts[p.part]), p

    def __iter__(self) -> Iterator[view.ArtifactRow]:
        if self.spool.count:
            yield from self._read(self.spool.placed())

    def __getitem__(self, index: int) -> view.ArtifactRow:
        n = index + self.spool.count if index < 0 else index
        if not 0 <= n < self.spool.count:
            raise IndexError(index)
        return next(self._read(self.spool.placed(n, n + 1)))

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, (Artifacts, list)) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def with_tools(self) -> Iterator[tuple[view.ArtifactRow, int]]:
        """The artifacts as :meth:`__iter__`, each with the place of its tool in the ``tools`` section."""
        if self.spool.count:
            yield from ((a, p.tool) for a, p in self._read_placed(self.spool.placed()))

    def where(self, wanted: Iterable[str]) -> Iterator[view.ArtifactRow]:
        """The whole artifacts of some paths (the migration plan's representatives), in report order, read
        from the inventory a few hundred at a time."""
        placed = self.spool.at_paths(wanted)
        return self._read(placed[n:n + CHUNK] for n in range(0, len(placed), CHUNK))

    def positions(self, wanted: Iterable[str]) -> dict[str, int]:
        """Path -> place in the report order (from 0) of some paths."""
        return {p.path: p.pos for p in self.spool.at_paths(wanted)}

    def with_gaps(self, limit: int) -> list[tuple[view.ArtifactRow, int]]:
        """The first ``limit`` governed artifacts with governance gaps, whole, with their place in the order."""
        return [(a, p.pos) for a, p in self._read_placed([self.spool.with_gaps(limit)])]


class Paths(Sequence[str]):
    """The paths of one kind of change (new, changed, not re-checked), read from the scratch table when
    iterated: part by part, then by relative path."""

    def __init__(self, spool: Spool, change: str) -> None:
        self.spool, self.change = spool, change
        self._len: int | None = None

    def __len__(self) -> int:
        if self._len is None:
            self._len = self.spool.count_of(self.change)
        return self._len

    def __iter__(self) -> Iterator[str]:
        return self.spool.paths(self.change)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        return list(self)[index]

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, (Paths, list, tuple)) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Paths({self.change!r}, {len(self)})"


class Tools(Sequence[view.Tool]):
    """The ``tools`` section, read from the report's scratch table when iterated, one tool at a time: each
    with every copy (``locations``) and file name (``names``). :meth:`brief` gives them without those two
    lists, for what shows only counts, names and the first copies."""

    def __init__(self, spool: Spool) -> None:
        self.spool = spool

    def __len__(self) -> int:
        return self.spool.tool_count

    def brief(self, classification: str | None = None) -> Iterator[view.Tool]:
        """The tools (of one class) in order, without ``names`` and ``locations``."""
        for _, _, text in self.spool.briefs(classification):
            yield view.Tool.of(json.loads(text))

    def __iter__(self) -> Iterator[view.Tool]:
        briefs = self.spool.briefs()
        for rank, names, located in self.spool.tool_copies():
            tool = next(briefs)
            while tool[0] < rank:  # cannot happen: every tool has a copy
                tool = next(briefs)
            yield view.Tool.of(json.loads(tool[2]), names, located)

    @overload
    def __getitem__(self, index: int) -> view.Tool: ...
    @overload
    def __getitem__(self, index: slice) -> list[view.Tool]: ...

    def __getitem__(self, index: int | slice) -> view.Tool | list[view.Tool]:
        return list(self)[index]

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, (Tools, list)) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def with_locations(self, classification: str, limit: int) -> list[view.Tool]:
        """The tools of one class, each with its first ``limit`` copies (latest change first)."""
        return [view.Tool.of(json.loads(text), None, self.spool.locations(key, limit))
                for _, key, text in self.spool.briefs(classification)]


class Summaries:
    """The summaries of the report, folded one artifact at a time (bounded state: counts per class, status,
    impact, kind and department), so they never need the artifacts held together."""

    def __init__(self) -> None:
        self.total = 0
        self.classes: Counter[str] = Counter()
        self.status: Counter[str] = Counter()
        self.impact: Counter[str] = Counter()
        self.impact_combined: Counter[str] = Counter()
        self.kind: Counter[str] = Counter()
        self.in_sandbox = 0
        self.kind_class: dict[str, dict[str, int]] = {}
        self.department_class: dict[str, dict[str, int]] = {}
        self.governed = self.registered = self.business_owner = self.shadow_with_owner = self.hints_only = 0
        self.items = {key: 0 for key, _ in CHECKLIST}
        self.complete = self.with_gaps = 0
        self.without_signoff = self.access_times = 0
        self.reviewed = self.overrules = self.downgrades = self.stale_reviews = 0
        self.changes: Counter[str] = Counter()

    @staticmethod
    def _class_row(rows: dict[str, dict[str, int]], key: str, classification: str) -> None:
        row = rows.setdefault(key, {"total": 0, **{c: 0 for c in CLASSES}})
        row["total"] += 1
        row[classification] += 1

    def add(self, a: view.ArtifactRow) -> None:
        cls = a.classification
        self.total += 1
        self.classes[cls] += 1
        self.status[a.status] += 1
        self.impact.update(a.impacts)
        self.kind[a.kind] += 1
        self.in_sandbox += bool(a.sandbox)
        self._class_row(self.kind_class, a.kind, cls)
        self._class_row(self.department_class, a.department, cls)
        items = a.checklist
        if cls == "shadow-it":
            self.impact_combined[" + ".join(a.impacts)] += 1
            self.shadow_with_owner += items.business_owner
        if a.kind != "folder":
            self.governed += 1
            self.registered += a.registered
            self.business_owner += items.business_owner
            self.hints_only += not a.registered and a.document_author
            self.items["business_owner"] += items.business_owner
            self.items["signoff"] += items.signoff
            self.items["cost_center"] += items.cost_center
            self.items["review_cadence"] += items.review_cadence
            self.complete += items.complete()
            self.with_gaps += bool(a.gaps)
        self.without_signoff += "changed without sign-off" in a.gaps
        self.access_times += bool(a.facts.get("access_time"))
        review = a.review
        if review and review.state == "current":
            self.reviewed += 1
            self.overrules += review.overrules
            self.downgrades += review.analysis_classification == "shadow-it" and review.verdict != "shadow-it"
        elif review and review.state == "stale":
            self.stale_reviews += 1
        self.changes[a.change] += 1

    @staticmethod
    def _by_class(rows: dict[str, dict[str, int]]) -> dict[str, view.ClassCounts]:
        return {key: class_counts(row) for key, row in
                sorted(rows.items(), key=lambda kv: (-kv[1]["shadow-it"], -kv[1]["total"], kv[0]))}

    def summary(self, tools: Tools, changes: view.ChangeCounts, coverage_complete: bool,
                decision: view.Decision) -> view.Summary:
        """The summary of the artifacts folded, with the figures that come from elsewhere (the tools, the
        changes, the coverage, the first screen's decision)."""
        return view.Summary(
            total=self.total, shadow_it=self.classes.get("shadow-it", 0),
            citizen_development=self.classes.get("citizen-development", 0), unknown=self.classes.get("unknown", 0),
            by_status=dict(sorted(self.status.items())), by_impact=dict(sorted(self.impact.items())),
            by_impact_combined=dict(sorted(self.impact_combined.items())), by_kind=dict(sorted(self.kind.items())),
            in_sandbox=self.in_sandbox, by_kind_class=self._by_class(self.kind_class),
            by_department=self._by_class(self.department_class),
            owners=view.Owners(self.governed, self.registered, self.business_owner, self.shadow_with_owner,
                               self.hints_only),
            governance=view.Governance(self.governed, self.items["business_owner"], self.items["signoff"],
                                       self.items["cost_center"], self.items["review_cadence"], self.complete,
                                       self.with_gaps),
            tools=families.counts(tools.brief()), by_department_tools=families.by_department(tools.brief()),
            changes=changes, access_times_not_kept=self.access_times, coverage_complete=coverage_complete,
            reviews=self.reviews(), decision=decision)

    def changed(self, removed: int, previous: int | None) -> view.ChangeCounts:
        """Counts of what moved since the previous crawl (``previous_crawl`` None: this is the first)."""
        return view.ChangeCounts(previous, self.changes["new"], self.changes["changed"], self.changes["unchanged"],
                                 self.changes["not-rechecked"], removed, self.without_signoff)

    def reviews(self) -> view.ReviewCounts:
        """Reviewers' decisions in this crawl: in force, overruling the analysis (and of those, downgrading a
        tool the analysis proves financial or quality-deciding), and stale (the logic changed since)."""
        return view.ReviewCounts(self.reviewed, self.overrules, self.downgrades, self.stale_reviews)


def class_counts(row: Mapping[str, int]) -> view.ClassCounts:
    return view.ClassCounts(row["total"], row["shadow-it"], row["citizen-development"], row["unknown"])


def build(store: Store, crawl_id: int | None = None, scope: Sequence[str] = ()) -> view.Report:
    """The report of the estate: every root's latest crawl (see :mod:`.estate`), or one crawl
    (``crawl_id``); ``scope`` (canonical paths) narrows it to what lies under them.

    One pass over the inventory (artifacts with their findings, one query per crawl) folds every summary
    and groups the copies into tools (bounded state per count and per tool); what is listed per artifact
    (the order, the ``changes`` paths, each tool's copies) goes to the report's scratch table
    (:mod:`.spool`), and ``artifacts`` is an :class:`Artifacts` that reads them again when a format
    iterates it."""
    if crawl_id is not None:
        one = store.crawl(crawl_id)
        if one is None:
            raise NoCrawl(f"no crawl with id {crawl_id} in this inventory")
        pairs = [(int(one["id"]), json.loads(one["roots"]))]
    else:
        pairs = store.crawl_roots()
        if not pairs:
            raise NoCrawl("no crawl in this inventory yet: run `shadowscan crawl PATH` first")
    parts = estate.select(pairs, scope)
    if not parts:
        raise NoCrawl(f"no crawl in this inventory covers {', '.join(scope)}")
    crawls: dict[int, Any] = {cid: store.crawl(cid) for cid in sorted({p.crawl_id for p in parts})}
    label = estate.labels([p.root for p in parts])
    registry = Registry(store.db)
    typed_entries = registry.entries()
    entries = {e.id: e for e in typed_entries}
    # coverage first: it does not depend on the artifacts, and every artifact row says it
    summaries, baselines, removed = [], [], []
    for cid, crawl in crawls.items():
        roots = [p.root for p in parts if p.crawl_id == cid]
        state = _state(store, crawl)
        rows = [r for r in store.coverage(cid) if r["root"] in roots] or [
            {"root": r, "state": "complete" if state == "finished" else "incomplete", "reason": None,
             "baseline": None, "unlisted": 0, "unreadable": 0, "not_rechecked": 0} for r in roots]
        summaries.append(view.Coverage.of(coverage.summarize(rows, state, crawl["reason"])))
        baselines += [r["baseline"] for r in rows if r.get("baseline")]
        removed += [r for r in _removed(store, cid) if r.root in roots]
    covered = estate.merge_coverage(summaries)
    unscanned = tuple(_unscanned(u, part, label, len(parts) > 1) for part in parts for u in store.unscanned(part.crawl_id)
                 if u.root == part.root and part.holds(u.path) and (not scope or any(contains(s, u.path) for s in scope)))
    context = _Context(label, len(parts) > 1, entries, {r.root: r for r in covered.roots},
                       covered.roots, {cid: store.last_checked_all(cid, "not-rechecked") for cid in crawls})
    spool = Spool()
    folded = Summaries()
    for n, part in enumerate(parts):
        for row in store.report_rows(part.crawl_id):
            if (row["root"] != part.root and row["path"] != part.root) or not part.holds(row["path"]):
                continue
            if scope and not any(contains(s, row["path"]) for s in scope):
                continue
            a = context.artifact(row, part, whole=False)
            folded.add(a)
            spool.add(Item(n, part.crawl_id, int(row["id"]), a.relpath, families.key_of(a), len(a.findings),
                           bool(a.gaps) and a.kind != "folder", families.copy_of(a)))
    spool.order()
    spool.fold(families.fold(key, copies) for key, copies in spool.copies_by_tool())
    artifacts = Artifacts(store.target, spool, parts, context)
    previous = max(baselines) if baselines else None
    newest = crawls[max(crawls)]
    tools = Tools(spool)
    shadow = tools.with_locations("shadow-it", plan.LOCATIONS)
    representatives = artifacts.where(t.representative for t in shadow)
    migration = plan.backlog(representatives, newest["started"], shadow)
    changes = folded.changed(len(removed), previous)
    summary = folded.summary(tools, changes, covered.complete, decision(migration))
    estate_roots = tuple(p.root for p in parts)
    return view.Report(
        schema=SCHEMA,
        crawl=view.Crawl(newest["id"], estate_roots, newest["started"], newest["finished"], _state(store, newest),
                         newest["reason"], newest["seconds"], previous),
        crawls=tuple(view.CrawlRef(cid, tuple(p.root for p in parts if p.crawl_id == cid),
                                   tuple(label[p.root] for p in parts if p.crawl_id == cid), c["started"],
                                   c["finished"], _state(store, c)) for cid, c in crawls.items()),
        coverage=covered,
        unscanned=unscanned,
        summary=summary,
        trend=trend(store, max(crawls), scope or ([] if crawl_id is None else list(estate_roots))),
        tools=tools,
        artifacts=artifacts,
        changes=view.Changes(previous, Paths(spool, "new"), Paths(spool, "changed"), Paths(spool, "not-rechecked"),
                             tuple(removed)),
        registry=tuple(typed_entries),
        reviews=tuple(registry.reviews()),
        migration=migration,
        migration_groups=plan.groups(migration),
    )


def _state(store: Store, crawl: Any) -> view.CrawlState:
    state: view.CrawlState = crawl["state"]
    if state == "running" and not store.alive(crawl):
        return "stopped"  # killed, or failed where even its end could not be written
    return state


def _unscanned(part_of: Unscanned, part: estate.Part, label: dict[str, str], several: bool) -> view.UnscannedPart:
    """What the report says of a part of a root the crawl could not look into (``unscanned``): named as an
    artifact would be, with the coverage sentence's words (``reason``) and ``status`` unreadable (not
    opened or listed: coverage incomplete) or unsupported (a folder link not followed)."""
    name = part_of.relpath or part_of.path
    status: view.UnscannedStatus = "unsupported" if part_of.status.value == "unsupported" else "unreadable"
    return view.UnscannedPart(part_of.path, part_of.root, part_of.relpath,
                              f"{label[part.root]}/{part_of.relpath}" if several and part_of.relpath else name,
                              status, part_of.reason, part.crawl_id)


def trend(store: Store, upto: int, scope: Sequence[str], points: int = TREND_POINTS) -> tuple[view.TrendPoint, ...]:
    """The estate as it stood after each crawl (up to ``upto``): high-risk tools, unregistered tools,
    tools changed without sign-off. One point per crawl, the last ``points`` crawls."""
    pairs = store.crawl_roots(upto)
    out = []
    for crawl_id, _ in pairs[-points:]:
        parts = estate.select([p for p in pairs if p[0] <= crawl_id], scope)
        if parts:
            counts = store.tool_counts([(p.crawl_id, p.root) for p in parts])
            out.append(view.TrendPoint(crawl_id, counts["shadow_it_tools"], counts["unregistered_tools"],
                                       counts["changed_without_signoff"], counts["artifacts"]))
    return tuple(out)


def decision(cards: Sequence[view.Card]) -> view.Decision:
    """The first screen: how many high-risk tools, the effort to migrate them by target system,
    what they write into, who to ask, and what changed. ``sentence`` says it in one line."""
    by_target: dict[view.Target, list[float]] = {}  # target -> tools, low, high
    for c in cards:
        row = by_target.setdefault(c.target, [0, 0.0, 0.0])
        row[0] += 1
        row[1] += c.effort.weeks[0]
        row[2] += c.effort.weeks[1]
    order = sorted(by_target.items(), key=lambda kv: (-kv[1][0], kv[0]))
    low = sum(r[1] for r in by_target.values())
    high = sum(r[2] for r in by_target.values())
    n, files = len(cards), sum(c.copies for c in cards)
    exposure: dict[view.ImpactName, list[str]] = {}
    for c in cards:
        for impact in c.impacts:
            names = exposure.setdefault(impact, [])
            names += [t for t in c.does.write_targets if t not in names]
    if n:
        copies = f" ({plural(files, 'file')})" if files != n else ""
        targets = " and ".join(f"{int(r[0])} to {t}" for t, r in order) if len(order) <= 2 else \
            ", ".join(f"{int(r[0])} to {t}" for t, r in order[:-1]) + f" and {int(order[-1][1][0])} to {order[-1][0]}"
        sentence = (f"{plural(n, 'high-risk tool')}{copies} to migrate: about {weeks(low, high)} of work, "
                    f"{targets}.")
    else:
        sentence = "No high-risk tool: nothing generates financial data or controls quality decisions."
    return view.Decision(
        shadow_it_tools=n, shadow_it_files=files, effort_weeks=(round(low, 1), round(high, 1)),
        by_target={t: view.TargetEffort(int(r[0]), (round(r[1], 1), round(r[2], 1))) for t, r in order},
        writes_into={k: tuple(v[:12]) for k, v in sorted(exposure.items()) if v},  # an impact with no named target says nothing
        exposure=merge_exposure(c.exposure for c in cards),
        ask=tuple(view.Ask(c.tool_id, c.name, c.ask.name, c.ask.role) for c in cards[:10]),
        sentence=sentence,
    )


def weeks(low: float, high: float) -> str:
    """``3-9 person-weeks`` (whole weeks, at least 1)."""
    lo, hi = max(1, round(low)), max(1, round(high + 0.49))
    return f"{lo} person-week" if lo == hi == 1 else f"{lo}–{hi} person-weeks" if lo != hi else f"{lo} person-weeks"


def _removed(store: Store, crawl_id: int) -> list[view.Removed]:
    last = store.last_checked_all(crawl_id, "removed")
    return [view.Removed(row["path"], row["root"], row["relpath"], row["classification"], last.get(row["path"]))
            for row in store.removed_rows(crawl_id)]


def department(relpath: str) -> str:
    """The top-level folder of an artifact: on a plant share, the department."""
    head, sep, _ = relpath.partition("/")
    return head if sep and head else TOP_LEVEL


def checklist(findings: Sequence[view.FindingRow], signoff: str,
              entry: Entry | None) -> tuple[view.Checklist, tuple[str, ...]]:
    """POLICY.md's governance checklist for one artifact: which items hold, and the gaps in words."""
    if entry is None:
        return view.Checklist(False, False, False, False), ("no registered business owner",)
    rules = {f.rule for f in findings}
    it_owner = entry.function in NOT_BUSINESS or "governance.it-owner" in rules
    state = view.Checklist(
        business_owner=not it_owner,
        signoff=signoff == "valid",
        cost_center=bool(entry.cost_center),
        review_cadence=bool(entry.review_every) and "governance.review-overdue" not in rules,
    )
    gaps = []
    if it_owner:
        gaps.append(f"owner {entry.owner} is IT, not the business")
    if signoff == "stale" or "governance.changed-without-signoff" in rules:
        gaps.append("changed without sign-off")
    elif not state.signoff:
        gaps.append("no Product Owner sign-off")
    if not state.cost_center:
        gaps.append("no cost center")
    if not entry.review_every:
        gaps.append("no review cadence")
    elif "governance.review-overdue" in rules:
        gaps.append("review overdue")
    return state, tuple(gaps)


# one plain sentence per artifact ------------------------------------------------------------
def _into(finding: view.FindingRow | None) -> str:
    names = plan.targets(finding.evidence) if finding else []
    if not names:
        return ""
    return " into " + (names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1])


def _series(parts: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``; with semicolons when a part has its own list."""
    if len(parts) == 1:
        return parts[0]
    if any(" and " in p or ", " in p for p in parts):
        return "; ".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _lower_first(text: str) -> str:
    """``Connects to ...`` -> ``connects to ...``; ``ERP ...`` stays."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def headline(status: str, status_reason: str, classification: str, findings: Sequence[view.FindingRow],
             impacts: Sequence[str], sandbox: str | None, owner_phrase: str) -> str:
    """What the artifact does that matters, and who answers for it: whole sentences that agree with
    its class (a citizen tool never "generates", a high-risk one never only "reads and shows")."""
    if status != "analyzed":
        first = (status_reason or status).split(":")[0].split(";")[0].strip()
        return f"Could not be analysed ({status}): {first.rstrip('.')}. {owner_phrase}."
    rules = {f.rule: f for f in findings}
    parts = []
    if classification == "shadow-it":
        present = [r for r in catalogue.RULES if r.does and r.id in rules]
        # what it computes, then what it does with it; a bare computation is dropped when a rule of the
        # same family already says it computes and writes
        flows = {r.family for r in present if r.computes and r.impact is not None}
        for info in sorted(present, key=lambda r: not r.computes):
            if info.computes and info.impact is None and info.family in flows:
                continue
            phrase = info.does + (_into(rules[info.id]) if info.id in ("quality.writes", "financial.writes") else "")
            parts.append(phrase)
        if not parts:
            parts.append("generates " + " and ".join(impacts) + " data")
        text = _series(parts[:4])
    else:
        writes = next((f for f in findings if f.family == "writes"), None)
        reach = next((f for f in findings if f.family == "reach"), None)
        if writes:
            text = f"{writes.title}, but writes no financial or quality data"
        elif reach:
            text = f"reads and shows data: {_lower_first(reach.title)}"
        else:
            text = "reads and shows data"
    if sandbox:
        text = f"in sandbox ({sandbox}): {text}"
    return f"{text[0].upper()}{text[1:]}. {owner_phrase}."


def structure(facts: Mapping[str, Any], limit: int = 30) -> tuple[str, ...]:
    """What the analyzer saw inside the file, one line per part (sheets, modules, connections, tables...)."""
    def names(items: list[Any]) -> str:
        shown = ", ".join(str(i) for i in items[:limit])
        return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")

    out = []
    if facts.get("language"):
        out.append(f"{facts['language']} script: {facts.get('lines', 0)} lines, {facts.get('procedures', 0)} procedures"
                   + (f", imports {names(facts['imports'])}" if facts.get("imports") else ""))
    if facts.get("sheets"):
        out.append(f"sheets: {names(facts['sheets'])}")
    modules = [m for m in facts.get("modules") or [] if m.get("lines")]
    if modules:
        language = facts.get("macro_language", "VBA")  # LibreOffice Basic in OpenDocument files
        out.append(f"{language}: " + names([f"{m['location'].rpartition('/')[2]} ({m['lines']} lines, {m.get('procedures', 0)} "
                                            f"procedures{', runs on open' if m.get('autoexec') else ''})" for m in modules]))
    if facts.get("xlm_cells"):
        out.append(f"Excel 4.0 macro formulas: {facts['xlm_cells']}")
    for key, label in (("connections", "data connections"), ("tables", "tables"), ("queries", "queries"),
                       ("linked_tables", "linked tables")):
        if facts.get(key):
            out.append(f"{label}: " + names([i.get("name", "?") if isinstance(i, dict) else i for i in facts[key]]))
    for key in ("forms", "reports", "macros"):
        if facts.get(key):
            out.append(f"{key}: {facts[key]}")
    if facts.get("external_links"):
        out.append(f"links to: {names(facts['external_links'])}")
    return tuple(out)


def _owner_phrase(registered: bool, owner: str | None, signoff: str) -> str:
    if not registered:
        return "No registered owner"
    if signoff == "stale":
        return f"Owner {owner}, changed without sign-off"
    return f"Owner {owner}, sign-off {signoff}"

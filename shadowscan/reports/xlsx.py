"""XLSX: the report as a workbook people filter and pivot, written by rvgsrust-xlsxwriter (a binding of
rust_xlsxwriter, native code) in constant-memory mode: each row goes to a temporary file as it comes, so
100,000 artifacts are never held as a workbook, and one pass over the artifacts writes the Inventory and
the Findings side by side.

Sheets Summary, Tools, Inventory, Findings, Migration backlog, Registry; each has a bold frozen header row of
human column names with an autofilter and column widths fitted to the first rows. Every text cell is
neutralised like the CSV (no cell starts a formula), its control and bidi characters shown as escapes, and
what XML cannot hold (lone surrogates of undecodable file names, U+FFFE, U+FFFF) replaced by U+FFFD; text is
only ever written as text, never as a formula.
"""
from __future__ import annotations

import functools
import gc
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from rvgsrust_xlsxwriter import ConditionalFormat2ColorScale, ConditionalFormatFormula, Format, Workbook, Worksheet

from ..registry_types import Entry
from ..textio import visible
from .csvfmt import FINDING_COLUMNS, TOOL_COLUMNS, findings_of, neutralise, tool_row
from .data import CHECKLIST
from .view import ArtifactRow, Card, Report

MAX_CELL = 32767  # Excel's limit of characters in a cell
MAX_LINKS = 65530  # Excel's limit of hyperlinks in a sheet: later rows show their count without a link
MIN_WIDTH, MAX_WIDTH, SAMPLE = 8, 60, 300
# what XML 1.0 cannot hold and visible() leaves: lone surrogates (undecodable file names), U+FFFE, U+FFFF
_UNWRITABLE = re.compile("[\ud800-\udfff\ufffe\uffff]")


def clean(value: Any) -> Any:
    """A value safe for a cell: numbers and dates as they are (dates to the second); text neutralised and legal
    (an empty text: None, no cell)."""
    if isinstance(value, str):
        return _text(value) if len(value) <= _CACHED else _text.__wrapped__(value)
    if isinstance(value, bool):  # as words: spreadsheet programs store booleans as formulas (=TRUE())
        return "yes" if value else "no"
    if value is None or isinstance(value, (int, float)):
        return value
    if isinstance(value, datetime):  # Excel's clock stops at milliseconds; the sheets show minutes
        return value.replace(microsecond=0)
    return clean(str(value))


_CACHED = 200  # shorter texts are remembered while a workbook is written: most cells repeat (a class, a rule,
# the path of an artifact on each of its findings' rows), and cleaning is most of the Python time of a row


@functools.lru_cache(maxsize=16384)  # at most 16,384 texts of at most 200 characters: a few MiB
def _text(value: str) -> str | None:
    """Text for a cell; an empty text is no cell (an empty cell reads the same and costs nothing)."""
    text = visible(value)  # controls and bidi shown as escapes
    if _UNWRITABLE.search(text):
        text = _UNWRITABLE.sub("\ufffd", text)
    if len(text) >= MAX_CELL:
        text = text[:MAX_CELL - 1]  # room for the apostrophe of neutralise
    return str(neutralise(text)) or None


def _when(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, timezone.utc).replace(tzinfo=None) if ts else None


# human column names; a column not named here is shown as its key with spaces
HEADERS = {
    "risk_score": "Risk (0-100)", "classification": "Class", "impacts": "Impacts", "relpath": "Path in share",
    "tool_id": "Tool", "copies_of_tool": "Copies of tool", "department": "Department", "kind": "Kind",
    "format": "Format", "size": "Size (bytes)", "modified": "Modified", "status": "Analysis", "status_reason":
    "Why not analysed", "action": "Action", "headline": "What it does", "owner": "Owner", "registered": "Registered",
    "signoff": "Sign-off", "gaps": "Governance gaps", "change": "Change since last crawl", "findings": "Findings",
    "rules": "Rules", "structure": "Inside the file", "coverage": "Coverage", "sha256": "SHA-256", "path": "Full path",
    "rank": "Rank", "priority": "Priority", "copies": "Copies", "target": "Target system", "target_reason":
    "Why there", "effort": "Effort", "estimate": "Estimate", "effort_points": "Effort points", "measured_size":
    "Measured size", "writes_into": "Writes into", "exposure": "Accounts, cost centers, limits", "reaches": "Reaches",
    "next_step": "Next step", "rule": "Rule", "family": "Family", "title": "Finding", "severity": "Severity",
    "impact": "Impact", "location": "Where", "line": "Line", "snippet": "Evidence", "evidence_count": "Evidence count",
    "section": "Section", "item": "Item", "value": "Value", "name": "Name", "copies_differ": "Copies differ",
    "departments": "Departments", "last_changed": "Last changed copy", "last_changed_path": "Last changed path",
    "ask": "Who to ask", "registered_copies": "Registered copies", "id": "Registry id", "function": "Function",
    "purpose": "Purpose", "platform": "Platform", "data_access": "Data access", "product_owner": "Product Owner",
    "contributors": "Contributors", "cost_center": "Cost center", "review_every": "Review every",
    "scale_decision": "Scale decision", "registered_at": "Registered at", "last_signoff_by": "Last sign-off by",
    "last_signoff_at": "Last sign-off at",
}
WRAP = frozenset({"headline", "reasons", "status_reason", "target_reason", "next_step", "gaps", "structure",
                  "reaches", "coverage", "snippet", "exposure"})  # long text: wrapped in its column
DATED = frozenset({"modified"})


def header(column: str) -> str:
    return HEADERS.get(column, column.replace("_", " "))


class _Styles:
    """The workbook's few cell formats, made once."""

    def __init__(self, wb: Workbook) -> None:
        self.header = wb.add_format().set_bold().set_font_color("#FFFFFF").set_background_color("#404040") \
            .set_vertical_align("vcenter")
        self.wrap = wb.add_format().set_text_wrap().set_vertical_align("top")
        self.dated = wb.add_format().set_num_format("yyyy-mm-dd hh:mm")
        self.link = wb.add_format().set_font_color("#1F4E8C").set_underline()
        self.shadow = wb.add_format().set_background_color("#F4C7C3")
        self.citizen = wb.add_format().set_background_color("#D4EDDA")


class _Sheet:
    """One sheet, written as its rows come: bold frozen header with a filter, widths fitted to the first
    rows, long text wrapped, class and risk coloured, printed landscape at the page's width with the header
    on every page. ``link_column``: the column whose cell may link to another place in the workbook."""

    def __init__(self, wb: Workbook, styles: _Styles, title: str, columns: Sequence[str],
                 link_column: str | None = None) -> None:
        self.ws: Worksheet = wb.add_worksheet(title, constant_memory=True)
        self.styles, self.columns, self.rows, self.links = styles, columns, 0, 0
        self.widths = [len(header(name)) + 2 for name in columns]
        self.wrap = [n for n, name in enumerate(columns) if name in WRAP]
        self.dated = [n for n, name in enumerate(columns) if name in DATED]
        self.linked = columns.index(link_column) if link_column in columns else None
        self.ws.freeze_panes(1, 0)
        self.ws.write_row(0, 0, [header(name) for name in columns], styles.header)

    def _colour(self, rows: int) -> None:
        """Class and risk coloured over the ``rows`` written. The binding takes a range's rows as written rows
        (a constant-memory sheet refuses a row above the last one): the rule is given at the last row and its
        range (column letter, rows 2 to the end) set as a "multi range"."""
        ws = self.ws
        if "classification" in self.columns and rows:
            n = self.columns.index("classification")
            for value, style in (("shadow-it", self.styles.shadow), ("citizen-development", self.styles.citizen)):
                rule = ConditionalFormatFormula()  # its setters return None: not chained
                rule.set_rule(f'=${_letter(n)}2="{value}"')
                rule.set_format(style)
                rule.set_multi_range(f"{_letter(n)}2:{_letter(n)}{rows + 1}")
                ws.add_conditional_format(rows, n, rows, n, rule)
        if "risk_score" in self.columns and rows:
            n = self.columns.index("risk_score")
            scale = ConditionalFormat2ColorScale()
            scale.set_minimum("number", 0)
            scale.set_maximum("number", 100)
            scale.set_minimum_color("#FFFFFF")
            scale.set_maximum_color("#E06666")
            scale.set_multi_range(f"{_letter(n)}2:{_letter(n)}{rows + 1}")
            ws.add_conditional_format(rows, n, rows, n, scale)

    def add(self, values: Iterable[Any], link: str | None = None) -> None:
        """One row; ``link``: an in-workbook target (``'Findings'!A7``) for the cell of the link column."""
        text, short = _text, _CACHED  # clean(), with its commonest cases (a short text, a whole number, none) inlined
        row: list[Any] = [v if (kind := type(v)) is int or v is None else text(v) if kind is str and len(v) <= short
                          else clean(v) for v in values]
        self.rows += 1
        r, ws = self.rows, self.ws
        if r <= SAMPLE:  # column widths from the first rows
            widths = self.widths
            for n, v in enumerate(row):
                if v is not None and len(str(v)) + 1 > widths[n]:
                    widths[n] = len(str(v)) + 1
        special: list[tuple[int, Any, Format]] = []
        for n in self.dated:
            if isinstance(row[n], datetime):
                special.append((n, row[n], self.styles.dated))
                row[n] = None
        for n in self.wrap:
            if isinstance(row[n], str) and len(row[n]) > MAX_WIDTH:
                special.append((n, row[n], self.styles.wrap))
                row[n] = None
        linked, shown = self.linked, None
        if link and linked is not None and self.links < MAX_LINKS:
            self.links += 1
            shown, row[linked] = row[linked], None
        ws.write_row(r, 0, row)
        for n, v, style in special:
            ws.write(r, n, v, style)
        if shown is not None and linked is not None:  # the text of a link is text: the count as digits
            ws.write_url(r, linked, f"internal:{link}", self.styles.link, str(shown), "this artifact's findings")

    def finish(self) -> None:
        """What follows the rows: widths, the filter over all of them, colours, print set-up."""
        ws, last = self.ws, self.rows
        for n, width in enumerate(self.widths):
            ws.set_column_width(n, max(MIN_WIDTH, min(MAX_WIDTH, width)))
        ws.autofilter(0, 0, last, len(self.columns) - 1)
        self._colour(last)
        ws.set_landscape()
        ws.set_repeat_rows(0, 0)
        ws.set_print_fit_to_pages(1, 0)


def _letter(n: int) -> str:
    """The letters of the 0-based column ``n`` (0 -> A, 26 -> AA)."""
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _summary_rows(report: Report) -> list[list[Any]]:
    s, crawl, cov = report.summary, report.crawl, report.coverage
    rows: list[list[Any]] = [
        ["coverage", "complete" if cov.complete else "INCOMPLETE: not an all-clear", cov.statement],
        *[["coverage of a root", r.root, r.sentence] for r in cov.roots],
        ["crawl", "id", crawl.id], ["crawl", "roots", ", ".join(crawl.roots)],
        ["crawl", "started", crawl.started], ["crawl", "finished", crawl.finished or ""],
        ["crawl", "state", crawl.state], ["crawl", "previous crawl", crawl.previous],
        ["decision", "first screen", s.decision.sentence],
        ["tools", "distinct tools", s.tools.total],
        ["tools", "high-risk tools" + ("" if cov.complete else " (coverage incomplete)"), s.tools.shadow_it],
        ["tools", "citizen development tools", s.tools.citizen_development],
        ["tools", "not analysable", s.tools.unknown],
        ["artifacts", "total", s.total],
        ["artifacts", "high-risk shadow IT" + ("" if cov.complete else " (coverage incomplete)"), s.shadow_it],
        ["artifacts", "citizen development", s.citizen_development], ["artifacts", "not analysable", s.unknown],
    ]
    rows += [["impact", k, n] for k, n in s.by_impact.items()]
    rows += [["kind", k, n] for k, n in s.by_kind.items()]
    rows += [["status", k, n] for k, n in s.by_status.items()]
    rows += [[f"department: {d}", c, row.of(c) if c != "total" else row.total] for d, row in s.by_department.items()
             for c in ("shadow-it", "citizen-development", "unknown", "total")]
    g = s.governance
    rows += [["governance", label, f"{getattr(g, key)} of {g.population}"] for key, label in CHECKLIST]
    rows += [["governance", "all four in place", f"{g.complete} of {g.population}"]]
    ch = s.changes
    rows += [["since previous crawl", k.replace("_", " "), n]
             for k, n in (("new", ch.new), ("changed", ch.changed), ("unchanged", ch.unchanged),
                          ("not_rechecked", ch.not_rechecked), ("removed", ch.removed),
                          ("changed_without_signoff", ch.changed_without_signoff))]
    return rows


INVENTORY = ("risk_score", "classification", "impacts", "relpath", "tool_id", "copies_of_tool", "department", "kind", "format",
             "size", "modified", "status", "status_reason", "action", "headline", "owner", "registered", "signoff", "gaps",
             "change", "findings", "rules", "structure", "coverage", "sha256", "path")
BACKLOG = ("rank", "priority", "relpath", "tool_id", "copies", "department", "target", "target_reason", "effort", "estimate",
           "effort_points", "measured_size", "impacts", "risk_score", "headline", "writes_into", "exposure", "reaches",
           "owner", "next_step", "path")
UNSCANNED = ("name", "status", "reason", "root", "path")  # roots and folders the crawl could not look into
REGISTRY = ("id", "path", "owner", "function", "purpose", "platform", "data_access", "product_owner",
            "contributors", "cost_center", "review_every", "scale_decision", "registered_at", "last_signoff_by",
            "last_signoff_at")


def _inventory(a: ArtifactRow, copies: dict[str, int]) -> list[Any]:
    return [a.risk_score, a.classification, ";".join(a.impacts), a.relpath, a.tool_id,
            copies.get(a.tool_id or "", 1), a.department, a.kind,
            a.format, a.size, _when(a.mtime), a.status, a.status_reason, a.action, a.headline,
            a.shown_owner, "yes" if a.registered else "no", a.signoff, "; ".join(a.gaps),
            a.change, len(a.findings), ";".join(f.rule for f in a.findings), "; ".join(a.structure or ()),
            a.coverage, a.sha256, a.path]


def _backlog(c: Card) -> list[Any]:
    # the same person the CSV backlog and the migration plan name (owners.document_person, decided in plan.py)
    owner = c.owner.name or (f"unregistered (edited by {c.owner.document_person})" if c.owner.document_person
                             else "unregistered")
    return [c.rank, c.priority, c.relpath, c.tool_id, c.copies, c.department, c.target, c.target_reason,
            c.effort.size, c.effort.estimate, c.effort.points,
            ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in c.size.items()), ";".join(c.impacts),
            c.risk_score, c.headline, ", ".join(c.does.write_targets),
            "; ".join(f"{kind}: {', '.join(values)}" for kind, values in c.exposure.items()),
            "; ".join(f"{r.system} ({r.where})" for r in c.reaches), owner, c.next_step, c.path]


def _registry(e: Entry) -> list[Any]:
    last = e.signoffs[-1] if e.signoffs else None
    return [e.id, e.path, e.owner, e.function, e.purpose, e.platform, e.data_access,
            e.product_owner, ", ".join(e.contributors or ()), e.cost_center,
            e.review_every, e.scale_decision, e.registered_at, last.signed_by if last else None,
            last.signed_at if last else None]


def write(report: Report, out: IO[bytes]) -> None:
    """The workbook into ``out``: built in a temporary folder (the rows of each sheet, then the package) and
    copied. No row is held; what the writer holds per hyperlink (about 1 KiB) stops at Excel's 65,530."""
    gc.freeze()  # what exists now (the report, its light records) is left out of the collections the rows cause
    try:
        _write(report, out)
    finally:
        gc.unfreeze()
        _text.cache_clear()


def _write(report: Report, out: IO[bytes]) -> None:
    with tempfile.TemporaryDirectory(prefix="shadowscan-xlsx-") as tmp:
        wb = Workbook()
        wb.set_tempdir(tmp)
        styles = _Styles(wb)
        sheets = [_Sheet(wb, styles, "Summary", ("section", "item", "value")),
                  _Sheet(wb, styles, "Tools", TOOL_COLUMNS), _Sheet(wb, styles, "Inventory", INVENTORY, "findings"),
                  _Sheet(wb, styles, "Findings", FINDING_COLUMNS), _Sheet(wb, styles, "Not scanned", UNSCANNED),
                  _Sheet(wb, styles, "Migration backlog", BACKLOG), _Sheet(wb, styles, "Registry", REGISTRY)]
        summary, tools_sheet, inventory, findings, unscanned, backlog, registry = sheets
        for row in _summary_rows(report):
            summary.add(row)
        copies = {}
        for t in report.tools:
            tools_sheet.add(tool_row(t))
            copies[t.tool_id] = t.copies
        finding = itemgetter(*FINDING_COLUMNS)
        for a in report.artifacts:  # one pass: its Inventory row, then its rows on the Findings sheet
            rows = list(findings_of(a))
            inventory.add(_inventory(a, copies), f"'Findings'!A{findings.rows + 2}" if rows else None)
            for f in rows:
                findings.add(finding(f))
        for u in report.unscanned:
            unscanned.add([u.name, u.status, u.reason, u.root, u.path])
        for c in report.migration:
            backlog.add(_backlog(c))
        for e in report.registry:
            registry.add(_registry(e))
        for sheet in sheets:
            sheet.finish()
        path = Path(tmp) / "report.xlsx"
        wb.close(str(path))
        with path.open("rb") as done:
            shutil.copyfileobj(done, out, 1 << 20)

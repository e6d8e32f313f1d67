"""XLSX: the report as a workbook people filter and pivot (openpyxl, write-only mode: rows are
streamed to the file as they come, so 100,000 artifacts are never held as a workbook).

Sheets Summary, Tools, Inventory, Findings, Migration backlog, Registry; each has a bold frozen
header row of human column names with an autofilter and column widths fitted to the first rows. Every text cell
is neutralised like the CSV (no cell starts a formula) and stripped of the control
characters the file format cannot hold.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from itertools import chain, islice
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.properties import PageSetupProperties

from ..textio import visible
from .csvfmt import FINDING_COLUMNS, TOOL_COLUMNS, finding_rows, neutralise, owner_of, tool_row
from .data import CHECKLIST, artifacts_of, change_of

MAX_CELL = 32767  # Excel's limit of characters in a cell
MIN_WIDTH, MAX_WIDTH, SAMPLE = 8, 60, 300
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="404040")
_LINK_FONT = Font(color="1F4E8C", underline="single")


def clean(value: Any) -> Any:
    """A value safe for a cell: numbers and dates as they are; text neutralised and legal."""
    if isinstance(value, bool):  # as words: spreadsheet programs store booleans as formulas (=TRUE())
        return "yes" if value else "no"
    if value is None or isinstance(value, (int, float, datetime)):
        return value
    text = visible(value if isinstance(value, str) else str(value))  # controls and bidi shown as escapes
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
    return neutralise(text[:MAX_CELL])


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


_WRAP = Alignment(wrap_text=True, vertical="top")
_SHADOW_FILL = PatternFill("solid", fgColor="F4C7C3")
_CITIZEN_FILL = PatternFill("solid", fgColor="D4EDDA")


def _sheet(wb: Workbook, title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
           links: Iterable[str | None] | None = None, link_column: str | None = None) -> None:
    """One sheet, written as the rows come (openpyxl's write-only mode): bold frozen header with a filter,
    widths fitted to the first rows, long text wrapped, class and risk coloured, printed landscape at the
    page's width with the header on every page. ``links``: per row, an in-workbook target
    (``'Findings'!A7``) for the cell of ``link_column``."""
    ws = wb.create_sheet(title)
    ws.freeze_panes = "A2"
    cleaned = ([clean(v) for v in row] for row in rows)
    sample = list(islice(cleaned, SAMPLE))  # column widths are written before the first row
    for n, name in enumerate(columns, 1):
        lengths = [len(str(r[n - 1])) for r in sample if r[n - 1] is not None]
        longest = max([len(header(name)) + 2, *[s + 1 for s in lengths]])
        ws.column_dimensions[get_column_letter(n)].width = max(MIN_WIDTH, min(MAX_WIDTH, longest))
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    cells = []
    for name in columns:
        cell = WriteOnlyCell(ws, value=header(name))
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cell.alignment = Alignment(vertical="center")
        cells.append(cell)
    ws.append(cells)
    wrap = [n for n, name in enumerate(columns) if name in WRAP]
    dated = [n for n, name in enumerate(columns) if name in DATED]
    linked = columns.index(link_column) if link_column in columns else None
    targets = iter(links) if links is not None else None
    count = 0
    for row in chain(sample, cleaned):
        count += 1
        out: list[Any] = list(row)
        for n in dated:
            out[n] = _dated(ws, row[n])
        for n in wrap:
            if isinstance(row[n], str) and len(row[n]) > MAX_WIDTH:
                out[n] = WriteOnlyCell(ws, value=row[n])
                out[n].alignment = _WRAP
        target = next(targets, None) if targets is not None else None
        if linked is not None and target:
            cell = WriteOnlyCell(ws, value=row[linked])
            cell.hyperlink = Hyperlink(ref="", location=target, tooltip="this artifact's findings")
            cell.font = _LINK_FONT
            out[linked] = cell
        ws.append(out)
    # what follows the rows in the sheet's XML, so it is set once their number is known
    last = f"{count + 1}"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{last}"
    if "classification" in columns and count:
        col = get_column_letter(columns.index("classification") + 1)
        ws.conditional_formatting.add(f"{col}2:{col}{last}", CellIsRule(operator="equal", formula=['"shadow-it"'],
                                                                        fill=_SHADOW_FILL))
        ws.conditional_formatting.add(f"{col}2:{col}{last}", CellIsRule(
            operator="equal", formula=['"citizen-development"'], fill=_CITIZEN_FILL))
    if "risk_score" in columns and count:
        col = get_column_letter(columns.index("risk_score") + 1)
        ws.conditional_formatting.add(f"{col}2:{col}{last}", ColorScaleRule(
            start_type="num", start_value=0, start_color="FFFFFF", end_type="num", end_value=100, end_color="E06666"))


def _dated(ws: Any, value: Any) -> Any:
    if isinstance(value, datetime):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    return value


def _summary_rows(report: dict[str, Any]) -> list[list[Any]]:
    s, crawl = report["summary"], report["crawl"]
    cov = report["coverage"]
    rows: list[list[Any]] = [
        ["coverage", "complete" if cov["complete"] else "INCOMPLETE: not an all-clear", cov["statement"]],
        *[["coverage of a root", r["root"], r["sentence"]] for r in cov["roots"]],
        ["crawl", "id", crawl["id"]], ["crawl", "roots", ", ".join(crawl["roots"])],
        ["crawl", "started", crawl["started"]], ["crawl", "finished", crawl["finished"] or ""],
        ["crawl", "state", crawl["state"]], ["crawl", "previous crawl", crawl.get("previous")],
        ["decision", "first screen", s["decision"]["sentence"]],
        ["tools", "distinct tools", s["tools"]["total"]],
        ["tools", "high-risk tools" + ("" if cov["complete"] else " (coverage incomplete)"), s["tools"]["shadow-it"]],
        ["tools", "citizen development tools", s["tools"]["citizen-development"]],
        ["tools", "not analysable", s["tools"]["unknown"]],
        ["artifacts", "total", s["total"]],
        ["artifacts", "high-risk shadow IT" + ("" if cov["complete"] else " (coverage incomplete)"), s["shadow-it"]],
        ["artifacts", "citizen development", s["citizen-development"]], ["artifacts", "not analysable", s["unknown"]],
    ]
    rows += [["impact", k, n] for k, n in s["by_impact"].items()]
    rows += [["kind", k, n] for k, n in s["by_kind"].items()]
    rows += [["status", k, n] for k, n in s["by_status"].items()]
    rows += [[f"department: {d}", c, row[c]] for d, row in s["by_department"].items()
             for c in ("shadow-it", "citizen-development", "unknown", "total")]
    g = s["governance"]
    rows += [["governance", label, f"{g[key]} of {g['population']}"] for key, label in CHECKLIST]
    rows += [["governance", "all four in place", f"{g['complete']} of {g['population']}"]]
    ch = s["changes"]
    rows += [["since previous crawl", k.replace("_", " "), ch[k]]
             for k in ("new", "changed", "unchanged", "not_rechecked", "removed", "changed_without_signoff")]
    return rows


INVENTORY = ("risk_score", "classification", "impacts", "relpath", "tool_id", "copies_of_tool", "department", "kind", "format",
             "size", "modified", "status", "status_reason", "action", "headline", "owner", "registered", "signoff", "gaps",
             "change", "findings", "rules", "structure", "coverage", "sha256", "path")
BACKLOG = ("rank", "priority", "relpath", "tool_id", "copies", "department", "target", "target_reason", "effort", "estimate",
           "effort_points", "measured_size", "impacts", "risk_score", "headline", "writes_into", "exposure", "reaches",
           "owner", "next_step", "path")
REGISTRY = ("id", "path", "owner", "function", "purpose", "platform", "data_access", "product_owner",
            "contributors", "cost_center", "review_every", "scale_decision", "registered_at", "last_signoff_by",
            "last_signoff_at")


def _inventory(a: dict[str, Any], change: Mapping[str, str], copies: dict[str, int]) -> list[Any]:
    return [a["risk_score"], a["classification"], ";".join(a["impacts"]), a["relpath"], a.get("tool_id"),
            copies.get(a.get("tool_id") or "", 1), a["department"], a["kind"],
            a["format"], a["size"], _when(a["mtime"]), a["status"], a["status_reason"], a["action"], a["headline"],
            owner_of(a), "yes" if a["registered"] else "no", a["signoff"], "; ".join(a["gaps"]),
            a.get("change") or change.get(a["path"], "unchanged"), len(a["findings"]),
            ";".join(f["rule"] for f in a["findings"]), "; ".join(a["structure"]), a.get("coverage", ""), a["sha256"],
            a["path"]]


def _backlog(c: dict[str, Any]) -> list[Any]:
    owner = c["owner"]["name"] or f"unregistered (last edited by {c['owner']['last_modified_by'] or '?'})"
    return [c["rank"], c["priority"], c["relpath"], c.get("tool_id"), c.get("copies", 1), c["department"], c["target"],
            c["target_reason"],
            c["effort"]["size"], c["effort"]["estimate"], c["effort"]["points"],
            ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in c["size"].items()), ";".join(c["impacts"]),
            c["risk_score"], c["headline"], ", ".join(c["does"]["write_targets"]),
            "; ".join(f"{kind}: {', '.join(values)}" for kind, values in c.get("exposure", {}).items()),
            "; ".join(f"{r['system']} ({r['where']})" for r in c["reaches"]), owner, c["next_step"], c["path"]]


def _registry(e: dict[str, Any]) -> list[Any]:
    last = e["signoffs"][-1] if e.get("signoffs") else {}
    return [e["id"], e["path"], e["owner"], e["function"], e["purpose"], e["platform"], e["data_access"],
            e.get("product_owner"), ", ".join(e.get("contributors") or ()), e.get("cost_center"),
            e.get("review_every"), e.get("scale_decision"), e.get("registered_at"), last.get("signed_by"),
            last.get("signed_at")]


def _first_findings(report: dict[str, Any]) -> Iterator[str | None]:
    """Per artifact, its first row on the Findings sheet (rows follow the artifacts' order)."""
    row = 2
    for a in artifacts_of(report):
        count = a["findings_count"] if "findings_count" in a else len(a["findings"])
        yield f"'Findings'!A{row}" if count else None
        row += count


def write(report: dict[str, Any], out: IO[bytes]) -> None:
    wb = Workbook(write_only=True)
    _sheet(wb, "Summary", ("section", "item", "value"), _summary_rows(report))
    change = change_of(report)
    tools = report.get("tools", [])
    copies = {t["tool_id"]: t["copies"] for t in tools}
    _sheet(wb, "Tools", TOOL_COLUMNS, ([tool_row(t)[c] for c in TOOL_COLUMNS] for t in tools))
    _sheet(wb, "Inventory", INVENTORY, (_inventory(a, change, copies) for a in report["artifacts"]),
           _first_findings(report), "findings")
    _sheet(wb, "Findings", FINDING_COLUMNS, ([r[c] for c in FINDING_COLUMNS] for r in finding_rows(report)))
    _sheet(wb, "Migration backlog", BACKLOG, (_backlog(c) for c in report.get("migration", [])))
    _sheet(wb, "Registry", REGISTRY, (_registry(e) for e in report.get("registry", [])))
    wb.save(out)

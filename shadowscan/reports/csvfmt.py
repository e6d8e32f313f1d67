"""CSV: one row per artifact (``csv``) or per finding (``csv-findings``), safe to open in
Excel: no cell that comes from a scanned file can start a formula."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from typing import IO, Any

from ..textio import visible
from .view import ArtifactRow, Report, Tool

BOM = "\ufeff"  # Excel reads a CSV without it as the local code page: "EndprÃ¼fung" instead of "Endprüfung"
COLUMNS = ("relpath", "tool_id", "root", "kind", "format", "size", "status", "status_reason", "classification",
           "impacts", "risk_score", "action", "owner", "rules", "reasons", "change", "coverage", "sha256", "path")
FINDING_COLUMNS = ("relpath", "tool_id", "classification", "risk_score", "rule", "family", "title", "severity", "impact",
                   "location", "line", "snippet", "evidence_count", "path")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | bool | None
Row = dict[str, Cell]  # column -> cell: the row of a CSV table


def neutralise(value: Any) -> Any:
    """Prefix text that a spreadsheet would read as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def cell(value: Any) -> Any:
    """A CSV cell: one line (CR, LF, tab and every control or bidi character shown as an
    escape: a bare CR would end the row for LibreOffice), then neutralised."""
    return neutralise(visible(value, one_line=True)) if isinstance(value, str) else value


def artifact_row(a: ArtifactRow) -> Row:
    """The row of :data:`COLUMNS` of one artifact."""
    return {
        "relpath": a.relpath, "tool_id": a.tool_id, "root": a.root, "kind": a.kind, "format": a.format,
        "size": a.size, "status": a.status, "status_reason": a.status_reason, "classification": a.classification,
        "impacts": ";".join(a.impacts), "risk_score": a.risk_score, "action": a.action, "owner": a.shown_owner,
        "rules": ";".join(f.rule for f in a.findings), "reasons": " | ".join(a.reasons), "change": a.change,
        "coverage": a.coverage, "sha256": a.sha256, "path": a.path,
    }


def finding_rows(report: Report) -> Iterable[Row]:
    """One dict per finding, with its first piece of evidence and how many there are."""
    for a in report.artifacts:
        yield from findings_of(a)


def findings_of(a: ArtifactRow) -> Iterator[Row]:
    """The rows of :func:`finding_rows` of one artifact (XLSX writes them in the pass that writes its Inventory)."""
    for f in a.findings:
        first = f.evidence[0] if f.evidence else None
        yield {"relpath": a.relpath, "tool_id": a.tool_id, "classification": a.classification,
               "risk_score": a.risk_score,
               "rule": f.rule, "family": f.family, "title": f.title, "severity": f.severity,
               "impact": f.impact or "", "location": first.location if first else "",
               "line": first.line if first else None, "snippet": first.snippet if first else "",
               "evidence_count": len(f.evidence), "path": a.path}


def stream_rows(columns: Sequence[str], rows: Iterable[Row], out: IO[bytes]) -> None:
    """CSV into a binary file, row by row, with a UTF-8 byte order mark first, so that Excel opens it as UTF-8."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    try:
        text.write(BOM)
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([cell("" if row.get(c) is None else row.get(c)) for c in columns])
        text.flush()
    finally:
        text.detach()  # the caller's file stays open


def write_rows(columns: Sequence[str], rows: Iterable[Row]) -> str:
    """CSV text with a UTF-8 byte order mark first (:func:`stream_rows` as one string)."""
    out = io.BytesIO()
    stream_rows(columns, rows, out)
    return out.getvalue().decode("utf-8")


def unscanned_rows(report: Report) -> Iterable[Row]:
    """One row per root or folder the crawl could not look into, after the artifacts: kind ``folder``,
    its status and reason, and the root's coverage sentence (nothing in it was analysed or judged)."""
    sentences = {r.root: r.sentence for r in report.coverage.roots}
    for u in report.unscanned:
        yield {"relpath": u.relpath, "root": u.root, "kind": "folder", "status": u.status,
               "status_reason": u.reason, "coverage": sentences.get(u.root, ""), "path": u.path}


def write(report: Report, out: IO[bytes]) -> None:
    stream_rows(COLUMNS, chain((artifact_row(a) for a in report.artifacts), unscanned_rows(report)), out)


TOOL_COLUMNS = ("tool_id", "name", "classification", "impacts", "risk_score", "copies", "copies_differ",
                "departments", "last_changed", "last_changed_path", "ask", "registered_copies", "headline")


def tool_row(t: Tool) -> tuple[Any, ...]:
    """The row of :data:`TOOL_COLUMNS` of one tool."""
    return (t.tool_id, t.name, t.classification, ";".join(t.impacts), t.risk_score, t.copies, t.copies_differ,
            ";".join(t.departments), t.last_changed.name, t.last_changed.path, f"{t.ask.name} ({t.ask.role})",
            t.registered, t.headline)


def write_findings(report: Report, out: IO[bytes]) -> None:
    stream_rows(FINDING_COLUMNS, finding_rows(report), out)

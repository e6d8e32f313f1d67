"""Jupyter notebooks (``.ipynb``): the code cells, analysed like a script; outputs ignored.

The notebook is read with **nbformat** (Jupyter's own reader: it knows every format version
from v1 to v4 and upgrades older ones to v4), never run. Its code cells are joined in order
into one program, because a notebook is one: a value computed in cell 3 and written in cell 5
is one flow. That program goes through the same path as a script of the kernel's language
(the rule engine, the flow analysis, for Python the AST's SQL literals); every piece of
evidence is then pointed back at its cell and the line within it. IPython magics and shell
escapes (``%sql``, ``!curl``) stay in the text the rules read and are blanked for the
Python parser, a cell magic's whole cell with them (``%%sql`` is followed by SQL, not Python).
Outputs (tables, plots, printed secrets) are never read: they are what a run produced, not
what the tool does.
"""
from __future__ import annotations

import logging
import re
from typing import Any

from ..fingerprint import combine, normalise_code, python_logic
from ..model import Analysis, Evidence, Finding, Kind, Limits, NotebookFacts, Status
from ..rules.engine import merge_findings, scan_text
from . import scripts
from .packages import MAX_JSON, Refused, decode_json_text, file_bytes

# the analyzer interface (analyzers/__init__.py): the kinds this module analyses, and whether
# it needs the file on disk rather than its bytes
KINDS = frozenset({Kind.NOTEBOOK})
NEEDS_FILE = False

KERNEL_LANGUAGES = {"python": "python", "python3": "python", "r": "r", "powershell": "powershell",
                    "sql": "sql", "vbscript": "vbscript"}
_MAGIC = re.compile(r"^(\s*)[%!?]")
logging.getLogger("nbformat").setLevel(logging.CRITICAL)


def analyze(path: str, fmt: str, limits: Limits, data: bytes | None = None) -> Analysis:
    try:
        return _analyze(path, file_bytes(path, data, limits))
    except Refused as refused:
        return refused.analysis


def _analyze(path: str, data: bytes) -> Analysis:
    import nbformat

    if not data.strip():
        return Analysis.failed(Status.CORRUPT, "empty file: not a notebook")
    text = decode_json_text(data)
    if len(text) > MAX_JSON:
        return Analysis.failed(Status.TOO_LARGE, f"notebook of {len(text):,} characters (cap {MAX_JSON:,}): not parsed")
    try:
        nb = nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]  # nbformat is untyped
    except RecursionError:
        return Analysis.failed(Status.CORRUPT, "malformed notebook: JSON nested too deeply to parse")
    except Exception as exc:  # nbformat raises NotJSONError, NBFormatError, KeyError, ValidationError...
        return Analysis.failed(Status.CORRUPT, f"malformed notebook: {type(exc).__name__}: {str(exc)[:200]}")
    cells = nb.get("cells")
    if not isinstance(cells, list):
        return Analysis.failed(Status.CORRUPT, "malformed notebook: no list of cells")
    metadata: dict[str, Any] = nb["metadata"] if isinstance(nb.get("metadata"), dict) else {}
    kernel: dict[str, Any] = metadata["kernelspec"] if isinstance(metadata.get("kernelspec"), dict) else {}
    info: dict[str, Any] = metadata["language_info"] if isinstance(metadata.get("language_info"), dict) else {}
    declared = str(kernel.get("language") or info.get("name") or "python").lower()
    language = KERNEL_LANGUAGES.get(declared, "text")
    lines: list[str] = []
    where: list[tuple[int, int]] = []  # per program line: (cell number, line within the cell)
    code_cells = markdown = 0
    cell_magics: set[int] = set()  # cells whose first line is a cell magic (%%sql, %%bash): no Python at all
    sql_cells: list[tuple[int, str]] = []  # (program line before the body, body) of each %%sql cell
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict):
            continue
        if cell.get("cell_type") == "markdown":
            markdown += 1
        if cell.get("cell_type") != "code":
            continue  # outputs and markdown are never analysed
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        code_cells += 1
        if source.lstrip().startswith("%%"):
            cell_magics.add(number)
            head, _, body = source.lstrip().partition("\n")
            if head.split()[0].lower() == "%%sql":  # the body is one SQL script, statements across lines
                sql_cells.append((len(lines) + source.count("\n", 0, len(source) - len(source.lstrip())) + 1, body))
        for offset, line in enumerate(source.split("\n"), 1):
            lines.append(line)
            where.append((number, offset))
    program = "\n".join(lines)
    facts: NotebookFacts = {"language": language, "kernel": str(kernel.get("name") or declared),
                             "nbformat": f"{nb.get('nbformat', '?')}.{nb.get('nbformat_minor', '?')}",
                             "code_cells": code_cells, "markdown_cells": markdown, "lines": len(lines)}
    findings: list[Finding] = []
    if language == "python":
        parsable = "\n".join("pass  # " + line if cell in cell_magics else
                             _MAGIC.sub(r"\1pass  # ", line) if _MAGIC.match(line) else line
                             for line, (cell, _) in zip(lines, where))
        findings.extend(scripts._python(parsable, path, facts))
        logic = python_logic(parsable) or normalise_code(program, "python")
    else:
        logic = normalise_code(program, language)
    findings.extend(scan_text(program, language, "notebook"))
    for offset, body in sql_cells:
        findings.extend(scan_text(body, "sql", "notebook", line_offset=offset))
    located = tuple(_in_cells(f, where) for f in merge_findings(findings))
    return Analysis(Status.ANALYZED, "", located, facts, fingerprint=combine([("notebook", logic)]))


def _in_cells(finding: Finding, where: list[tuple[int, int]]) -> Finding:
    """Evidence at a line of the joined program, pointed back at its cell and line."""
    moved = []
    for ev in finding.evidence:
        if ev.line is not None and 1 <= ev.line <= len(where):
            cell, line = where[ev.line - 1]
            moved.append(Evidence(f"cell {cell}", line, ev.snippet))
        else:
            moved.append(ev)
    return Finding(finding.rule, finding.family, finding.title, finding.severity, tuple(moved), finding.impact)

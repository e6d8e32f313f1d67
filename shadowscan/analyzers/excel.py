"""Excel workbooks: the judgement of what :mod:`.excel_file` read.

Reading the workbook (container, encryption, zip guard, VBA modules, Excel 4.0 macro sheets,
data connections, structure and cell formulas) is :mod:`.excel_file`; here the rules run over
what it read: the VBA modules (:mod:`.vba`), the macro-sheet formulas, connection strings and
commands, external links, and the cell formulas (links out of the workbook, quality decisions
and computed limits), and the logic fingerprint is made of the same parts.
"""
from __future__ import annotations

import re
from typing import cast

from ..fingerprint import combine, normalise_code
from ..model import Analysis, Evidence, ExcelFacts, Finding, Kind, Limits, Status
from ..rules.catalogue import rule
from ..rules.correlate import QUAL_DECISION, QUAL_LIMITS, correlate
from ..rules.engine import merge_findings, scan_text, snippet
from ..rules.flow import FORMULA_DECISION
from ..rules.vocab import LIMIT_NAME, split_identifiers
from .excel_file import Workbook, read_workbook
from .vba import analyze_vba_modules, logic_parts

# the analyzer interface (analyzers/__init__.py): the kinds this module analyses, and whether
# it needs the file on disk rather than its bytes
KINDS = frozenset({Kind.EXCEL})
NEEDS_FILE = False  # workbooks are read from their bytes in memory

# [Book.xlsx]Sheet!A1, '[Book.xlsx]Sheet'!A1, [1]Sheet!A1 (an external link's index), http/UNC paths;
# not structured references inside the workbook (Table1[[#This Row],[Date]], jan[Total hours])
_EXTERNAL_REF = re.compile(r"\[[^\[\]]*\.(?:xl\w*|csv|ods)\]|\[\d+\][^\[\]!]*!|https?://", re.IGNORECASE)


def analyze(path: str, fmt: str, limits: Limits, data: bytes | None = None) -> Analysis:
    book = read_workbook(path, fmt, limits, data)
    return book if isinstance(book, Analysis) else judge(book)


def judge(book: Workbook) -> Analysis:
    """The findings, facts and logic fingerprint of a workbook that was read."""
    findings: list[Finding] = []
    if book.default_password:
        findings.append(rule("structure.default-encryption").finding(
            [Evidence("EncryptionInfo", None, "decrypted with Excel's default password")]))
    logic = logic_parts(book.modules)  # (location, normalised logic) for the fingerprint
    vba_findings, modules = analyze_vba_modules(book.modules) if book.modules else ([], [])
    findings.extend(vba_findings)
    head = {k: v for k, v in book.facts.items() if k in ("container", "encryption")}  # the facts in the order
    facts = cast(ExcelFacts, {**head, "modules": modules, "vba_lines": sum(m["lines"] for m in modules),
                              **book.facts})  # they are found: container, VBA, then the parts
    if book.failure is not None:
        return Analysis.failed(*book.failure, **facts)
    for sheet in book.macro_sheets:
        if sheet.formulas is None:
            findings.append(_xlm_present(sheet.location, "binary macro sheet"))
            continue
        text = "\n".join(sheet.formulas)
        logic.append((sheet.location, normalise_code(text, "xlm")))
        findings.append(_xlm_present(sheet.location, sheet.formulas[0] if sheet.formulas else "macro sheet"))
        findings.extend(scan_text(text, "xlm", sheet.location))
    for conn in book.connections:
        location = f"xl/connections.xml:{conn.name}"
        logic.append((location, normalise_code(conn.connection + "\n" + conn.command, "sql")))
        findings.append(rule("reach.data-connection").finding(
            [Evidence(location, None, snippet(conn.connection or conn.name))]))
        findings.extend(scan_text(conn.connection, "text", location))
        if conn.command:
            findings.extend(scan_text(conn.command, "sql", location))
    links = facts.get("external_links") or []
    if links:
        findings.append(rule("reach.external-link").finding(
            Evidence("xl/externalLinks", None, snippet(t)) for t in links[:20]))
        findings.extend(scan_text("\n".join(links), "text", "xl/externalLinks"))
    for formula in book.formulas:
        findings.extend(formula_findings(formula.text, formula.location, formula.header, formula.binary))
    if not modules and not facts.get("xlm_cells") and not facts.get("connections") \
            and not facts.get("external_links"):
        facts["note"] = "no macros, connections or external links found"
    return Analysis(Status.ANALYZED, "", tuple(merge_findings(findings)), facts, fingerprint=combine(logic))


def formula_findings(formula: str, location: str, header: str = "", binary: bool = False) -> list[Finding]:
    """A cell formula that reaches outside the workbook (other files, shares, web services), and the
    quality logic that lives in cells rather than in VBA (:func:`cell_logic`). Financial arithmetic in
    cells is left alone: totals and variances in a report are how spreadsheets show numbers, not a
    sign of a system of record. A binary (BIFF) workbook's formulas come without headers and with
    outside references resolved, so only shares, web services and RTD are looked for there."""
    found: list[Finding] = []
    upper = formula.upper()
    if (not binary and _EXTERNAL_REF.search(formula)) or "\\\\" in formula or "WEBSERVICE(" in upper \
            or "RTD(" in upper:
        found.append(rule("reach.formula-link").finding([Evidence(location, None, snippet(formula))]))
    limit_column = bool(header) and bool(LIMIT_NAME.search(split_identifiers(header)))
    found.extend(cell_logic(header, formula, location, limit_column))
    return found


def _xlm_present(location: str, sample: str) -> Finding:
    return rule("behaviour.xlm").finding([Evidence(location, None, snippet(sample))], "Excel 4.0 (XLM) macro sheet")


def cell_logic(header: str, formula: str, location: str, limit_column: bool) -> list[Finding]:
    """Quality decisions and computed limits in one cell. A limit is judged like an assignment
    in code (``<column header> = <formula>``) by the correlation rules, and only under a header
    that names a limit; in a formula "=" compares, so a decision is a decision value that
    IF/IFS/SWITCH returns (``=IF(F2>D2,"FAIL","PASS")``: the cell *is* the decision)."""
    found = []
    if FORMULA_DECISION.search(formula):
        found.append(QUAL_DECISION[0])
    if limit_column:
        target = "".join(ch if ch.isalnum() else "_" for ch in header)
        if QUAL_LIMITS in correlate(f"{target} = {formula[1:]}", "xlm", ()):
            found.append(QUAL_LIMITS[0])
    shown = snippet(f"{header}: {formula}" if header else formula)
    return [rule(rule_id).finding([Evidence(location, None, shown)]) for rule_id in found]

"""VBA source analysis shared by workbooks and Access databases.

Module text comes from oletools (``VBA_Parser.extract_macros`` for Office files,
``decompress_stream`` for Access storage). Each module is scanned with the project's
rules and with oletools' own autoexec and suspicious-keyword detectors, so evidence
points at ``VBA/<module>`` and the line an engineer sees in the VBA editor.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from oletools import olevba

from ..fingerprint import normalise_code
from ..model import Evidence, Finding, ModuleFacts
from ..redact import redact_property_values
from ..rules.catalogue import rule
from ..rules.engine import merge_findings, scan_text, snippet
from ..rules.literals import required_literals

_ATTRIBUTE = re.compile(r"^\s*Attribute\s+VB_", re.IGNORECASE)
_PROCEDURE = re.compile(
    r"^\s*(?:(?:public|private|friend)\s+)?(?:static\s+)?(?:sub|function|property\s+(?:get|let|set))\s+\w+",
    re.IGNORECASE)
# LibreOffice Basic in VBA compatibility mode (a workbook converted from Excel keeps its VBA this
# way): Office's event names then run as they do in Office.
_VBA_SUPPORT = re.compile(r"^\s*option\s+vbasupport\s+1\b", re.IGNORECASE | re.MULTILINE)
# oletools reports these on almost every file; they say nothing about the tool's purpose.
_NOISE = frozenset({"Hex Strings", "Base64 Strings", "Dridex Strings", "VBA obfuscated Strings", "Chr"})


def _keyword_table(plain: dict[str, Any], regex: dict[str, Any]
                   ) -> list[tuple[str, str | None, frozenset[str] | None, re.Pattern[str]]]:
    """(description, lower-case literal or None, the literals a regex keyword needs or None,
    compiled pattern) from oletools' own tables."""
    table: list[tuple[str, str | None, frozenset[str] | None, re.Pattern[str]]] = [
        (description, keyword.lower(), None, re.compile(r"(?i)\b" + re.escape(keyword) + r"\b"))
        for description, keywords in plain.items() for keyword in keywords]
    for description, keywords in regex.items():
        for keyword in keywords:
            pattern = re.compile(r"(?i)\b" + keyword + r"\b")
            table.append((description, None, required_literals(pattern), pattern))
    return table


_SUSPICIOUS = _keyword_table(olevba.SUSPICIOUS_KEYWORDS, olevba.SUSPICIOUS_KEYWORDS_REGEX)
_AUTOEXEC = _keyword_table(olevba.AUTOEXEC_KEYWORDS, olevba.AUTOEXEC_KEYWORDS_REGEX)
# the events that run when a document or workbook is opened, closed or created (not control events)
_OPEN_EVENTS = frozenset(k.lower() for keywords in olevba.AUTOEXEC_KEYWORDS.values() for k in keywords)


def _detect(table: list[tuple[str, str | None, frozenset[str] | None, re.Pattern[str]]],
            code: str) -> list[tuple[str, str]]:
    """oletools' ``detect_suspicious``/``detect_autoexec`` with the same keyword tables and the
    same results, faster: a literal keyword's regex runs only when the keyword occurs at all
    (its lower-case text in the lower-cased code), a regex keyword's only when one of the
    literals it needs does (:mod:`shadowscan.rules.literals`; ASCII code only), and patterns
    are compiled once."""
    lower = code.lower()
    ascii_code = code.isascii()
    results = []
    for description, literal, needs, pattern in table:
        if literal is not None and literal not in lower:
            continue
        if needs is not None and ascii_code and not any(n in lower for n in needs):
            continue
        match = pattern.search(code)
        if match:
            results.append((match.group(), description))
    return results


def detect_suspicious(code: str) -> list[tuple[str, str]]:
    found = _detect(_SUSPICIOUS, code)
    for description, keywords in olevba.SUSPICIOUS_KEYWORDS_NOREGEX.items():
        found += [(keyword, description) for keyword in keywords if keyword.lower() in code]
    return found


def detect_autoexec(code: str) -> list[tuple[str, str]]:
    return _detect(_AUTOEXEC, code)


def normalise(code: str) -> str:
    """Module text as the VBA editor shows it: no Attribute lines, LF line ends."""
    lines = code.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line for line in lines if not _ATTRIBUTE.match(line)).strip("\n")


def _line_of(code_lines: Sequence[str], keyword: str) -> tuple[int | None, str]:
    needle = keyword.lower()
    for number, line in enumerate(code_lines, 1):
        if needle in line.lower():
            return number, line
    return None, ""


def logic_parts(modules: Sequence[tuple[str, str]], language: str = "vba") -> list[tuple[str, str]]:
    """(location, normalised code) per module, for the logic fingerprint."""
    return [(location, normalise_code(code, language)) for location, code in modules]


def analyze_vba_modules(modules: Sequence[tuple[str, str]], language: str = "vba"
                        ) -> tuple[list[Finding], list[ModuleFacts]]:
    """Scan (location, code) pairs; returns merged findings and one fact dict per module.

    ``language`` "basic" reads LibreOffice Basic modules the same way, except that a procedure's
    name does not make it run on open there (the document's event bindings do: the OpenDocument
    analyzer reads them), so oletools' autoexec names are looked for only in a module in VBA
    compatibility mode (``Option VBASupport 1``), where LibreOffice runs them as Office does."""
    findings: list[Finding] = []
    facts: list[ModuleFacts] = []
    for location, raw in modules:
        code = redact_property_values(normalise(raw))  # a password set as a property value, across lines
        lines = code.split("\n") if code else []
        code_lines = [ln for ln in lines if ln.strip() and not ln.strip().startswith("'")]
        by_name = language == "vba" or bool(_VBA_SUPPORT.search(code))
        autoexec = [kw for kw, _desc in detect_autoexec(code)] if code and by_name else []
        suspicious = [kw for kw, _desc in detect_suspicious(code) if kw not in _NOISE] if code else []
        facts.append({
            "location": location,
            "lines": len(code_lines),  # code, without blank and comment lines
            "source_lines": len(lines),
            "procedures": sum(1 for ln in lines if _PROCEDURE.match(ln)),
            "autoexec": autoexec,
            "suspicious": suspicious,
        })
        if not code:
            continue
        findings.extend(scan_text(code, language, location))
        for keyword in autoexec:
            # oletools also lists control events (..._Click, ..._Change) that run when a user clicks,
            # not when the file opens; and a keyword only in a comment runs nothing
            if keyword.lower() not in _OPEN_EVENTS:
                continue
            number, line = _line_of([ln if not ln.strip().startswith("'") else "" for ln in lines], keyword)
            if number is not None:
                findings.append(rule("behaviour.autoexec").finding([Evidence(location, number, snippet(line))]))
        for keyword in suspicious:
            number, line = _line_of(lines, keyword)
            findings.append(rule("behaviour.olevba-keyword").finding(
                [Evidence(location, number, snippet(f"{keyword}: {line}" if line else keyword))]))
    return merge_findings(findings), facts

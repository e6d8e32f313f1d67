"""SARIF 2.1.0: findings and verdicts as results, so they can flow into security dashboards.

* One run; ``tool.driver.rules`` holds every rule that fired plus the three verdict rules
  (``verdict.shadow-it``, ``verdict.citizen-development``, ``verdict.not-analysable``).
* One result per finding and one per artifact verdict. Artifact URIs are relative to a
  ``ROOTn`` base id per crawl root (``originalUriBaseIds`` maps them to file URIs).
* Roots and folders the crawl could not look into are ``toolExecutionNotifications`` (descriptor
  ``unscanned``), after the coverage statement: they are no artifacts and have no verdict.
* A line number is a region only where it is a line of the file itself (scripts); inside
  a workbook or database it is a line of a module, given as a logical location.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import PurePosixPath
from typing import IO, Any
from urllib.parse import quote

from .. import __version__
from ..textio import json_visible
from .view import ArtifactRow, EvidenceRow, FindingRow, Report, UnscannedPart

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
VERSION = "2.1.0"
LEVEL = {"high": "error", "medium": "warning", "low": "note", "info": "note"}
VERDICTS = {
    "shadow-it": ("verdict.shadow-it", "High-risk shadow IT: generates financial data or controls quality decisions",
                  "error"),
    "citizen-development": ("verdict.citizen-development", "Citizen development: reads and shows data", "note"),
    "unknown": ("verdict.not-analysable", "Could not be analysed: review by hand", "warning"),
}
FILE_LOCATIONS = frozenset({"script"})
# SARIF's own objects (results, locations, rules) are written as JSON: dict[str, Any] is the SARIF schema's
# open JSON here, not report data (that is typed: view.py)


def _root_uri(root: str) -> str:
    """A crawl root as a file URI ending in '/': absolute local paths (``file:///srv/share/``), a
    Windows drive (``file:///C:/x/``), UNC and SMB roots (``file://server/share/``); a relative root
    (stored by older versions) is made absolute first."""
    posix = root.replace("\\", "/")
    if posix.startswith("//"):
        uri = "file:" + quote(posix)
    elif re.match(r"^[A-Za-z]:/", posix):
        uri = "file:///" + posix[:2] + quote(posix[2:])
    else:
        uri = PurePosixPath(os.path.abspath(posix) if not posix.startswith("/") else posix).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _location(a: ArtifactRow, base: str, evidence: EvidenceRow | None = None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": quote(a.relpath or PurePosixPath(a.path).name),
                                                     "uriBaseId": base}}
    location: dict[str, Any] = {"physicalLocation": physical}
    if evidence:
        line = evidence.line
        if evidence.location in FILE_LOCATIONS and isinstance(line, int) and line >= 1:
            physical["region"] = {"startLine": line, "snippet": {"text": evidence.snippet or ""}}
        else:
            location["logicalLocations"] = [{"fullyQualifiedName": evidence.location or "", "kind": "module"}]
    return location


def _message(f: FindingRow, ev: EvidenceRow | None) -> str:
    if not ev:
        return str(f.title)
    where = ev.location or ""
    if ev.line:
        where += f" line {ev.line}"
    return f"{f.title} — {where}: {ev.snippet or ''}".rstrip(": ")


class _Rules:
    """``tool.driver.rules``: the verdict rules, then every rule in the order it first fired."""

    def __init__(self) -> None:
        self.rules: dict[str, dict[str, Any]] = {}
        self.index: dict[str, int] = {}
        for rule_id, text, level in VERDICTS.values():
            self.add(rule_id, text, level, "verdict")

    def add(self, rule_id: str, text: str, level: str, family: str) -> int:
        if rule_id not in self.index:
            self.index[rule_id] = len(self.rules)
            self.rules[rule_id] = {"id": rule_id, "name": rule_id.replace(".", "/"), "shortDescription": {"text": text},
                                   "defaultConfiguration": {"level": level}, "properties": {"family": family}}
        return self.index[rule_id]


def results(a: ArtifactRow, base: str, rules: _Rules) -> list[dict[str, Any]]:
    """The results of one artifact: its verdict, then one per finding."""
    props = {"classification": a.classification, "impacts": list(a.impacts), "risk_score": a.risk_score,
             "action": a.action, "status": a.status}
    rule_id, text, level = VERDICTS.get(a.classification, VERDICTS["unknown"])
    out = [{"ruleId": rule_id, "ruleIndex": rules.add(rule_id, text, level, "verdict"), "level": level,
            "message": {"text": a.headline + " " + " ".join(a.reasons)},
            "locations": [_location(a, base)], "properties": props,
            "partialFingerprints": {"sha256": a.sha256 or ""}}]
    for f in a.findings:
        ev = f.evidence[0] if f.evidence else None
        level = LEVEL.get(f.severity, "note")
        result = {"ruleId": f.rule, "ruleIndex": rules.add(f.rule, f.title, level, f.family),
                  "level": level, "message": {"text": _message(f, ev)},
                  "locations": [_location(a, base, ev)],
                  "properties": {"family": f.family, "impact": f.impact, "classification": a.classification}}
        related = [dict(_location(a, base, e), id=n, message={"text": _message(f, e)})
                   for n, e in enumerate(f.evidence[1:20], 1)]
        if related:
            result["relatedLocations"] = related
        out.append(result)
    return out


def _unscanned(u: UnscannedPart) -> dict[str, Any]:
    """A root or folder the crawl could not look into: an error (coverage incomplete), or a note for a
    folder link it does not follow."""
    return {"level": "error" if u.status == "unreadable" else "note", "descriptor": {"id": "unscanned"},
            "message": {"text": f"{u.name} was not scanned ({u.status}): {u.reason}"},
            "locations": [{"physicalLocation": {"artifactLocation": {
                "uri": _root_uri(u.root) + quote(u.relpath)}}}]}


def _dump(value: Any) -> bytes:
    return json_visible(json.dumps(value, ensure_ascii=False)).encode("utf-8")


def write(report: Report, out: IO[bytes]) -> None:
    """One run; its results written one artifact at a time (a line each), then the rules that fired and the
    roots they are relative to (a JSON object's members may come in any order)."""
    cov, crawl, summary = report.coverage, report.crawl, report.summary
    rules = _Rules()
    bases: dict[str, str] = {}
    out.write(b'{"$schema": ' + _dump(SCHEMA_URI) + b', "version": ' + _dump(VERSION) + b', "runs": [{\n"results": [')
    first = True
    for a in report.artifacts:
        base = bases.setdefault(a.root, f"ROOT{len(bases) + 1}")
        for result in results(a, base, rules):
            out.write((b"\n" if first else b",\n") + _dump(result))
            first = False
    tail = {
        "tool": {"driver": {"name": "shadowscan", "version": __version__, "semanticVersion": __version__,
                            "rules": list(rules.rules.values())}},
        "originalUriBaseIds": {base: {"uri": _root_uri(root)} for root, base in bases.items()},
        "invocations": [{"executionSuccessful": crawl.state == "finished" and cov.complete,
                         "toolExecutionNotifications": [
                             {"level": "note" if cov.complete else "error",
                              "descriptor": {"id": "coverage"}, "message": {"text": cov.statement}},
                             *[{"level": "error", "descriptor": {"id": "coverage"},
                                "message": {"text": r.sentence},
                                "locations": [{"physicalLocation": {"artifactLocation": {
                                    "uri": _root_uri(r.root)}}}]}
                               for r in cov.roots if r.state != "complete"],
                             *[_unscanned(u) for u in report.unscanned]],
                         "properties": {"coverage": cov.json()},
                         "startTimeUtc": crawl.started,
                         **({"endTimeUtc": crawl.finished} if crawl.finished else {})}],
        "properties": {"crawl": crawl.id, "summary": {
            "total": summary.total, "shadow-it": summary.shadow_it,
            "citizen-development": summary.citizen_development, "unknown": summary.unknown}},
    }
    out.write(b"\n],\n" + _dump(tail)[1:] + b"]}\n")

"""Power Apps canvas apps: ``.msapp`` files, and exported solution or package zips that hold them.

An ``.msapp`` is a zip package (read here from memory with the same zip-bomb guard as
workbooks): ``References\\DataSources.json`` names the data sources and connectors (SQL
Server tables, SharePoint lists, Dataverse tables, services such as Office 365 or a flow),
``Controls\\*.json`` and ``Components\\*.json`` hold every control with its ``Rules``: the
Power Fx formulas. Nothing is run. Comments are removed from each formula, then:

* a formula **writes** when it calls ``Patch``, ``Collect``/``ClearCollect``, ``Remove``/
  ``RemoveIf``, ``Update``/``UpdateIf`` on a data source (not on a local collection), or
  ``SubmitForm`` on a form whose ``DataSource`` is one; what it writes (the data source's
  name and the record's fields) is judged by the correlation rules like an SQL write;
* ``<service>.Run(...)`` on a service connector starts a flow;
* the data sources are the app's reach.

A ``.zip`` is kept only when it is a solution (``solution.xml`` and ``CanvasApps/*.msapp``)
or a package (``Microsoft.PowerApps/apps/.../*.msapp``); every app inside is analysed and
its evidence located under the app's name. Any other zip returns None (not an artifact).
Power Apps is a sandbox the policy names: an app that only reads is citizen development in
its sandbox; one that patches financial or quality data is shadow IT.
"""
from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator

from ..fingerprint import combine, normalise_code
from ..model import Analysis, Evidence, Finding, Kind, Limits, PowerAppsFacts, Status
from ..redact import redact
from ..rules.catalogue import rule
from ..rules.correlate import correlate
from ..rules.engine import merge_findings, scan_text, snippet
from ..rules.rule import Rule
from .packages import Refused, file_bytes, load_json, member, open_zip, walk_json

# the analyzer interface (analyzers/__init__.py): the kinds this module analyses, and whether
# it needs the file on disk rather than its bytes
KINDS = frozenset({Kind.POWERAPPS})
NEEDS_FILE = False

_NAME = r"(?:'(?:[^']|'')+'|\[@?[^\]]+\]|[A-Za-z_][\w.]*)"
_WRITE = re.compile(r"\b(Patch|Collect|ClearCollect|Remove|RemoveIf|Update|UpdateIf|SubmitForm)\s*\(\s*(" + _NAME + r")")
_RUN = re.compile(r"\b([A-Za-z_]\w*)\s*\.\s*Run\s*\(")
MAX_FORMULAS = 200_000
# DataSources.json entries that are not a place the app can write to: option sets and views
# (metadata), collections (in the app's memory), static tables imported into the app.
LOCAL_TYPES = ("OptionSetInfo", "ViewInfo", "CollectionDataSourceInfo", "StaticDataSourceInfo")
MAX_APPS = 50


def analyze(path: str, fmt: str, limits: Limits, data: bytes | None = None) -> Analysis:
    try:
        data = file_bytes(path, data, limits)
        if not data:
            return Analysis.failed(Status.CORRUPT, f"empty file (0 bytes): not a .{fmt} package")
        if fmt == "zip" and not data.startswith(b"PK"):
            return Analysis.not_an_artifact("a file named .zip that is no zip package")
        archive = open_zip(data, limits, "Power Apps package" if fmt == "msapp" else "zip package")
        if fmt == "msapp":
            apps = [("", archive)]
        else:
            inner = sorted(n for n in archive.namelist() if n.lower().endswith(".msapp")
                           and (n.startswith("CanvasApps/") or n.startswith("Microsoft.PowerApps/")))
            if not inner:
                return Analysis.not_an_artifact("a zip package that holds no canvas app")
            apps = [(n, open_zip(member(archive, n), limits, f"app {n}")) for n in inner[:MAX_APPS]]
        findings: list[Finding] = []
        facts: PowerAppsFacts = {"platform": "powerapps", "apps": [], "data_sources": [], "flows": [],
                                 "writes": [], "formulas": 0}
        if fmt == "zip":
            facts["package"] = "solution" if "solution.xml" in archive.namelist() else "package"
        logic: list[tuple[str, str]] = []
        for name, app in apps:
            findings.extend(_app(app, name, facts, logic))
    except Refused as refused:
        return refused.analysis
    return Analysis(Status.ANALYZED, "", tuple(merge_findings(findings)), facts, fingerprint=combine(logic))


def _part(archive: zipfile.ZipFile, *names: str) -> bytes | None:
    """A member by its name with either separator (Power Apps Studio writes backslashes)."""
    wanted = {n.replace("\\", "/").lower() for n in names}
    for info in archive.infolist():
        if info.filename.replace("\\", "/").lower() in wanted:
            return member(archive, info.filename)
    return None


def strip_comments(formula: str) -> str:
    """Power Fx without ``//`` and ``/* */`` comments (strings, with ``""`` escapes, kept)."""
    out: list[str] = []
    i, n = 0, len(formula)
    while i < n:
        ch = formula[i]
        if ch == '"':
            j = i + 1
            while j < n and not (formula[j] == '"' and formula[j + 1:j + 2] != '"'):
                j += 2 if formula[j] == '"' else 1
            out.append(formula[i:j + 1])
            i = j + 1
        elif formula.startswith("//", i):
            j = formula.find("\n", i)
            i = n if j < 0 else j
        elif formula.startswith("/*", i):
            j = formula.find("*/", i + 2)
            out.append(" ")
            i = n if j < 0 else j + 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _unquote(name: str) -> str:
    name = name.strip()
    if name.startswith("'") and name.endswith("'"):
        return name[1:-1].replace("''", "'")
    if name.startswith("[@"):
        return name[2:-1]
    return name


def _call(formula: str, start: int, cap: int = 600) -> str:
    """The call starting at ``start`` up to its closing parenthesis (at most ``cap`` characters)."""
    depth = 0
    for i in range(start, min(len(formula), start + cap)):
        if formula[i] == "(":
            depth += 1
        elif formula[i] == ")":
            depth -= 1
            if depth == 0:
                return formula[start:i + 1]
    return formula[start:start + cap]


def _controls(archive: zipfile.ZipFile) -> Iterator[tuple[str, str, str, str]]:
    """(screen, control, property, formula) for every rule of every control."""
    count = 0
    for info in archive.infolist():
        name = info.filename.replace("\\", "/")
        if not (name.startswith(("Controls/", "Components/")) and name.endswith(".json")):
            continue
        doc = load_json(member(archive, info.filename), f"control file {name}")
        top = doc.get("TopParent") if isinstance(doc, dict) else None
        if not isinstance(top, dict):
            continue
        screen = str(top.get("Name") or name)
        for node in walk_json(top, limit=100_000):
            rules = node.get("Rules")
            if not isinstance(rules, list) or "Name" not in node:
                continue
            for item in rules:
                if isinstance(item, dict) and isinstance(item.get("InvariantScript"), str):
                    count += 1
                    if count > MAX_FORMULAS:
                        return
                    yield screen, str(node["Name"]), str(item.get("Property") or "?"), item["InvariantScript"]


def _app(archive: zipfile.ZipFile, app_name: str, facts: PowerAppsFacts,
         logic: list[tuple[str, str]]) -> list[Finding]:
    prefix = f"{app_name}: " if app_name else ""
    raw = _part(archive, "References\\DataSources.json")
    if raw is None and _part(archive, "Header.json") is None:
        raise Refused(Status.CORRUPT, f"not a Power Apps app{' (' + app_name + ')' if app_name else ''}: "
                                      "no Header.json or References/DataSources.json")
    declared = load_json(raw, "DataSources.json") if raw is not None else {}
    sources: dict[str, dict[str, str]] = {}
    for item in (declared.get("DataSources") if isinstance(declared, dict) else None) or []:
        if not isinstance(item, dict) or item.get("Type") in LOCAL_TYPES:
            continue
        api = str(item.get("ApiId") or "").rsplit("/", 1)[-1]
        sources[str(item.get("Name"))] = {"name": str(item.get("Name")), "type": str(item.get("Type") or ""),
                                          "connector": api or str(item.get("ServiceKind") or ""),
                                          "table": str(item.get("TableName") or "")}
    facts["apps"].append(app_name or "app")
    facts["data_sources"].extend(sources.values())
    tables = {n for n, s in sources.items() if s["type"] != "ServiceInfo"}
    services = {n for n, s in sources.items() if s["type"] == "ServiceInfo"}
    formulas = list(_controls(archive))
    facts["formulas"] += len(formulas)
    form_source: dict[str, str] = {}
    for _screen, control, prop, formula in formulas:
        if prop == "DataSource":
            form_source[control] = _unquote(strip_comments(formula))
    findings: list[Finding] = []
    write_rule = rule("writes.app-data")
    probe = [Rule.of(write_rule.id, re.compile(""))]
    texts: list[str] = []
    for screen, control, prop, formula in formulas:
        code = strip_comments(formula)
        if not code.strip():
            continue
        location = f"{prefix}{screen}/{control}.{prop}"
        logic.append((location, normalise_code(code, "text")))
        texts.append(code)
        for match in _WRITE.finditer(code):
            function, target = match.group(1), _unquote(match.group(2))
            if function == "SubmitForm":
                target = form_source.get(target, "")
            if target not in tables:
                continue  # a local collection, or a form without a data source
            call = _call(code, match.start())
            shown = snippet(redact(call))
            facts["writes"].append({"where": location, "function": function, "data_source": target})
            findings.append(write_rule.finding([Evidence(location, None, shown)],
                                               f"Writes records into a data source from the app ({function})"))
            about = f"{target} {call}" if function == "SubmitForm" else call
            for rule_id, *_ in correlate(about, "text", probe):
                findings.append(rule(rule_id).finding([Evidence(location, None, shown)]))
        for match in _RUN.finditer(code):
            if match.group(1) in services:
                facts["flows"].append({"where": location, "flow": match.group(1)})
                findings.append(rule("writes.flow").finding([Evidence(location, None, snippet(_call(code, match.start())))]))
    if sources:
        findings.append(rule("reach.platform-source").finding(
            Evidence(f"{prefix}References/DataSources.json", None,
                     snippet(f"{s['connector'] or s['type']}: {s['table'] or s['name']}")) for s in list(sources.values())[:20]))
        findings.extend(scan_text("\n".join(f"{s['name']} {s['table']}" for s in sources.values()), "text",
                                  f"{prefix}References/DataSources.json"))
    findings.extend(f for f in scan_text("\n".join(texts)[:2_000_000], "text", f"{prefix}formulas")
                    if f.impact is None and f.family.value in ("financial", "quality", "secrets"))
    return findings

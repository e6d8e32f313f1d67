"""Power BI reports (``.pbix``) and templates (``.pbit``): data sources, Power Query (M), tables
and measures; what the report reads.

Both are zip packages, read from memory with the workbook zip-bomb guard. A template carries
``DataModelSchema``: the tabular model as UTF-16 JSON, with every table, column, DAX measure
and the M expression of each partition. A report carries its queries in ``DataMashup``
(MS-QDEFF: a length-prefixed zip whose ``Formulas/Section1.m`` holds every query); its
``DataModel`` is XPress9-compressed and is not opened here, so a ``.pbix`` lists queries but
not measures (the fact says so).

M is never evaluated. Each query's source functions (``Sql.Database``, ``Odbc.Query``,
``SharePoint.Tables``, ``File.Contents``, ``Web.Contents`` ...) say what it reads; a native
query (``[Query="..."]`` or ``Value.NativeQuery``) is SQL and goes through the rule engine as
SQL, so a report whose refresh runs an ``INSERT`` or ``EXEC`` of a posting procedure is seen
writing; ``Web.Contents`` with a ``Content`` body is a POST. Power BI is a sandbox the policy
names: a report that only reads is citizen development in its sandbox.
"""
from __future__ import annotations

import re
import struct
from typing import Any

from ..fingerprint import combine, normalise_code
from ..model import Analysis, Evidence, Finding, Kind, Limits, Status
from ..redact import redact
from ..rules import merge_findings, scan_text
from ..rules.catalogue import rule
from ..rules.engine import snippet
from .packages import Refused, file_bytes, load_json, member, open_zip

# the analyzer interface (analyzers/__init__.py): the kinds this module analyses, and whether
# it needs the file on disk rather than its bytes
KINDS = frozenset({Kind.POWERBI})
NEEDS_FILE = False

_SOURCE = re.compile(r"\b((?:Sql|Odbc|OleDb|Oracle|MySQL|PostgreSQL|Sybase|DB2|Teradata|SapHana|SapBusinessWarehouse|"
                     r"AnalysisServices|Access|Excel|Csv|Json|Xml|Folder|SharePoint|OData|Web|File|Salesforce|"
                     r"Dataverse|CommonDataService|AzureStorage|Snowflake|GoogleBigQuery)\.\w+)\s*\(", re.IGNORECASE)
_STRING = r'"((?:[^"]|"")*)"'
_NATIVE = re.compile(r"\bQuery\s*=\s*" + _STRING + r"|\bValue\.NativeQuery\s*\([^,]*,\s*" + _STRING, re.IGNORECASE)
_WEB_POST = re.compile(r"\bWeb\.Contents\s*\((?:[^()]|\([^()]*\))*\bContent\s*=", re.IGNORECASE)
_SHARED = re.compile(r'^\s*shared\s+(#"(?:[^"]|"")+"|[\w.]+)\s*=', re.MULTILINE)


def analyze(path: str, fmt: str, limits: Limits, data: bytes | None = None) -> Analysis:
    try:
        data = file_bytes(path, data, limits)
        if not data:
            return Analysis.failed(Status.CORRUPT, f"empty file (0 bytes): not a .{fmt} file")
        archive = open_zip(data, limits, f"Power BI .{fmt} file")
        names = set(archive.namelist())
        facts: dict[str, Any] = {"platform": "powerbi", "format": "template" if fmt == "pbit" else "report",
                                 "queries": [], "tables": [], "measures": [], "data_sources": []}
        queries: list[tuple[str, str]] = []  # (name, M)
        if "DataModelSchema" in names:
            queries.extend(_schema(load_json(member(archive, "DataModelSchema"), "DataModelSchema"), facts))
        if "DataMashup" in names:
            have = {q for q, _ in queries}
            queries.extend(q for q in _mashup(member(archive, "DataMashup"), limits) if q[0] not in have)
        if "DataModelSchema" not in names and "DataMashup" not in names and "Report/Layout" not in names:
            return Analysis.failed(Status.CORRUPT, f"not a Power BI file: no DataModelSchema, DataMashup or Report/Layout "
                                                   f"in the .{fmt} package")
        if "DataModel" in names and "DataModelSchema" not in names:
            facts["note"] = ("tables and measures not read: the report's DataModel is XPress9-compressed; "
                             "Power Query queries are read from DataMashup")
    except Refused as refused:
        return refused.analysis
    findings: list[Finding] = []
    logic: list[tuple[str, str]] = []
    sources: list[Evidence] = []
    for name, m in queries[:2000]:
        location = f"query {name}"
        facts["queries"].append({"name": name, "m": redact(m)[:2000]})
        logic.append((location, normalise_code(m, "text")))
        for match in _SOURCE.finditer(m):
            call = m[match.start():match.start() + 200].split("\n", 1)[0]
            facts["data_sources"].append(redact(call)[:200])
            sources.append(Evidence(location, None, snippet(call)))
        for match in _NATIVE.finditer(m):
            sql = (match.group(1) or match.group(2) or "").replace('""', '"').replace("#(lf)", "\n")
            findings.extend(scan_text(sql, "sql", location))
        post = _WEB_POST.search(m)
        if post:
            findings.append(rule("writes.web").finding([Evidence(location, None, snippet(post.group(0)))]))
        findings.extend(scan_text(m, "text", location))
    if sources:
        findings.append(rule("reach.platform-source").finding(sources[:20]))
    for measure in facts["measures"][:2000]:
        findings.extend(f for f in scan_text(f"{measure['name']} = {measure['expression']}", "text",
                                             f"measure {measure['table']}[{measure['name']}]") if f.impact is None)
    facts["data_sources"] = sorted(set(facts["data_sources"]))[:200]
    return Analysis(Status.ANALYZED, "", tuple(merge_findings(findings)), facts, fingerprint=combine(logic))


def _schema(doc: Any, facts: dict[str, Any]) -> list[tuple[str, str]]:
    """Tables, columns, measures and the M of each partition from DataModelSchema."""
    model = doc.get("model") if isinstance(doc, dict) else None
    if not isinstance(model, dict):
        raise Refused(Status.CORRUPT, "DataModelSchema has no model")
    queries = []
    for table in model.get("tables") or []:
        if not isinstance(table, dict):
            continue
        name = str(table.get("name") or "?")
        facts["tables"].append({"name": name, "columns": [str(c.get("name")) for c in table.get("columns") or []
                                                          if isinstance(c, dict)][:200]})
        for measure in table.get("measures") or []:
            if isinstance(measure, dict):
                facts["measures"].append({"table": name, "name": str(measure.get("name") or "?"),
                                          "expression": _text(measure.get("expression"))[:1000]})
        for partition in table.get("partitions") or []:
            source = partition.get("source") if isinstance(partition, dict) else None
            if isinstance(source, dict) and source.get("type") in ("m", "query", None) and source.get("expression"):
                queries.append((name, _text(source["expression"])))
    for item in model.get("expressions") or []:  # shared queries and parameters
        if isinstance(item, dict) and item.get("expression"):
            queries.append((str(item.get("name") or "?"), _text(item["expression"])))
    return queries


def _text(value: Any) -> str:
    return "\n".join(map(str, value)) if isinstance(value, list) else str(value or "")


def _mashup(data: bytes, limits: Limits) -> list[tuple[str, str]]:
    """The queries of ``Formulas/Section1.m`` inside a DataMashup (MS-QDEFF) stream."""
    try:
        _version, length = struct.unpack_from("<II", data, 0)
    except struct.error as exc:
        raise Refused(Status.CORRUPT, "damaged DataMashup: shorter than its header") from exc
    package = data[8:8 + length]
    if len(package) < length:
        raise Refused(Status.CORRUPT, f"damaged DataMashup: package of {length:,} bytes declared, {len(package):,} present")
    archive = open_zip(package, limits, "DataMashup package")
    if "Formulas/Section1.m" not in archive.namelist():
        return []
    section = member(archive, "Formulas/Section1.m").decode("utf-8-sig", errors="replace")
    out = []
    heads = list(_SHARED.finditer(section))
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(section)
        name = head.group(1)
        name = name[2:-1].replace('""', '"') if name.startswith('#"') else name
        out.append((name, section[head.end():end].strip().rstrip(";")))
    return out




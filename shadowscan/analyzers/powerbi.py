"""Power BI reports (``.pbix``) and templates (``.pbit``): data sources, Power Query (M), tables
and measures; what the report reads.

Both are zip packages, read from memory with the workbook zip-bomb guard. A template carries
``DataModelSchema``: the tabular model as UTF-16 JSON, with every table, column, DAX measure
and the M expression of each partition. A report carries its queries in ``DataMashup``
(MS-QDEFF: a length-prefixed zip whose ``Formulas/Section1.m`` holds every query) and its
model in ``DataModel``: an XPress9-compressed Analysis Services backup, read with **pbixray**
(MIT, an optional dependency: ``pip install shadowscan[pbix]``) from memory, for its tables,
columns, DAX measures and calculated columns and tables, relationships and the M of every
partition. When pbixray is not installed, the model is larger than :data:`MAX_MODEL`, or
pbixray cannot read it, the analysis still stands on the queries and says
``partial analysis: data model not read: <why>`` (the status reason every report shows).

M is never evaluated. Each query's source functions (``Sql.Database``, ``Odbc.Query``,
``SharePoint.Tables``, ``File.Contents``, ``Web.Contents`` ...) say what it reads; a native
query (``[Query="..."]`` or ``Value.NativeQuery``) is SQL and goes through the rule engine as
SQL, so a report whose refresh runs an ``INSERT`` or ``EXEC`` of a posting procedure is seen
writing; ``Web.Contents`` with a ``Content`` body is a POST. Power BI is a sandbox the policy
names: a report that only reads is citizen development in its sandbox.
"""
from __future__ import annotations

import io
import re
import struct
from typing import Any

from ..fingerprint import combine, normalise_code
from ..model import Analysis, Evidence, Finding, Kind, Limits, LiveConnection, PowerBIFacts, Status
from ..redact import redact
from ..rules.catalogue import rule
from ..rules.engine import merge_findings, scan_text, snippet
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
MAX_MODEL = 64 * 1024 * 1024  # compressed bytes of a DataModel pbixray is asked to decompress (in memory)


def analyze(path: str, fmt: str, limits: Limits, data: bytes | None = None) -> Analysis:
    try:
        data = file_bytes(path, data, limits)
        if not data:
            return Analysis.failed(Status.CORRUPT, f"empty file (0 bytes): not a .{fmt} file")
        archive = open_zip(data, limits, f"Power BI .{fmt} file")
        names = set(archive.namelist())
        facts: PowerBIFacts = {"platform": "powerbi", "format": "template" if fmt == "pbit" else "report",
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
        unread = ""
        if "DataModel" in names and "DataModelSchema" not in names:
            have = {q for q, _ in queries}
            model, unread = _data_model(data, archive.getinfo("DataModel").compress_size, facts)
            queries.extend(q for q in model if q[0] not in have)
        live = _live_connections(load_json(member(archive, "Connections"), "Connections")) if "Connections" in names else []
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
    for connection in live:  # the model lives on a server: what the report reads is there
        facts["live_connection"] = True
        facts["data_sources"].append(f"{connection['type']}: {connection['connection']}"[:200])
        sources.append(Evidence(f"Connections:{connection['name']}", None,
                                snippet(f"{connection['type']}: {connection['connection']}")))
    if live:
        facts["live_connections"] = live
    if sources:
        findings.append(rule("reach.platform-source").finding(sources[:20]))
    for measure in facts["measures"][:2000]:
        findings.extend(f for f in scan_text(f"{measure['name']} = {measure['expression']}", "text",
                                             f"measure {measure['table']}[{measure['name']}]") if f.impact is None)
    for column in facts.get("calculated_columns", [])[:2000]:
        findings.extend(f for f in scan_text(f"{column['name']} = {column['expression']}", "text",
                                             f"column {column['table']}[{column['name']}]") if f.impact is None)
    facts["data_sources"] = sorted(set(facts["data_sources"]))[:200]
    reason = f"partial analysis: data model not read: {unread}" if unread else ""
    return Analysis(Status.ANALYZED, reason, tuple(merge_findings(findings)), facts, fingerprint=combine(logic))


def _data_model(data: bytes, compressed: int, facts: PowerBIFacts) -> tuple[list[tuple[str, str]], str]:
    """(queries, why not read) from the report's DataModel through pbixray: tables and columns,
    measures, calculated columns and tables, relationships into ``facts``; the M of every
    partition returned. "" as the reason when the model was read."""
    if compressed > MAX_MODEL:
        return [], f"DataModel of {compressed:,} compressed bytes (cap {MAX_MODEL:,})"
    try:
        from pbixray import PBIXRay
    except ImportError:
        return [], "pbixray is not installed (pip install 'shadowscan[pbix]')"
    try:
        model = PBIXRay(io.BytesIO(data))
    except Exception as exc:  # pbixray raises NoEmbeddedModelError, LiveConnectionError, ValueError, ...
        if type(exc).__name__ == "LiveConnectionError":  # no model in the file: Connections says where it is
            return [], ""
        return [], f"pbixray failed: {type(exc).__name__}: {str(exc)[:200]}"
    try:
        columns: dict[str, list[str]] = {}
        for row in _records(model.schema):
            columns.setdefault(str(row.get("TableName")), []).append(str(row.get("ColumnName")))
        facts["tables"] = [{"name": str(name), "columns": columns.get(str(name), [])[:200]}
                           for name in list(model.tables)[:2000]]
        facts["measures"] = [{"table": str(r.get("TableName")), "name": str(r.get("Name")),
                              "expression": str(r.get("Expression") or "")[:1000]} for r in _records(model.dax_measures)]
        facts["calculated_columns"] = [{"table": str(r.get("TableName")), "name": str(r.get("ColumnName")),
                                        "expression": str(r.get("Expression") or "")[:1000]}
                                       for r in _records(model.dax_columns)]
        facts["calculated_tables"] = [str(r.get("TableName")) for r in _records(model.dax_tables)]
        facts["relationships"] = [f"{r.get('FromTableName')}[{r.get('FromColumnName')}] -> "
                                  f"{r.get('ToTableName')}[{r.get('ToColumnName')}]" for r in _records(model.relationships)]
        queries = [(str(r.get("TableName")), str(r.get("Expression") or "")) for r in _records(model.power_query)]
    except Exception as exc:  # a damaged model surfaces while its metadata is read
        return [], f"pbixray failed: {type(exc).__name__}: {str(exc)[:200]}"
    finally:
        model.close()
    return queries, ""


def _live_connections(doc: Any) -> list[LiveConnection]:
    """The live connections of a report (``Connections``: a report on a model in Analysis Services
    or the Power BI service has no model of its own), connection strings redacted."""
    items = doc.get("Connections") if isinstance(doc, dict) else None
    out: list[LiveConnection] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and "live" in str(item.get("ConnectionType", "")).lower():
            out.append({"name": str(item.get("Name") or "?")[:100], "type": str(item.get("ConnectionType"))[:100],
                        "connection": redact(str(item.get("ConnectionString") or ""))[:500]})
    return out[:20]


def _records(frame: Any) -> list[dict[str, Any]]:
    """The rows of a pandas DataFrame pbixray returns, at most 2,000."""
    rows: list[dict[str, Any]] = frame.head(2000).to_dict("records")
    return rows


def _schema(doc: Any, facts: PowerBIFacts) -> list[tuple[str, str]]:
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




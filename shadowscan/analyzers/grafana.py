"""Grafana dashboards: JSON files recognised by their content, not by ``.json`` alone.

A ``.json`` file is a dashboard when its top level (or the ``dashboard`` object of an API
export) holds ``panels`` (or the ``rows`` of schema versions before 16) together with
``schemaVersion``, ``uid`` or ``title``, or is a v2 resource (``spec.elements``); anything
else returns None and is not inventoried, as an ``.xlsx`` without macros is not. Before
parsing, the bytes must mention one of those keys, so a share full of data exports costs a
substring search each, not a JSON parse.

What is read (no library parses dashboards for analysis; the JSON model is Grafana's
documented dashboard model, read with the standard ``json`` module under a size cap):

* the data sources: ``__inputs`` of an exported dashboard, every panel's and target's
  ``datasource`` (a name, or ``{type, uid}``), data-source template variables;
* every query: ``rawSql`` (SQL, analysed as SQL by the rule engine: an ``INSERT`` in a panel
  query is a write), ``expr`` (PromQL), ``query`` / ``rawQuery`` (InfluxQL, Flux, Loki),
  ``target`` (Graphite), and template-variable queries;
* panels that write: a form panel whose ``options.update`` submits values (an HTTP method
  or a data-source update), with the names of the fields it submits.

Grafana is one of the sandboxes the policy names: a dashboard that only reads is citizen
development in its sandbox; one whose panels write financial or quality data is shadow IT.
"""
from __future__ import annotations

import re
from typing import Any, cast

from ..fingerprint import combine, normalise_code
from ..model import Analysis, Evidence, Finding, GrafanaFacts, Kind, Limits, Status
from ..redact import redact
from ..rules.catalogue import rule
from ..rules.correlate import correlate
from ..rules.engine import merge_findings, scan_text, snippet
from ..rules.rule import Rule
from .packages import Refused, file_bytes, load_json, walk_json

# the analyzer interface (analyzers/__init__.py): the kinds this module analyses, and whether
# it needs the file on disk rather than its bytes
KINDS = frozenset({Kind.GRAFANA})
NEEDS_FILE = False

_MARKERS = (b'"panels"', b'"rows"', b'"elements"')
_MARKERS_16 = tuple(m.decode().encode("utf-16-le") for m in _MARKERS)
QUERY_KEYS = {"rawSql": "sql", "sql": "sql", "expr": "text", "query": "text", "rawQuery": "text",
              "target": "text", "queryText": "text", "rawQueryText": "text"}
WRITE_METHODS = {"post", "put", "patch", "delete", "datasource", "query"}
_SQL = re.compile(r"^\s*(?:select|with|insert|update|delete|merge|exec|call)\b", re.IGNORECASE)
MAX_QUERIES = 2000


def analyze(path: str, fmt: str, limits: Limits, data: bytes | None = None) -> Analysis:
    try:
        data = file_bytes(path, data, limits)
        head = data[:1 << 20]
        if not any(m in data for m in _MARKERS + _MARKERS_16):
            return Analysis.not_an_artifact("JSON without any key of a dashboard")
        if not head.lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n\x00").startswith((b"{", b"{\x00")):
            return Analysis.not_an_artifact("JSON that is no object")
        document = load_json(data, "JSON document")
    except Refused as refused:
        return refused.analysis
    dashboard = _dashboard(document)
    if dashboard is None:
        return Analysis.not_an_artifact("JSON that is no Grafana dashboard")
    return _analyze(dashboard)


def _dashboard(document: Any) -> dict[str, Any] | None:
    if not isinstance(document, dict):
        return None
    if isinstance(document.get("dashboard"), dict):  # API export / provisioning wrapper
        document = {**document["dashboard"], "__inputs": document.get("__inputs") or document["dashboard"].get("__inputs")}
    spec = document.get("spec")
    if isinstance(spec, dict) and isinstance(spec.get("elements"), dict):  # v2 resource
        return {**spec, "panels": list(spec["elements"].values()), "title": spec.get("title")}
    has_panels = isinstance(document.get("panels"), list) or isinstance(document.get("rows"), list)
    if has_panels and any(k in document for k in ("schemaVersion", "uid", "title")):
        return cast(dict[str, Any], document)
    return None


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, including those nested in rows (old ``rows[].panels``, new row panels)."""
    out: list[dict[str, Any]] = []
    stack = list(dashboard.get("panels") or []) + [p for r in dashboard.get("rows") or [] if isinstance(r, dict)
                                                    for p in r.get("panels") or []]
    while stack and len(out) < 5000:
        panel = stack.pop(0)
        if not isinstance(panel, dict):
            continue
        out.append(panel)
        stack.extend(p for p in panel.get("panels") or [] if isinstance(p, dict))
    return out


def _source_name(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, dict):
        kind, uid = value.get("type"), value.get("uid")
        if kind or uid:
            return f"{kind or '?'}:{uid or '?'}"
    return None


def _analyze(dashboard: dict[str, Any]) -> Analysis:
    findings: list[Finding] = []
    sources: dict[str, str] = {}  # name -> where first seen
    for item in dashboard.get("__inputs") or []:
        if isinstance(item, dict) and item.get("type") == "datasource":
            sources.setdefault(f"{item.get('pluginId', '?')}:{item.get('name', '?')}", "__inputs")
    templating: dict[str, Any] = dashboard["templating"] if isinstance(dashboard.get("templating"), dict) else {}
    for var in templating.get("list") or []:
        if isinstance(var, dict) and var.get("type") == "datasource" and var.get("query"):
            sources.setdefault(f"{var['query']}:${var.get('name', '?')}", f"variable {var.get('name', '?')}")
    queries: list[dict[str, str]] = []
    logic: list[tuple[str, str]] = []
    titles: list[str] = [str(dashboard.get("title") or "")]
    writes: list[dict[str, Any]] = []
    panels = _panels(dashboard)
    for number, panel in enumerate(panels, 1):
        title = str(panel.get("title") or "")
        location = f"panel {panel.get('id', number)}" + (f" {title!r}" if title else "")
        titles.append(title)
        panel_source = _source_name(panel.get("datasource"))
        if panel_source:
            sources.setdefault(panel_source, location)
        for node in walk_json([panel.get("targets") or [], panel.get("spec") or {}], limit=10_000):
            node_source = _source_name(node.get("datasource"))
            if node_source:
                sources.setdefault(node_source, location)
            for key, language in QUERY_KEYS.items():
                text = node.get(key)
                if isinstance(text, str) and text.strip() and len(queries) < MAX_QUERIES:
                    if language == "text" and _SQL.match(text):
                        language = "sql"
                    queries.append({"panel": location, "language": language, "query": redact(text)[:2000]})
                    logic.append((location, normalise_code(text, language)))
                    findings.extend(scan_text(text, language, location))
        write = _panel_write(panel, location)
        if write is not None:
            writes.append(write[0])
            findings.extend(write[1])
    for var in templating.get("list") or []:
        if isinstance(var, dict) and var.get("type") == "query":
            query = var.get("query")
            text = query.get("query") if isinstance(query, dict) else query
            if isinstance(text, str) and text.strip():
                location = f"variable {var.get('name', '?')}"
                language = "sql" if _SQL.match(text) else "text"
                queries.append({"panel": location, "language": language, "query": redact(text)[:2000]})
                findings.extend(scan_text(text, language, location))
    if sources:
        findings.append(rule("reach.platform-source").finding(
            Evidence(where, None, snippet(f"data source {name}")) for name, where in list(sources.items())[:20]))
    findings.extend(scan_text("\n".join(t for t in titles if t), "text", "panel titles"))
    facts: GrafanaFacts = {
        "platform": "grafana", "title": str(dashboard.get("title") or ""), "uid": str(dashboard.get("uid") or ""),
        "schema_version": dashboard.get("schemaVersion"), "panels": len(panels),
        "data_sources": sorted(sources), "queries": queries[:200], "writing_panels": writes,
    }
    return Analysis(Status.ANALYZED, "", tuple(merge_findings(findings)), facts, fingerprint=combine(logic))


def _panel_write(panel: dict[str, Any], location: str) -> tuple[dict[str, Any], list[Finding]] | None:
    """A panel that submits values (a form panel's ``options.update``), and what it writes."""
    options: dict[str, Any] = panel["options"] if isinstance(panel.get("options"), dict) else {}
    update = options.get("update")
    if not isinstance(update, dict):
        return None
    method = str(update.get("method") or "").lower()
    if method not in WRITE_METHODS:
        return None
    target = str(update.get("url") or _source_name(update.get("datasource")) or panel.get("datasource") or "")
    fields = [str(e.get("id") or e.get("title") or "") for e in options.get("elements") or [] if isinstance(e, dict)]
    code = f"{method.upper()} {target} ({', '.join(f for f in fields if f)})"
    shown = snippet(redact(code))
    info = rule("writes.app-data")
    found = [info.finding([Evidence(location, None, shown)], "A dashboard panel submits data (a form that writes back)")]
    for rule_id, *_ in correlate(code, "text", [Rule.of(info.id, re.compile(""))]):
        found.append(rule(rule_id).finding([Evidence(location, None, shown)]))
    found.extend(scan_text(target, "text", location))
    return {"panel": location, "type": str(panel.get("type") or ""), "method": method.upper(),
            "target": redact(target), "fields": fields[:50]}, found

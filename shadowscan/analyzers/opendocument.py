"""OpenDocument spreadsheets (``.ods``) and templates (``.ots``): LibreOffice Basic macros, the
events that run them, database imports, links and formulas.

An OpenDocument file is a zip package (read from memory behind the workbook zip-bomb guard)
of XML parts, read with the standard library's ElementTree (expat refuses entity expansion
attacks by itself since 2.4; no DTD or external entity is ever fetched):

* ``Basic/script-lc.xml`` lists the Basic libraries, ``Basic/<library>/script-lb.xml`` the
  modules of one (and whether it is password-protected: then its source is not in the file in
  clear and the analysis says so), ``Basic/<library>/<module>.xml`` holds one ``script:module``
  whose text is the StarBasic source. Modules go through the rule engine as language
  ``basic``: Visual Basic syntax, the VBA rules that apply to Basic (file statements, ADO,
  ``Declare ... Lib``, ``Shell``) and the UNO ones (``storeToURL``/``store()`` writes files,
  ``com.sun.star.sdbc`` and ``getConnection`` reach databases, result-set ``insertRow`` /
  ``updateRow`` write records, ``com.sun.star.mail`` sends mail). Python macros
  (``Scripts/python/*.py``) are read as Python.
* ``content.xml``: the document's event bindings (``office:scripts/office:event-listeners``):
  a macro bound to opening, creating or closing the document runs without anyone pressing a
  button (``behaviour.autoexec``), bindings of controls and sheets are recorded; database
  ranges filled from a registered data source by SQL (``table:database-source-sql``, the SQL
  through the engine), sheets linked from other files (``table:table-source``), DDE links; and
  the cells' formulas (OpenFormula), judged like a workbook's: decisions
  (``IF(..;"FAIL";"PASS")``), limits computed under a limit header, references to other files.
  The part is parsed incrementally; rows are dropped once read, so memory stays bounded.
* ``meta.xml``: author, last editor, title (owner hints).

Nothing is ever run. Like an ``.xlsx`` without macros, a spreadsheet without macros, event
bindings, database ranges or links to other files is not an artifact (``None``).
"""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any, cast
from urllib.parse import unquote
from xml.etree import ElementTree

from ..fingerprint import combine, normalise_code
from ..model import Analysis, Evidence, Finding, Kind, Limits, ModuleFacts, OpenDocumentFacts, OwnerHints, Status
from ..redact import redact
from ..rules.catalogue import rule
from ..rules.engine import merge_findings, scan_text, snippet
from ..rules.records import judge_tables
from ..rules.vocab import LIMIT_NAME, split_identifiers
from .excel import cell_logic
from .excel_file import MAX_FORMULA_CELLS
from .packages import Refused, file_bytes, member, open_zip
from .vba import analyze_vba_modules, logic_parts

# the analyzer interface (analyzers/__init__.py): the kinds this module analyses, and whether
# it needs the file on disk rather than its bytes
KINDS = frozenset({Kind.OPENDOCUMENT})
NEEDS_FILE = False

MIMETYPES = {"application/vnd.oasis.opendocument.spreadsheet": "spreadsheet",
             "application/vnd.oasis.opendocument.spreadsheet-template": "template",
             "application/vnd.oasis.opendocument.base": "database"}
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_SCRIPT = "urn:oasis:names:tc:opendocument:xmlns:script:1.0"
_XLINK = "http://www.w3.org/1999/xlink"
_META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
_DC = "http://purl.org/dc/elements/1.1/"
_OO_SCRIPT = "http://openoffice.org/2000/script"  # Basic module files
_OO_LIBRARY = "http://openoffice.org/2000/library"
_DB = "urn:oasis:names:tc:opendocument:xmlns:database:1.0"


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


# ODF event names that fire without a user action on a control: the document is created from a
# template, opened, shown, or closed (LibreOffice's OnNew, OnLoad, OnLoadFinished, OnViewCreated,
# OnPrepareUnload, OnUnload, OnFocus).
AUTO_EVENTS = {"office:new": "created from the template", "dom:load": "opened",
               "office:load-finished": "opened", "office:view-created": "opened",
               "dom:DOMFocusIn": "activated", "office:prepare-unload": "closed", "dom:unload": "closed",
               "office:unload": "closed"}
MAX_BINDINGS = 2000
MAX_SCRIPTS = 500  # script files read per document (each is size-checked with the package)
# what expat raises on a damaged part: malformed XML, entity amplification, an unknown or multi-byte encoding
_XML_ERRORS = (ElementTree.ParseError, LookupError, ValueError)
_OF_REF = re.compile(r"\[\$?'?([^\]'.]*)'?\.\$?([A-Z]+)\$?(\d+)(?::[^\]]*)?\]")
# an embedded HSQLDB's table definitions in database/script: CREATE [CACHED|MEMORY|TEXT] TABLE [PUBLIC.]"Name"(...)
_HSQL_TABLE = re.compile(r'^CREATE (?:CACHED |MEMORY |TEXT )?TABLE (?:PUBLIC\.)?"?([^"(]+)"?\((.*)\)\s*$')
_HSQL_COLUMN = re.compile(r'"([^"]+)"\s+[A-Z]')
_HSQL_INSERT = re.compile(r'^INSERT INTO (?:PUBLIC\.)?"?([^"(\s]+)"? VALUES\(')
_EXTERNAL = re.compile(r"\['?(?:file|https?|smb|ftp):|\bWEBSERVICE\s*\(|\bDDE\s*\(|\\\\", re.IGNORECASE)


def analyze(path: str, fmt: str, limits: Limits, data: bytes | None = None) -> Analysis:
    try:
        return _analyze(path, fmt, file_bytes(path, data, limits), limits)
    except Refused as refused:
        return refused.analysis


def _analyze(path: str, fmt: str, data: bytes, limits: Limits) -> Analysis:
    if not data:
        return Analysis.failed(Status.CORRUPT, f"empty file (0 bytes): not an OpenDocument .{fmt} file")
    archive = open_zip(data, limits, f"OpenDocument .{fmt} file")
    names = archive.namelist()
    mimetype = member(archive, "mimetype").decode("ascii", "replace").strip() if "mimetype" in names else ""
    if mimetype not in MIMETYPES:
        return Analysis.failed(Status.CORRUPT, f"not an OpenDocument spreadsheet or database: mimetype {mimetype[:80]!r}"
                               if mimetype else "not an OpenDocument package: no mimetype member")
    if "content.xml" not in names:
        return Analysis.failed(Status.CORRUPT, "damaged OpenDocument package: no content.xml")
    facts: OpenDocumentFacts = {"format": MIMETYPES[mimetype], "macro_language": "Basic"}
    findings: list[Finding] = []
    logic: list[tuple[str, str]] = []
    modules = _basic_modules(archive, names, facts)
    basic_findings, module_facts = analyze_vba_modules(modules, "basic")
    findings.extend(basic_findings)
    logic.extend(logic_parts(modules, "basic"))
    facts["modules"] = module_facts
    facts["vba_lines"] = sum(m["lines"] for m in module_facts)
    unread: list[str] = []
    findings.extend(_scripts(archive, names, facts, logic, unread))
    content = _Content(facts)
    # a database's forms and reports are documents of their own inside the package, with their controls' events
    parts = ["content.xml"] + sorted(n for n in names if re.fullmatch(r"(?:forms|reports)/[^/]+/content\.xml", n))
    for part in parts:
        try:
            content.read(member(archive, part), part)
        except _XML_ERRORS as exc:
            raise Refused(Status.CORRUPT, f"damaged {part}: {exc}") from exc
    content.finish()
    findings.extend(content.findings)
    logic.extend(content.logic)
    if facts.get("protected_libraries"):
        unread.insert(0, f"password-protected Basic libraries {', '.join(facts['protected_libraries'])} "
                         "(ask the owner for the password or an unprotected copy)")
    if facts["format"] == "database":
        findings.extend(_embedded_database(archive, names, facts, logic, unread))
    _mark_autoexec(module_facts, facts.get("events") or [])
    if "meta.xml" in names:
        facts["owner_hints"] = _owner_hints(member(archive, "meta.xml"))
    if facts["format"] != "database" and not (
            modules or facts.get("scripts") or facts.get("events") or facts.get("connections")
            or facts.get("external_links") or facts.get("protected_libraries")):
        return Analysis.not_an_artifact("a spreadsheet without macros, events, connections or outside data")
    reason = "partial analysis: not read: " + "; ".join(unread) if unread else ""
    return Analysis(Status.ANALYZED, reason, tuple(merge_findings(findings)), facts, fingerprint=combine(logic))


def _xml(data: bytes, what: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(data)
    except _XML_ERRORS as exc:
        raise Refused(Status.CORRUPT, f"damaged {what}: {exc}") from exc


def _basic_modules(archive: zipfile.ZipFile, names: list[str], facts: OpenDocumentFacts) -> list[tuple[str, str]]:
    """(``Basic/<library>/<module>``, source) of every readable module; protected libraries listed."""
    modules: list[tuple[str, str]] = []
    protected: list[str] = []
    for name in sorted(n for n in names if n.startswith("Basic/") and n.endswith("/script-lb.xml")):
        library = _xml(member(archive, name), name)
        folder = name[: -len("script-lb.xml")]
        label = library.get(_q(_OO_LIBRARY, "name")) or folder[len("Basic/"):].rstrip("/")
        if library.get(_q(_OO_LIBRARY, "passwordprotected")) == "true":
            protected.append(label)
            continue
        for element in library.iter(_q(_OO_LIBRARY, "element")):
            module_name = element.get(_q(_OO_LIBRARY, "name")) or ""
            part = f"{folder}{module_name}.xml"
            if part not in names:
                raise Refused(Status.CORRUPT, f"damaged Basic library {label}: module {module_name} is listed "
                                              f"but {part} is missing")
            module = _xml(member(archive, part), part)
            if module.tag != _q(_OO_SCRIPT, "module"):
                raise Refused(Status.CORRUPT, f"damaged Basic module {part}: not a script:module")
            modules.append((f"{folder}{module_name}", module.text or ""))
    if protected:
        facts["protected_libraries"] = protected
    return modules


def _scripts(archive: zipfile.ZipFile, names: list[str], facts: OpenDocumentFacts,
             logic: list[tuple[str, str]], unread: list[str]) -> list[Finding]:
    """Macros stored in the document under ``Scripts/<language>/``: Python analysed like Python;
    JavaScript, BeanShell and any other language LibreOffice runs are code too (the file is a
    tool), read through the language-neutral rules only, and the analysis says so."""
    found: list[Finding] = []
    scripts: list[str] = []
    as_text: dict[str, int] = {}
    for name in sorted(n for n in names if n.lower().startswith("scripts/") and not n.endswith("/"))[:MAX_SCRIPTS]:
        parts = name.split("/")
        folder = parts[1].lower() if len(parts) > 2 else ""
        language = "python" if folder == "python" or name.lower().endswith(".py") else "text"
        code = member(archive, name).decode("utf-8", errors="replace")
        scripts.append(name)
        logic.append((name, normalise_code(code, language)))
        found.extend(scan_text(code, language, name))
        if language == "text" and not name.lower().endswith("parcel-descriptor.xml"):
            as_text[folder or "unnamed"] = as_text.get(folder or "unnamed", 0) + 1
    if scripts:
        facts["scripts"] = scripts
    if as_text:
        unread.append("the language rules for " + ", ".join(f"{lang} macros ({count})" for lang, count in sorted(as_text.items()))
                      + ": read with the language-neutral rules only (connections, credentials, outside links)")
    return found


class _Content:
    """One incremental pass over each content part (``content.xml``; a Base file's forms and reports):
    event bindings, database ranges, linked sheets, formulas, a Base data source and queries;
    :meth:`finish` puts what was found into the facts."""

    def __init__(self, facts: OpenDocumentFacts) -> None:
        self.facts = facts
        self.findings: list[Finding] = []
        self.logic: list[tuple[str, str]] = []
        self.events: list[dict[str, str]] = []
        self.connections: list[dict[str, str]] = []
        self.links: list[str] = []
        self.sheets: list[str] = []
        self.formulas = 0
        self.queries: list[dict[str, str]] = []
        self.data_source: dict[str, str] = {}
        self.part = "content.xml"

    def read(self, data: bytes, part: str = "content.xml") -> None:
        self.part = part
        stack: list[ElementTree.Element] = []
        sheet = ""
        row = 0
        column = 0
        headers: dict[int, str] = {}
        for event, element in ElementTree.iterparse(io.BytesIO(data), events=("start", "end")):
            tag = element.tag
            if event == "start":
                stack.append(element)
                if tag == _q(_TABLE, "table"):
                    sheet = element.get(_q(_TABLE, "name")) or f"Sheet{len(self.sheets) + 1}"
                    self.sheets.append(sheet)
                    row, headers = 0, {}
                elif tag == _q(_TABLE, "table-row"):
                    column = 0
                continue
            stack.pop()
            if tag == _q(_SCRIPT, "event-listener"):
                self._binding(element, stack)
            elif tag in (_q(_TABLE, "table-cell"), _q(_TABLE, "covered-table-cell")):
                span = _count(element.get(_q(_TABLE, "number-columns-repeated")))
                self._cell(element, sheet, row + 1, column + 1, headers)
                column += span
                element.clear()
            elif tag == _q(_TABLE, "table-row"):
                row += _count(element.get(_q(_TABLE, "number-rows-repeated")))
                if stack:  # read: drop it, so a sheet of a million rows costs one row of memory
                    stack[-1].remove(element)
            elif tag == _q(_TABLE, "database-range"):
                self._database_range(element)
            elif tag == _q(_TABLE, "cell-range-source"):  # Link to External Data (a web page or file, refreshed)
                self._link(element.get(_q(_XLINK, "href")) or "", f"{sheet} (linked range)")
            elif tag == _q(_TABLE, "table-source"):
                self._link(element.get(_q(_XLINK, "href")) or "", f"{sheet} (linked sheet)")
            elif tag == _q(_OFFICE, "dde-source"):
                self._link(f"DDE {element.get(_q(_OFFICE, 'dde-application')) or '?'}|"
                           f"{element.get(_q(_OFFICE, 'dde-topic')) or '?'}", "DDE link")
            elif tag.startswith("{" + _DB + "}"):
                self._database(element)

    def finish(self) -> None:
        if self.sheets:
            self.facts["sheets"] = self.sheets[:200]
        if self.events:
            self.facts["events"] = self.events[:MAX_BINDINGS]
            self.logic.append(("content.xml:events", "\n".join(sorted(f"{e['event']} {e['macro']}" for e in self.events))))
        if self.connections:
            self.facts["connections"] = self.connections
        if self.links:
            self.facts["external_links"] = sorted(set(self.links))[:200]
            self.findings.append(rule("reach.external-link").finding(
                Evidence("content.xml", None, snippet(t)) for t in sorted(set(self.links))[:20]))
        if self.queries:
            self.facts["queries"] = self.queries[:2000]
        if self.data_source:
            self.facts["data_source"] = self.data_source
        self.facts["formula_cells"] = min(self.formulas, MAX_FORMULA_CELLS)
        if self.formulas > MAX_FORMULA_CELLS:
            self.facts["formula_note"] = f"only the first {MAX_FORMULA_CELLS:,} formulas were read"

    def _binding(self, element: ElementTree.Element, stack: list[ElementTree.Element]) -> None:
        if len(self.events) >= MAX_BINDINGS:
            return
        name = element.get(_q(_SCRIPT, "event-name")) or "?"
        href = element.get(_q(_XLINK, "href")) or element.get(_q(_SCRIPT, "macro-name")) or ""
        macro, language, location = _macro(href)
        # office:scripts > office:event-listeners > listener: the document's own events;
        # otherwise the control, sheet or shape that owns the listeners
        owner = stack[-2].tag.rpartition("}")[2] if len(stack) >= 2 else "?"
        scope = "document" if owner == "scripts" else owner
        binding = {"event": name, "macro": macro, "language": language, "location": location, "scope": scope,
                   "part": self.part}
        self.events.append(binding)
        where = f"{self.part}:events ({scope})"
        shown = snippet(f"{name} -> {macro}" + (f" ({location})" if location else ""))
        if scope == "document" and name in AUTO_EVENTS and self.part == "content.xml":
            self.findings.append(rule("behaviour.autoexec").finding(
                [Evidence(where, None, shown)], f"Runs a macro automatically when the document is {AUTO_EVENTS[name]}"))
        if location == "application":  # a macro installed on the user's machine, not in the file
            binding["note"] = "macro outside the file (the user's or the machine's Basic libraries)"

    def _cell(self, element: ElementTree.Element, sheet: str, row: int, column: int, headers: dict[int, str]) -> None:
        formula = element.get(_q(_TABLE, "formula"))
        if row == 1 and not formula:
            text = " ".join("".join(p.itertext()) for p in element.iter(_q(_TEXT, "p"))).strip()
            if text:
                headers[column] = text[:200]
            return
        if not formula:
            return
        self.formulas += 1
        if self.formulas > MAX_FORMULA_CELLS:
            return
        location = f"{sheet}!{_column_letter(column)}{row}"
        header = headers.get(column, "")
        excel_style = _excel_style(formula)
        if _EXTERNAL.search(formula):
            self.findings.append(rule("reach.formula-link").finding([Evidence(location, None, snippet(formula))]))
            target = re.search(r"\['?([^'#\]]+)", formula)
            self.links.append(redact(target.group(1)) if target else redact(formula[:200]))
        self.findings.extend(cell_logic(header, excel_style, location,
                                        bool(header) and bool(LIMIT_NAME.search(split_identifiers(header)))))

    def _database_range(self, element: ElementTree.Element) -> None:
        name = element.get(_q(_TABLE, "name")) or "?"
        location = f"content.xml:database range {name}"
        for source in element:
            kind = source.tag.rpartition("}")[2]
            if kind not in ("database-source-sql", "database-source-table", "database-source-query"):
                continue
            database = _attr(source, "database-name")
            command = (_attr(source, "sql-statement") or _attr(source, "database-table-name")
                       or _attr(source, "query-name"))
            self.connections.append({"name": name, "connection": redact(database), "command": redact(command)[:2000],
                                     "type": kind[len("database-source-"):]})
            self.logic.append((location, normalise_code(database + "\n" + command, "sql")))
            self.findings.append(rule("reach.data-connection").finding(
                [Evidence(location, None, snippet(f"{database}: {command}"))]))
            self.findings.extend(scan_text(database, "text", location))
            if kind == "database-source-sql" and command:
                self.findings.extend(scan_text(command, "sql", location))

    def _database(self, element: ElementTree.Element) -> None:
        """A Base document's data source (where its data lives, who logs on) and saved queries."""
        name = element.tag.rpartition("}")[2]
        if name == "connection-resource":
            url = element.get(_q(_XLINK, "href")) or ""
            self.data_source["url"] = redact(url)[:500]
            location = "content.xml:data source"
            self.logic.append((location, url))
            if url.startswith("sdbc:embedded:"):
                self.data_source["embedded"] = url[len("sdbc:embedded:"):]
                return
            self.findings.append(rule("reach.database").finding([Evidence(location, None, snippet(url))]))
            self.findings.extend(scan_text(url, "text", location))
        elif name in ("server-database", "file-based-database"):
            described = ", ".join(f"{k.rpartition('}')[2]}={v}" for k, v in sorted(element.attrib.items()))
            self.data_source["description"] = redact(described)[:500]
            self.findings.append(rule("reach.database").finding(
                [Evidence("content.xml:data source", None, snippet(described))]))
        elif name == "login" and element.get(_q(_DB, "user-name")):
            self.data_source["user"] = redact(element.get(_q(_DB, "user-name")) or "")[:100]
        elif name == "query" and len(self.queries) < 2000:
            query = element.get(_q(_DB, "name")) or "?"
            command = element.get(_q(_DB, "command")) or ""
            self.queries.append({"name": query, "sql": redact(command)[:2000]})
            self.logic.append((f"query {query}", normalise_code(command, "sql")))
            self.findings.extend(scan_text(command, "sql", f"query {query}"))

    def _link(self, target: str, where: str) -> None:
        if target:
            self.links.append(redact(target))
            self.findings.extend(scan_text(target, "text", f"content.xml:{where}"))


def _embedded_database(archive: zipfile.ZipFile, names: list[str], facts: OpenDocumentFacts,
                       logic: list[tuple[str, str]], unread: list[str]) -> list[Finding]:
    """The tables of a Base file's embedded HSQLDB (``database/script``: every table's definition;
    rows of memory tables as INSERTs, cached tables' rows are in the binary ``database/data``),
    judged by what they store like an Access back end. An embedded Firebird database
    (``database/firebird.fbk``, a binary backup) is said not read."""
    if "database/script" not in names:
        if any(n.startswith("database/") for n in names):
            unread.append("the embedded database's tables (" + ", ".join(sorted(
                n for n in names if n.startswith("database/"))[:3]) + ": not HSQLDB text)")
        return []  # a front end: its tables live in the server database
    tables: dict[str, dict[str, Any]] = {}
    script = member(archive, "database/script").decode("utf-8", errors="replace")
    for line in script.splitlines()[:200_000]:
        created = _HSQL_TABLE.match(line)
        if created:
            tables[created.group(1)] = {"name": created.group(1), "columns": _HSQL_COLUMN.findall(created.group(2))[:200],
                                        "rows": 0 if "CACHED" not in line.split("TABLE")[0] else None}
            logic.append((f"table {created.group(1)}", line))
            continue
        inserted = _HSQL_INSERT.match(line)
        if inserted and inserted.group(1) in tables and isinstance(tables[inserted.group(1)]["rows"], int):
            tables[inserted.group(1)]["rows"] += 1
    facts["tables"] = list(tables.values())[:2000]
    return judge_tables(facts["tables"])


def _attr(element: ElementTree.Element, name: str) -> str:
    return element.get(_q(_TABLE, name)) or ""


def _count(value: str | None) -> int:
    """A repeat count (``number-rows-repeated``), 1 when absent or nonsense; never expanded."""
    try:
        return max(1, min(int(value or 1), 1 << 24))
    except ValueError:
        return 1


def _macro(href: str) -> tuple[str, str, str]:
    """(Library.Module.Procedure, language, location) of a ``vnd.sun.star.script:`` URL or an
    older ``macro:///`` one."""
    if href.startswith("vnd.sun.star.script:"):
        path, _, query = href[len("vnd.sun.star.script:"):].partition("?")
        params = dict(p.partition("=")[::2] for p in query.split("&") if p)
        return unquote(path), params.get("language", ""), params.get("location", "")
    if href.startswith("macro:"):
        return unquote(href.split("/")[-1].split("(")[0]), "Basic", "document" if "///" in href else "application"
    return href[:200], "", ""


def _mark_autoexec(module_facts: list[ModuleFacts], events: list[dict[str, str]]) -> None:
    """A module whose procedure a document open/close event runs says so (``autoexec``)."""
    for binding in events:
        if binding.get("scope") != "document" or binding.get("part") != "content.xml" \
                or binding["event"] not in AUTO_EVENTS:
            continue
        library, _, rest = binding["macro"].partition(".")
        module = rest.partition(".")[0]
        for fact in module_facts:
            if fact["location"] == f"Basic/{library}/{module}" and binding["event"] not in fact["autoexec"]:
                fact["autoexec"].append(binding["event"])


def _excel_style(formula: str) -> str:
    """An OpenFormula (``of:=IF([.B2]>[.C2];"FAIL";"PASS")``) as a workbook formula
    (``=IF(B2>C2,"FAIL","PASS")``) for the rules that judge cell logic."""
    text = formula.split(":", 1)[1] if re.match(r"^[a-z]+:=", formula) else formula
    text = _OF_REF.sub(lambda m: (f"{m.group(1)}!" if m.group(1) else "") + m.group(2) + m.group(3), text)
    return text.replace(";", ",")


def _column_letter(column: int) -> str:
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters or "A"


def _owner_hints(data: bytes) -> OwnerHints:
    try:
        root = ElementTree.fromstring(data)
    except _XML_ERRORS:
        return {}
    hints: dict[str, str] = {}
    for key, tag in (("author", _q(_META, "initial-creator")), ("last_modified_by", _q(_DC, "creator")),
                     ("title", _q(_DC, "title")), ("modified", _q(_DC, "date"))):
        found = next(_texts(root, tag), "")
        if found:
            hints[key] = redact(found[:200])
    return cast(OwnerHints, hints)


def _texts(root: ElementTree.Element, tag: str) -> Iterator[str]:
    for element in root.iter(tag):
        text = "".join(element.itertext()).strip()
        if text:
            yield text

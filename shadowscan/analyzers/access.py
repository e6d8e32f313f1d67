"""Access databases (.mdb .accdb .mde .accde): the judgement of what :mod:`.access_file` read.

The engine hands this analyzer a private temporary copy of the database (see ``sources``), so
no lock file or timestamp on the share can change, whatever the driver does. Reading the file
(header, page usage, catalog, tables, saved queries, linked tables, VBA through the ODBC driver)
is :mod:`.access_file`; here the rules run over what it read: names of tables and columns,
what the tables store (:mod:`..rules.records`), the SQL of saved queries (action queries are
writes), linked tables, the VBA modules, an AutoExec macro and a database password. The engine
runs this in a worker process, so a driver crash costs this one file (``analyzer-crashed``).
"""
from __future__ import annotations

from ..fingerprint import combine, normalise_code
from ..model import AccessFacts, Analysis, Evidence, Finding, Kind, Limits, Status
from ..rules.catalogue import rule
from ..rules.engine import merge_findings, scan_names, scan_text, snippet
from ..rules.records import judge_tables
from .access_file import Database, Truncated, Unreadable, pages_beyond_end, pick_driver, read_database, read_header
from .access_queries import WRITES
from .vba import analyze_vba_modules, logic_parts

# the analyzer interface (analyzers/__init__.py): the kinds this module analyses, and whether
# it needs the file on disk rather than its bytes
KINDS = frozenset({Kind.ACCESS})
NEEDS_FILE = True  # the ODBC driver opens a file: over SMB a private local copy


def analyze(path: str, fmt: str, limits: Limits, data: bytes | None = None) -> Analysis:
    """``data`` is not used: the ODBC driver reads a file (a private copy, see scan.py)."""
    try:
        with open(path, "rb") as f:
            header = f.read(4096 * 3)
            size = f.seek(0, 2)
    except OSError as exc:
        return Analysis.failed(Status.UNREADABLE, f"cannot read the database: {exc.strerror or exc}")
    info = read_header(header, size)
    if isinstance(info, str):
        return Analysis.failed(Status.CORRUPT, info)
    if info["encrypted"]:
        return Analysis.failed(Status.ENCRYPTED, f"{info['format']} database is encrypted (protected by a database "
                               "password); to analyse it, ask the owner for an unencrypted copy",
                               format=info["format"])
    missing = pages_beyond_end(path, info, {})  # the catalog's own pages, before a driver reads past the end
    if missing:
        return Analysis.failed(Status.CORRUPT, missing, **info)
    driver = pick_driver()
    if driver is None:
        return Analysis.failed(
            Status.UNSUPPORTED, "no Access ODBC driver is installed: on Debian/Ubuntu `apt-get install unixodbc "
            "odbc-mdbtools`, on Windows the Microsoft Access Database Engine (ACE) redistributable", **info)
    try:
        database = read_database(path, driver, info)
    except Unreadable as exc:
        return Analysis.failed(Status.CORRUPT, f"damaged or truncated {info['format']} database: the system catalog "
                               f"cannot be read ({exc})", **info)
    except Truncated as exc:
        return Analysis.failed(Status.CORRUPT, str(exc), **info)
    return judge(database)


def judge(database: Database) -> Analysis:
    """The findings, facts and logic fingerprint of a database that was read."""
    findings: list[Finding] = []
    logic: list[tuple[str, str]] = []
    facts: AccessFacts = {**database.facts}
    tables = facts.get("tables") or []
    names: list[tuple[str, str]] = []
    for table in tables:
        names.append((f"table {table['name']}", table["name"]))
        names += [(f"table {table['name']}.{column}", column) for column in table["columns"]]
        logic.append((f"table {table['name']}", ",".join(table["columns"])))
    findings += scan_names(names)
    findings += judge_tables(tables)
    for query in database.queries:
        location = f"query {query.name}"
        if query.connect:
            findings += scan_text(query.connect, "text", f"{location} (connection)")
        logic.append((location, normalise_code(query.sql, "sql")))
        findings += scan_text(query.sql, "sql", location)
        if query.type in WRITES:
            findings.append(rule("access.action-query").finding(
                [Evidence(location, None, snippet(f"{query.type}: {query.sql}"))]))
    for link, target in zip(facts.get("linked_tables") or [], database.links):
        location = f"linked table {link['name']}"
        shown = "; ".join(x for x in (link["connect"], link["database"], link["foreign_name"]) if x)
        findings.append(rule("reach.linked-table").finding([Evidence(location, None, snippet(shown))]))
        findings += scan_text(target.target, "text", location)
    if database.vba_problems:
        facts["vba_error"] = list(database.vba_problems)
    modules = list(database.modules)
    module_findings, module_facts = analyze_vba_modules(modules)
    findings += module_findings
    logic += logic_parts(modules)
    facts["modules"] = module_facts
    facts["vba_lines"] = sum(m["lines"] for m in module_facts)
    for macro in database.macros:
        if macro.lower() == "autoexec":
            findings.append(rule("behaviour.autoexec").finding([Evidence("macro AutoExec", None, "AutoExec macro")]))
    if facts.get("database_password"):
        findings.append(rule("secrets.database-password").finding(
            [Evidence("database header", None, "JET4 database password set")]))
    if database.created and database.last_changed:
        facts["created"] = database.created
        facts["last_changed"] = database.last_changed
    return Analysis(Status.ANALYZED, partial_reason(facts), tuple(merge_findings(findings)), facts,
                    fingerprint=combine(logic))


def partial_reason(facts: AccessFacts) -> str:
    """What a database analysis could not read (tables, saved queries), in one sentence; "" when nothing."""
    parts = []
    for noun, items in (("tables", facts.get("tables") or []), ("saved queries", facts.get("queries") or [])):
        failed = [item for item in items if item.get("error")]
        if failed:
            first = failed[0]
            parts.append(f"{len(failed)} of {len(items)} {noun} could not be read "
                         f"(first: {first['name']}: {first['error'][:120]})")
    problems = facts.get("vba_error") or []
    if problems:  # as a workbook with a damaged vbaProject.bin says (there: corrupt, the project is all it has)
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        parts.append(f"damaged VBA project: {problems[0]}{more}; what it could not read was not analysed")
    if not parts:
        return ""
    facts["unread"] = parts
    return "partial analysis: " + "; ".join(parts)

"""The one data type that flows through shadowscan, and its parts.

A :class:`Candidate` is what the crawler found (path and stat only, no content read).
An analyzer turns it into an :class:`Analysis` (status, reason, findings, facts).
The classifier turns findings into a :class:`Verdict`. An :class:`Artifact` carries all
three and is what the store keeps and the reports render.

Everything here is frozen and free of I/O.
"""
from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict


class Kind(str, enum.Enum):
    """What sort of end-user tool a file is."""

    EXCEL = "excel"
    ACCESS = "access"
    SCRIPT = "script"
    NOTEBOOK = "notebook"  # Jupyter .ipynb
    GRAFANA = "grafana"  # a Grafana dashboard (JSON recognised by its content)
    POWERBI = "powerbi"  # Power BI .pbix / .pbit
    POWERAPPS = "powerapps"  # Power Apps .msapp, exported solution or package zips (recognised by content)
    OPENDOCUMENT = "opendocument"  # LibreOffice/OpenOffice .ods spreadsheets and .ots templates (Basic macros)


class Status(str, enum.Enum):
    """How far analysis of one artifact got. Anything but ANALYZED has a reason."""

    ANALYZED = "analyzed"
    ENCRYPTED = "encrypted"
    CORRUPT = "corrupt"
    UNSUPPORTED = "unsupported"
    TOO_LARGE = "too-large"
    TIMEOUT = "timeout"
    UNREADABLE = "unreadable"
    ANALYZER_CRASHED = "analyzer-crashed"
    # Selected by name, but its content shows it is no end-user tool (an .xlsx without macros or
    # connections, a .json that is no dashboard, a .zip without an app): the crawl drops it.
    NOT_AN_ARTIFACT = "not-an-artifact"


class Classification(str, enum.Enum):
    SHADOW_IT = "shadow-it"
    CITIZEN_DEVELOPMENT = "citizen-development"
    UNKNOWN = "unknown"


class Impact(str, enum.Enum):
    FINANCIAL = "financial"
    QUALITY = "quality"


class Action(str, enum.Enum):
    MIGRATE = "migrate to an enterprise system now"
    ALLOW_AND_MONITOR = "allow and monitor"
    REGISTER = "register"
    REVIEW = "review by hand"


class Severity(str, enum.Enum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Family(str, enum.Enum):
    """Rule families, as POLICY.md groups the signals."""

    FINANCIAL = "financial"
    QUALITY = "quality"
    WRITES = "writes"
    REACH = "reach"
    SECRETS = "secrets"
    BEHAVIOUR = "behaviour"
    STRUCTURE = "structure"
    GOVERNANCE = "governance"


@dataclass(frozen=True)
class Candidate:
    """A file the crawler selected, known only by its path and stat."""

    path: str  # as the user would open it (local path or //server/share/...)
    root: str  # the crawl root it was found under
    relpath: str  # relative to root, "/" separators
    kind: Kind
    format: str  # lower-case extension without the dot, e.g. "xlsm"
    size: int
    mtime: float
    owner: str | None = None  # the file system's owner of the file (an ownership hint), where known


@dataclass(frozen=True)
class Unscanned:
    """A part of a crawl root the crawl could not look into: the root itself (``relpath`` "") that
    could not be opened, a folder it could not list, or a folder link it does not follow. Not an
    artifact: nothing in it was analysed or judged; coverage and the reports say it was not scanned."""

    path: str
    root: str
    relpath: str  # relative to root, "/" separators; "" for the root
    status: Status  # UNREADABLE (could not be opened or listed) or UNSUPPORTED (a link not followed)
    reason: str


@dataclass(frozen=True)
class Evidence:
    """Where a finding was seen: a location inside the file, a line, a short snippet.

    Snippets are always redacted before an Evidence is built (see redact.py).
    """

    location: str  # e.g. "VBA/Module1", "Sheet1!C7", "xl/macrosheets/sheet1.xml", "query qryLimits"
    line: int | None = None
    snippet: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"location": self.location, "line": self.line, "snippet": self.snippet}


@dataclass(frozen=True)
class Finding:
    """One signal a rule saw, with the evidence for it.

    ``impact`` is set on findings that show the artifact *generates* financial data or
    *controls* quality decisions (computes or writes such values); plain vocabulary
    findings leave it None, because a keyword alone must not decide.
    """

    rule: str
    family: Family
    title: str
    severity: Severity
    evidence: tuple[Evidence, ...]
    impact: Impact | None = None


# Facts per kind -----------------------------------------------------------------------
# What an analyzer found besides findings, for the reports (``Analysis.facts``). Each kind's
# keys are declared here, so an analyzer builds its facts typed; they are stored as the same
# JSON object. Every key is optional: a failed analysis carries only what it got to.
class OwnerHints(TypedDict, total=False):
    """Names found for an artifact: the document's own (author, last editor, title) and the
    file's owner account, set by the crawl. Who is asked first: :mod:`shadowscan.owners`."""

    author: str
    last_modified_by: str
    title: str
    modified: str  # ISO date of the last save, where the document says (OOXML)
    file_owner: str


class ModuleFacts(TypedDict):
    """One VBA module (Excel and Access)."""

    location: str  # e.g. "VBA/Module1"
    lines: int  # code lines, without blank and comment lines
    source_lines: int
    procedures: int
    autoexec: list[str]
    suspicious: list[str]


class ExcelFacts(TypedDict, total=False):
    container: str  # "ole" or "zip"
    encryption: str  # only for Excel's default password
    modules: list[ModuleFacts]
    vba_lines: int
    xlm_cells: int
    xlm_error: str
    formula_cells: int
    formula_note: str
    formula_error: str
    connections: list[dict[str, Any]]
    external_links: list[str]
    structure: str
    structure_error: str
    sheets: list[str]
    defined_names: list[str]
    note: str
    owner_hints: OwnerHints


class AccessFacts(TypedDict, total=False):
    format: str  # "Access 2000-2003 (JET4)", ...
    page_size: int
    encrypted: bool
    database_password: bool
    tables: list[dict[str, Any]]
    queries: list[dict[str, Any]]
    linked_tables: list[dict[str, Any]]
    forms: int
    reports: int
    macros: int
    module_objects: int
    modules: list[ModuleFacts]
    vba_lines: int
    vba_error: list[str]  # what of a damaged VBA project could not be read
    unread: list[str]  # what of the database could not be read (the partial analysis reason)
    created: str
    last_changed: str
    owner_hints: OwnerHints


class ScriptFacts(TypedDict, total=False):
    language: str
    encoding: str
    lines: int
    procedures: int
    imports: list[str]
    parse_error: str
    owner_hints: OwnerHints


class NotebookFacts(ScriptFacts, total=False):
    kernel: str
    nbformat: str
    code_cells: int
    markdown_cells: int


class GrafanaFacts(TypedDict, total=False):
    platform: str
    title: str
    uid: str
    schema_version: int | None
    panels: int
    data_sources: list[str]
    queries: list[dict[str, Any]]
    writing_panels: list[dict[str, Any]]
    owner_hints: OwnerHints


class PowerBIQuery(TypedDict):
    name: str
    m: str  # the Power Query (M) text, redacted, at most 2,000 characters


class PowerBITable(TypedDict):
    name: str
    columns: list[str]


class DaxExpression(TypedDict):
    """A measure or calculated column: its table, name and DAX expression."""

    table: str
    name: str
    expression: str


class LiveConnection(TypedDict):
    name: str
    type: str
    connection: str  # redacted


class PowerBIFacts(TypedDict, total=False):
    platform: str
    format: str  # "template" or "report"
    queries: list[PowerBIQuery]
    tables: list[PowerBITable]
    measures: list[DaxExpression]
    calculated_columns: list[DaxExpression]
    calculated_tables: list[str]
    relationships: list[str]  # "From[Column] -> To[Column]"
    data_sources: list[str]
    live_connection: bool  # the model lives on a server (Analysis Services, the Power BI service)
    live_connections: list[LiveConnection]
    owner_hints: OwnerHints


class OpenDocumentFacts(TypedDict, total=False):
    format: str  # "spreadsheet", "template" or "database"
    macro_language: str  # "Basic"
    modules: list[ModuleFacts]
    vba_lines: int
    protected_libraries: list[str]
    scripts: list[str]  # parts under Scripts/ (Python, JavaScript, BeanShell macros)
    sheets: list[str]
    events: list[dict[str, str]]  # event bindings: event, macro, language, location, scope
    connections: list[dict[str, str]]  # database ranges and a Base file's data source
    external_links: list[str]
    queries: list[dict[str, str]]
    data_source: dict[str, str]
    formula_cells: int
    formula_note: str
    tables: list[dict[str, Any]]  # a Base file's embedded HSQLDB tables: name, columns, rows
    owner_hints: OwnerHints


class PowerAppsFacts(TypedDict, total=False):
    platform: str
    package: str  # "solution" or "package" for zips
    apps: list[str]
    data_sources: list[dict[str, Any]]
    flows: list[dict[str, Any]]
    writes: list[dict[str, Any]]
    formulas: int
    owner_hints: OwnerHints


@dataclass(frozen=True)
class Analysis:
    """What an analyzer made of one file. ``facts`` holds structure for reports
    (modules, sheets, connections, owner hints, tables, queries) as plain JSON data;
    ``fingerprint`` identifies the logic across copies, moves and data edits."""

    status: Status
    reason: str = ""
    findings: tuple[Finding, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)
    fingerprint: str | None = None  # hash of the normalised logic (see fingerprint.py)

    @classmethod
    def failed(cls, status: Status, reason: str, **facts: Any) -> Analysis:
        return cls(status=status, reason=reason, findings=(), facts=facts)

    @classmethod
    def not_an_artifact(cls, reason: str) -> Analysis:
        """The file is no end-user tool after all (the reason says why); it is not inventoried."""
        return cls(status=Status.NOT_AN_ARTIFACT, reason=reason)

    @property
    def is_artifact(self) -> bool:
        return self.status is not Status.NOT_AN_ARTIFACT


@dataclass(frozen=True)
class RiskFactor:
    name: str
    points: int


@dataclass(frozen=True)
class Verdict:
    classification: Classification
    impacts: tuple[Impact, ...]
    risk_score: int
    factors: tuple[RiskFactor, ...]
    action: Action
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Artifact:
    """A candidate with its content hash, analysis and verdict: what the store keeps."""

    candidate: Candidate
    sha256: str | None
    analysis: Analysis
    verdict: Verdict
    registry: Mapping[str, Any] = field(default_factory=dict)  # registered, registry_id, owner, signoff


@dataclass(frozen=True)
class Limits:
    """Guards applied to every file; analyzers must respect them."""

    max_file_size: int = 200 * 1024 * 1024  # bytes; larger files are recorded as too-large
    timeout: float = 120.0  # seconds of analysis per file, enforced by the worker pool
    memory_mb: int = 2048  # address-space cap of an analysis worker
    max_unzipped: int = 512 * 1024 * 1024  # total inflated size of an OOXML package
    max_member: int = 256 * 1024 * 1024  # inflated size of one zip member
    max_ratio: float = 200.0  # inflated/compressed ratio of one member (zip-bomb guard)

"""The one data type that flows through shadowscan, and its parts.

A :class:`Candidate` is what the crawler found (path and stat only, no content read).
An analyzer turns it into an :class:`Analysis` (status, reason, findings, facts).
The classifier turns findings into a :class:`Verdict`. An :class:`Artifact` carries all
three and is what the store keeps and the reports render.

Everything here is frozen and free of I/O.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Mapping


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
    FOLDER = "folder"  # only for folders the crawl could not list (status unreadable)


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
    def failed(cls, status: Status, reason: str, **facts: Any) -> "Analysis":
        return cls(status=status, reason=reason, findings=(), facts=facts)


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

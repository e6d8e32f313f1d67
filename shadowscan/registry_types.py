"""The registry's records and vocabulary: entries, sign-offs, events, reviews, how an artifact
matches an entry, and the words registration fields may take. No I/O (storage: registry.py)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

FUNCTIONS = ("operations", "production", "quality", "maintenance", "engineering", "finance", "logistics",
             "purchasing", "supply-chain", "ehs", "hr", "it")
NOT_BUSINESS = frozenset({"it"})
PLATFORMS = ("excel", "access", "python", "powershell", "vbscript", "batch", "sql", "r", "powerapps", "grafana",
             "powerbi", "other")
DATA_ACCESS = ("read-only", "read-write")
# Which platform a file of each format can be (kind_of's formats); "other" for none of these.
PLATFORM_OF_FORMAT = {
    **{ext: "excel" for ext in ("xlsm", "xlsb", "xls", "xlam", "xltm", "xla", "xlsx")},
    **{ext: "access" for ext in ("mdb", "accdb", "mde", "accde")},
    "py": "python", "ps1": "powershell", "psm1": "powershell", "vbs": "vbscript", "bat": "batch",
    "cmd": "batch", "sql": "sql", "r": "r",
}
VERDICTS = ("shadow-it", "citizen-development")
IMPACTS = ("financial", "quality")
EDITABLE = ("owner", "function", "purpose", "platform", "data_access", "product_owner", "contributors",
            "cost_center", "review_every", "scale_decision")
# Words that make a name an IT function (or IT's own account), never a business signer or owner.


class RegistryError(ValueError):
    """Bad input to the registry; the message says what to fix. Nothing was written."""


@dataclass(frozen=True)
class Signoff:
    signed_by: str
    signed_at: str
    sha256: str | None
    fingerprint: str
    note: str | None = None


@dataclass(frozen=True)
class Event:
    """One change to a registry entry: who, when, what (``changes``: field -> [before, after])."""

    at: str
    by: str
    action: str  # register | edit | signoff | remove | import
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    id: int
    path: str
    kind: str
    fingerprint: str
    sha256: str | None
    owner: str
    function: str
    purpose: str
    platform: str
    data_access: str
    product_owner: str | None = None
    contributors: tuple[str, ...] = ()
    cost_center: str | None = None
    review_every: int | None = None
    scale_decision: str | None = None
    registered_at: str = ""
    signoffs: tuple[Signoff, ...] = field(default=())
    # a read-only registration of a tool that writes, accepted with a reason (bound to the logic then)
    accepted_writes: dict[str, Any] | None = None
    history: tuple[Event, ...] = field(default=())

    @property
    def last_signoff(self) -> Signoff | None:
        return self.signoffs[-1] if self.signoffs else None

    @property
    def signer(self) -> str:
        """Who may sign off: the Product Owner, or the business owner where none is named."""
        return self.product_owner or self.owner

    def fields(self) -> dict[str, Any]:
        """The editable fields, as they are compared in events."""
        return {name: (list(self.contributors) if name == "contributors" else getattr(self, name))
                for name in EDITABLE}

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["contributors"] = list(self.contributors)
        data["signoffs"] = [asdict(s) for s in self.signoffs]
        data["history"] = [asdict(e) for e in self.history]
        return data


@dataclass(frozen=True)
class Review:
    """A reviewer's decision on an artifact, bound to the logic fingerprint that was reviewed."""

    id: int
    path: str
    fingerprint: str
    sha256: str | None
    verdict: str  # shadow-it | citizen-development
    impacts: tuple[str, ...]
    by: str
    at: str
    reason: str
    analysis: dict[str, Any] = field(default_factory=dict)  # classification, impacts when it was reviewed

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["impacts"] = list(self.impacts)
        return data


@dataclass(frozen=True)
class Match:
    """How an artifact relates to a registry entry."""

    entry: Entry
    how: str  # "registered" | "moved" | "copy" | "changed" (same path, different logic)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")

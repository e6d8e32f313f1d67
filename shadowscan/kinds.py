"""Which files are candidates, by name only (no content is read): the extension decides the
kind, Office lock files are skipped, ``--exclude`` globs match the relative path or the name.
Used by the crawl and by every source while it walks."""
from __future__ import annotations

import fnmatch
from collections.abc import Sequence

from .model import Kind

KINDS: dict[str, Kind] = {
    **{ext: Kind.EXCEL for ext in ("xlsm", "xlsb", "xls", "xlam", "xltm", "xla", "xlsx", "xlt", "xltx")},
    **{ext: Kind.ACCESS for ext in ("mdb", "accdb", "mde", "accde")},
    **{ext: Kind.SCRIPT for ext in ("py", "ps1", "psm1", "vbs", "bat", "cmd", "sql", "r")},
    # VBA modules exported from a workbook or database (kept beside it, or in version control), and
    # Visual Basic source saved as .vb (VB.NET, or macros kept as text)
    **{ext: Kind.SCRIPT for ext in ("bas", "cls", "frm", "vb")},
    "ipynb": Kind.NOTEBOOK,
    **{ext: Kind.POWERBI for ext in ("pbix", "pbit")},
    # Spreadsheets kept like an .xlsx: only with Basic macros, event bindings, database ranges or
    # links; a Base database (.odb) always, like an Access database.
    **{ext: Kind.OPENDOCUMENT for ext in ("ods", "ots", "odb")},
    # Selected by name, kept by content: the analyzer drops a .json that is no Grafana dashboard
    # and a .zip that holds no Power Apps app (as it drops an .xlsx without macros).
    "json": Kind.GRAFANA,
    **{ext: Kind.POWERAPPS for ext in ("msapp", "zip")},
}
LOCK_PREFIX = "~$"
LOCK_SUFFIXES = (".ldb", ".laccdb")


def kind_of(name: str) -> tuple[Kind, str] | None:
    """(kind, format) for a candidate file name, None for anything else."""
    if name.startswith(LOCK_PREFIX) or name.lower().endswith(LOCK_SUFFIXES):
        return None
    _, dot, ext = name.rpartition(".")
    if not dot:
        return None
    fmt = ext.lower()
    kind = KINDS.get(fmt)
    return (kind, fmt) if kind else None


def excluded(relpath: str, name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(relpath, p) or fnmatch.fnmatch(name, p) for p in patterns)

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


# (kind, format) per extension as spelled in names ("xlsx", "XLSX", ...): a share's names repeat a
# few spellings, so a walk lowers and looks up each spelling once. Only candidates' extensions are
# kept, so the cache is bounded (by the case spellings of KINDS) whatever names a share holds.
SPELLINGS: dict[str, tuple[Kind, str]] = {}


def kind_of_extension(ext: str) -> tuple[Kind, str] | None:
    """(kind, format) for the extension of a name (without the dot, in any case), None for anything else."""
    found = SPELLINGS.get(ext)
    if found is None:
        fmt = ext.lower()
        kind = KINDS.get(fmt)
        if kind is None:
            return None
        found = SPELLINGS[ext] = (kind, fmt)
    return found


def kind_of(name: str) -> tuple[Kind, str] | None:
    """(kind, format) for a candidate file name, None for anything else. (Lock files end in
    ``.ldb``/``.laccdb``, :data:`LOCK_SUFFIXES`, which no kind has: only the ``~$`` prefix needs a test.)"""
    _, dot, ext = name.rpartition(".")
    if not dot or name.startswith(LOCK_PREFIX):
        return None
    return kind_of_extension(ext)


def excluded(relpath: str, name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(relpath, p) or fnmatch.fnmatch(name, p) for p in patterns)

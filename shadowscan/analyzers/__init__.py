"""One analyzer per kind of artifact, all behind one interface.

Each module declares ``KINDS`` (the kinds it analyses), ``NEEDS_FILE`` (True when it must open
a file on disk, e.g. through an ODBC driver; otherwise it is given the file's bytes) and
``analyze(path, fmt, limits, data=None) -> Analysis``. An analyzer reads the file (never
writes, never executes it) and always returns an Analysis: findings with evidence; a failed
status with a reason; a partial analysis as status ``analyzed`` with the reason saying what
could not be read; or ``not-an-artifact`` (an .xlsx without macros or connections), which the
crawl drops. Analyzers run inside a worker process (:mod:`shadowscan.pool`), so a crash or a
hang costs one file, not the crawl.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol

from ..model import Analysis, Kind, Limits


class Analyze(Protocol):
    """``analyze(path, fmt, limits, data=None)``: ``data`` is the file's bytes when the caller
    already read them (an analyzer that needs the file on disk is given none)."""

    def __call__(self, path: str, fmt: str, limits: Limits, data: bytes | None = None) -> Analysis: ...


@dataclass(frozen=True)
class Analyzer:
    """One analyzer module as the engine sees it."""

    name: str
    kinds: frozenset[Kind]
    needs_file: bool  # analysed from a file on disk (a private copy for SMB), not from bytes
    analyze: Analyze

    def __call__(self, path: str, fmt: str, limits: Limits, data: bytes | None = None) -> Analysis:
        return self.analyze(path, fmt, limits, data=data)


# module per kind, imported when first needed (a crawl of scripts never loads oletools);
# tests/test_structure.py checks that each module declares the kinds it is listed for
MODULES = {Kind.EXCEL: "excel", Kind.SCRIPT: "scripts", Kind.ACCESS: "access", Kind.NOTEBOOK: "notebook",
           Kind.GRAFANA: "grafana", Kind.POWERBI: "powerbi", Kind.POWERAPPS: "powerapps",
           Kind.OPENDOCUMENT: "opendocument"}


def analyzer_for(kind: Kind) -> Analyzer:
    if kind not in MODULES:
        raise ValueError(f"no analyzer for {kind}")
    module = importlib.import_module(f"{__name__}.{MODULES[kind]}")
    analyzer = Analyzer(MODULES[kind], frozenset(module.KINDS), bool(module.NEEDS_FILE), module.analyze)
    if kind not in analyzer.kinds:
        raise ValueError(f"analyzers/{analyzer.name}.py does not declare {kind} among its KINDS")
    return analyzer

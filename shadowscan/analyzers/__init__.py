"""One analyzer per kind of artifact.

Each module exposes ``analyze(path, fmt, limits) -> Analysis | None``: it reads the file
(never writes, never executes it), and returns findings with evidence, or a failed
Analysis with a status and a reason. ``None`` means "not an artifact after all"
(an .xlsx without macros or connections). Analyzers run inside a worker process
(:mod:`shadowscan.pool`), so a crash or a hang costs one file, not the crawl.
"""
from __future__ import annotations

import importlib
from typing import Protocol

from ..model import Analysis, Kind, Limits


class Analyzer(Protocol):
    """``analyze(path, fmt, limits, data=None)``: ``data`` is the file's bytes when the caller
    already read them (analyzers that need a real file ignore it)."""

    def __call__(self, path: str, fmt: str, limits: Limits, data: bytes | None = None) -> Analysis | None: ...


# one module per kind, imported when first needed (a crawl of scripts never loads oletools)
MODULES = {Kind.EXCEL: "excel", Kind.SCRIPT: "scripts", Kind.ACCESS: "access", Kind.NOTEBOOK: "notebook",
           Kind.GRAFANA: "grafana", Kind.POWERBI: "powerbi", Kind.POWERAPPS: "powerapps",
           Kind.OPENDOCUMENT: "opendocument"}


def analyzer_for(kind: Kind) -> Analyzer:
    if kind in MODULES:
        analyze: Analyzer = importlib.import_module(f"{__name__}.{MODULES[kind]}").analyze
        return analyze
    raise ValueError(f"no analyzer for {kind}")

"""One analyzer per kind of artifact.

Each module exposes ``analyze(path, fmt, limits) -> Analysis | None``: it reads the file
(never writes, never executes it), and returns findings with evidence, or a failed
Analysis with a status and a reason. ``None`` means "not an artifact after all"
(an .xlsx without macros or connections). Analyzers run inside a worker process
(:mod:`shadowscan.pool`), so a crash or a hang costs one file, not the crawl.
"""
from __future__ import annotations

from typing import Protocol

from ..model import Analysis, Kind, Limits


class Analyzer(Protocol):
    """``analyze(path, fmt, limits, data=None)``: ``data`` is the file's bytes when the caller
    already read them (analyzers that need a real file ignore it)."""

    def __call__(self, path: str, fmt: str, limits: Limits, data: bytes | None = None) -> Analysis | None: ...


def analyzer_for(kind: Kind) -> Analyzer:
    if kind is Kind.EXCEL:
        from . import excel

        return excel.analyze
    if kind is Kind.SCRIPT:
        from . import scripts

        return scripts.analyze
    if kind is Kind.ACCESS:
        from . import access

        return access.analyze
    if kind is Kind.NOTEBOOK:
        from . import notebook

        return notebook.analyze
    if kind is Kind.GRAFANA:
        from . import grafana

        return grafana.analyze
    if kind is Kind.POWERBI:
        from . import powerbi

        return powerbi.analyze
    if kind is Kind.POWERAPPS:
        from . import powerapps

        return powerapps.analyze
    raise ValueError(f"no analyzer for {kind}")

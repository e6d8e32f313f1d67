"""Declarative signal rules and the engine that runs them over text.

A rule is data (:class:`Rule`): an id, a family, a title, a severity, a pattern and the
languages it applies to. One module per family holds the rules
(financial, quality, writes, reach, secrets, behaviour). The engine splits a text into
units (logical lines; statements for SQL), runs every rule on every unit and adds the
*correlations* a keyword cannot decide alone: a unit that writes or computes something
named like costs or test limits is evidence that the artifact generates financial data
or controls quality decisions (see :mod:`shadowscan.rules.correlate`).
"""
from __future__ import annotations

from ..model import Finding
from .engine import merge_findings, scan_names, scan_text
from .patterns import all_rules
from .rule import Rule

__all__ = ["Rule", "scan_text", "scan_names", "merge_findings", "Finding", "all_rules"]

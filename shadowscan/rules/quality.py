"""Quality vocabulary: test limits, tolerances, SPC, dispositions, lot release (EN/DE/PL)."""
from __future__ import annotations

from ..model import Family, Severity
from . import vocab
from .engine import Rule

TERM = Rule(
    id="quality.term",
    family=Family.QUALITY,
    title="Mentions quality data (limits, tolerances, pass/fail, dispositions)",
    severity=Severity.INFO,
    pattern=vocab.QUALITY,
    in_comments=True,
)

RULES = (TERM,)

"""Quality vocabulary: test limits, tolerances, SPC, dispositions, lot release (vocabulary/*.json)."""
from __future__ import annotations

from . import vocab
from .rule import Rule

TERM = Rule.of("quality.term", vocab.QUALITY, in_comments=True)

RULES = (TERM,)

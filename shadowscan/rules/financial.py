"""Financial vocabulary: costs, prices, invoices, postings, ledgers (vocabulary/*.json)."""
from __future__ import annotations

from . import vocab
from .rule import Rule

TERM = Rule.of("financial.term", vocab.FINANCIAL, in_comments=True)

RULES = (TERM,)

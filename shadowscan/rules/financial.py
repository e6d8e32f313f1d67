"""Financial vocabulary: costs, prices, invoices, postings, ledgers (EN/DE/PL)."""
from __future__ import annotations

from ..model import Family, Severity
from . import vocab
from .engine import Rule

TERM = Rule(
    id="financial.term",
    family=Family.FINANCIAL,
    title="Mentions financial data (costs, prices, invoices, postings)",
    severity=Severity.INFO,
    pattern=vocab.FINANCIAL,
    in_comments=True,
)

RULES = (TERM,)

"""Correlations: where a keyword becomes evidence of *generating* data.

POLICY.md: an artifact that computes and writes costs, postings, prices, limits,
pass/fail, dispositions or lot releases is shadow IT; one that only reads and shows
such data is not. So a unit (line or statement) counts as decisive only when a domain
term meets an action in the same unit:

* a persistent write (SQL, recordset, file, mail, web) naming financial/quality data;
* an assignment of a quality decision value ("FAIL", "REJECT", "gesperrt", ...);
* an assignment computing a limit (``usl = nominal + tol``);
* an assignment computing a financial value (``scrapCost = qty * price``) — not decisive
  alone: the classifier counts it only when the artifact also writes persistently.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from ..model import Family, Impact, Severity
from . import catalogue, records, vocab
from .literals import Checked
from .rule import VB_DIALECTS, Rule

I = re.IGNORECASE  # noqa: E741 - the re module's own short name (re.I)

_IF_CONDITION = re.compile(r"^\s*(?:else\s*)?if\b.*?\bthen\b", I)
_WHERE = re.compile(r"\b(?:where|having)\b.*?(?=\"|$)", I)
_LIT = r"[\"']\s*" + vocab.DECISION_LITERAL + r"[\s!.]*[\"']"
_DECISION = re.compile(
    r"(?:(?<![=!<>])=(?!=)|<-|\breturn\b|\bthen\b|\belse\b)\s*" + _LIT
    + r"|" + _LIT + r"\s+if\b"
    r"|\b(?:iif|ifelse)\s*\([^,]*,.*" + _LIT
    # a row of results appended with its verdict: results.append([lot, value, 'Fail'])
    + r"|\b(?:append|add_row|insert_row)\s*\(\s*\[.*" + _LIT + r"|\bwriterows?\s*\(\s*[\[(].*" + _LIT,
    I,
)
_ASSIGNMENT = re.compile(
    r"(?P<lhs>[\w.$!\[\]]+(?:\([^()]*\))?(?:\.\w+)?)\s*(?:<-|(?<![=!<>:+\-*/])=(?!=))\s*(?P<rhs>(?:\"[^\"]*\"|'[^']*'|[^,;\"'])+)"
)
_ARITHMETIC = re.compile(r"[\w)\]]\s*[-+*/]\s*[\w(\[.$]")
_STRING = re.compile(r"\"[^\"]*\"|'[^']*'")
_STATEMENT_HEAD = re.compile(r"^\s*(?:if|elseif|while|until|for|case|select|where)\b", I)

Correlation = tuple[str, Family, str, Severity, Impact | None]


FIN_WRITES = catalogue.rule("financial.writes").meta
QUAL_WRITES = catalogue.rule("quality.writes").meta
QUAL_DECISION = catalogue.rule("quality.decision").meta
QUAL_LIMITS = catalogue.rule("quality.computes-limits").meta
FIN_COMPUTES = catalogue.rule("financial.computes").meta
YIELDS = frozenset(meta[0] for meta in (FIN_WRITES, QUAL_WRITES, QUAL_DECISION, QUAL_LIMITS, FIN_COMPUTES))


def _action_part(code: str, language: str) -> str:
    """Drop comparisons: an If condition and a WHERE clause read decisions, they don't set them."""
    if language in VB_DIALECTS or language == "xlm":
        code = _IF_CONDITION.sub(" ", code)
    return _WHERE.sub(" ", code)


_SCRAP = re.compile(r"scrap|ausschuss|z[lł]om|rebut|scart|desecho|refugo|sucata|hurda|zmetek|afkeur|报废|報廢|廃棄|폐기", I)
_SQL_LITERAL = re.compile(r"'[^'\n]*'")
_SQL_LITERAL_LANGUAGES = VB_DIALECTS | {"sql", "batch"}


_INSERT = Checked(re.compile(r"\binsert\s+into\s+(?P<table>\[[^\]]+\]|[\w.\"`{}$%]+)\s*\((?P<columns>[^()]*)\)", I))
_UPDATE = Checked(re.compile(r"\bupdate\s+(?P<table>\[[^\]]+\]|[\w.\"`{}$%]+)\s+set\s+(?P<sets>.*?)(?:\bwhere\b|$)", I))


def _write_subject(code: str) -> tuple[str, list[str]] | None:
    """(table, columns) an INSERT or UPDATE writes, when the statement names them."""
    match = _INSERT.search(code)
    if match:
        return match.group("table"), [c.strip(" []\"`") for c in match.group("columns").split(",") if c.strip()]
    match = _UPDATE.search(code)
    if match:
        columns = re.findall(r"([\w\[\]. ]+?)\s*=", match.group("sets"))
        return match.group("table"), [c.strip(" []") for c in columns]
    return None


def _written(code: str, language: str) -> tuple[bool, bool]:
    """Whether a unit that writes writes financial data, quality data."""
    # What a write is *about* is named by its tables and columns, not by the text values it
    # stores: drop SQL string literals ('...') where they cannot be the program's own strings.
    about = _SQL_LITERAL.sub("''", code) if language in _SQL_LITERAL_LANGUAGES else code
    split = vocab.split_identifiers(about)
    financial = bool(vocab.FINANCIAL.search(split))
    subject = _write_subject(about)
    if financial and subject is not None:
        # INSERT INTO equipment (name, model, ..., repl_cost): an equipment record with a cost
        # column is not financial data; a write is about money when its table is named for it
        # or at least a third of the columns it writes are money.
        table, columns = subject
        table_words = vocab.split_identifiers(table)
        money = records.money_columns(columns)
        financial = bool(vocab.FINANCIAL.search(table_words)) or len(money) * 3 >= max(1, len(columns))
    quality_words = vocab.QUALITY.findall(split)
    # "scrap cost", "Ausschusskosten", "koszt złomu": scrap next to money is a cost category
    quality = bool(quality_words) and not (financial and all(_SCRAP.match(w) for w in quality_words))
    return financial, quality


def correlate(code: str, language: str, hits: Sequence[Rule]) -> Iterator[Correlation]:
    """The correlations of one unit; ``hits`` are the pattern rules that matched it (only whether
    a persistent one did matters). Every id yielded is in :data:`YIELDS`."""
    if any(rule.persistent for rule in hits):
        financial, quality = _written(code, language)
        if financial:
            yield FIN_WRITES
        if quality:
            yield QUAL_WRITES
    if "=" not in code and "<-" not in code:
        lower = code.lower()
        if "return" not in lower and "append" not in lower and "row" not in lower:
            return  # no assignment (and no row of results written): nothing is decided or computed here
    action = _action_part(code, language)
    if ("\"" in action or "'" in action) and _DECISION.search(action):
        yield QUAL_DECISION
    computes_limit = computes_money = False
    for match in _ASSIGNMENT.finditer(action):
        lhs, rhs = match.group("lhs"), match.group("rhs")
        if _STATEMENT_HEAD.match(lhs) or not _ARITHMETIC.search(_STRING.sub('""', rhs)):
            continue
        lhs_split = vocab.split_identifiers(lhs)
        if vocab.LIMIT_NAME.search(lhs_split):
            computes_limit = True
        if vocab.MONEY.search(lhs_split):  # a value, not a document or a book named in a form's name
            computes_money = True
    if computes_limit:
        yield QUAL_LIMITS
    if computes_money:
        yield FIN_COMPUTES

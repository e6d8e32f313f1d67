"""Exposure: the GL accounts, cost centers and quality limits a high-risk tool touches,
read from its findings' evidence.

A plant manager reads "writes into FI_Buchungen" as a table name; "posts to GL account
400000 and cost center 4711" is the exposure. Found generically in the snippets the
analyzers kept: a word that names a general-ledger account (account, Sachkonto, cuenta,
SAP's ``HKONT``/``SAKNR``...) or a cost center (Kostenstelle, centro de coste, SAP's
``KOSTL``...) followed closely by a code with digits; a limit word of the vocabulary
(``limit`` in ``rules/vocabulary/``: USL, Toleranz, límite...) followed by a number.
Pure functions of text; no store, no I/O.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from ..redact import split_args
from ..rules.vocab import lexicon

KINDS = ("GL accounts", "cost centers", "quality limits")
LIMIT = 8  # values listed per kind

# General-ledger account: words and SAP field names in the languages of the vocabulary.
_ACCOUNT_WORDS = (r"hkont|saknr|sakto|gl[\s_./-]?account|gl[\s_./-]?acct|g/?l|general[\s_]ledger[\s_]account|"
                  r"account(?:[\s_]?(?:no|nr|number|id))?|acct|konto|sachkonto|hauptbuchkonto|gegenkonto|"
                  r"cuenta(?:[\s_]contable)?|compte(?:[\s_]g[ée]n[ée]ral)?|conto(?:[\s_]contabile)?|"
                  r"grootboekrekening|rekening|konto[\s_]ksi[eę]gowe|ú[čc]et|hesap")
_COST_CENTER_WORDS = (r"kostl|kostenstelle|kst|cost[\s_]?cent(?:er|re)|centro[\s_]de[\s_]cost[eo]s?|"
                      r"centre[\s_]de[\s_]co[uû]ts?|centro[\s_]di[\s_]costo|kostenplaats|"
                      r"centro[\s_]de[\s_]custos?|miejsce[\s_]powstawania[\s_]koszt[oó]w|mpk|n[aá]kladov[eé][\s_]st[rř]edisko|"
                      r"masraf[\s_]merkezi")
# the word, then at most a few characters that are no digit and no line break (``HKONT = "``, ``Sachkonto: ``)
_GAP = r"[^\d\n\r]{0,12}?"
_ACCOUNT = re.compile(rf"(?<![^\W\d_])(?:{_ACCOUNT_WORDS})(?![^\W\d_]){_GAP}(?<![\d.])(\d{{4,10}})(?![\d.,]\d)",
                      re.IGNORECASE)
_COST_CENTER = re.compile(rf"(?<![^\W\d_])(?:{_COST_CENTER_WORDS})(?![^\W\d_]){_GAP}"
                          r"(?<![\w.])([A-Z]{0,4}[-_]?\d[\dA-Z-]{2,11})(?![\w.])", re.IGNORECASE)


def _limit_words() -> str:
    """The limit words of the vocabulary (every language; ``*`` a stem) as a regex alternation."""
    words = []
    for term, _ in lexicon().terms["limit"]:
        stem = term.endswith("*")
        body = r"[\s_]?".join(re.escape(w) for w in term.rstrip("*").split())
        words.append(body + (r"[^\W\d]*" if stem else ""))
    return "|".join(sorted(words, key=len, reverse=True))


def _limit_pattern() -> re.Pattern[str]:
    """A limit word of the vocabulary followed by a number."""
    return re.compile(rf"(?<![^\W\d_])((?:{_limit_words()}))(?![^\W_])[\s\"'(),:=<>]{{0,8}}"
                      r"(-?\d+(?:[.,]\d+)?)(?![\d])", re.IGNORECASE)


_LIMIT = _limit_pattern()
_LIMIT_NAME = re.compile(rf"(?<![^\W\d_])(?:{_limit_words()})(?![^\W_])", re.IGNORECASE)
_ACCOUNT_NAME = re.compile(rf"(?<![^\W\d_])(?:{_ACCOUNT_WORDS})(?![^\W\d_])", re.IGNORECASE)
_COST_CENTER_NAME = re.compile(rf"(?<![^\W\d_])(?:{_COST_CENTER_WORDS})(?![^\W\d_])", re.IGNORECASE)
# ``INSERT INTO t (a, b) VALUES ('x', '4711')``: a literal lines up with its column
_INSERT = re.compile(r"insert\s+into\s+[\[\]\w.$#`\"-]+\s*\(([^)]{1,400})\)\s*values\s*\((.{1,800})", re.IGNORECASE)
_CODE = re.compile(r"[A-Z]{0,4}[-_]?\d[\dA-Z-]{2,11}", re.IGNORECASE)


def _values(text: str) -> list[str]:
    """The top-level comma-separated items of a VALUES list (quotes, doubled quotes and brackets respected)."""
    return [text[start:end] for start, end in split_args(text, 0, paren=True)]


def _inserted(text: str) -> Iterable[tuple[str, str]]:
    """(column, literal code) pairs of the INSERT statements in ``text``."""
    for m in _INSERT.finditer(text):
        columns = [c.strip(" []`\"") for c in m.group(1).split(",")]
        for column, value in zip(columns, _values(m.group(2))):
            literal = value.strip().strip("'\"")
            if _CODE.fullmatch(literal):
                yield column, literal


def _add(found: list[str], value: str) -> None:
    if value not in found and len(found) < LIMIT:
        found.append(value)


def find(snippets: Iterable[str]) -> dict[str, list[str]]:
    """The GL accounts, cost centers and quality limits named in ``snippets``, in order of appearance
    (only kinds that occur)."""
    out: dict[str, list[str]] = {kind: [] for kind in KINDS}
    fields: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for text in snippets:
        if not text:
            continue
        for m in _ACCOUNT.finditer(text):
            _add(out["GL accounts"], m.group(1))
        for m in _COST_CENTER.finditer(text):
            _add(out["cost centers"], m.group(1).upper())
        for column, literal in _inserted(text):
            if _ACCOUNT_NAME.fullmatch(column):
                _add(out["GL accounts"], literal)
            elif _COST_CENTER_NAME.fullmatch(column):
                _add(out["cost centers"], literal.upper())
        for m in _LIMIT.finditer(text):
            _add(out["quality limits"], f"{m.group(1)} {m.group(2)}")
        # a field that holds them (the values come from data): named when no value is
        for kind, pattern in (("GL accounts", _ACCOUNT_NAME), ("cost centers", _COST_CENTER_NAME),
                              ("quality limits", _LIMIT_NAME)):
            for m in pattern.finditer(text):
                _add(fields[kind], m.group(0))
    for kind, names in fields.items():
        if not out[kind]:
            seen: set[str] = set()
            for name in names:
                if name.lower() not in seen:
                    seen.add(name.lower())
                    _add(out[kind], f"from field {name}")
    return {kind: values for kind, values in out.items() if values}


def merge(parts: Iterable[dict[str, list[str]]], limit: int = 12) -> dict[str, list[str]]:
    """The exposure of several tools together (each value once, at most ``limit`` per kind)."""
    out: dict[str, list[str]] = {}
    for part in parts:
        for kind, values in part.items():
            into = out.setdefault(kind, [])
            seen = {v.lower() for v in into}
            into += [v for v in values if v.lower() not in seen][:max(0, limit - len(into))]
    return {kind: out[kind] for kind in KINDS if kind in out}

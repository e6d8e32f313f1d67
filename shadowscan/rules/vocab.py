"""Domain vocabulary as data: one JSON file per language in ``vocabulary/``.

Code names things in many ways: ``scrapCost``, ``TEST_LIMIT``, ``dblPrecio``, ``PREÇO
UNITÁRIO``, ``qty``, ``ＵＳＬ``. :func:`split_identifiers` turns all of them into the same
*folded* words (identifiers split at case changes, underscores and digits; width, case
and Latin accents folded; abbreviations expanded), and each vocabulary class becomes a
:class:`Matcher` that looks those words up (memoised per word and per line). Chinese,
Japanese and Korean terms match anywhere.
See ``vocabulary/README.md`` for the classes and the term syntax.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

FLAGS = re.IGNORECASE | re.UNICODE
CLASSES = ("money", "money_rate", "money_document", "ledger", "quantity", "quality", "limit", "measurement", "due",
           "decision_quality", "decision_due", "decision_status")


# folding --------------------------------------------------------------------------------
def _latin_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        ch = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        if base and base != ch:
            table[code] = base
    table.update({ord(k): v for k, v in {"ł": "l", "Ł": "L", "ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE",
                                         "œ": "oe", "Œ": "OE", "đ": "d", "Đ": "D", "ı": "i", "ð": "d", "þ": "th"}.items()})
    return table


_LATIN = _latin_table()


def fold(text: str) -> str:
    """Width (NFKC), case and Latin accents folded: ``ＰＲＥÇＯ`` -> ``preco``. CJK is left as it is."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_LATIN)
    return text.lower()


_LOWER = "a-zà-öø-ÿāăąćčďđēėęěğīįıķĺļľłńņňōőŕřśşšţťūůűųźżž"
_UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĖĘĚĞĪĮİĶĹĻĽŁŃŅŇŌŐŔŘŚŞŠŢŤŪŮŰŲŹŻŽ"
_SPLIT = re.compile(
    rf"(?<=[{_LOWER}])(?=[{_UPPER}])"          # scrapCost -> scrap Cost, dblPrecio -> dbl Precio
    rf"|(?<=[{_UPPER}])(?=[{_UPPER}][{_LOWER}])"  # PDFInvoice -> PDF Invoice
    rf"|(?<=[{_LOWER}{_UPPER}])(?=[0-9])|(?<=[0-9])(?=[{_LOWER}{_UPPER}])"  # Cost2 -> Cost 2
)


# Caches hold short texts only: identifiers and code lines repeat, a long line (a row of a data
# dump) rarely does, and caching it would make memory grow with the file instead of its vocabulary.
CACHED_CHARS = 512


def split_identifiers(text: str) -> str:
    """``scrapCost_EUR`` -> ``scrap cost eur``; ``amtTot`` -> ``amount total``: words the vocabulary sees."""
    return _split_cached(text) if len(text) <= CACHED_CHARS else _split(text)


def _split(text: str) -> str:
    words = fold(_SPLIT.sub(" ", text).replace("_", " "))
    return _lexicon().expand(words)


_split_cached = lru_cache(maxsize=1 << 16)(_split)


# loading --------------------------------------------------------------------------------
def _is_cjk(term: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u3400" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" for ch in term)


_WORD = re.compile(r"(?<![^\W_])(?:[^\W_]\.){2,}|[^\W_]+(?:&[^\W_]+)*")  # words; i.o., n.i.o., p&l, r&r
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_TIME_WORDS = frozenset({"time", "times", "duration", "sec", "secs", "seconds", "ms", "millis", "minutes", "function"})


@lru_cache(maxsize=1 << 14)
def _tokens_tuple(words: str) -> tuple[str, ...]:
    tokens = _WORD.findall(words.lower())
    return tuple(tokens)


def _tokens(words: str) -> tuple[str, ...]:
    return _tokens_tuple(words) if len(words) <= CACHED_CHARS else tuple(_WORD.findall(words.lower()))


class Matcher:
    """A vocabulary class matched word by word over folded words (see vocabulary/README.md):
    exact words, phrases, stems (``invoic*``), compound tails of long words (``unitprice``),
    stems of six or more letters inside compounds for German and Dutch, CJK terms anywhere."""

    def __init__(self, terms: Iterable[tuple[str, bool]], not_before: frozenset[str] = frozenset(),
                 not_words: Iterable[str] = (), not_after: frozenset[tuple[str, str]] = frozenset()) -> None:
        self.words: set[str] = set()
        self.phrases: dict[str, list[tuple[str, ...]]] = {}
        self.stems: set[str] = set()
        self.tails: set[str] = set()
        self.inner: list[str] = []
        self.cjk: list[str] = []
        self.not_before = not_before
        self.not_after = not_after
        # words that hold a term but mean something else (German ``berechnung``, calculation, holds
        # ``rechnung``, invoice): taken out of a word before its pieces are looked up
        excluded = sorted({fold(w) for w in not_words if w.strip()}, key=len, reverse=True)
        self._excluded = re.compile("|".join(re.escape(w) for w in excluded)) if excluded else None
        for raw, compounds in terms:
            term = fold(raw.strip())
            if not term:
                continue
            if _is_cjk(term):
                self.cjk.append(term)
                continue
            stem = term.endswith("*")
            parts = tuple(w for w in re.split(r"[\s'/\-]+", term.rstrip("*")) if w)
            if not parts:
                continue
            if len(parts) > 1:
                self.phrases.setdefault(parts[0], []).append(parts + (("*",) if stem else ()))
            elif stem:
                (self.inner if compounds and len(parts[0]) >= 6 else []).append(parts[0])
                self.stems.add(parts[0])
            else:
                self.words.add(parts[0])
                if len(parts[0]) >= 5 and parts[0].isalpha():
                    self.tails.add(parts[0])
        self.stem_lengths = sorted({len(s) for s in self.stems})
        self.tail_lengths = sorted({len(t) for t in self.tails})
        self._single: dict[str, bool] = {}
        self._seen: dict[str, bool] = {}

    def _word(self, token: str) -> bool:
        """Whether one word is a term (exact, stem, compound tail or inner stem); memoised,
        identifiers repeat on every other line."""
        known = self._single.get(token)
        if known is not None:
            return known
        if self._excluded is not None and token not in self.words and self._excluded.search(token):
            hit = any(self._term(piece) for piece in self._excluded.split(token) if len(piece) > 2)
        else:
            hit = self._term(token)
        if len(self._single) < 200_000:
            self._single[token] = hit
        return hit

    def _term(self, token: str) -> bool:
        return token in self.words or any(token[:k] in self.stems for k in self.stem_lengths if k <= len(token)) \
            or any(token[-k:] in self.tails for k in self.tail_lengths if k < len(token)) \
            or any(stem in token for stem in self.inner)

    def _hit(self, tokens: tuple[str, ...], i: int) -> int:
        """Length in words of a term starting at tokens[i], or 0."""
        token = tokens[i]
        for phrase in self.phrases.get(token, ()):
            n = len(phrase) - (1 if phrase[-1] == "*" else 0)
            if phrase[-1] == "*":
                if tokens[i:i + n - 1] == phrase[:n - 1] and i + n - 1 < len(tokens) \
                        and tokens[i + n - 1].startswith(phrase[n - 1]):
                    return n
            elif tuple(tokens[i:i + n]) == phrase:
                return n
        return 1 if self._word(token) else 0

    def _ruled_out(self, tokens: tuple[str, ...], i: int, n: int) -> bool:
        """A term that the word after it (``cost time``) or the pair of words it starts (``failure rate``)
        makes mean something else."""
        return bool(self.not_before and i + n < len(tokens) and tokens[i + n] in self.not_before) or \
            bool(self.not_after and i > 0 and (tokens[i - 1], tokens[i]) in self.not_after)

    def findall(self, words: str) -> list[str]:
        tokens = _tokens(words)
        found = []
        i = 0
        while i < len(tokens):
            n = self._hit(tokens, i)
            if n and not self._ruled_out(tokens, i, n):
                found.append(" ".join(tokens[i:i + n]))
                i += n
            else:
                i += 1
        if self.cjk and _CJK.search(words):
            found += [t for t in self.cjk if t in words]
        return found

    def search(self, words: str) -> bool:
        """Whether any term occurs (stops at the first; memoised, the same line is asked often)."""
        known = self._seen.get(words)
        if known is not None:
            return known
        tokens = _tokens(words)
        hit = False
        for i in range(len(tokens)):
            n = self._hit(tokens, i)
            if n and not self._ruled_out(tokens, i, n):
                hit = True
                break
        if not hit and self.cjk and _CJK.search(words):
            hit = any(t in words for t in self.cjk)
        if len(words) <= CACHED_CHARS:
            if len(self._seen) > 100_000:
                self._seen.clear()
            self._seen[words] = hit
        return hit


class Lexicon:
    """Every language's terms by class."""

    def __init__(self, languages: Mapping[str, Mapping[str, Any]]) -> None:
        self.languages = dict(languages)
        self.terms: dict[str, list[tuple[str, bool]]] = {name: [] for name in CLASSES}
        abbreviations: dict[str, str] = {}
        self.not_words: list[str] = []
        for data in self.languages.values():
            self.not_words.extend(str(w) for w in data.get("not_terms") or [])
            compounds = bool(data.get("compounds"))
            for name in CLASSES:
                self.terms[name].extend((str(t), compounds) for t in data.get(name) or [])
            abbreviations.update({fold(k): fold(v) for k, v in dict(data.get("abbreviations") or {}).items()})
        self.abbreviations = abbreviations
        self._abbrev = re.compile(r"(?<![^\W\d_])(?:" + "|".join(
            re.escape(k).replace(r"\ ", r"\s+") for k in sorted(abbreviations, key=len, reverse=True)) + r")(?![^\W\d_])"
        ) if abbreviations else None

    def expand(self, words: str) -> str:
        if self._abbrev is None:
            return words
        return self._abbrev.sub(lambda m: self.abbreviations.get(" ".join(m.group(0).split()), m.group(0)), words)

    def matcher(self, *names: str, not_before: frozenset[str] = frozenset(),
                not_after: frozenset[tuple[str, str]] = frozenset()) -> Matcher:
        return Matcher([t for name in names for t in self.terms[name]], not_before, self.not_words, not_after)

    def literals(self, *names: str) -> str:
        """A regex alternation of the exact values (as written and folded), for string literals in code."""
        values = {v for name in names for t, _ in self.terms[name] for v in (t, fold(t))}
        return "(?:" + "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)) + ")"


def load_languages() -> dict[str, dict[str, Any]]:
    folder = resources.files("shadowscan.rules") / "vocabulary"
    out = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            out[entry.name[:-5]] = json.loads(entry.read_text(encoding="utf-8"))
    return out


@lru_cache(maxsize=1)
def _lexicon() -> Lexicon:
    return Lexicon(load_languages())


def lexicon() -> Lexicon:
    return _lexicon()


# A money word followed by a time word is a duration (costTime, cost_seconds), not money; a rate
# after a word for failures is a failure rate (failRatePerHour, error_rate), not a price.
_FAILURE_WORDS = frozenset((failure, rate) for failure in ("fail", "failure", "failures", "error", "errors", "defect",
                                                          "defects", "fault", "faults", "reject", "rejection", "breakdown")
                           for rate in ("rate", "rates"))
_LEX = _lexicon()
MONEY = _LEX.matcher("money", "money_rate", not_before=_TIME_WORDS, not_after=_FAILURE_WORDS)
MONEY_RATE = _LEX.matcher("money_rate", not_after=_FAILURE_WORDS)
MONEY_DOCUMENT = _LEX.matcher("money_document")
LEDGER = _LEX.matcher("ledger")
QUANTITY = _LEX.matcher("quantity")
DUE = _LEX.matcher("due")
MEASUREMENT = _LEX.matcher("measurement")
FINANCIAL = _LEX.matcher("money", "money_rate", "money_document", "ledger", not_before=_TIME_WORDS,
                        not_after=_FAILURE_WORDS)
QUALITY = _LEX.matcher("quality")
LIMIT_NAME = _LEX.matcher("limit")
# Values that are a quality decision when a program sets them; and statuses that are one
# only when computed by comparing against a limit or a date.
DECISION_LITERAL = _LEX.literals("decision_quality")
DUE_LITERAL = _LEX.literals("decision_due")
STATUS_LITERAL = _LEX.literals("decision_status")


def classes_of(words: str) -> set[str]:
    """Which vocabulary classes occur in already split words (for tests and explanations)."""
    found = set()
    for name, pattern in (("money", MONEY), ("money_document", MONEY_DOCUMENT), ("ledger", LEDGER),
                          ("quantity", QUANTITY), ("quality", QUALITY), ("limit", LIMIT_NAME), ("due", DUE),
                          ("measurement", MEASUREMENT)):
        if pattern.search(words):
            found.add(name)
    return found


def languages() -> Iterable[str]:
    return _LEX.languages.keys()

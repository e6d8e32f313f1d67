"""Literal pre-checks for regular expressions: run a pattern only where it can match.

Python's ``re`` tries every alternative of a pattern at every position of the text, so a
rule like ``\\bshell\\s*\\(|wscript\\.shell|...`` costs tens of microseconds per line even
where nothing matches, and one alternation of all rules is slower still. Most lines of a
module contain none of the words a rule needs. :func:`required_literals` reads a pattern's
syntax tree (``re._parser``, the parser ``re`` itself uses) and returns lower-case strings
of which **every match contains at least one**; when none of them occurs in the
lower-cased text the pattern cannot match and need not run. The check is exact, not a
heuristic: it only skips searches that would have failed. It is applied to ASCII text
only (``str.lower`` and the ``re`` module's case folding agree there; with non-ASCII text
folds like ``ſ`` -> ``s`` differ, so such text always gets the full search).
"""
from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterable
from typing import Any

# the parser ``re`` itself uses (re._parser since Python 3.11, sre_parse before)
_c: Any = importlib.import_module("re._constants" if sys.version_info >= (3, 11) else "sre_constants")
_p: Any = importlib.import_module("re._parser" if sys.version_info >= (3, 11) else "sre_parse")

Literals = frozenset[str] | None  # None: no literal is required (the pattern may match without one)
_MIN_USEFUL = 2  # a requirement of single letters saves almost nothing


def _best(candidates: Iterable[frozenset[str]]) -> Literals:
    """The most selective requirement: longest shortest literal, then fewest literals."""
    best: Literals = None
    for cand in candidates:
        if not cand:
            continue
        if best is None or (min(map(len, cand)), -len(cand)) > (min(map(len, best)), -len(best)):
            best = cand
    return best


def _sequence(items: list[Any]) -> Literals:
    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def close() -> None:
        if run:
            candidates.append(frozenset({"".join(run)}))
            run.clear()

    for op, av in items:
        if op is _c.LITERAL and av < 128:
            run.append(chr(av).lower())
            continue
        close()  # anything else ends a run of literals (cutting a run only weakens the check)
        sub: Literals = None
        if op is _c.SUBPATTERN:
            sub = _sequence(list(av[-1]))
        elif op is _c.BRANCH:
            parts = [_sequence(list(branch)) for branch in av[1]]
            if all(part is not None for part in parts):
                sub = frozenset().union(*parts)  # type: ignore[arg-type]
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)) and av[0] >= 1:
            sub = _sequence(list(av[2]))
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            sub = _sequence(list(av))
        if sub is not None:
            candidates.append(sub)
    close()
    return _best(candidates)


def required_literals(pattern: re.Pattern[str] | str, flags: int = 0) -> Literals:
    """Lower-case strings one of which occurs in every match of ``pattern``, or None."""
    source = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
    flags = pattern.flags if isinstance(pattern, re.Pattern) else flags
    try:
        tree = _p.parse(source, flags)
    except Exception:  # an unparseable pattern gets no pre-check
        return None
    found = _sequence(list(tree))
    if found is None or min(map(len, found)) < _MIN_USEFUL:
        return None
    return found


class Checked:
    """A compiled pattern with its literal pre-check; ``search(text, lower)`` gives the same
    answer as ``pattern.search(text)``."""

    __slots__ = ("pattern", "literals")

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.literals = required_literals(pattern)

    def possible(self, lower: str, ascii_text: bool) -> bool:
        """False only when the pattern certainly cannot match (``lower`` is the text lower-cased)."""
        if self.literals is None or not ascii_text:
            return True
        return any(lit in lower for lit in self.literals)

    def search(self, text: str, lower: str | None = None) -> re.Match[str] | None:
        if self.literals is not None and text.isascii():
            lower = text.lower() if lower is None else lower
            if not any(lit in lower for lit in self.literals):
                return None
        return self.pattern.search(text)

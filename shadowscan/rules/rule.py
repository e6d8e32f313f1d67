"""A pattern rule: one signal as data (an id from the catalogue, a pattern, the languages)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Family, Severity
from . import catalogue, vocab

LANGUAGES = frozenset({"vba", "vbscript", "basic", "python", "powershell", "batch", "sql", "r", "xlm", "text"})
# Visual Basic's dialects share comments ('/REM), continuations ( _), procedures and If syntax:
# VBA (Office), VBScript, and LibreOffice/OpenOffice Basic (StarBasic, in OpenDocument files).
VB_DIALECTS = frozenset({"vba", "vbscript", "basic"})
# LibreOffice's UNO API: the same services and calls from Basic and from Python macros.
UNO = frozenset({"basic", "python"})


@dataclass(frozen=True)
class Rule:
    """One signal. ``languages`` None means every language.

    ``persistent`` marks writes that leave the program (databases, files, mail, web):
    the ones that turn computed values into data others rely on.
    """

    id: str
    family: Family
    title: str
    severity: Severity
    pattern: re.Pattern[str] | vocab.Matcher
    languages: frozenset[str] | None = None
    persistent: bool = False
    in_comments: bool = False

    def applies(self, language: str) -> bool:
        return self.languages is None or language in self.languages

    @classmethod
    def of(cls, rule_id: str, pattern: re.Pattern[str] | vocab.Matcher, languages: frozenset[str] | None = None,
           in_comments: bool = False) -> Rule:
        """A pattern rule whose id, family, title, severity and persistence come from the catalogue."""
        info = catalogue.rule(rule_id)
        return cls(info.id, info.family, info.title, info.severity, pattern, languages, info.persistent, in_comments)

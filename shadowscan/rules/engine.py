"""Run rules over text: split into units, strip comments, match, correlate, aggregate."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache

from ..model import Evidence, Family, Finding, Impact, Severity
from ..redact import redact
from ..textio import bound_runs
from . import correlate as correlate_rules
from . import flow, patterns, vocab
from .correlate import correlate
from .financial import TERM as FIN_TERM
from .literals import required_literals
from .quality import TERM as QUAL_TERM
from .rule import LANGUAGES, VB_DIALECTS, Rule

MAX_EVIDENCE = 20
FLOW_LANGUAGES = frozenset({"vba", "vbscript", "basic", "python", "powershell", "r", "sql", "batch"})
SNIPPET_CHARS = 200


@dataclass(frozen=True)
class Unit:
    """A logical line (or SQL statement): where one piece of evidence points."""

    line: int
    text: str  # as written, for the snippet
    code: str  # comments removed, for behaviour rules


_COMMENT = {
    "vba": ("'",),
    "vbscript": ("'",),
    "basic": ("'",),
    "python": ("#",),
    "powershell": ("#",),
    "r": ("#",),
    "sql": ("--",),
    "batch": (),
    "xlm": (),
    "text": (),
}
_QUOTES = {"vba": '"', "vbscript": '"', "basic": '"', "python": "\"'", "powershell": "\"'", "r": "\"'", "sql": "'"}
_REM = re.compile(r"^\s*(?:@?rem\b|::)", re.IGNORECASE)
_VBA_REM = re.compile(r"^\s*rem\b", re.IGNORECASE)


def strip_comment(line: str, language: str) -> str:
    """Remove a trailing comment, respecting string literals."""
    if language == "batch":
        return "" if _REM.match(line) else line
    if language in VB_DIALECTS and _VBA_REM.match(line):
        return ""
    markers = _COMMENT.get(language, ())
    if not markers:
        return line
    if not any(marker in line for marker in markers):
        return line  # most lines: nothing to strip
    quotes = _QUOTES.get(language, "")
    if not any(q in line for q in quotes):
        return line[:min(i for i in (line.find(m) for m in markers) if i >= 0)]
    quote = ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in quotes:
            quote = ch
        else:
            for marker in markers:
                if line.startswith(marker, i):
                    return line[:i]
        i += 1
    return line


def units(text: str, language: str) -> Iterator[Unit]:
    """Split text into units: VBA joins ``_`` continuations, SQL yields statements."""
    lines = text.splitlines()
    if language == "sql":
        yield from _sql_units(lines)
        return
    i = 0
    while i < len(lines):
        start = i
        parts = [lines[i]]
        if language in VB_DIALECTS:
            while parts[-1].rstrip().endswith(" _") and i + 1 < len(lines):
                parts[-1] = parts[-1].rstrip()[:-1]
                i += 1
                parts.append(lines[i])
        elif language == "powershell":
            while parts[-1].rstrip().endswith("`") and i + 1 < len(lines):
                parts[-1] = parts[-1].rstrip()[:-1]
                i += 1
                parts.append(lines[i])
        raw = " ".join(p.strip() for p in parts)
        code = " ".join(strip_comment(p, language).strip() for p in parts).strip()
        if raw:
            yield Unit(line=start + 1, text=raw, code=code)
        i += 1


_GO = re.compile(r"^\s*go\s*$", re.IGNORECASE)


def _sql_units(lines: Sequence[str]) -> Iterator[Unit]:
    """Statements end at ``;`` or a ``GO`` line; a statement starts at its first code line."""
    start, raw, code = 0, [], []  # type: tuple[int, list[str], list[str]]
    for number, line in enumerate(lines, 1):
        if _GO.match(line):
            if code:
                yield Unit(start, " ".join(raw), " ".join(code))
            raw, code = [], []
            continue
        stripped = strip_comment(line, "sql").strip()
        if stripped and not code:
            start, raw = number, []
        if line.strip():
            raw.append(line.strip())
        if stripped:
            code.append(stripped)
        if stripped.endswith(";"):
            yield Unit(start, " ".join(raw), " ".join(code))
            raw, code = [], []
    if code:
        yield Unit(start, " ".join(raw), " ".join(code))


WINDOW = 4096  # characters of one unit a rule sees at a time
_OVERLAP = 512


def _windows(found: Iterable[Unit]) -> Iterator[Unit]:
    """Units as rules see them: a unit longer than :data:`WINDOW` (a minified script, a
    300 KB line) is matched in overlapping windows of it, so the time any pattern takes
    stays bounded by the window, not the square of the line."""
    for unit in found:
        longest = max(len(unit.text), len(unit.code))
        if longest <= WINDOW:
            yield unit
            continue
        for start in range(0, longest - _OVERLAP, WINDOW - _OVERLAP):
            yield Unit(unit.line, unit.text[start:start + WINDOW], unit.code[start:start + WINDOW])


def snippet(text: str) -> str:
    """A short, redacted, single-line excerpt: redacted whole, then cut (a cut through a
    password would leave its prefix unmasked)."""
    flat = redact(" ".join(text.split()))
    if len(flat) > SNIPPET_CHARS:
        flat = flat[: SNIPPET_CHARS - 1] + "…"
    return flat


class _Lazy:
    """Evidence whose snippet is made (redacted, cut) only when it is kept or compared: a long
    script matches on thousands of lines of which at most :data:`MAX_EVIDENCE` per rule are kept."""

    __slots__ = ("location", "line", "text", "_made")

    def __init__(self, location: str, line: int, text: str) -> None:
        self.location, self.line, self.text = location, line, text
        self._made: Evidence | None = None

    def made(self) -> Evidence:
        if self._made is None:
            self._made = Evidence(self.location, self.line, snippet(self.text))
        return self._made


def _same(kept: Evidence | _Lazy, new: Evidence | _Lazy) -> bool:
    """``kept == new`` as Evidence, making a snippet only where location and line agree."""
    if kept.location != new.location or kept.line != new.line:
        return False
    return (kept.made() if isinstance(kept, _Lazy) else kept) == (new.made() if isinstance(new, _Lazy) else new)


class _Collector:
    """Aggregates matches into one Finding per rule id, evidence capped. ``full`` holds the
    rule ids that have :data:`MAX_EVIDENCE` pieces of evidence: nothing more is added to them."""

    def __init__(self) -> None:
        self._meta: dict[str, tuple[Family, str, Severity, Impact | None]] = {}
        self._evidence: dict[str, list[Evidence | _Lazy]] = {}
        self.full: set[str] = set()

    def add(self, rule_id: str, family: Family, title: str, severity: Severity,
            evidence: Evidence | _Lazy, impact: Impact | None = None) -> None:
        if rule_id not in self._meta:
            self._meta[rule_id] = (family, title, severity, impact)
            self._evidence[rule_id] = []
        found = self._evidence[rule_id]
        if len(found) < MAX_EVIDENCE and not any(_same(kept, evidence) for kept in found):
            found.append(evidence)
            if len(found) == MAX_EVIDENCE:
                self.full.add(rule_id)

    def findings(self) -> list[Finding]:
        out = []
        for rule_id, (family, title, severity, impact) in self._meta.items():
            evidence = tuple(e.made() if isinstance(e, _Lazy) else e for e in self._evidence[rule_id])
            out.append(Finding(rule_id, family, title, severity, evidence, impact))
        return out


@cache
def _rules_for(language: str) -> tuple[Rule, ...]:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    return tuple(r for r in patterns.all_rules() if r.applies(language))


_VOCABULARY = (Family.FINANCIAL, Family.QUALITY)
View = tuple[bool, bool]  # (with comments, identifiers split)
Check = tuple[Rule, View, frozenset[str] | None]  # a rule, its view, its required literals (None: always run)


def _view(rule: Rule) -> View:
    return rule.in_comments, rule.family in _VOCABULARY


@cache
def _prefilters(language: str) -> dict[View, tuple[frozenset[str] | None, re.Pattern[str] | None]]:
    """Per view, what a unit must contain for any of its rules to match: the union of the
    rules' required literals (:mod:`.literals`, checked on the lower-cased ASCII text), and
    one alternation of every rule's pattern for text the literal check cannot judge (search
    succeeds exactly when some alternative matches somewhere). A view with a vocabulary rule
    (matched word by word, not by a regex) has neither."""
    groups: dict[View, list[Rule]] = {}
    for rule in _rules_for(language):
        groups.setdefault(_view(rule), []).append(rule)
    out: dict[View, tuple[frozenset[str] | None, re.Pattern[str] | None]] = {}
    for view, rules in groups.items():
        regexes = [r.pattern for r in rules if isinstance(r.pattern, re.Pattern)]
        if len(regexes) != len(rules):
            out[view] = (None, None)
            continue
        needs = [required_literals(p) for p in regexes]
        union = frozenset().union(*needs) if all(n is not None for n in needs) else None  # type: ignore[arg-type]
        out[view] = (union, re.compile("|".join(f"(?:{p.pattern})" for p in regexes), re.IGNORECASE))
    return out


@cache
def _checks(language: str) -> tuple[Check, ...]:
    """Each rule of ``language`` with its view and its required literals (None: always run)."""
    return tuple((rule, _view(rule), required_literals(rule.pattern) if isinstance(rule.pattern, re.Pattern) else None)
                 for rule in _rules_for(language))


# ``re`` matches these, ignoring case, as the ASCII letters i and s, while ``str.lower`` makes
# something else of them (İ -> i + U+0307, ı and ſ stay): in text without them, a literal that is
# not in the lower-cased text cannot be matched, ASCII or not (tests/test_engine_exact.py derives the
# three from ``re`` itself, over every code point).
_FOLDS_APART = re.compile("[\u0130\u0131\u017f]")
_CACHED_SPLIT = 256  # longer subjects are split without the memo (it would keep the text of long units alive)
_split_long: Callable[[str], str] = getattr(vocab.split_identifiers, "__wrapped__", vocab.split_identifiers)


def _split(text: str) -> str:
    return vocab.split_identifiers(text) if len(text) <= _CACHED_SPLIT else _split_long(text)


def _subject(unit: Unit, view: View, prefilter: tuple[frozenset[str] | None, re.Pattern[str] | None]
             ) -> tuple[str, str, bool]:
    """(text as the view sees it, or "" when no rule of the view can match; lower-cased;
    whether literal checks on the lower-cased text are exact)"""
    subject = unit.text if view[0] else unit.code
    subject = _split(subject) if view[1] else subject
    if not subject:
        return "", "", True
    foldable = subject.isascii() or not _FOLDS_APART.search(subject)
    lower = subject.lower() if foldable else ""
    literals, alternation = prefilter
    if literals is not None and foldable:
        if not any(lit in lower for lit in literals):
            return "", "", True
    elif alternation is not None and not alternation.search(subject):
        return "", "", True
    return subject, lower, foldable


_WRITES = (correlate_rules.FIN_WRITES[0], correlate_rules.QUAL_WRITES[0])


def _open(checks: tuple[Check, ...], full: set[str]) -> tuple[tuple[Check, ...], bool, bool]:
    """What is still worth looking for once the rules in ``full`` have all their evidence: the
    checks of rules that may still add evidence (a persistent rule also while a write correlation
    may: it needs to know the unit writes); whether a correlation may add any; whether a write may."""
    writes_open = any(rule_id not in full for rule_id in _WRITES)
    active = tuple(c for c in checks if c[0].id not in full or (c[0].persistent and writes_open))
    return active, any(rule_id not in full for rule_id in correlate_rules.YIELDS), writes_open


def scan_text(text: str, language: str, location: str, line_offset: int = 0) -> list[Finding]:
    """Run every rule for ``language`` over ``text``; evidence points at ``location``.

    Units are matched as they are split off, and only what the flows across lines need is kept
    (each unit's line and code). A rule id with :data:`MAX_EVIDENCE` pieces of evidence is not
    looked for again, a snippet is made only for evidence that is kept: on a long script (an
    INSERT dump) the later lines cost the few rules that have not found enough, not all of them.
    The result is the same as matching every rule on every unit."""
    checks = _checks(language)
    prefilters = _prefilters(language)
    collector = _Collector()
    flows = language in FLOW_LANGUAGES
    pairs: list[tuple[int, str]] = []  # (line, code) of every unit, for the flows
    shown: dict[int, str] = {}  # the text of a unit whose text is not its code (a comment), for flow evidence
    active, correlating, writes_open = checks, True, True
    full = 0
    for index, unit in enumerate(_windows(units(bound_runs(text), language))):  # bounded: no rule sees an endless line
        if flows:
            pairs.append((unit.line, unit.code))
            if unit.text != unit.code:
                shown[index] = unit.text
        if len(collector.full) != full:
            full = len(collector.full)
            active, correlating, writes_open = _open(checks, collector.full)
        hits: list[Rule] = []
        views: dict[View, tuple[str, str, bool]] = {}  # view -> (subject, lower, foldable); "" when nothing can match
        evidence: _Lazy | None = None
        for rule, key, literals in active:
            seen = views.get(key)
            if seen is None:
                views[key] = seen = _subject(unit, key, prefilters[key])
            subject, lower, foldable = seen
            if not subject:
                continue
            if literals is not None and foldable and not any(lit in lower for lit in literals):
                continue  # the rule cannot match: none of the words it needs is there
            if rule.pattern.search(subject):
                hits.append(rule)
                evidence = evidence or _Lazy(location, unit.line + line_offset, unit.text)
                collector.add(rule.id, rule.family, rule.title, rule.severity, evidence)
        if correlating and unit.code:
            for rule_id, family, title, severity, impact in correlate(unit.code, language, hits if writes_open else ()):
                evidence = evidence or _Lazy(location, unit.line + line_offset, unit.text)
                collector.add(rule_id, family, title, severity, evidence, impact)
    if flows:
        for rule_id, family, title, severity, impact, indexes in flow.analyse(pairs, text, language):
            for index in indexes:
                line, code = pairs[index]
                collector.add(rule_id, family, title, severity,
                              _Lazy(location, line + line_offset, shown.get(index, code)), impact)
    return collector.findings()


def scan_names(items: Iterable[tuple[str, str]]) -> list[Finding]:
    """Domain vocabulary in names: (location, name) pairs such as table and column names."""
    collector = _Collector()
    for location, name in items:
        split = vocab.split_identifiers(name)
        for rule in (FIN_TERM, QUAL_TERM):
            if rule.pattern.search(split):
                collector.add(rule.id, rule.family, rule.title, rule.severity,
                              Evidence(location, None, snippet(name)))
    return collector.findings()


def merge_findings(findings: Iterable[Finding]) -> list[Finding]:
    """One Finding per rule id across modules/parts; evidence concatenated and capped."""
    collector = _Collector()
    for finding in findings:
        for ev in finding.evidence:
            collector.add(finding.rule, finding.family, finding.title, finding.severity, ev, finding.impact)
    return collector.findings()

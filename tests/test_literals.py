"""The literal pre-check (issue 18) skips only searches that would have failed."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shadowscan.analyzers import vba
from shadowscan.rules import engine, flow
from shadowscan.rules.literals import Checked, required_literals

LANGUAGES = ("vba", "vbscript", "python", "powershell", "batch", "sql", "r", "xlm", "text")
PATTERNS = sorted({r.pattern.pattern: r.pattern for lang in LANGUAGES for r in engine._rules_for(lang)
                   if isinstance(r.pattern, re.Pattern)}.items())
PATTERNS += [(p.pattern, p) for _d, _l, _n, p in vba._SUSPICIOUS + vba._AUTOEXEC]
PATTERNS += [(c.pattern.pattern, c.pattern) for c in (flow._APPEND_ROW, flow._DATE_STEP, flow._RECORDSET_WRITE,
                                                       *flow._ISSUE.values(), *flow._RECORD.values())]
ROOT = Path(__file__).resolve().parent.parent


def _lines() -> list[str]:
    lines: list[str] = []
    # the demo share's sources, and the real-dev scripts where ../shared is present
    for folder in (ROOT / "samples", ROOT.parent / "shared" / "corpus" / "real-dev" / "scripts"):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix.lower() in (".bas", ".vbs", ".py", ".ps1", ".sql", ".r", ".bat", ".cls"):
                lines += path.read_text(encoding="utf-8", errors="replace").splitlines()
    return lines


def test_known_requirements():
    assert required_literals(re.compile(r"\bsendkeys\b", re.I)) == {"sendkeys"}
    assert required_literals(re.compile(r"\.saveas\b|\bkill\s", re.I)) == {".saveas", "kill"}
    assert required_literals(re.compile(r"(?i)\b\w+_Painted\b")) == {"_painted"}
    assert required_literals(re.compile(r"a?b|c")) is None  # one branch needs nothing usable
    assert required_literals(re.compile(r"(?:foo)*bar")) == {"bar"}  # a repeat that may be absent is no requirement


@pytest.mark.slow  # every real file of a corpus folder: `-m "not slow"` skips it
def test_every_match_contains_a_required_literal_on_real_code():
    lines = _lines()
    assert len(lines) > 300
    checked = 0
    for source, pattern in PATTERNS:
        literals = required_literals(pattern)
        if literals is None:
            continue
        for line in lines:
            if line.isascii() and pattern.search(line):
                checked += 1
                assert any(lit in line.lower() for lit in literals), (source, line)
    assert checked > 100


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_checked_search_agrees_with_the_pattern(data):
    _source, pattern = data.draw(st.sampled_from(PATTERNS))
    literals = sorted(required_literals(pattern) or {"x"})
    pieces = st.sampled_from(literals + [lit.upper() for lit in literals] +
                             [" ", "(", ")", "\"", "'", "=", ".", "_", "a", "1", "\\", ":", "/", "ſ", "K"])
    text = "".join(data.draw(st.lists(pieces, max_size=12)))
    assert bool(Checked(pattern).search(text)) == bool(pattern.search(text))


@pytest.mark.slow  # every real file of a corpus folder: `-m "not slow"` skips it
@pytest.mark.parametrize("language", ["vba", "python", "sql", "powershell"])
def test_scan_text_is_unchanged_by_the_pre_check(language, monkeypatch):
    """The engine with its literal pre-checks finds what it finds with them switched off."""
    text = "\n".join(_lines())
    fast = engine.scan_text(text, language, "x")
    monkeypatch.setattr(engine, "required_literals", lambda pattern: None)
    engine._prefilters.cache_clear()
    engine._checks.cache_clear()
    try:
        slow = engine.scan_text(text, language, "x")
    finally:
        engine._prefilters.cache_clear()
        engine._checks.cache_clear()
    assert fast == slow

"""Our keyword detectors give exactly what oletools' detect_suspicious/detect_autoexec give."""
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools import olevba

from shadowscan.analyzers.vba import detect_autoexec, detect_suspicious

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "src" / "vba"
WORDS = sorted({k for ks in olevba.SUSPICIOUS_KEYWORDS.values() for k in ks}
               | {k for ks in olevba.AUTOEXEC_KEYWORDS.values() for k in ks}
               | {"Shell", "ShellExecute", "Application.Run", "Sub", "AutoOpen", "Workbook_Open", "\b"})


def same(code: str) -> None:
    assert detect_suspicious(code) == olevba.detect_suspicious(code)
    assert detect_autoexec(code) == olevba.detect_autoexec(code)


def test_demo_modules_match_oletools():
    sources = sorted(SAMPLES.glob("*.bas"))
    assert len(sources) > 5
    for path in sources:
        same(path.read_text(encoding="utf-8"))


@pytest.mark.slow  # every real file of a corpus folder: `-m "not slow"` skips it
def test_corpus_modules_match_oletools(corpus):
    checked = 0
    for path in sorted((corpus / "excel").rglob("*.xls*")):
        try:
            parser = olevba.VBA_Parser(str(path))
            modules = [code for _, _, _, code in parser.extract_macros()] if parser.detect_vba_macros() else []
        except Exception:  # encrypted or broken files have their own tests
            continue
        for code in modules:
            same(code if isinstance(code, str) else code.decode("latin-1"))
            checked += 1
    assert checked > 20


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=8)), max_size=40).map(" ".join))
def test_any_mix_of_keywords_matches_oletools(code):
    same(code)

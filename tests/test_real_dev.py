"""The classifier on real tools written by people outside this project (../shared/corpus/real-dev).

Runs the product as a user runs it (crawl, JSON report) over the labelled development set
and prints the figures the README quotes. The same rules are measured on real tools we have
not seen, so nothing here is tuned to a file: see tests/test_generalisation.py.
"""
from __future__ import annotations

import importlib.util
import sys

import pytest
from conftest import CORPUS, REPO

pytestmark = pytest.mark.slow  # real servers, browsers or whole crawls: `-m "not slow"` skips them

REAL_DEV = CORPUS / "real-dev"


def _evaluate_module():
    spec = importlib.util.spec_from_file_location("evaluate", REPO / "scripts" / "evaluate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def result():
    if not (REAL_DEV / "LABELS.tsv").is_file():
        pytest.skip(f"real-world development set not found at {REAL_DEV}")
    return _evaluate_module().evaluate(REAL_DEV / "LABELS.tsv", REAL_DEV)


def test_figures_on_real_tools(result, capsys):
    with capsys.disabled():
        print("\n" + result.table("real-dev"))
        for miss in result.misses:
            print("  miss:", miss)
    assert result.scored >= 38
    assert result.accuracy >= 0.95, result.misses
    assert result.recall >= 0.95, result.misses
    assert result.precision >= 0.95, result.misses
    assert result.impact_rate >= 0.90


def test_every_high_risk_verdict_cites_a_line_table_or_query(result):
    assert result.without_evidence == []


def test_headlines_are_sentences_that_agree_with_the_class(result):
    from sentences import headline_problems

    bad = {p: (h, headline_problems(c, h)) for p, (c, h) in result.headlines.items() if headline_problems(c, h)}
    assert len(result.headlines) >= 38
    assert bad == {}

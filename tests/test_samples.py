"""Functional test: crawl the demo share and check every sample against samples/EXPECTED.json."""
import json

import pytest
from click.testing import CliRunner
from conftest import SAMPLES

from shadowscan.cli import main

pytestmark = pytest.mark.slow  # a whole crawl of the demo share, and its rebuild: `-m "not slow"` skips them

EXPECTED = json.loads((SAMPLES / "EXPECTED.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    runner = CliRunner()
    result = runner.invoke(main, ["--db", str(db), "crawl", str(SAMPLES / "share"), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["--db", str(db), "report", "-f", "json"])
    assert result.exit_code == 0, result.output
    return {a["relpath"]: a for a in json.loads(result.output)["artifacts"]}


def test_inventory_is_exactly_the_expected_artifacts(report):
    assert set(report) == set(EXPECTED["artifacts"])
    assert not set(report) & set(EXPECTED["not_inventoried"])


@pytest.mark.parametrize("relpath", sorted(EXPECTED["artifacts"]))
def test_sample(report, relpath):
    want, got = EXPECTED["artifacts"][relpath], report[relpath]
    assert got["status"] == want["status"], got["status_reason"]
    assert got["classification"] == want["classification"], got["reasons"]
    assert got["impacts"] == want["impacts"]
    assert got["reasons"], "every verdict cites its reasons"
    if want["status"] != "analyzed":
        assert got["status_reason"]
    by_rule = {f["rule"]: f for f in got["findings"]}
    for rule, snippet in want.get("evidence", {}).items():
        assert rule in by_rule, f"{relpath}: no {rule} finding"
        snippets = [e["snippet"] for e in by_rule[rule]["evidence"]]
        assert any(snippet in s for s in snippets), f"{relpath}: {snippet!r} not in {snippets}"


def test_no_secret_of_the_samples_leaks(report):
    text = json.dumps(report, ensure_ascii=False)
    for secret in ("Linie2!2023", "Kosten#2024", "Fr3igabe!", "Kal!br2024"):
        assert secret not in text


def test_committed_share_matches_its_generator():
    import subprocess
    import sys

    run = subprocess.run([sys.executable, str(SAMPLES / "build.py"), "--check"], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr

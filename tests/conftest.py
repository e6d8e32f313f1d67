"""Shared fixtures: where the real-world corpus is, and small helpers."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("SHADOWSCAN_CORPUS", REPO.parent / "shared" / "corpus"))
SAMPLES = REPO / "samples"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """../shared/corpus (present in CI); tests using it skip cleanly where it is absent."""
    if not (CORPUS / "MANIFEST.tsv").is_file():
        pytest.skip(f"real-world corpus not found at {CORPUS}")
    return CORPUS


def pytest_addoption(parser):
    parser.addoption("--soak", action="store_true", help="run the long soak variants (more kills, bigger trees)")


@pytest.fixture(scope="session")
def soak(request) -> bool:
    return bool(request.config.getoption("--soak"))


def crawl_and_report(tmp: Path, share: Path, formats: tuple[str, ...], out: Path, jobs: int = 2) -> Path:
    """Crawl ``share`` into ``tmp/inv.db`` with the real CLI and write ``formats`` to ``out``
    (several formats: ``out.<ext>`` each); returns ``out``."""
    from click.testing import CliRunner

    from shadowscan.cli import main

    db, runner = str(tmp / "inv.db"), CliRunner()
    result = runner.invoke(main, ["--db", db, "crawl", str(share), "--jobs", str(jobs), "--quiet"])
    assert result.exit_code == 0, result.output
    args = [a for f in formats for a in ("-f", f)]
    result = runner.invoke(main, ["--db", db, "report", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out

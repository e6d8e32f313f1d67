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


def pytest_collection_modifyitems(items):
    """A test on a real PostgreSQL server (the server fixture, or the PostgreSQL side of ``inventory`` or
    ``backend``)
    is slow like the other real-server tests: ``-m "not slow"`` leaves it out (the server's start
    alone costs seconds), the whole suite runs it."""
    for item in items:
        on_server = {"postgres", "pg_url"} & set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        if on_server or "postgresql" in (params.get("inventory"), params.get("backend")):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server for the session (tests/pgserver.py), stopped by PID at the end;
    skips with the reason where it cannot start."""
    from pgserver import PostgresServer, Unavailable

    try:
        server = PostgresServer().start()
    except Unavailable as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    yield server
    server.stop()


_DATABASES = iter(range(1, 1 << 30))


@pytest.fixture
def pg_url(postgres) -> str:
    """A fresh, empty PostgreSQL database on the session's server."""
    return postgres.create_database(f"inv{next(_DATABASES)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def inventory(request, tmp_path) -> str:
    """The --db of a new inventory, once an SQLite file and once a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "inv.db")
    return request.getfixturevalue("pg_url")

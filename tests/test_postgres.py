"""The PostgreSQL inventory against a real server (tests/pgserver.py): schema migrations on both
backends, passwords never shown, the crawl lease across processes, sites, and the same verdicts
as SQLite."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_cli import make_share

from shadowscan import migrations
from shadowscan.cli import main
from shadowscan.db import connect, display_name
from shadowscan.store import Store

REPO = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)))


def one_line_error(result):
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def test_an_inventory_written_by_the_previous_release_upgrades_in_place(tmp_path):
    """tests/data/schema-v2.sql is an inventory as main wrote it (schema 2): `db upgrade` applies
    migrations 3-5, keeps every crawl, verdict and registry entry, and a second run has nothing to do."""
    db = tmp_path / "v2.db"
    con = sqlite3.connect(db)
    con.executescript((Path(__file__).parent / "data" / "schema-v2.sql").read_text())
    con.close()
    assert run("--db", db, "db", "version").output.startswith("schema 2 ")
    result = run("--db", db, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "Applied migration 3" in result.output and "Applied migration 4" in result.output
    assert f"from schema 2 to {migrations.SCHEMA_VERSION}" in result.output
    assert "up to date" in run("--db", db, "db", "upgrade").output
    report = json.loads(run("--db", db, "report", "-f", "json").output)
    (artifact,) = report["artifacts"]
    assert artifact["relpath"] == "q/reject.py" and artifact["classification"] == "shadow-it"
    assert [(e["id"], e["owner"]) for e in report["registry"]] == [(1, "Anna Nowak")]
    listing = run("--db", db, "crawls").output
    assert "finished" in listing and "1 artifact" in listing
    con = sqlite3.connect(db)
    assert [r[0] for r in con.execute("SELECT version FROM schema_migrations ORDER BY version")] == [3, 4, 5]
    assert {"site", "listed", "heartbeat"} <= {r[1] for r in con.execute("PRAGMA table_info(crawls)")}


def test_a_postgresql_inventory_of_an_older_schema_upgrades(tmp_path, pg_url):
    """A PostgreSQL inventory at schema 2 (the baseline) takes the later migrations in place."""
    db = connect(pg_url)
    migrations.upgrade(db, to=2)
    db.close()
    with Store(pg_url, upgrade=False) as store:
        assert store.schema_version() == 2
    assert run("--db", pg_url, "db", "upgrade").exit_code == 0
    with Store(pg_url, readonly=True) as store:
        assert store.schema_version() == migrations.SCHEMA_VERSION
    share = make_share(tmp_path / "share")
    assert run("--db", pg_url, "crawl", share, "-q", "-j", "1", "--site", "Plant A").exit_code == 0
    assert "up to date" in run("--db", pg_url, "db", "upgrade").output


def test_a_password_in_the_url_is_never_shown(tmp_path, postgres, pg_url):
    """The server trusts the account, so a password in the URL is accepted; it never appears in a
    message, the summary, a report, or the inventory. An unreachable server is one line without it."""
    secret = "Zq8-Secret-Pw"
    parts = urllib.parse.urlsplit(pg_url)
    with_password = parts._replace(netloc=f"{parts.username}:{secret}@{parts.hostname}:{parts.port}").geturl()
    assert secret not in display_name(with_password) and "***" in display_name(with_password)
    share = make_share(tmp_path / "share")
    result = run("--db", with_password, "crawl", share, "-j", "1", "--report", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    assert secret not in result.output and "Inventory: postgresql://shadowscan:***@" in result.output
    assert secret not in (tmp_path / "r.json").read_text()
    db = connect(pg_url, readonly=True)
    try:
        for table in db.tables():
            assert secret not in json.dumps([list(r) for r in db.execute(f"SELECT * FROM {table}").fetchall()],
                                            default=str)
    finally:
        db.close()
    closed = f"postgresql://shadowscan:{secret}@127.0.0.1:1/postgres"
    for args in (("report",), ("crawl", share), ("crawls",), ("db", "upgrade")):
        line = one_line_error(run("--db", closed, *args))
        assert secret not in line and "127.0.0.1" in line, line
    missing = parts._replace(netloc=f"{parts.username}:{secret}@{parts.hostname}:{parts.port}",
                             path="/no_such_db").geturl()
    line = one_line_error(run("--db", missing, "report"))
    assert secret not in line and "no_such_db" in line


def test_report_on_an_empty_postgresql_database_refuses(pg_url):
    line = one_line_error(run("--db", pg_url, "report"))
    assert "no inventory at postgresql://" in line and "shadowscan crawl PATH" in line


CRAWLER = """
import sys, time
from shadowscan.store import Store
store = Store(sys.argv[1])
print(store.begin_crawl([sys.argv[2]], {}, site="Plant A"), flush=True)
time.sleep(120)
"""


@pytest.mark.slow
def test_the_crawl_lease_holds_while_the_crawler_lives_and_goes_with_it(tmp_path, pg_url):
    """A crawler process holds its root's lease in PostgreSQL: a second crawl of the root (or of a
    folder inside it) is refused with one line naming the crawl; after kill -9 of the crawler the
    server drops the lease, the old crawl shows as stopped, and the root can be crawled again."""
    share = make_share(tmp_path / "share")
    crawler = subprocess.Popen([sys.executable, "-c", CRAWLER, pg_url, str(share)], env=ENV,
                               stdout=subprocess.PIPE, text=True)
    try:
        crawl_id = int(crawler.stdout.readline())
        line = one_line_error(run("--db", pg_url, "crawl", share / "Quality", "-q"))
        assert f"crawl {crawl_id} of {share} is still running (process {crawler.pid} on " in line
        assert "site Plant A" in line
        listing = run("--db", pg_url, "crawls").output
        assert "running" in listing and "Plant A@" in listing
    finally:
        os.kill(crawler.pid, signal.SIGKILL)
        crawler.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "running" in run("--db", pg_url, "crawls").output:
        time.sleep(0.1)  # the server notices the closed connection
    assert "stopped" in run("--db", pg_url, "crawls").output
    result = run("--db", pg_url, "crawl", share, "-q", "-j", "1")
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_sites_and_the_estate_across_backends_give_the_same_verdicts(tmp_path, pg_url):
    """Two sites crawled into one PostgreSQL inventory: `crawls --site` and `report --site` show one
    site, the estate both; every verdict equals the SQLite crawl of the same trees."""
    samples = REPO / "samples" / "share"
    lite = str(tmp_path / "inv.db")
    for db in (lite, pg_url):
        for site, folder in (("Plant A", "Quality"), ("Plant B", "Finance")):
            result = run("--db", db, "crawl", samples / folder, "-q", "-j", "2", "--site", site)
            assert result.exit_code in (0, 1), result.output

    def verdicts(db, *args):
        report = json.loads(run("--db", db, "report", "-f", "json", *args).output)
        return sorted((a["path"], a["classification"], a["status"], tuple(a["impacts"]), a["risk_score"],
                       tuple(sorted(f["rule"] for f in a["findings"]))) for a in report["artifacts"])

    assert verdicts(pg_url) == verdicts(lite) and len(verdicts(pg_url)) > 5
    plant_a = verdicts(pg_url, "--site", "Plant A")
    assert plant_a == verdicts(lite, "--site", "Plant A") and plant_a
    assert all("/Quality/" in path for path, *_ in plant_a)
    listing = run("--db", pg_url, "crawls", "--site", "Plant B").output.splitlines()
    assert len(listing) == 1 and "Plant B@" in listing[0] and "Finance" in listing[0]
    line = one_line_error(run("--db", pg_url, "report", "--site", "Plant C"))
    assert "no crawl of site 'Plant C'" in line and "Plant A" in line


@pytest.mark.slow
def test_the_readme_postgresql_block_runs_as_written(tmp_path, pg_url):
    """The README's `runs-with-postgresql` block, in one bash session from a folder laid out like a
    clone (samples/, .venv on PATH), with SHADOWSCAN_DB pointing at the test server."""
    import re

    text = (REPO / "README.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"<!-- runs-with-postgresql -->\s*```sh\n(.*?)```", text, re.S)
    (tmp_path / "samples").symlink_to(REPO / "samples")
    (tmp_path / "out").mkdir()
    env = {**ENV, "SHADOWSCAN_DB": pg_url, "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    out = subprocess.run(["bash", "-c", "set -eo pipefail\n" + block], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Plant-A@" in out.stdout and "Plant-B@" in out.stdout
    estate = json.loads((tmp_path / "out" / "estate.json").read_text())
    assert estate["summary"]["coverage_complete"] and estate["summary"]["total"] > 5
    assert (tmp_path / "out" / "plant-a.html").is_file()
    assert out.stderr.count("Worker stopped") == 2


def test_queue_and_worker_need_postgresql(tmp_path):
    """An SQLite inventory is one machine's: --queue and worker refuse it in one line, before any work."""
    share = make_share(tmp_path / "share")
    db = tmp_path / "inv.db"
    line = one_line_error(run("--db", db, "crawl", share, "--queue"))
    assert "--queue needs a PostgreSQL inventory" in line and not db.exists()
    line = one_line_error(run("--db", db, "worker"))
    assert "a worker needs the PostgreSQL inventory" in line


def test_hostile_file_names_and_content_store_alike_on_both_backends(tmp_path, pg_url):
    """Undecodable bytes, a backslash and a newline in names, NUL bytes in content: PostgreSQL stores
    (and re-crawls) them exactly as SQLite does; nothing refused, nothing collapsed into one."""
    root = os.fsencode(tmp_path / "share")
    os.makedirs(root + b"/q")
    files = {b"/q/Kosten\xff.py": b'cn.execute("UPDATE Costs SET price = 1")\n',
             b"/q/Kosten\\xff.py": b'print("a different file")\n',
             b"/q/new\nline.vbs": b'Set cn = CreateObject("ADODB.Connection")\x00\ncn.Execute "DELETE FROM Lots"\n',
             b"/q/nul.py": b"x = 1\x00\x00 import pyodbc\n"}
    for name, data in files.items():
        with open(root + name, "wb") as out:
            out.write(data)
    share = os.fsdecode(root)
    lite = str(tmp_path / "inv.db")

    def rows(db):
        report = json.loads(run("--db", db, "report", "-f", "json").output)
        return sorted((a["path"], a["status"], a["status_reason"], a["classification"]) for a in report["artifacts"])

    for db in (lite, pg_url):
        assert run("--db", db, "crawl", share, "-q", "-j", "1").exit_code == 0
    assert rows(pg_url) == rows(lite) and len(rows(pg_url)) == 4
    assert run("--db", pg_url, "crawl", share, "-q", "-j", "1").exit_code == 0  # re-crawl reuses them
    report = json.loads(run("--db", pg_url, "report", "-f", "json").output)
    assert {a["change"] for a in report["artifacts"]} == {"unchanged"}


def test_prune_keeps_the_newest_crawls_on_both_backends(tmp_path, inventory):
    share = make_share(tmp_path / "share")
    for text in ("x = 1\n", "x = 2\n", "x = 3\n"):
        (share / "Production" / "tool.py").write_text(text + "import pandas as pd\n")
        assert run("--db", inventory, "crawl", share, "-q", "-j", "1").exit_code == 0
    result = run("--db", inventory, "prune", "--keep", "1")
    assert result.exit_code == 0 and "Removed 2 crawls (1, 2)" in result.output, result.output
    assert [line.split()[0] for line in run("--db", inventory, "crawls").output.splitlines()] == ["3"]
    report = json.loads(run("--db", inventory, "report", "-f", "json").output)
    assert report["crawl"]["id"] == 3 and report["summary"]["total"] == 4
    assert "Nothing to prune" in run("--db", inventory, "prune", "--keep", "1").output

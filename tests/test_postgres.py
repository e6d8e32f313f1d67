"""The PostgreSQL inventory against a real server (tests/pgserver.py): schema migrations on both
backends, passwords never shown, the crawl lease across processes, sites, and the same verdicts
as SQLite."""
import contextlib
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
from shadowscan.roots import canonical
from shadowscan.scan import CrawlOptions, run_crawl
from shadowscan.store import Store

REPO = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)))


def one_line_error(result):
    lines = [line for line in result.output.strip().splitlines() if not line.startswith("Warning: ")]
    assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def test_an_inventory_written_by_the_previous_release_upgrades_in_place(tmp_path):
    """tests/data/schema-v2.sql is an inventory as main wrote it (schema 2): `db upgrade` applies
    migrations 3-6, keeps every crawl, verdict and registry entry, and a second run has nothing to do."""
    db = tmp_path / "v2.db"
    con = sqlite3.connect(db)
    con.executescript((Path(__file__).parent / "data" / "schema-v2.sql").read_text())
    con.close()
    assert run("--db", db, "db", "version").output.startswith("schema 2 ")
    before = json.loads(run("--db", db, "report", "-f", "json").output)  # read as it is, not upgraded
    result = run("--db", db, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "Applied migration 3" in result.output and "Applied migration 4" in result.output
    assert f"from schema 2 to {migrations.SCHEMA_VERSION}" in result.output
    assert "up to date" in run("--db", db, "db", "upgrade").output
    report = json.loads(run("--db", db, "report", "-f", "json").output)
    (artifact,) = report["artifacts"]
    assert artifact["relpath"] == "q/reject.py" and artifact["classification"] == "shadow-it"
    # schema 6 keeps the analyzer's findings apart from the judgement's: the report shows the same ones, in order
    assert artifact["findings"] == before["artifacts"][0]["findings"]
    assert {f["family"] for f in artifact["findings"]} >= {"governance", "quality"}
    assert [(e["id"], e["owner"]) for e in report["registry"]] == [(1, "Anna Nowak")]
    listing = run("--db", db, "crawls").output
    assert "finished" in listing and "1 artifact" in listing
    con = sqlite3.connect(db)
    assert [r[0] for r in con.execute("SELECT version FROM schema_migrations ORDER BY version")] == \
        list(range(3, migrations.SCHEMA_VERSION + 1))
    assert {r[0] for r in con.execute("SELECT family FROM findings")} == {"governance"}
    assert "governance" not in {r[0] for r in con.execute("SELECT family FROM analysis_findings")}
    assert {"site", "listed", "heartbeat"} <= {r[1] for r in con.execute("PRAGMA table_info(crawls)")}


UPGRADER = """
import os, sys, time
while not os.path.exists(sys.argv[2]):
    time.sleep(0.001)
from shadowscan.store import Store
with Store(sys.argv[1]) as store:
    print(store.schema_version())
"""


@pytest.mark.slow
def test_processes_upgrading_one_old_sqlite_inventory_at_once_all_succeed(tmp_path):
    """Four crawlers opening a schema-2 inventory together: one applies each migration, the others
    wait for it and find it done (no 'duplicate column', no 'database is locked'), repeated."""
    for attempt in range(3):
        db, gate = tmp_path / f"v2-{attempt}.db", tmp_path / f"go-{attempt}"
        con = sqlite3.connect(db)
        con.executescript((Path(__file__).parent / "data" / "schema-v2.sql").read_text())
        con.close()
        procs = [subprocess.Popen([sys.executable, "-c", UPGRADER, str(db), str(gate)], env=ENV,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
        time.sleep(1.0)  # all four started and waiting at the gate
        gate.touch()
        outs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0] * 4, outs
        assert {out.strip() for out, _ in outs} == {str(migrations.SCHEMA_VERSION)}
        con = sqlite3.connect(db)
        assert [r[0] for r in con.execute("SELECT version FROM schema_migrations ORDER BY version")] == \
            list(range(3, migrations.SCHEMA_VERSION + 1))
        con.close()


@pytest.mark.slow
def test_db_upgrade_creates_the_schema_of_an_empty_database(tmp_path, inventory):
    """The README's set-up step: `db upgrade` on a database just created (PostgreSQL: createdb; SQLite:
    no file yet) makes the whole schema, says it created an inventory, and the first crawl stores into it."""
    result = run("--db", inventory, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert result.output == f"Created the inventory {display_name(inventory)} (schema {migrations.SCHEMA_VERSION}).\n"
    with Store(inventory, readonly=True) as store:
        assert store.schema_version() == migrations.SCHEMA_VERSION
    assert "up to date" in run("--db", inventory, "db", "upgrade").output
    crawled = run("--db", inventory, "crawl", make_share(tmp_path / "share"), "-q", "-j", "1")
    assert crawled.exit_code == 0, crawled.output


def test_a_postgresql_user_who_may_only_read_is_refused_before_the_crawl(tmp_path, pg_url):
    """A database user granted SELECT only: reports work, every command that writes is refused in one
    line saying so (the crawl never starts, exit 2), not with 'permission denied for table' mid-crawl."""
    share = make_share(tmp_path / "share")
    assert run("--db", pg_url, "crawl", share, "-q", "-j", "1").exit_code == 0
    db = connect(pg_url)
    db.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'reader') THEN "
               "CREATE ROLE reader LOGIN; END IF; END $$")
    db.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")
    db.commit()
    db.close()
    reader = pg_url.replace("postgresql://shadowscan@", "postgresql://reader@")
    for args in (("crawl", share), ("prune", "--keep", "1"), ("registry", "remove", "1")):
        line = one_line_error(run("--db", reader, *args))
        assert line.startswith(f"Error: the inventory {reader} is read-only for this user: the database user may "
                               "not write its tables"), line
    assert json.loads(run("--db", reader, "report", "-f", "json").output)["summary"]["total"] == 3
    with Store(pg_url, readonly=True) as store:
        assert [c["id"] for c in store.crawls()] == [1]


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


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_6_stores_the_analysis_apart_and_reports_the_same_findings(tmp_path, backend, request):
    """An inventory at schema 5 with a crawl (tests/data/schema-v2.sql's, copied row by row into
    PostgreSQL) takes migration 6 in place: the analyzer's findings move to analysis_findings, the
    judgement's stay, and every report format shows the same findings in the same order."""
    v2 = sqlite3.connect(tmp_path / "v2.db")
    v2.executescript((Path(__file__).parent / "data" / "schema-v2.sql").read_text())
    v2.row_factory = sqlite3.Row
    target = str(tmp_path / "v2.db") if backend == "sqlite" else request.getfixturevalue("pg_url")
    db = connect(target)
    migrations.upgrade(db, to=5)
    if backend == "postgresql":
        for table in ("crawls", "crawl_roots", "versions", "members", "findings"):
            for row in v2.execute(f"SELECT * FROM {table}"):
                db.execute(f"INSERT INTO {table} ({', '.join(row.keys())}) VALUES ({', '.join('?' * len(row))})",
                           tuple(row))
            if table in ("crawls", "versions", "findings"):  # the copied ids are taken: identities go on after them
                db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        db.commit()
    db.close()
    before = {fmt: run("--db", target, "report", "-f", fmt).output for fmt in ("json", "csv", "sarif")}
    assert json.loads(before["json"])["artifacts"][0]["findings"][-1]["rule"] == "governance.no-owner"
    result = run("--db", target, "db", "upgrade")
    assert result.exit_code == 0 and "Applied migration 6" in result.output, result.output
    after = {fmt: run("--db", target, "report", "-f", fmt).output for fmt in ("json", "csv", "sarif")}
    assert json.loads(after["json"])["artifacts"] == json.loads(before["json"])["artifacts"]
    assert after["csv"] == before["csv"]
    assert json.loads(after["sarif"])["runs"][0]["results"] == json.loads(before["sarif"])["runs"][0]["results"]
    db = connect(target)
    try:
        assert [r[0] for r in db.execute("SELECT family FROM findings")] == ["governance"]
        assert [r[0] for r in db.execute("SELECT rule FROM analysis_findings ORDER BY id")] == [
            "reach.database", "reach.qms-mes", "quality.term", "writes.sql", "quality.writes", "quality.decision"]
        assert [tuple(r) for r in db.execute("SELECT v.status, a.status, a.fingerprint = v.fingerprint FROM versions v "
                                             "JOIN analyses a ON a.id = v.analysis_id")] == [("analyzed", "analyzed", True)]
    finally:
        db.close()
    share = make_share(tmp_path / "share")  # a crawl stores into the upgraded inventory as usual
    crawled = run("--db", target, "crawl", share, "-q", "-j", "1")
    assert crawled.exit_code == 0, crawled.output


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


def test_no_shape_of_password_in_the_url_is_shown_or_stored(tmp_path, postgres, pg_url):
    """A password with a space, ``sslpassword`` and ``PassWord`` query keys, an upper-case scheme: the
    server (trust) accepts them; none appears on stderr/stdout, in a --debug traceback or in the
    inventory, and a one-line warning points at PGPASSWORD/~/.pgpass."""
    parts = urllib.parse.urlsplit(pg_url)
    secrets = ["S3cret PW", "S3cret%20PW", "K3yPass", "Qu3ryPw"]
    shapes = [f"postgresql://{parts.username}:S3cret%20PW@{parts.hostname}:{parts.port}{parts.path}?sslpassword=K3yPass",
              f"POSTGRESQL://{parts.username}:S3cret%20PW@{parts.hostname}:{parts.port}{parts.path}",
              f"Postgres://{parts.username}@{parts.hostname}:{parts.port}{parts.path}?password=Qu3ryPw"]
    share = make_share(tmp_path / "share")
    for url in shapes:
        result = run("--db", url, "crawl", share, "-q", "-j", "1")
        assert result.exit_code == 0, result.output
        listing = run("crawls", "--db", url)
        assert listing.exit_code == 0 and "finished" in listing.output, listing.output
        for output in (result.output, listing.output):
            assert not any(secret in output for secret in secrets), output
            assert output.count("Warning: the --db URL carries a password") == 1
            assert "PGPASSWORD or ~/.pgpass" in output
        closed = url.replace(f":{parts.port}/", ":1/")
        line = one_line_error(run("--db", closed, "crawls"))
        assert not any(secret in line for secret in secrets) and "127.0.0.1" in line, line
        debug = run("--debug", "--db", closed, "crawls")
        assert debug.exit_code == 2 and "Traceback" in debug.output, debug.output
        assert not any(secret in debug.output for secret in secrets), debug.output
    for refused in (f"postgresql://{parts.username}:S3cret PW@{parts.hostname}:{parts.port}{parts.path}"
                    "?sslpassword=K3yPass",  # libpq refuses the space, quoting the password
                    f"postgresql://{parts.username}@{parts.hostname}:{parts.port}{parts.path}?PassWord=Qu3ryPw"):
        line = one_line_error(run("--db", refused, "crawls"))
        assert not any(secret in line for secret in secrets) and "postgresql://shadowscan" in line, line
    assert "Warning" not in run("--db", pg_url, "crawls").output  # no password, no warning
    db = connect(pg_url, readonly=True)
    try:
        stored = json.dumps([[list(r) for r in db.execute(f"SELECT * FROM {t}").fetchall()] for t in db.tables()],
                            default=str)
    finally:
        db.close()
    assert "finished" in stored and not any(secret in stored for secret in secrets)


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
    db = connect(inventory)  # the analyses only pruned versions judged went with them, and their findings
    try:
        assert [tuple(r) for r in db.execute(
            "SELECT (SELECT COUNT(*) FROM analyses), (SELECT COUNT(DISTINCT analysis_id) FROM versions), "
            "(SELECT COUNT(*) FROM analysis_findings WHERE analysis_id NOT IN (SELECT id FROM analyses))")] == [(4, 4, 0)]
    finally:
        db.close()


def test_crawl_leases_of_two_inventories_on_one_server_are_apart(postgres, pg_url):
    """Advisory locks are server-wide: a live crawl 1 in one database, or in another schema of the
    same database, must not make a dead crawl 1 of another inventory look alive."""
    other = postgres.create_database("leases_other")
    holder = connect(pg_url)
    try:
        holder.hold_crawl_lease(1)
        holder.commit()
        assert holder.live_crawls([{"id": 1}]) == {1}
        for url in (other, pg_url + "?options=-csearch_path%3Dsite_b"):
            if "site_b" in url:
                holder.script("CREATE SCHEMA site_b")
            db = connect(url)
            try:
                assert db.live_crawls([{"id": 1}]) == set(), url
                db.hold_crawl_lease(1)
                assert db.live_crawls([{"id": 1}]) == {1}
            finally:
                db.close()
    finally:
        holder.close()


def test_a_crawl_that_lost_its_lease_stops_with_the_reason(tmp_path, pg_url):
    """The connection has TCP keepalives (a dead host's lease goes in ~90 s, not ~2 h); a crawler whose
    session was cut (server restart, network) notices at its next heartbeat and stops, saying why."""
    from shadowscan.store import LeaseLost

    store = Store(pg_url)
    try:
        params = store.db.conn.info.get_parameters()
        assert (params["keepalives"], params["keepalives_idle"], params["keepalives_count"]) == ("1", "60", "3")
        if store.db.conn.info.server_version >= 140000:
            assert store.db.execute("SHOW client_connection_check_interval").fetchone()[0] == "10s"
        crawl_id = store.begin_crawl([str(tmp_path)], {})
        store.progress(crawl_id, 1, 0)  # holds it
        store.commit()
        killer = connect(pg_url)
        killer.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'shadowscan' "
                       "AND pid != pg_backend_pid() AND datname = current_database()")
        killer.commit()
        with pytest.raises(LeaseLost, match=f"crawl {crawl_id} lost its lease"):
            store.progress(crawl_id, 2, 0)
        assert crawl_id not in killer.live_crawls([{"id": crawl_id}])
        killer.close()
    finally:
        with contextlib.suppress(Exception):
            store.close()


def test_a_queue_made_by_another_procrastinate_schema_is_refused(tmp_path, pg_url):
    """Migration 5 records the schema level of the procrastinate that created the queue; a worker or
    a queued crawl whose procrastinate has another level refuses in one line instead of using tables
    it does not know. An inventory from before the record gets the installed level."""
    share = make_share(tmp_path / "share")
    Store(pg_url).close()
    db = connect(pg_url)
    try:
        (level,) = db.execute("SELECT value FROM meta WHERE key = 'queue_schema'").fetchone()
        assert level == migrations.queue_schema_level() and "(procrastinate 3." in level
        db.execute("UPDATE meta SET value = '02.06.00_01_pre_x (procrastinate 2.15.0)' WHERE key = 'queue_schema'")
        db.commit()
        for args in (("worker", "--until-empty"), ("crawl", share, "--queue", "-q")):
            line = one_line_error(run("--db", pg_url, *args))
            assert "has the schema of 02.06.00_01_pre_x (procrastinate 2.15.0)" in line, line
            assert level in line
        db.execute("DELETE FROM meta WHERE key = 'queue_schema'")
        db.commit()
        result = run("--db", pg_url, "worker", "--until-empty")
        assert result.exit_code == 0, result.output
        assert db.execute("SELECT value FROM meta WHERE key = 'queue_schema'").fetchone()[0] == level
    finally:
        db.close()


def test_a_worker_whose_session_was_cut_reconnects(pg_url):
    """After the inventory restarted (here: the worker's session terminated by the server), a worker's
    next file and its job's retry run on a new connection instead of failing for good."""
    from shadowscan.queue import Worker
    from shadowscan.sources import SourceOptions

    worker = Worker(pg_url, SourceOptions())
    try:
        killer = connect(pg_url)
        killer.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'shadowscan' "
                       "AND pid != pg_backend_pid() AND datname = current_database()")
        killer.commit()
        killer.close()
        with pytest.raises(Exception, match="terminat|closed|server"):
            worker.store.pending_count(1)
        assert worker.store.db.broken
        worker.reconnect()
        assert not worker.store.db.broken and worker.store.pending_count(1) == 0
    finally:
        worker.close()


class RacingStore(Store):
    """A crawl's store that runs ``shadowscan prune --keep 1`` (a process of its own, on the same
    inventory) at the moment the crawl has looked up a stored version to reuse and not yet referenced
    it: the interleaving the review found (prune deleted the previous crawl, and with it the version,
    and the crawl then failed on a foreign key), made certain instead of left to timing."""

    def __init__(self, target, *prune_args):
        super().__init__(target)
        self.prune_args = prune_args
        self.pruner = None
        self.waited = ""

    def add(self, crawl_id, artifact, change="new", engine="", commit=True, stored=None, replace=True):
        if stored is not None and self.pruner is None:
            self.commit()  # a crawl commits at least every 0.5 s: its rows so far are in
            self.pruner = subprocess.Popen(
                [sys.executable, "-m", "shadowscan.cli", "--db", self.target, "prune", "--keep", "1", *self.prune_args],
                env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if "--wait" in self.prune_args:  # the crawl goes on once prune has said that it waits for it
                self.waited = self.pruner.stderr.readline()
            else:  # refused at once, or (before the fix) done before the crawl goes on
                self.pruner.wait(timeout=120)
        return super().add(crawl_id, artifact, change, engine, commit, stored, replace)


def crawl_beside_prune(tmp_path, inventory, *prune_args):
    """Two crawls of a share, then a third with prune run in the middle: (crawl result, prune's
    exit status, stdout, stderr)."""
    share = make_share(tmp_path / "share")
    for _ in range(2):
        assert run("--db", inventory, "crawl", share, "-q", "-j", "1").exit_code == 0
    with RacingStore(inventory, *prune_args) as store:
        result = run_crawl([canonical(str(share))], store, CrawlOptions(jobs=1))
        pruner = store.pruner
    assert pruner is not None, "the crawl reused no stored version"
    out, err = pruner.communicate(timeout=120)
    return result, pruner.returncode, out, store.waited + err


@pytest.mark.slow  # runs the real CLI in other processes, or hundreds of generated inputs
def test_prune_refuses_while_a_crawl_runs_and_the_crawl_loses_nothing(tmp_path, inventory):
    result, status, out, err = crawl_beside_prune(tmp_path, inventory)
    assert result.complete and result.changes["unchanged"] == 3 and result.total == 3, result
    (line,) = err.strip().splitlines()
    assert status == 2 and not out, err
    assert line.startswith("Error: crawl 3 of ") and "is running: prune deletes stored versions" in line, line
    assert "nothing removed" in line and "--wait" in line, line
    db = connect(inventory)  # (members has no foreign key: before the fix, crawl 3's rows pointed at deleted versions)
    try:
        assert [tuple(r) for r in db.execute(
            "SELECT (SELECT COUNT(*) FROM members WHERE version_id NOT IN (SELECT id FROM versions)), "
            "(SELECT COUNT(*) FROM members WHERE crawl_id = 3)")] == [(0, 3)]
    finally:
        db.close()
    report = json.loads(run("--db", inventory, "report", "-f", "json").output)
    assert report["crawl"]["id"] == 3 and report["summary"]["total"] == 3
    assert {a["change"] for a in report["artifacts"]} == {"unchanged"}
    pruned = run("--db", inventory, "prune", "--keep", "1")  # the crawl has ended: prune runs
    assert pruned.exit_code == 0 and "Removed 2 crawls (1, 2)" in pruned.output, pruned.output
    assert json.loads(run("--db", inventory, "report", "-f", "json").output)["summary"]["total"] == 3


@pytest.mark.slow  # runs the real CLI in other processes, or hundreds of generated inputs
def test_prune_with_wait_prunes_once_the_running_crawl_has_ended(tmp_path, inventory):
    result, status, out, err = crawl_beside_prune(tmp_path, inventory, "--wait", "60")
    assert result.complete and result.total == 3, result
    assert status == 0 and "Removed 2 crawls (1, 2)" in out, (out, err)
    assert "crawl 3 of " in err and "is running: waiting for it to end (up to 60 s) before pruning" in err, err
    report = json.loads(run("--db", inventory, "report", "-f", "json").output)
    assert report["crawl"]["id"] == 3 and report["summary"]["total"] == 3
    assert [line.split()[0] for line in run("--db", inventory, "crawls").output.splitlines()] == ["3"]

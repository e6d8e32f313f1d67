"""Issue 15: what a crawl could not look into (a root it could not open, a folder it could not list,
a folder link it does not follow) is a record of its own, not an artifact: stored per crawl in
``unscanned`` (migration 7 moves the folder rows of older inventories over), counted by coverage,
and shown by every report format."""
import csv
import io
import json

import openpyxl
import pytest
from click.testing import CliRunner
from test_distributed import shadowscan, stop, workers

from shadowscan import migrations
from shadowscan.cli import main
from shadowscan.db import connect
from shadowscan.store import Store

FOLDER_REASON = "cannot list folder: Permission denied"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def schema_5_with_an_unlistable_folder(target: str) -> None:
    """An inventory as shadowscan wrote it at schema 5: one crawl whose root held an analysed script and
    a folder it could not list, stored as an artifact of kind ``folder`` (the one way it knew)."""
    db = connect(target)
    migrations.upgrade(db, to=5)
    db.execute("INSERT INTO crawls (id, started, finished, state, roots, options, seconds) VALUES "
               "(1, '2026-11-29T23:00:00+00:00', '2026-11-29T23:00:01+00:00', 'finished', '[\"/srv/share\"]', '{}', 1)")
    db.execute("INSERT INTO crawl_roots (crawl_id, root, state, unlisted) VALUES (1, '/srv/share', 'partial', 1)")
    common = ("classification, impacts, risk_score, factors, action, facts, registry, engine, digest")
    for n, (relpath, kind, fmt, status, reason) in enumerate((
            ("q/chart.py", "script", "py", "analyzed", ""), ("closed", "folder", "", "unreadable", FOLDER_REASON)), 1):
        db.execute(f"INSERT INTO versions (id, path, root, relpath, kind, format, size, mtime, status, status_reason, "
                   f"reasons, {common}) VALUES (?, ?, '/srv/share', ?, ?, ?, 0, 0, ?, ?, '[]', 'unknown', '[]', 0, '[]', "
                   f"'review by hand', '{{}}', '{{}}', 'old', ?)",
                   (n, f"/srv/share/{relpath}", relpath, kind, fmt, status, reason, f"d{n}"))
        db.execute("INSERT INTO members (crawl_id, version_id, change) VALUES (1, ?, 'new')", (n,))
    db.execute("INSERT INTO findings (artifact_id, rule, family, title, severity, evidence) VALUES "
               "(2, 'governance.no-owner', 'governance', 'No registered business owner', 'medium', '[]')")
    db.commit()
    db.close()


def test_migration_7_moves_folder_artifacts_to_their_own_records(inventory):
    schema_5_with_an_unlistable_folder(inventory)
    result = run("--db", inventory, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "Applied migration 7" in result.output
    with Store(inventory, readonly=True) as store:
        assert store.schema_version() == migrations.SCHEMA_VERSION
        (part,) = store.unscanned(1)
        assert (part.path, part.root, part.relpath, part.status.value, part.reason) == (
            "/srv/share/closed", "/srv/share", "closed", "unreadable", FOLDER_REASON)
        assert [r["relpath"] for r in store.artifacts(1)] == ["q/chart.py"]
        assert store.db.execute("SELECT COUNT(*) FROM versions WHERE kind = 'folder'").fetchone()[0] == 0
        assert store.db.execute("SELECT COUNT(*) FROM findings").fetchone()[0] == 0  # the folder's finding went too
        assert store.coverage(1)[0]["unlisted"] == 1
    report = json.loads(run("--db", inventory, "report", "-f", "json").output)
    assert [a["relpath"] for a in report["artifacts"]] == ["q/chart.py"] and report["summary"]["total"] == 1
    assert [(u["relpath"], u["status"], u["reason"]) for u in report["unscanned"]] == [
        ("closed", "unreadable", FOLDER_REASON)]
    assert "1 folder could not be listed" in report["coverage"]["statement"]
    assert "up to date" in run("--db", inventory, "db", "upgrade").output


def test_a_root_and_a_folder_link_not_scanned_in_every_format(tmp_path):
    """A root that cannot be opened makes the crawl exit 3 and is shown as not scanned; a folder link out
    of the root is recorded (unsupported) without making coverage incomplete; neither is an artifact."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "inner.py").write_text("print(1)\n")
    share = tmp_path / "share"
    share.mkdir()
    (share / "own.py").write_text("print(2)\n")
    (share / "linked").symlink_to(outside)
    missing = tmp_path / "offline"
    db = str(tmp_path / "inv.db")
    result = run("--db", db, "crawl", str(share), str(missing), "--jobs", "1")
    assert result.exit_code == 3, result.output
    assert f"{missing} could not be reached" in result.stderr
    # own.py is the one artifact: neither the root nor the link counts as one
    assert ": 1 artifact (" in result.stdout and "; 1 root not reached; 1 folder not scanned;" in result.stdout
    out = tmp_path / "out"
    out.mkdir()
    assert run("--db", db, "report", "-f", "json", "-f", "csv", "-f", "sarif", "-f", "html", "-f", "xlsx",
               "-o", str(out / "r")).exit_code == 0
    report = json.loads((out / "r.json").read_text())
    assert [a["relpath"] for a in report["artifacts"]] == ["own.py"]
    parts = {u["path"]: u for u in report["unscanned"]}
    assert parts[str(missing)]["status"] == "unreadable" and parts[str(missing)]["relpath"] == ""
    assert "cannot open the crawl root" in parts[str(missing)]["reason"]
    linked = parts[str(share / "linked")]
    assert linked["status"] == "unsupported" and str(outside) in linked["reason"]
    states = {r["root"]: r["state"] for r in report["coverage"]["roots"]}
    assert states == {str(share): "complete", str(missing): "unreachable"}
    rows = {r["path"]: r for r in csv.DictReader(io.StringIO((out / "r.csv").read_text(encoding="utf-8-sig")))}
    assert rows[str(share / "linked")]["kind"] == "folder" and rows[str(share / "linked")]["status"] == "unsupported"
    assert "could not be reached" in rows[str(missing)]["coverage"]
    notes = json.loads((out / "r.sarif").read_text())["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    unscanned = [n for n in notes if n["descriptor"]["id"] == "unscanned"]
    assert sorted(n["level"] for n in unscanned) == ["error", "note"]
    assert any("linked was not scanned (unsupported)" in n["message"]["text"] for n in unscanned)
    html = (out / "r.html").read_text()
    section = html.split('id="unscanned"')[1].split("</section>")[0]
    assert "What we could not read (2)" in section and "linked" in section and "cannot open the crawl root" in section
    sheet = openpyxl.load_workbook(out / "r.xlsx", read_only=True)["Not scanned"]
    rows = [r for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted((r[4], r[1]) for r in rows) == sorted([(str(missing), "unreadable"), (str(share / "linked"), "unsupported")])
    assert any("cannot open the crawl root" in r[2] for r in rows)


@pytest.mark.slow  # a crawler and a worker process on a real PostgreSQL
def test_a_queued_crawl_records_what_it_could_not_look_into_as_a_local_crawl_does(tmp_path, pg_url):
    """crawl --queue: the crawler walks, so it records the roots and folders it could not look into
    itself; coverage, exit status and the report's unscanned parts are those of a crawl without a queue."""
    share = tmp_path / "share"
    share.mkdir()
    (share / "own.py").write_text("print(2)\n")
    (share / "linked").symlink_to(tmp_path)
    missing = tmp_path / "offline"
    local = run("--db", str(tmp_path / "local.db"), "crawl", str(share), str(missing), "--jobs", "1", "-q")
    crew = workers(pg_url, 1)
    try:
        crawler = shadowscan(pg_url, "crawl", share, missing, "--queue", "-q")
        _, err = crawler.communicate(timeout=300)
    finally:
        stop(crew)
    assert crawler.returncode == local.exit_code == 3, err
    assert f"{missing} could not be reached" in err

    def seen(db: str) -> tuple:
        report = json.loads(run("--db", db, "report", "-f", "json").output)
        return ([a["relpath"] for a in report["artifacts"]],
                sorted((u["path"], u["relpath"], u["status"], u["reason"]) for u in report["unscanned"]),
                [(r["root"], r["state"], r["unlisted"]) for r in report["coverage"]["roots"]])

    queued = seen(pg_url)
    assert queued == seen(str(tmp_path / "local.db"))
    assert queued[0] == ["own.py"] and sorted(u[2] for u in queued[1]) == ["unreadable", "unsupported"]

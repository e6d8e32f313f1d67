"""The command line as a user runs it (click's runner), end to end on a generated tree."""
import json
import zipfile

from click.testing import CliRunner

from shadowscan.cli import main, parse_size
from shadowscan.db import connect

# Every test taking ``inventory`` runs twice: on an SQLite file and on a real PostgreSQL database.

SHADOW = '''
import pyodbc
cn = pyodbc.connect("DSN=QMS;UID=qa;PWD=Geheim123")
cn.execute("UPDATE Lots SET Disposition = 'REJECT' WHERE Cpk < 1.33")
'''
CITIZEN = '''
import pandas as pd
import matplotlib.pyplot as plt
df = pd.read_sql("SELECT day, oee FROM oee_daily", con)
df.plot(x="day", y="oee"); plt.show()
'''


def make_share(root):
    (root / "Quality").mkdir(parents=True)
    (root / "Production").mkdir()
    (root / "Quality" / "reject_lots.py").write_text(SHADOW)
    (root / "Production" / "oee_chart.py").write_text(CITIZEN)
    (root / "Production" / "broken.xlsm").write_bytes(b"\x00garbage" * 10)
    with zipfile.ZipFile(root / "Production" / "plain.xlsx", "w") as z:  # no macros: not an artifact
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return root


def rows(db, sql):
    """Rows of ``sql`` on the inventory, whichever the backend."""
    conn = connect(db, readonly=True)
    try:
        return [tuple(r) for r in conn.execute(sql).fetchall()]
    finally:
        conn.close()


def dump(db):
    """Every value of every table of the inventory as text (the backend-neutral iterdump)."""
    conn = connect(db, readonly=True)
    try:
        return "\n".join(repr(tuple(r)) for table in sorted(conn.tables())
                         for r in conn.execute(f"SELECT * FROM {table}").fetchall())
    finally:
        conn.close()


def crawl(tmp_path, db, *args):
    share = make_share(tmp_path / "share")
    result = CliRunner().invoke(main, ["--db", db, "crawl", str(share), "--jobs", "1", *args])
    return result, db


def test_crawl_then_json_report(tmp_path, inventory):
    make_share(tmp_path / "share")
    db = inventory
    runner = CliRunner()
    result = runner.invoke(main, ["--db", db, "crawl", str(tmp_path / "share"), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "3 artifacts" in result.output and "1 shadow-it" in result.output
    result = runner.invoke(main, ["--db", db, "report", "--format", "json"])
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["schema"] == "shadowscan/report-v1"
    assert set(report["crawl"]) >= {"id", "roots", "started", "finished"}
    by_path = {a["relpath"]: a for a in report["artifacts"]}
    assert set(by_path) == {"Quality/reject_lots.py", "Production/oee_chart.py", "Production/broken.xlsm"}
    shadow = by_path["Quality/reject_lots.py"]
    assert shadow["classification"] == "shadow-it" and shadow["impacts"] == ["quality"]
    assert shadow["action"] == "migrate to an enterprise system now"
    keys = {"path", "root", "relpath", "kind", "format", "size", "mtime", "sha256", "status", "status_reason",
            "classification", "impacts", "risk_score", "action", "reasons", "findings"}
    assert keys <= set(shadow)
    assert {"rule", "family", "title", "severity", "evidence"} <= set(shadow["findings"][0])
    assert {"location", "line", "snippet"} <= set(shadow["findings"][0]["evidence"][0])
    assert by_path["Production/oee_chart.py"]["classification"] == "citizen-development"
    assert by_path["Production/oee_chart.py"]["action"] == "register"
    broken = by_path["Production/broken.xlsm"]
    assert broken["status"] == "corrupt" and broken["classification"] == "unknown" and broken["status_reason"]
    assert "Geheim123" not in json.dumps(report)
    assert report["summary"]["shadow-it"] == 1 and report["summary"]["total"] == 3


def test_secret_never_reaches_the_database(tmp_path, inventory):
    result, db = crawl(tmp_path, inventory)
    assert result.exit_code == 0
    text = dump(db)
    assert "Geheim123" not in text and "PWD=***" in text


def test_report_shortcut_and_formats(tmp_path, inventory):
    result, db = crawl(tmp_path, inventory, "--report", str(tmp_path / "r.html"))
    assert result.exit_code == 0, result.output
    html = (tmp_path / "r.html").read_text()
    assert "reject_lots.py" in html and "<script>" in html
    result = CliRunner().invoke(main, ["--db", db, "report", "-f", "csv", "-f", "json", "-o", str(tmp_path / "x.out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "x.csv").read_text(encoding="utf-8-sig").startswith("relpath,")
    assert json.loads((tmp_path / "x.json").read_text())["summary"]["total"] == 3


def test_clear_errors(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["--db", str(tmp_path / "none.db"), "report"])
    assert result.exit_code != 0 and "run `shadowscan crawl PATH` first" in result.output
    result = runner.invoke(main, ["--db", str(tmp_path / "a.db"), "crawl", str(tmp_path), "--report", "x.pdf"])
    assert result.exit_code != 0 and "cannot tell the format" in result.output
    result = runner.invoke(main, ["--db", str(tmp_path / "a.db"), "crawl", str(tmp_path), "--max-size", "lots"])
    assert result.exit_code != 0 and "not a size" in result.output


def test_quiet_prints_nothing(tmp_path, inventory):
    result, _ = crawl(tmp_path, inventory, "--quiet")
    assert result.exit_code == 0 and result.output == ""


def test_too_large_is_recorded_without_reading(tmp_path, inventory):
    result, db = crawl(tmp_path, inventory, "--max-size", "10B")
    assert result.exit_code == 4 and "could not be analysed (too-large" in result.output  # the cap stopped them
    found = rows(db, "SELECT status, status_reason FROM artifacts")
    assert found and all(status == "too-large" and "--max-size" in reason for status, reason in found)


def test_parse_size():
    assert parse_size("200MB") == 200 * 1024 * 1024
    assert parse_size("1.5g") == int(1.5 * 1024 ** 3)
    assert parse_size("4096") == 4096

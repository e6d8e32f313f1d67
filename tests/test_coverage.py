"""Coverage is part of the result: a crawl that did not look everywhere never reads as an
all-clear, in the terminal, the exit status or any report format."""
import csv
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import sambaserver
from click.testing import CliRunner

from shadowscan.cli import main

REPO = Path(__file__).resolve().parent.parent
SHADOW = 'import pyodbc\ncur.execute("UPDATE Lots SET Disposition = \'REJECT\' WHERE Cpk < 1.33")\n'
CITIZEN = 'import pandas as pd\ndf = pd.read_sql("SELECT day, oee FROM oee_daily", con)\ndf.plot()\n'
# What an all-clear reads like in any format: none of it may appear for a crawl that did not cover its roots.
ALL_CLEAR = ("No gaps", "No artifact generates", "every artifact has a business owner", "Coverage complete",
             '"complete": true', '"executionSuccessful": true', "scanned completely")


def make_share(root: Path, shadow: bool = True) -> Path:
    (root / "Quality").mkdir(parents=True)
    (root / "Production").mkdir()
    if shadow:
        (root / "Quality" / "reject_lots.py").write_text(SHADOW)
    (root / "Production" / "oee_chart.py").write_text(CITIZEN)
    return root


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def all_outputs(db: str, out: Path) -> dict[str, str]:
    """Every report format of the latest crawl, as text (XLSX: every cell of every sheet)."""
    result = run("--db", db, "report", "-f", "html", "-f", "json", "-f", "csv", "-f", "xlsx", "-f", "sarif",
                 "-o", str(out / "r"))
    assert result.exit_code == 0, result.output
    texts = {ext: (out / f"r.{ext}").read_text(encoding="utf-8-sig") for ext in ("html", "json", "csv", "sarif")}
    with zipfile.ZipFile(out / "r.xlsx") as z:
        texts["xlsx"] = "\n".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xml"))
    return texts


@pytest.mark.slow  # a whole crawl: `-m "not slow"` skips it
def test_offline_root_after_a_good_crawl(tmp_path):
    """The share goes offline between two crawls: exit 3, every format says what was not covered, the
    artifacts of the good crawl are kept as last seen (not "removed"), and nothing reads as an all-clear."""
    share = make_share(tmp_path / "share")
    db = str(tmp_path / "inv.db")
    first = run("--db", db, "crawl", str(share), "--jobs", "1")
    assert first.exit_code == 0 and "coverage complete" in first.output
    good = all_outputs(db, tmp_path)
    assert "Coverage complete" in good["html"] and json.loads(good["json"])["coverage"]["complete"] is True

    shutil.move(share, tmp_path / "away")  # the share is offline
    second = run("--db", db, "crawl", str(share), "--jobs", "1")
    assert second.exit_code == 3, second.output
    assert "could not be reached" in second.stderr and "nothing under it was scanned" in second.stderr
    assert "removed" not in second.stdout and "2 not-rechecked" in second.stdout
    out = tmp_path / "offline"
    out.mkdir()
    texts = all_outputs(db, out)
    for fmt, text in texts.items():
        assert f"{share} could not be reached" in text, fmt
        for phrase in ALL_CLEAR:
            assert phrase not in text, (fmt, phrase)
    report = json.loads(texts["json"])
    assert report["coverage"]["complete"] is False
    (root,) = report["coverage"]["roots"]
    assert root["state"] == "unreachable" and root["not_rechecked"] == 2 and root["baseline"] == 1
    kept = {a["relpath"]: a for a in report["artifacts"]}
    assert set(kept) == {"Quality/reject_lots.py", "Production/oee_chart.py"}
    assert all(a["change"] == "not-rechecked" and a["last_checked"] == 1 for a in kept.values())
    assert kept["Quality/reject_lots.py"]["classification"] == "shadow-it"  # still there, as last seen
    assert report["changes"]["removed"] == [] and report["summary"]["shadow-it"] == 1
    html_top = texts["html"].split('id="summary"')[0]
    assert "Coverage incomplete: this report is not an all-clear" in html_top  # the first screen
    rows = list(csv.DictReader(io.StringIO(texts["csv"])))
    assert all("could not be reached" in r["coverage"] for r in rows)
    sarif = json.loads(texts["sarif"])["runs"][0]["invocations"][0]
    assert sarif["executionSuccessful"] is False
    assert any("could not be reached" in n["message"]["text"] for n in sarif["toolExecutionNotifications"])

    shutil.move(tmp_path / "away", share)  # back online: compared with the last complete crawl
    third = run("--db", db, "crawl", str(share), "--jobs", "1")
    assert third.exit_code == 0 and "2 unchanged" in third.stdout and "removed" not in third.stdout


def test_a_root_that_never_opened_exits_3(tmp_path):
    db = str(tmp_path / "inv.db")
    result = run("--db", db, "crawl", str(tmp_path / "no-such-share"), "--jobs", "1")
    assert result.exit_code == 3
    assert f"{tmp_path / 'no-such-share'} could not be reached" in result.stderr
    texts = all_outputs(db, tmp_path)
    for fmt, text in texts.items():
        assert "could not be reached" in text, fmt
        assert not any(p in text for p in ALL_CLEAR), fmt


def test_refused_smb_connection_exits_3(tmp_path):
    port = sambaserver.free_port()  # a closed port: the share is offline
    db = str(tmp_path / "inv.db")
    result = run("--db", db, "crawl", "//127.0.0.1/Quality", "--port", str(port), "--jobs", "1")
    assert result.exit_code == 3
    assert "//127.0.0.1/quality could not be reached" in result.stderr
    report = json.loads(run("--db", db, "report", "-f", "json").output)
    assert report["coverage"]["roots"][0]["state"] == "unreachable"


def test_exit_codes_for_fail_on(tmp_path):
    share = make_share(tmp_path / "share")
    db = str(tmp_path / "inv.db")
    assert run("--db", db, "crawl", str(share), "-q").exit_code == 0  # default: never
    result = run("--db", db, "crawl", str(share), "-q", "--fail-on", "shadow-it")
    assert result.exit_code == 1 and "1 artifact at or above --fail-on shadow-it" in result.stderr
    result = run("--db", db, "crawl", str(share), "-q", "--fail-on", "unregistered")
    assert result.exit_code == 1 and "2 artifacts at or above --fail-on unregistered" in result.stderr  # each once
    calm = make_share(tmp_path / "calm", shadow=False)
    assert run("--db", db, "crawl", str(calm), "-q", "--fail-on", "shadow-it").exit_code == 0
    assert run("--db", db, "crawl", str(calm), "-q", "--fail-on", "unregistered").exit_code == 1
    assert run("--db", db, "crawl", str(calm), "-q", "--fail-on", "stale-signoff").exit_code == 1
    assert run("--db", db, "crawl", str(calm), "-q", "--fail-on", "bogus").exit_code == 2  # usage error
    assert run("--db", db, "crawl").exit_code == 2
    help_text = run("crawl", "-h").output
    assert "--fail-on" in help_text and "Exit status" in help_text and "3  incomplete coverage" in help_text


def test_stale_signoff_fails_only_at_that_level(tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    tool = share / "oee.py"
    tool.write_text(CITIZEN)
    db = str(tmp_path / "inv.db")
    assert run("--db", db, "register", str(tool), "--owner", "Anna Nowak", "--function", "production", "--purpose",
               "charts", "--platform", "python", "--data-access", "read-only").exit_code == 0
    assert run("--db", db, "signoff", str(tool), "--by", "Anna Nowak").exit_code == 0
    assert run("--db", db, "crawl", str(share), "-q", "--fail-on", "stale-signoff").exit_code == 0
    tool.write_text(CITIZEN + "df.plot(kind='bar')\n")  # the logic changed after the sign-off
    assert run("--db", db, "crawl", str(share), "-q", "--fail-on", "unregistered").exit_code == 0
    assert run("--db", db, "crawl", str(share), "-q", "--fail-on", "stale-signoff").exit_code == 1


def test_db_option_before_or_after_the_command(tmp_path):
    share = make_share(tmp_path / "share")
    db = str(tmp_path / "inv.db")
    assert run("crawl", str(share), "--db", db, "-q").exit_code == 0
    assert json.loads(run("report", "--db", db, "-f", "json").output)["summary"]["total"] == 2
    assert run("registry", "list", "--db", db).exit_code == 0
    assert run("registry", "--db", db, "list").exit_code == 0
    assert run("crawls", "--db", db).exit_code == 0


@pytest.mark.parametrize("args", [("report",), ("registry", "list"), ("registry", "export"), ("crawls",),
                                  ("signoff", "x.py", "--by", "A B"), ("registry", "remove", "1"),
                                  ("prune", "--keep", "1")])
def test_a_mistyped_db_is_refused_not_created(tmp_path, args):
    db = tmp_path / "typo.db"
    result = run(*args, "--db", str(db))
    assert result.exit_code == 2 and "no inventory at" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not db.exists()


def test_short_help_option():
    assert run("-h").exit_code == 0 and "Exit status" in run("-h").output
    assert "Usage: main report" in run("report", "-h").output or "Usage:" in run("report", "-h").output


def test_report_option_repeats_and_json_to_stdout(tmp_path):
    share = make_share(tmp_path / "share")
    db = str(tmp_path / "inv.db")
    result = run("--db", db, "crawl", str(share), "--report", str(tmp_path / "a.html"),
                 "--report", str(tmp_path / "a.sarif"), "-q")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a.html").is_file() and (tmp_path / "a.sarif").is_file()
    result = run("--db", db, "crawl", str(share), "--format", "json", "--output", "-")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["total"] == 2  # stdout holds only the JSON
    assert "Crawl 2 finished" in result.stderr


def test_summary_pluralises(tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    (share / "one.py").write_text(SHADOW)
    result = run("--db", str(tmp_path / "inv.db"), "crawl", str(share), "--report", str(tmp_path / "r.html"))
    assert "1 artifact (" in result.output and "1 artifacts" not in result.output
    assert "1 artifacts" not in (tmp_path / "r.html").read_text()


def test_canonical_roots_relative_and_absolute_are_one(tmp_path, monkeypatch):
    share = make_share(tmp_path / "share")
    db = str(tmp_path / "inv.db")
    monkeypatch.chdir(tmp_path)
    assert run("--db", db, "crawl", "./share/", "-q").exit_code == 0
    result = run("--db", db, "crawl", str(share), "--report", str(tmp_path / "r.sarif"))
    assert "2 unchanged" in result.output and "new" not in result.output.split("since last crawl")[1]
    report = json.loads(run("--db", db, "report", "-f", "json").output)
    assert report["crawl"]["roots"] == [str(share)]
    bases = json.loads((tmp_path / "r.sarif").read_text())["runs"][0]["originalUriBaseIds"]
    assert list(bases.values()) == [{"uri": share.as_uri() + "/"}]


def test_canonical_smb_roots_and_sarif_uris():
    from shadowscan.reports.sarif import _root_uri
    from shadowscan.roots import canonical, dedupe

    assert canonical("\\\\FS01\\Quality\\Lab\\") == canonical("//fs01/quality/Lab") == "//fs01/quality/Lab"
    assert _root_uri("//fs01/quality") == "file://fs01/quality/"
    assert _root_uri("/srv/plant share") == "file:///srv/plant%20share/"
    assert _root_uri("C:\\Plant\\Q") == "file:///C:/Plant/Q/"
    assert _root_uri("samples/share") == Path("samples/share").resolve().as_uri() + "/"  # old relative roots
    roots, notes = dedupe(["//FS01/Quality", "//fs01/quality/Lab", "//fs01/quality"])
    assert roots == ["//fs01/quality"] and len(notes) == 2


def test_overlapping_roots_are_crawled_once_and_said(tmp_path):
    share = make_share(tmp_path / "share")
    db = str(tmp_path / "inv.db")
    result = run("--db", db, "crawl", str(share), str(share / "Quality"), str(share))
    assert result.exit_code == 0
    assert f"{share / 'Quality'} is inside {share}: crawled once" in result.stderr
    assert "given twice" in result.stderr
    assert "Crawl 1 finished: 2 artifacts" in result.stdout
    count = sqlite3.connect(db).execute("SELECT COUNT(*) FROM artifacts").fetchone()[0]
    assert count == 2


@pytest.mark.slow  # real processes and timeouts: `-m "not slow"` skips it
def test_plain_progress_lines_when_not_a_terminal(tmp_path):
    share = make_share(tmp_path / "share")
    env = {**os.environ, "PYTHONPATH": str(REPO), "SHADOWSCAN_PROGRESS_EVERY": "0"}
    cmd = [sys.executable, "-m", "shadowscan.cli", "--db", str(tmp_path / "inv.db"), "crawl", str(share), "-j", "1"]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stderr.splitlines() if line.startswith("shadowscan: listed")]
    assert lines and "analysed 2 of 2" in lines[-1] and "files/s" in lines[-1]
    assert "\r" not in out.stderr and "\x1b" not in out.stderr
    quiet = subprocess.run(cmd[:-2] + ["-q"], capture_output=True, text=True, env=env, timeout=120)
    assert quiet.stdout == "" and quiet.stderr == ""


@pytest.mark.slow  # real processes and timeouts: `-m "not slow"` skips it
def test_live_progress_on_a_terminal(tmp_path):
    import pty

    share = make_share(tmp_path / "share")
    for n in range(30):
        (share / "Production" / f"tool_{n}.py").write_text(f"print({n})\n")
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "100"}
    proc = subprocess.Popen([sys.executable, "-m", "shadowscan.cli", "--db", str(tmp_path / "inv.db"), "crawl",
                             str(share), "-j", "1"], stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(master)
    shown = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0, shown
    assert "listed" in shown and "files/s" in shown and "/32" in shown  # analysed of listed, with the total


@pytest.mark.slow  # a whole crawl: `-m "not slow"` skips it
def test_unchanged_recrawl_adds_almost_nothing(tmp_path):
    """Per-crawl membership is compact: an unchanged re-crawl of 1,500 artifacts adds under 100 bytes
    each (benchmarks/inventory.py measures 10,000)."""
    share = tmp_path / "share"
    for n in range(1500):
        d = share / f"dept{n % 10}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"t{n}.py").write_text(SHADOW if n % 3 else CITIZEN)
    db = tmp_path / "inv.db"
    assert run("--db", str(db), "crawl", str(share), "-q", "-j", "2").exit_code == 0

    def size() -> int:
        con = sqlite3.connect(db)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = con.execute("PRAGMA page_count").fetchone()[0] - con.execute("PRAGMA freelist_count").fetchone()[0]
        return pages * con.execute("PRAGMA page_size").fetchone()[0]

    before = size()
    assert run("--db", str(db), "crawl", str(share), "-q", "-j", "2").exit_code == 0
    growth = size() - before
    assert growth < 1500 * 100, growth


@pytest.mark.slow  # a whole crawl: `-m "not slow"` skips it
def test_crawls_and_prune(tmp_path):
    share = make_share(tmp_path / "share")
    db = str(tmp_path / "inv.db")
    tool = share / "Production" / "oee_chart.py"
    assert run("--db", db, "register", str(tool), "--owner", "Anna Nowak", "--function", "production",
               "--purpose", "charts", "--platform", "python", "--data-access", "read-only").exit_code == 0
    for n in range(3):
        (share / f"new_{n}.py").write_text(f"print({n})\n")
        assert run("--db", db, "crawl", str(share), "-q").exit_code == 0
    listing = run("--db", db, "crawls").output.splitlines()
    assert [line.split()[0] for line in listing] == ["3", "2", "1"]
    assert "finished" in listing[0] and "5 artifacts" in listing[0] and "coverage complete" in listing[0]
    latest = json.loads(run("--db", db, "report", "-f", "json").output)
    result = run("--db", db, "prune", "--keep", "1")
    assert result.exit_code == 0 and "Removed 2 crawls (1, 2)" in result.output
    assert [line.split()[0] for line in run("--db", db, "crawls").output.splitlines()] == ["3"]
    after = json.loads(run("--db", db, "report", "-f", "json").output)
    assert after["artifacts"] == latest["artifacts"] and after["changes"] == latest["changes"]
    assert len(after["registry"]) == 1 and after["registry"] == latest["registry"]
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM findings WHERE artifact_id NOT IN (SELECT id FROM versions)").fetchone()[0] == 0
    assert con.execute("SELECT COUNT(*) FROM analyses WHERE id NOT IN (SELECT analysis_id FROM versions)").fetchone()[0] == 0
    assert con.execute("SELECT COUNT(*) FROM analysis_findings WHERE analysis_id NOT IN (SELECT id FROM analyses)"
                       ).fetchone()[0] == 0
    assert run("--db", db, "crawl", str(share), "-q").exit_code == 0  # the next crawl still compares
    assert "5 unchanged" in run("--db", db, "crawl", str(share)).output


@pytest.mark.slow  # real processes and timeouts: `-m "not slow"` skips it
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_crawl_exits_3_and_says_so(tmp_path, sig):
    share = tmp_path / "share"
    for n in range(400):
        d = share / f"dept{n % 4}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"t{n}.py").write_text(SHADOW)
    db = tmp_path / "inv.db"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "shadowscan.cli", "--db", str(db), "crawl", str(share), "-j", "1"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if db.exists() and sqlite3.connect(db).execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'members'").fetchone()[0] and \
                sqlite3.connect(db).execute("SELECT COUNT(*) FROM members").fetchone()[0] >= 5:
            break
        time.sleep(0.02)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, err
    assert "Interrupted" in err and "coverage is incomplete" in err
    assert sqlite3.connect(db).execute("SELECT state FROM crawls").fetchone()[0] == "interrupted"
    report = json.loads(run("--db", str(db), "report", "-f", "json").output)
    assert report["coverage"]["complete"] is False and "interrupted" in report["coverage"]["statement"]


def test_prune_keeps_each_root_and_forgets_a_mistyped_one(tmp_path):
    """--keep counts crawls per root (a newer crawl of another share never pushes a share out of the
    report), and --root forgets a root that was mistyped or retired, so reports stop saying it
    could not be reached."""
    import json

    from click.testing import CliRunner

    from shadowscan.cli import main

    share = tmp_path / "share"
    (share / "Q").mkdir(parents=True)
    (share / "Q" / "limits.py").write_text('if m > usl:\n    result = "FAIL"\n', encoding="utf-8")
    db = str(tmp_path / "inv.db")
    run = CliRunner()
    assert run.invoke(main, ["--db", db, "crawl", str(share), "--quiet"]).exit_code == 0
    typo = str(tmp_path / "no-such-share")
    for _ in range(2):
        assert run.invoke(main, ["--db", db, "crawl", typo, "--quiet"]).exit_code == 3
    result = run.invoke(main, ["--db", db, "prune", "--keep", "1"])
    assert result.exit_code == 0, result.output
    report = json.loads(run.invoke(main, ["--db", db, "report", "-f", "json"]).output)
    assert any(a["relpath"] == "Q/limits.py" and a["classification"] == "shadow-it" for a in report["artifacts"])
    assert not report["summary"]["coverage_complete"]  # the mistyped root is still there, still said
    result = run.invoke(main, ["--db", db, "prune", "--keep", "1", "--root", typo])
    assert result.exit_code == 0 and "forgot" in result.output, result.output
    report = json.loads(run.invoke(main, ["--db", db, "report", "-f", "json"]).output)
    assert report["summary"]["coverage_complete"] and report["crawl"]["roots"] == [str(share)]
    assert report["summary"]["shadow-it"] == 1
    refused = run.invoke(main, ["--db", db, "prune", "--keep", "1", "--root", typo])
    assert refused.exit_code == 2 and "no crawl of" in refused.output


def test_a_report_that_cannot_be_written_is_refused_before_the_crawl(tmp_path):
    import sqlite3

    from click.testing import CliRunner

    from shadowscan.cli import main

    (tmp_path / "share").mkdir()
    (tmp_path / "share" / "a.py").write_text("print(1)\n", encoding="utf-8")
    (tmp_path / "out.html").mkdir()  # a folder where the HTML file should go
    db = tmp_path / "inv.db"
    result = CliRunner().invoke(main, ["--db", str(db), "crawl", str(tmp_path / "share"), "--quiet",
                                       "--report", str(tmp_path / "out.html")])
    assert result.exit_code == 2 and "nothing was crawled" in result.output, result.output
    assert not db.exists() or sqlite3.connect(db).execute("SELECT COUNT(*) FROM crawls").fetchone()[0] == 0


@pytest.mark.slow  # a whole crawl: `-m "not slow"` skips it
def test_files_listed_but_not_analysed_are_never_an_all_clear(tmp_path):
    """A file over --max-size and a corrupt workbook were listed and never analysed: the summary and
    every format say how many and why, never "every file was read"; the crawl's own limit (too-large,
    like a timeout or a crashed analyzer) exits 4, a file that cannot be analysed as it is (corrupt,
    encrypted, unsupported) is said but exits 0."""
    share = make_share(tmp_path / "share")
    (share / "Quality" / "big.py").write_text("s = '" + "a" * 3000 + "'\n")
    (share / "Quality" / "broken.xlsm").write_bytes(bytes(range(256)) * 8)
    db = str(tmp_path / "inv.db")
    result = run("--db", db, "crawl", str(share), "--jobs", "1", "--max-size", "2KB")
    assert result.exit_code == 4, result.output
    assert "2 files could not be analysed (too-large 1, corrupt 1)" in result.output
    assert "raise --timeout, --memory or --max-size" in result.output
    texts = all_outputs(db, tmp_path)
    for fmt in ("html", "json"):
        assert "2 files could not be analysed (too-large 1, corrupt 1)" in texts[fmt], fmt
    for fmt, text in texts.items():
        assert "every file was read" not in text and "scanned completely" not in text, fmt
    report = json.loads(texts["json"])
    assert report["coverage"]["not_analysed"] == {"too-large": 1, "corrupt": 1}
    assert report["coverage"]["roots"][0]["not_analysed"] == {"too-large": 1, "corrupt": 1}
    assert "2 files not analysed" in run("--db", db, "crawls").output  # the list of crawls says it too
    # without the cap only the corrupt workbook is left: said, but no limit of the crawl stopped it
    again = run("--db", db, "crawl", str(share), "--jobs", "1")
    assert again.exit_code == 0, again.output
    assert "1 file could not be analysed (corrupt 1)" in again.output
    assert "1 file could not be analysed (corrupt 1)" in json.loads(all_outputs(db, tmp_path)["json"])["coverage"][
        "statement"]


def test_the_coverage_statement_names_what_was_not_analysed():
    from shadowscan.coverage import summarize

    row = {"root": "/s", "state": "complete", "reason": None, "unlisted": 0, "unreadable": 0, "not_rechecked": 0}
    clear = summarize([row], "finished")
    assert clear["complete"] and "every file was read and analysed" in clear["statement"]
    failed = summarize([{**row, "not_analysed": {"timeout": 1, "analyzer-crashed": 2, "encrypted": 1}}], "finished")
    assert "every file was read" not in failed["statement"]
    assert "4 files could not be analysed (timeout 1, analyzer-crashed 2, encrypted 1)" in failed["statement"]
    partial = summarize([{**row, "state": "partial", "unreadable": 1, "not_analysed": {"too-large": 3}}], "finished")
    assert "1 file could not be read" in partial["statement"] and "3 files could not be analysed" in partial["statement"]

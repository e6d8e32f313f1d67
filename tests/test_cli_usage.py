"""What a new user types and what the command line says back: where reports go and in which
format, output folders that do not exist, prune's options, one-line usage errors, progress while a
slow file is analysed, and inventory sizes after pruning."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_cli import make_share

from shadowscan.cli import main

REPO = Path(__file__).resolve().parent.parent


def run(*args, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], **kwargs)


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def crawled(tmp_path) -> str:
    db = str(tmp_path / "inv.db")
    share = tmp_path / "share"
    result = run("--db", db, "crawl", share if share.is_dir() else make_share(share), "-q", "-j", "1")
    assert result.exit_code == 0, result.output
    return db


def test_crawl_output_without_format_takes_the_format_from_the_extension(tmp_path):
    out = tmp_path / "latest.json"
    result = run("--db", tmp_path / "inv.db", "crawl", make_share(tmp_path / "share"), "-j", "1", "-o", out)
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["schema"] == "shadowscan/report-v1"
    assert f"Wrote JSON report: {out}" in result.stderr


def test_report_output_without_format_takes_the_format_from_the_extension(tmp_path):
    db = crawled(tmp_path)
    for name in ("r.json", "r.csv", "r.findings.csv", "r.sarif", "r.html", "r.xlsx"):
        result = run("--db", db, "report", "-o", tmp_path / name)
        assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "r.json").read_text())["schema"] == "shadowscan/report-v1"
    assert json.loads((tmp_path / "r.sarif").read_text())["version"] == "2.1.0"
    assert ",rules," in (tmp_path / "r.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert ",rule," in (tmp_path / "r.findings.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "<html" in (tmp_path / "r.html").read_text().lower()
    assert (tmp_path / "r.xlsx").read_bytes()[:2] == b"PK"
    assert run("--db", db, "report").output.lstrip().lower().startswith("<!doctype html")  # stdout: html


def test_an_output_whose_format_cannot_be_told_is_refused_before_anything_runs(tmp_path):
    share = make_share(tmp_path / "share")
    line = one_line_error(run("--db", tmp_path / "inv.db", "crawl", share, "-o", tmp_path / "latest.txt"))
    assert "cannot tell the format of" in line and "latest.txt" in line and "-f FORMAT" in line
    assert not (tmp_path / "inv.db").exists()  # refused before the crawl
    line = one_line_error(run("--db", tmp_path / "inv.db", "crawl", share, "-o", "-"))
    assert "cannot tell the format of '-'" in line
    db = crawled(tmp_path)
    line = one_line_error(run("--db", db, "report", "-o", tmp_path / "inventory"))
    assert "cannot tell the format of" in line and ".html" in line
    assert not (tmp_path / "inventory").exists()


def test_an_output_folder_that_does_not_exist_is_refused_not_made(tmp_path, monkeypatch):
    db = crawled(tmp_path)
    target = tmp_path / "nonexistent" / "dir" / "r.html"
    line = one_line_error(run("--db", db, "report", "-o", target))
    assert line.startswith(f"Error: cannot write {target}: the folder {target.parent} does not exist"), line
    assert not (tmp_path / "nonexistent").exists()
    line = one_line_error(run("--db", db, "crawl", tmp_path / "share", "--report", target))
    assert "does not exist" in line and "nothing was crawled" in line
    assert "Crawl 2" not in run("--db", db, "crawls").output and not (tmp_path / "nonexistent").exists()
    line = one_line_error(run("--db", db, "registry", "export", "-o", target))
    assert "does not exist" in line and not (tmp_path / "nonexistent").exists()
    (tmp_path / "file").write_text("x")
    assert "is not a folder" in one_line_error(run("--db", db, "report", "-o", tmp_path / "file" / "r.html"))
    monkeypatch.chdir(tmp_path)  # the default output folder ./out (the README's) is made when missing
    result = run("--db", db, "report", "-o", "out/risk.html")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "risk.html").is_file()


def test_prune_reports_the_size_the_file_has_afterwards(tmp_path):
    """VACUUM writes the whole file into the WAL: measured before it was checkpointed, the inventory
    looked twice as big after pruning as before."""
    db = crawled(tmp_path)
    for _ in range(2):
        assert run("--db", db, "crawl", tmp_path / "share", "--full", "-q", "-j", "1").exit_code == 0
    result = run("--db", db, "prune", "--keep", "1")
    assert result.exit_code == 0, result.output
    size = os.path.getsize(db) + (os.path.getsize(db + "-wal") if os.path.exists(db + "-wal") else 0)
    shown = f"{size / 1e3:,.0f} kB" if size < 1e6 else f"{size / 1e6:.1f} MB"
    assert result.output.rstrip().endswith(f" -> {shown}."), (result.output, size)


def test_prune_needs_keep_or_root_and_root_alone_forgets_it(tmp_path):
    db = crawled(tmp_path)
    assert run("--db", db, "crawl", tmp_path / "share", "-q", "-j", "1").exit_code == 0
    typo = tmp_path / "no-such-share"
    assert run("--db", db, "crawl", typo, "-q").exit_code == 3
    line = one_line_error(run("--db", db, "prune"))
    assert "prune needs --keep N" in line and "--root PATH" in line
    result = run("--db", db, "prune", "--root", typo)  # forgets the mistyped root, keeps every other crawl
    assert result.exit_code == 0, result.output
    assert "Removed 1 crawl (3) and forgot" in result.output and "kept the crawls of the other roots" in result.output
    listing = run("--db", db, "crawls").output.splitlines()
    assert [line.split()[0] for line in listing] == ["2", "1"]


def test_a_missing_choice_option_is_one_line_listing_the_choices(tmp_path):
    tool = tmp_path / "limits.py"
    tool.write_text("print('limits')\n")
    result = run("--db", tmp_path / "inv.db", "register", tool, "--owner", "Anna Berg", "--purpose", "limits",
                 "--platform", "python", "--data-access", "read-only")
    line = one_line_error(result)
    assert line.startswith("Error: Missing option '--function'. Choose from: operations, production, quality,")
    assert line.endswith(", hr, it (see 'main register -h')")  # click's runner calls the program main
    assert not (tmp_path / "inv.db").exists()


def test_a_root_that_is_a_broken_link_is_said_to_be_one(tmp_path):
    root = tmp_path / "share"
    root.symlink_to(tmp_path / "gone")
    result = run("--db", tmp_path / "inv.db", "crawl", root, "-j", "1")
    assert result.exit_code == 3, result.output
    assert "; root is a broken link;" in result.stdout and "folder" not in result.stdout
    assert f"Coverage incomplete: {root} could not be reached (it is a broken link to {tmp_path / 'gone'})" \
        in result.stderr


def test_plain_progress_beats_while_a_file_is_being_analysed(tmp_path, capsys):
    """Nothing finishes while one slow file is analysed: the plain progress still says, at least every
    interval, which file is in analysis and for how long (polled until it does, not timed)."""
    from shadowscan.cli import _Progress
    from shadowscan.model import Candidate, Kind

    progress = _Progress("plain", every=0.05)
    try:
        progress.listed_more(1)
        progress.pending(Candidate(str(tmp_path / "slow.sql"), str(tmp_path), "Quality/slow.sql", Kind.SCRIPT,
                                   "sql", 10, 0.0))
        said = ""
        deadline = time.monotonic() + 30
        while "analysing Quality/slow.sql for 0:00:0" not in said and time.monotonic() < deadline:
            time.sleep(0.05)
            said += capsys.readouterr().err
    finally:
        progress.close()
    assert "shadowscan: listed 1 file, analysed 0 of 1 (" in said
    assert "; analysing Quality/slow.sql for 0:00:0" in said, said


@pytest.mark.slow  # a file analysed until its --timeout stops it
def test_a_crawl_stuck_on_one_slow_file_still_reports_progress(tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    with open(share / "lots.sql", "w") as out:  # far more than 1 s of analysis on any machine
        for i in range(60000):
            out.write(f"UPDATE Lots SET Disposition = 'REJECT{i}' WHERE Cpk < 1.{i % 100} AND Line = '{i}';\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "SHADOWSCAN_PROGRESS_EVERY": "0.2"}
    done = subprocess.run([sys.executable, "-m", "shadowscan.cli", "--db", str(tmp_path / "inv.db"), "crawl",
                           str(share), "-j", "1", "--timeout", "1"], capture_output=True, text=True, env=env,
                          timeout=300)
    beats = [line for line in done.stderr.splitlines() if "; analysing lots.sql for 0:00:0" in line]
    assert beats and beats[0].startswith("shadowscan: listed 1 file, analysed 0 of 1 ("), done.stderr


def test_crawls_never_shows_more_artifacts_than_files_listed(tmp_path):
    """A running crawl's stored artifacts are counted live, its listed files at its last heartbeat (a few
    seconds old): the listing says at least as many listed as stored, never '3 artifacts of 1 listed'."""
    import socket
    import sqlite3

    db = crawled(tmp_path)
    con = sqlite3.connect(db)
    con.execute("UPDATE crawls SET state = 'running', finished = NULL, pid = ?, host = ?, listed = 1",
                (os.getpid(), socket.gethostname()))  # this process is alive: the crawl reads as running
    con.commit()
    con.close()
    (line,) = run("--db", db, "crawls").output.splitlines()
    assert " running " in line and "3 artifacts of 3+ listed" in line, line


@pytest.mark.parametrize("value", ["abc", "-5", "nan"])
def test_a_bad_progress_interval_is_one_line_naming_the_variable(tmp_path, monkeypatch, value):
    monkeypatch.setenv("SHADOWSCAN_PROGRESS_EVERY", value)
    line = one_line_error(run("--db", tmp_path / "inv.db", "crawl", make_share(tmp_path / "share")))
    assert "SHADOWSCAN_PROGRESS_EVERY" in line and repr(value) in line
    assert not (tmp_path / "inv.db").exists()  # refused before the crawl

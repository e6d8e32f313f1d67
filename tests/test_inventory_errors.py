"""User mistakes and a failing inventory: one line, a non-zero exit, nothing written, and a
crawl that did not finish is never stored as finished."""
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from shadowscan.cli import main

pytestmark = pytest.mark.slow  # real servers, browsers or whole crawls: `-m "not slow"` skips them

REPO = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
SHADOW = 'import pyodbc\ncur.execute("UPDATE Lots SET Disposition = \'REJECT\' WHERE Cpk < 1.33")\n'
NOBODY = 65534


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def share_with(root: Path, n: int = 3) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (root / f"tool_{i}.py").write_text(SHADOW.replace("REJECT", f"REJECT{i}"))
    return root


def one_line_error(result, exit_code: int = 2) -> str:
    assert result.exit_code == exit_code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def as_nobody(*args: str) -> tuple[int, str]:
    """Run the CLI in a forked child that dropped root privileges; (exit status, stderr)."""
    import multiprocessing.popen_fork  # noqa: F401  (imported before the privileges go)

    import shadowscan.analyzers.scripts  # noqa: F401
    import shadowscan.reports.jsonfmt  # noqa: F401

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            result = CliRunner().invoke(main, list(args))
            os.write(write, result.stderr.encode())
            code = result.exit_code
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        err = pipe.read()
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), err


def test_db_is_a_folder(tmp_path):
    share = share_with(tmp_path / "share")
    line = one_line_error(run("--db", str(tmp_path), "crawl", str(share)))
    assert "is a folder, not an inventory file" in line
    assert "is a folder" in one_line_error(run("--db", str(tmp_path), "report"))


def test_db_is_not_sqlite(tmp_path):
    share = share_with(tmp_path / "share")
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes, not a database\n" * 100)
    line = one_line_error(run("--db", str(notes), "crawl", str(share)))
    assert "is not a shadowscan inventory" in line
    assert notes.read_text() == "my notes, not a database\n" * 100  # untouched
    assert "not a shadowscan inventory" in one_line_error(run("--db", str(notes), "report"))
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE customers (name TEXT)")
    con.commit()
    con.close()
    assert "not a shadowscan inventory" in one_line_error(run("--db", str(other), "crawl", str(share)))
    assert {r[0] for r in sqlite3.connect(other).execute("SELECT name FROM sqlite_master")} == {"customers"}


@pytest.mark.skipif(not hasattr(os, "fork") or os.geteuid() != 0, reason="needs root to drop privileges to nobody")
def test_db_and_report_in_read_only_places():
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        base.chmod(0o755)  # readable, not writable for nobody
        share = share_with(base / "share")
        code, err = as_nobody("--db", str(base / "inv.db"), "crawl", str(share))
        assert code == 2 and len(err.strip().splitlines()) == 1 and "permission denied" in err, err
        assert not (base / "inv.db").exists()
        writable = base / "w"
        writable.mkdir()
        writable.chmod(0o777)
        code, err = as_nobody("--db", str(writable / "inv.db"), "crawl", str(share), "-q")
        assert code == 0, err
        code, err = as_nobody("--db", str(writable / "inv.db"), "report", "-f", "json", "-o", str(base / "r.json"))
        assert code == 2 and len(err.strip().splitlines()) == 1 and "cannot write the report" in err, err
        assert not list(base.glob("*.json")) and not list(base.glob(".r.json*"))
        ro_db = base / "ro.db"  # an inventory the account may read but not write: reports still work
        subprocess.run([sys.executable, "-m", "shadowscan.cli", "--db", str(ro_db), "crawl", str(share), "-q"],
                       env=ENV, check=True)
        code, err = as_nobody("--db", str(ro_db), "report", "-f", "json", "-o", str(writable / "r.json"))
        assert code == 0, err
        assert json.loads((writable / "r.json").read_text())["summary"]["total"] == 3
        code, err = as_nobody("--db", str(ro_db), "crawl", str(share))
        assert code == 2 and len(err.strip().splitlines()) == 1 and "read-only" in err, err
        secret = writable / "registry.json"
        secret.write_text("{}")
        secret.chmod(0)
        code, err = as_nobody("--db", str(writable / "inv.db"), "registry", "import", str(secret))
        assert code == 2 and len(err.strip().splitlines()) == 1 and "is not readable" in err, err


def test_report_output_is_a_folder(tmp_path):
    share = share_with(tmp_path / "share")
    db = str(tmp_path / "inv.db")
    assert run("--db", db, "crawl", str(share), "-q").exit_code == 0
    (tmp_path / "out").mkdir()
    line = one_line_error(run("--db", db, "report", "-o", str(tmp_path / "out")))
    assert "is a folder (pass a file name)" in line
    assert list((tmp_path / "out").iterdir()) == []


def _small_files(limit: int):
    def limit_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return limit_files


def test_report_to_a_full_disk_leaves_no_truncated_file(tmp_path):
    share = share_with(tmp_path / "share")
    db = tmp_path / "inv.db"
    subprocess.run([sys.executable, "-m", "shadowscan.cli", "--db", str(db), "crawl", str(share), "-q"], env=ENV,
                   check=True)
    target = tmp_path / "r.html"
    target.write_text("the previous report\n")
    out = subprocess.run([sys.executable, "-m", "shadowscan.cli", "--db", str(db), "report", "-o", str(target)],
                         env=ENV, capture_output=True, text=True, preexec_fn=_small_files(20_000))
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "cannot write the report" in out.stderr and "nothing was written" in out.stderr
    assert target.read_text() == "the previous report\n"  # the old report is intact, no temporary file is left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inv.db", "inv.db-shm", "inv.db-wal", "r.html", "share"] \
        or sorted(p.name for p in tmp_path.iterdir()) == ["inv.db", "r.html", "share"]


def test_disk_full_during_a_crawl_is_not_a_finished_crawl(tmp_path):
    """Issue 12.1: the inventory cannot grow; the crawl ends with one line and exit 3, and its row
    never says finished: the report shows an incomplete crawl."""
    share = share_with(tmp_path / "share", 300)
    db = tmp_path / "inv.db"
    out = subprocess.run([sys.executable, "-m", "shadowscan.cli", "--db", str(db), "crawl", str(share), "-j", "1"],
                         env=ENV, capture_output=True, text=True, preexec_fn=_small_files(330_000), timeout=300)
    assert out.returncode == 3, out.stdout + out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert "the crawl failed" in out.stderr and "is the disk full?" in out.stderr
    state, reason = sqlite3.connect(db).execute("SELECT state, reason FROM crawls").fetchone()
    assert state != "finished"
    report = json.loads(subprocess.run([sys.executable, "-m", "shadowscan.cli", "--db", str(db), "report", "-f",
                                        "json"], env=ENV, capture_output=True, text=True, check=True).stdout)
    assert report["crawl"]["state"] in ("failed", "stopped") and report["coverage"]["complete"] is False
    assert report["summary"]["total"] < 300


def test_any_exception_marks_the_crawl_failed_with_its_reason(tmp_path):
    from shadowscan.scan import CrawlOptions, run_crawl
    from shadowscan.store import Store

    share = share_with(tmp_path / "share", 5)
    seen = []

    def explode(artifact) -> None:
        seen.append(artifact)
        if len(seen) == 2:
            raise RuntimeError("the network card caught fire")

    with Store(str(tmp_path / "inv.db")) as store:
        with pytest.raises(RuntimeError):
            run_crawl([str(share)], store, CrawlOptions(jobs=1), explode)
        crawl = store.crawl()
        assert crawl["state"] == "failed" and "network card caught fire" in crawl["reason"]
    report = json.loads(run("--db", str(tmp_path / "inv.db"), "report", "-f", "json").output)
    assert report["coverage"]["complete"] is False
    assert "the crawl failed (RuntimeError: the network card caught fire)" in report["coverage"]["statement"]


def test_debug_shows_the_traceback(tmp_path):
    """The traceback itself (printed with any --db password scrubbed), exit status 2."""
    result = CliRunner().invoke(main, ["--debug", "--db", str(tmp_path), "report"])
    assert result.exit_code == 2 and "Traceback (most recent call last)" in result.output, result.output
    assert "StoreError" in result.output and "is a folder" in result.output


def test_names_that_escape_alike_stay_two_artifacts(tmp_path):
    """Issue 12.2: a name with a literal backslash-x-f-f and one with the raw byte 0xFF."""
    share = tmp_path / "share"
    share.mkdir()
    (share / "Kosten\\xff.py").write_text(SHADOW)
    with open(os.path.join(os.fsencode(share), b"Kosten\xff.py"), "w") as f:
        f.write(SHADOW.replace("REJECT", "SCRAP"))
    db = str(tmp_path / "inv.db")
    result = run("--db", db, "crawl", str(share))
    assert result.exit_code == 0 and "2 artifacts (2 shadow-it)" in result.output
    paths = [r[0] for r in sqlite3.connect(db).execute("SELECT relpath FROM artifacts ORDER BY relpath")]
    assert sorted(paths) == sorted(["Kosten\\\\xff.py", "Kosten\\xff.py"])
    assert "2 unchanged" in run("--db", db, "crawl", str(share)).output  # and they round-trip on a re-crawl


def test_changes_are_against_the_last_complete_crawl(tmp_path):
    """Issue 12.3: after a killed crawl, the next complete one still reports removals and changes."""
    share = share_with(tmp_path / "share", 40)
    db = tmp_path / "inv.db"
    cmd = [sys.executable, "-m", "shadowscan.cli", "--db", str(db), "crawl", str(share), "-q", "-j", "1"]
    subprocess.run(cmd, env=ENV, check=True)
    (share / "tool_0.py").unlink()
    (share / "tool_1.py").write_text(SHADOW + "# edited\n")
    proc = subprocess.Popen(cmd + ["--full"], env=ENV)
    deadline = time.monotonic() + 60
    con = sqlite3.connect(db)
    while time.monotonic() < deadline:  # kill it once it recorded something
        if con.execute("SELECT COUNT(*) FROM artifacts WHERE crawl_id = 2").fetchone()[0] >= 3:
            break
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    assert con.execute("SELECT state FROM crawls WHERE id = 2").fetchone()[0] == "running"
    out = subprocess.run([a for a in cmd if a != "-q"], env=ENV, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "1 changed, 38 unchanged, 1 removed" in out.stdout
    report = json.loads(run("--db", str(db), "report", "-f", "json").output)
    assert report["crawl"]["previous"] == 1 and [r["relpath"] for r in report["changes"]["removed"]] == ["tool_0.py"]
    killed = json.loads(run("--db", str(db), "report", "--crawl", "2", "-f", "json").output)
    assert killed["crawl"]["state"] == "stopped" and killed["coverage"]["complete"] is False


def test_a_second_crawl_of_the_same_roots_is_refused(tmp_path):
    """Issue 12.17: a live crawl of the same root (a real process holding the row) refuses a second one;
    a crawl whose process is gone does not."""
    share = share_with(tmp_path / "share")
    db = str(tmp_path / "inv.db")
    assert run("--db", db, "crawl", str(share), "-q").exit_code == 0
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        import socket

        con = sqlite3.connect(db)
        con.execute("INSERT INTO crawls (started, state, roots, options, pid, host) VALUES "
                    "('2026-01-01T00:00:00+00:00', 'running', ?, '{}', ?, ?)",
                    (json.dumps([str(share)]), sleeper.pid, socket.gethostname()))
        con.commit()
        line = one_line_error(run("--db", db, "crawl", str(share / "sub")))
        assert f"crawl 2 of {share} is still running (process {sleeper.pid}" in line
        assert run("--db", db, "crawl", str(tmp_path / "elsewhere")).exit_code == 3  # another root may go ahead
    finally:
        sleeper.kill()
        sleeper.wait()
    assert run("--db", db, "crawl", str(share), "-q").exit_code == 0  # its process is gone


def test_report_reads_while_a_crawl_holds_the_write_lock(tmp_path):
    """Issue 12.17: ``report`` opens the inventory read-only and does not wait for a crawl's writes."""
    share = share_with(tmp_path / "share")
    db = str(tmp_path / "inv.db")
    assert run("--db", db, "crawl", str(share), "-q").exit_code == 0
    writer = sqlite3.connect(db)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE crawls SET seconds = 1")
    try:
        start = time.monotonic()
        out = subprocess.run([sys.executable, "-m", "shadowscan.cli", "--db", db, "report", "-f", "json"], env=ENV,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert time.monotonic() - start < 10 and json.loads(out.stdout)["summary"]["total"] == 3
    finally:
        writer.rollback()


def test_an_inventory_of_the_previous_schema_is_upgraded(tmp_path):
    """A version-1 inventory (one full row per artifact and crawl) opens, reports and re-crawls."""
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.executescript((Path(__file__).parent / "data" / "schema-v1.sql").read_text())
    con.close()
    report = json.loads(run("--db", str(db), "report", "-f", "json").output)
    assert report["summary"]["total"] == 1 and report["artifacts"][0]["relpath"] == "q/reject.py"
    assert report["artifacts"][0]["findings"][0]["rule"] == "quality.decision"
    from shadowscan.migrations import SCHEMA_VERSION

    assert sqlite3.connect(db).execute("SELECT value FROM meta").fetchone()[0] == str(SCHEMA_VERSION)
    applied = [r[0] for r in sqlite3.connect(db).execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert applied == list(range(2, SCHEMA_VERSION + 1))


def test_an_inventory_of_schema_2_gains_the_table_of_files_that_are_no_artifact(tmp_path):
    """tests/data/schema-v2.sql is an inventory as shadowscan wrote it with schema 2."""
    from shadowscan.migrations import SCHEMA_VERSION

    share = share_with(tmp_path / "share")
    db = str(tmp_path / "inv.db")
    con = sqlite3.connect(db)
    con.executescript((Path(__file__).parent / "data" / "schema-v2.sql").read_text())
    con.close()
    assert json.loads(run("--db", db, "report", "-f", "json").output)["summary"]["total"] == 1
    # a report reads it as it is (the reader may not be allowed to write to it); a crawl upgrades it
    assert sqlite3.connect(db).execute("SELECT value FROM meta").fetchone()[0] == "2"
    assert run("--db", db, "crawl", str(share), "-q").exit_code == 0
    con = sqlite3.connect(db)
    assert con.execute("SELECT value FROM meta").fetchone()[0] == str(SCHEMA_VERSION)
    assert con.execute("SELECT COUNT(*) FROM passed").fetchone()[0] == 0


def test_no_write_lock_is_held_while_a_file_is_analysed(tmp_path):
    """Issue 12.17: reused rows of unchanged files are batched, but the batch is committed before a
    slow file goes to a worker: another writer never waits for the whole analysis."""
    import threading

    from shadowscan.scan import CrawlOptions, run_crawl
    from shadowscan.store import Store

    share = share_with(tmp_path / "share", 30)  # tool_*.py: unchanged on the re-crawl, reused cheaply
    slow = share / "zz_slow.py"
    slow.write_text("x = 1\n")
    db = str(tmp_path / "inv.db")
    with Store(db) as store:
        run_crawl([str(share)], store, CrawlOptions(jobs=1))
    slow.write_text("".join(f"def f{i}(a, b):\n    return cost_{i} * price + a - b\n" for i in range(8_000)))
    blocked, stop = [0.0], threading.Event()

    def other_writer() -> None:
        con = sqlite3.connect(db, timeout=0.01, isolation_level=None)
        since = None
        while not stop.is_set():
            try:
                con.execute("BEGIN IMMEDIATE")
                con.execute("ROLLBACK")
                since = None
            except sqlite3.OperationalError:
                since = since or time.monotonic()
                blocked[0] = max(blocked[0], time.monotonic() - since)
            time.sleep(0.005)

    thread = threading.Thread(target=other_writer)
    thread.start()
    try:
        with Store(db) as store:
            start = time.monotonic()
            result = run_crawl([str(share)], store, CrawlOptions(jobs=1))
            took = time.monotonic() - start
    finally:
        stop.set()
        thread.join()
    assert result.changes["unchanged"] == 30 and result.changes["changed"] == 1
    assert took > 1.0, "the slow file was not slow enough to show a held lock"
    assert blocked[0] < 0.5, f"another writer waited {blocked[0]:.2f} s of a {took:.2f} s crawl"


@pytest.mark.skipif(not hasattr(os, "fork") or os.geteuid() != 0, reason="needs root to drop privileges to nobody")
def test_artifacts_under_a_folder_that_cannot_be_listed_are_kept_not_removed():
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        base.chmod(0o777)
        share = share_with(base / "share", 2)
        share_with(share / "closed", 2)
        db = base / "inv.db"
        assert run("--db", str(db), "crawl", str(share), "-q").exit_code == 0
        db.chmod(0o666)
        (share / "closed").chmod(0)
        try:
            code, err = as_nobody("--db", str(db), "crawl", str(share))
        finally:
            (share / "closed").chmod(0o755)
        assert code == 3 and "1 folder could not be listed" in err and "2 artifacts from crawl 1" in err, err
        report = json.loads(run("--db", str(db), "report", "-f", "json").output)
    changes = {a["relpath"]: a["change"] for a in report["artifacts"]}
    assert changes == {"tool_0.py": "unchanged", "tool_1.py": "unchanged",
                       "closed/tool_0.py": "not-rechecked", "closed/tool_1.py": "not-rechecked"}
    assert [(u["relpath"], u["status"]) for u in report["unscanned"]] == [("closed", "unreadable")]
    assert report["changes"]["removed"] == [] and report["coverage"]["roots"][0]["state"] == "partial"


def test_register_into_a_new_inventory_says_so(tmp_path):
    """A registry may start before the first crawl, so `register` creates the inventory; a
    mistyped --db must not pass silently: it says a new one was made, and only the first time."""
    tool = tmp_path / "limits.py"
    tool.write_text("print('limits')\n", encoding="utf-8")
    args = ["--db", str(tmp_path / "typo.db"), "register", str(tool), "--owner", "Anna Berg", "--function", "quality",
            "--purpose", "test limits", "--platform", "python", "--data-access", "read-only"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "there was no inventory at" in first.stderr and "typo.db" in first.stderr
    (tmp_path / "other.py").write_text("print(2)\n", encoding="utf-8")
    second = CliRunner().invoke(main, [*args[:3], str(tmp_path / "other.py"), *args[4:]])
    assert second.exit_code == 0, second.output
    assert "there was no inventory" not in second.stderr


@pytest.mark.skipif(not hasattr(os, "fork") or os.geteuid() != 0, reason="needs root to drop privileges to nobody")
def test_an_inventory_this_user_may_not_write_is_refused_before_anything_starts():
    """An inventory owned by another account in a folder everyone may write (/tmp): SQLite opens it
    read-only without a word and fails at the first write, once a crawl has started. Every command that
    writes refuses it first, in one line saying so, exit 2; nothing is recorded; reports still read it."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        base.chmod(0o1777)
        share = share_with(base / "share")
        tool = share / "tool_0.py"
        db = base / "inv.db"
        assert run("--db", str(db), "crawl", str(share), "-q").exit_code == 0
        assert run("--db", str(db), "register", str(tool), "--owner", "Anna Berg", "--function", "quality",
                   "--purpose", "test limits", "--platform", "python", "--data-access", "read-write"
                   ).exit_code == 0
        export = base / "registry.json"
        assert run("--db", str(db), "registry", "export", "-o", str(export)).exit_code == 0
        db.chmod(0o644)
        before = db.read_bytes()
        for args in (["crawl", str(share)],
                     ["signoff", "1", "--by", "Anna Berg"],
                     ["register", str(share / "tool_1.py"), "--owner", "Anna Berg", "--function", "quality",
                      "--purpose", "test limits", "--platform", "python", "--data-access", "read-write"],
                     ["registry", "edit", "1", "--purpose", "new"],
                     ["registry", "remove", "1"],
                     ["registry", "import", str(export)],
                     ["prune", "--keep", "1"],
                     ["db", "upgrade"]):
            code, err = as_nobody("--db", str(db), *args)
            assert code == 2 and len(err.strip().splitlines()) == 1, (args, err)
            assert err.startswith(f"Error: the inventory {db} is read-only for this user: the file is owned by root "
                                  "with mode 644"), (args, err)
            assert "OperationalError" not in err and "crawl failed" not in err
        assert db.read_bytes() == before
        code, err = as_nobody("--db", str(db), "report", "-f", "json", "-o", str(base / "r.json"))
        assert code == 0, err
        rows = sqlite3.connect(f"file:{db}?mode=ro", uri=True).execute("SELECT COUNT(*) FROM crawls").fetchone()
        assert rows == (1,)

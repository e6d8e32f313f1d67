"""kill -9 at random points of a crawl, repeated: the inventory stays sound, nothing recorded
is lost, and a re-run ends with the same inventory as an uninterrupted crawl."""
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixtures.office import VbaModule, write_workbook

pytestmark = pytest.mark.slow  # real processes and signals: `-m "not slow"` skips them
REPO = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def make_share(root: Path, scripts: int, workbooks: int) -> None:
    for i in range(scripts):
        d = root / f"dept{i % 7}"
        d.mkdir(parents=True, exist_ok=True)
        body = f"import pyodbc\ncur.execute(\"UPDATE Lots SET Status = 'FAIL' WHERE id = {i}\")\n" if i % 3 else \
            f"print({i})\n"
        (d / f"tool_{i:04d}.py").write_text(body)
    for i in range(workbooks):
        write_workbook(root / f"dept{i % 7}" / f"book_{i:03d}.xlsm", sheets={"S": [["x"]]},
                       vba_modules=[VbaModule("M", f'Sub A()\n    ws.Cells(1, {i + 1}).Value = "PASS"\nEnd Sub\n')])


def crawl_cmd(db: Path, share: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "shadowscan.cli", "--db", str(db), "crawl", str(share), "--jobs", "2", "--quiet",
            *extra]


def inventory(db: Path) -> dict[str, tuple]:
    con = sqlite3.connect(db)
    crawl_id = con.execute("SELECT MAX(id) FROM crawls").fetchone()[0]
    return {r[0]: r[1:] for r in con.execute(
        "SELECT relpath, status, classification, impacts, sha256, fingerprint FROM artifacts WHERE crawl_id = ?",
        (crawl_id,))}


def no_process_uses(db: Path, wait: float = 5.0) -> bool:
    """True once no process has ``db`` on its command line (orphaned workers would)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        alive = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _cmdline_has(p, str(db))]
        if not alive:
            return True
        time.sleep(0.1)
    return False


def _cmdline_has(proc: Path, needle: str) -> bool:
    try:
        return needle in (proc / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def recorded(db: Path) -> dict[int, int]:
    con = sqlite3.connect(db)
    return dict(con.execute("SELECT crawl_id, COUNT(*) FROM artifacts GROUP BY crawl_id").fetchall())


def test_kill_dash_nine_repeatedly(tmp_path, soak):
    kills = 12 if soak else 3
    share = tmp_path / "share"
    make_share(share, scripts=1500 if soak else 400, workbooks=60 if soak else 20)
    reference = tmp_path / "reference.db"
    start = time.monotonic()
    subprocess.run(crawl_cmd(reference, share), check=True, env=ENV)
    duration = time.monotonic() - start
    expected = inventory(reference)

    db = tmp_path / "killed.db"
    rng = random.Random(20261124)
    before: dict[int, int] = {}
    for attempt in range(kills):
        # --full: every killed crawl really works (an incremental one would finish before the kill)
        proc = subprocess.Popen(crawl_cmd(db, share, "--full"), env=ENV, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 0.85) * duration)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert no_process_uses(db), "analysis workers outlived the killed crawl"
        con = sqlite3.connect(db)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", f"after kill {attempt + 1}"
        # every artifact row is whole: its findings arrived in the same transaction
        orphans = con.execute("SELECT COUNT(*) FROM findings WHERE artifact_id NOT IN (SELECT id FROM artifacts)")
        assert orphans.fetchone()[0] == 0
        unanalysed = con.execute("SELECT COUNT(*) FROM versions WHERE analysis_id IS NULL "
                                 "OR analysis_id NOT IN (SELECT id FROM analyses)")
        assert unanalysed.fetchone()[0] == 0  # and its analysis with it
        now = recorded(db)
        for crawl_id, count in before.items():
            assert now.get(crawl_id) == count, f"rows of crawl {crawl_id} were lost"
        before = now
    assert sum(before.values()) > 0, "no kill landed after the first artifacts were recorded"
    subprocess.run(crawl_cmd(db, share), check=True, env=ENV)
    assert inventory(db) == expected
    states = dict(sqlite3.connect(db).execute("SELECT id, state FROM crawls").fetchall())
    assert list(states.values())[-1] == "finished"
    assert "running" in list(states.values())[:-1], "killed crawls stay marked as not finished"


# -- private copies of databases (issue 12, item 12) ------------------------------------------------
# The ODBC driver reads a file, so each database is analysed from a private copy in the temporary
# folder. Each test gives its crawls their own TMPDIR, slows the analysis with a generated database
# whose VBA takes seconds to judge, and stops the crawl (or its worker) for real while a copy exists.
import shutil  # noqa: E402
import stat  # noqa: E402

import pytest  # noqa: E402

from shadowscan.analyzers.access import pick_driver  # noqa: E402

needs_driver = pytest.mark.skipif(pick_driver() is None, reason="no Access ODBC driver (apt-get install odbc-mdbtools)")


def slow_database(path: Path) -> Path:
    """A JET4 database whose analysis takes seconds (ten modules of 300 cost postings each)."""
    from fixtures.jet4 import Column, Table, write_mdb

    code = "".join(f'Sub Post{i}()\n    cn.Execute "UPDATE Kosten SET Betrag = Betrag * {i} WHERE Konto = \'{i}\'"\n'
                   f'    ws.Cells({i}, 2).Value = "FAIL"\nEnd Sub\n' for i in range(300))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_mdb(path, tables=[Table("Kosten", [Column("Betrag", "currency")], [(i,) for i in range(2000)])],
              modules=[VbaModule(f"Mod{i}", code) for i in range(10)])
    return path


def copy_share(root: Path, databases: int = 3) -> Path:
    first = slow_database(root / "db0.mdb")
    for i in range(1, databases):
        shutil.copyfile(first, root / f"db{i}.mdb")
    return root


def tmp_env(tmp: Path) -> dict[str, str]:
    tmp.mkdir(exist_ok=True)
    return {**ENV, "TMPDIR": str(tmp)}


def leftovers(tmp: Path) -> list[Path]:
    return sorted(tmp.glob("shadowscan-*"))


def wait_for_copy(tmp: Path, proc: subprocess.Popen, wait: float = 60.0, known: tuple[Path, ...] = ()) -> Path:
    """The private copy a worker of ``proc`` is analysing right now (its folder and file exist)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        found = [p for p in tmp.glob("shadowscan-*/artifact.mdb") if p not in known]
        if found:
            return found[0]
        assert proc.poll() is None, "the crawl ended before a worker made a private copy"
        time.sleep(0.01)
    raise AssertionError("no private copy appeared")


def start_crawl(db: Path, share: Path, tmp: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "shadowscan.cli", "--db", str(db), "crawl", str(share), "--jobs",
                             "1", "--quiet", *extra], env=tmp_env(tmp), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)


def children(pid: int) -> list[int]:
    out = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                stat_line = (proc / "stat").read_text()
            except OSError:
                continue
            if int(stat_line.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(proc.name))
    return out


def statuses(db: Path) -> dict[str, tuple[str, str]]:
    return {r[0]: (r[1], r[2]) for r in sqlite3.connect(db).execute(
        "SELECT relpath, status, status_reason FROM artifacts WHERE crawl_id = (SELECT MAX(id) FROM crawls)")}


@needs_driver
def test_private_copy_is_private_and_gone_after_a_timeout(tmp_path):
    share, tmp = copy_share(tmp_path / "share", databases=2), tmp_path / "tmp"
    proc = start_crawl(tmp_path / "inv.db", share, tmp, "--timeout", "0.5")
    copy = wait_for_copy(tmp, proc)
    folder_mode, file_mode = stat.S_IMODE(copy.parent.stat().st_mode), stat.S_IMODE(copy.stat().st_mode)
    assert proc.wait(timeout=120) == 4, proc.stderr.read()  # stopped at the timeout: not analysed
    assert {s for s, _ in statuses(tmp_path / "inv.db").values()} == {"timeout"}
    assert leftovers(tmp) == [], "a worker stopped at its timeout left its database copy behind"
    assert (folder_mode, file_mode) == (0o700, 0o600)


@needs_driver
def test_private_copy_is_gone_after_the_worker_crashes(tmp_path):
    """A driver crash kills the worker with SIGSEGV: the same signal, sent to the real worker."""
    share, tmp = copy_share(tmp_path / "share", databases=2), tmp_path / "tmp"
    proc = start_crawl(tmp_path / "inv.db", share, tmp)
    wait_for_copy(tmp, proc)
    (worker,) = children(proc.pid)
    os.kill(worker, signal.SIGSEGV)
    assert proc.wait(timeout=120) == 4, proc.stderr.read()  # analyzer-crashed: not analysed
    rows = statuses(tmp_path / "inv.db")
    crashed = [r for r in rows.values() if r[0] == "analyzer-crashed"]
    assert len(crashed) == 1 and "SIGSEGV" in crashed[0][1], rows
    assert leftovers(tmp) == [], "a crashed worker's database copy stayed behind"


@needs_driver
@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_private_copy_is_gone_after_the_crawl_is_stopped(tmp_path, how):
    share, tmp = copy_share(tmp_path / "share"), tmp_path / "tmp"
    proc = start_crawl(tmp_path / "inv.db", share, tmp)
    wait_for_copy(tmp, proc)
    if how == "ctrl-c":  # a terminal sends SIGINT to the whole foreground process group
        os.killpg(proc.pid, signal.SIGINT)
    else:  # a stopped service: SIGTERM to the crawl process
        proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 3, proc.stderr.read()
    assert no_process_uses(tmp_path / "inv.db")
    assert leftovers(tmp) == [], f"the database copy stayed behind after {how}"


@needs_driver
def test_copies_of_a_killed_crawl_are_removed_by_the_next_crawl_but_not_those_of_a_live_one(tmp_path):
    share, tmp = copy_share(tmp_path / "share"), tmp_path / "tmp"
    proc = start_crawl(tmp_path / "killed.db", share, tmp)
    dead = wait_for_copy(tmp, proc).parent
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert no_process_uses(tmp_path / "killed.db"), "analysis workers outlived the killed crawl"
    assert dead.exists(), "nothing can remove a copy at the moment of kill -9: the next crawl does"

    # another crawl is running and analysing a database right now: its copy must survive
    live_crawl = start_crawl(tmp_path / "live.db", copy_share(tmp_path / "other"), tmp)
    live = wait_for_copy(tmp, live_crawl, known=(dead / "artifact.mdb",))
    os.kill(children(live_crawl.pid)[0], signal.SIGSTOP)  # hold it on that copy while the next crawl starts
    # and things that are not ours to judge: an older-style folder, another user's folder of a dead process
    foreign = tmp / "shadowscan-abc123"
    foreign.mkdir()
    other_user = tmp / f"shadowscan-{dead.name.split('-')[1]}-s1-other"  # the dead worker's PID
    other_user.mkdir()
    if os.getuid() == 0:
        os.chown(other_user, 65534, 65534)
    try:
        scripts = tmp_path / "scripts"
        scripts.mkdir()
        (scripts / "a.py").write_text("print(1)\n")
        subprocess.run(crawl_cmd(tmp_path / "next.db", scripts), check=True, env=tmp_env(tmp))
        assert not dead.exists(), "the next crawl left the killed crawl's database copy"
        assert live.exists(), "the next crawl removed a live crawl's database copy"
        assert foreign.exists(), "a folder without an owner in its name is not shadowscan's to remove"
        if os.getuid() == 0:
            assert other_user.exists(), "another user's folder was removed"
    finally:
        for worker in children(live_crawl.pid):
            os.kill(worker, signal.SIGCONT)
        live_crawl.send_signal(signal.SIGTERM)
        live_crawl.wait(timeout=60)
    assert sorted(leftovers(tmp)) == sorted([foreign, other_user])

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

from shadowscan.fixtures.office import VbaModule, write_workbook

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

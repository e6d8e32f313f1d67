"""Crawlers and analysis workers as real processes on one real PostgreSQL inventory: the verdicts
equal a single SQLite crawl; kill -9 of workers and of a crawler loses nothing and stores nothing
twice; a file that takes down every worker ends as analyzer-crashed after a bounded number of tries."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from shadowscan.cli import main
from shadowscan.db import connect
from shadowscan.queue import MAX_TRIES

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples" / "share"
ENV = {**os.environ, "PYTHONPATH": str(REPO), "SHADOWSCAN_PROGRESS_EVERY": "1"}
STALLED = "2"  # seconds without a heartbeat before a dead worker's job goes to another


def shadowscan(db, *args):
    return subprocess.Popen([sys.executable, "-m", "shadowscan.cli", "--db", db, *map(str, args)], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def workers(db, n):
    return [shadowscan(db, "worker", "--stalled-after", STALLED) for _ in range(n)]


def stop(procs):
    for p in procs:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()


def query(db, sql, args=()):
    conn = connect(db, readonly=True)
    try:
        return [tuple(r) for r in conn.execute(sql, args).fetchall()]
    except psycopg.errors.UndefinedTable:  # the first process has not created the inventory yet
        return []
    finally:
        conn.close()


def verdicts(db, *args):
    result = CliRunner().invoke(main, ["--db", db, "report", "-f", "json", *args])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    return report, sorted((a["path"], a["classification"], a["status"], tuple(a["impacts"]), a["risk_score"],
                           tuple(sorted(f["rule"] for f in a["findings"]))) for a in report["artifacts"])


def copies(tmp_path, n):
    """The demo share copied ``n`` times (the same tools on several shares, as plants have them)."""
    roots = []
    for i in range(n):
        root = tmp_path / "estate" / f"plant{i}"
        shutil.copytree(SAMPLES, root, symlinks=True)
        roots.append(root)
    return roots


def slow_script(path, functions=6_000):
    """A script whose analysis takes seconds (long enough to kill its worker mid-file)."""
    path.write_text("".join(f"def f{i}(a, b):\n    return cost_{i} * price + a - b\n" for i in range(functions)))
    return path


def no_duplicates(db, crawl_id):
    assert query(db, "SELECT path, COUNT(*) FROM artifacts WHERE crawl_id = ? GROUP BY path HAVING COUNT(*) > 1",
                 (crawl_id,)) == []


def test_two_crawlers_and_three_workers_store_the_verdicts_of_one_sqlite_crawl(tmp_path, pg_url):
    roots = copies(tmp_path, 4)
    lite = str(tmp_path / "single.db")
    single = subprocess.run([sys.executable, "-m", "shadowscan.cli", "--db", lite, "crawl", *map(str, roots), "-q"],
                            env=ENV, capture_output=True, text=True)
    assert single.returncode in (0, 1), single.stderr
    crew = workers(pg_url, 3)
    try:
        crawlers = [shadowscan(pg_url, "crawl", roots[0], roots[1], "--queue", "--site", "North"),
                    shadowscan(pg_url, "crawl", roots[2], roots[3], "--queue", "--site", "South")]
        for crawler in crawlers:
            out, err = crawler.communicate(timeout=600)
            assert crawler.returncode in (0, 1), err
            assert "coverage complete" in out
    finally:
        stop(crew)
    done = [int(line.split()[2].replace(",", "")) for p in crew for line in p.stderr.read().splitlines()
            if line.startswith("Worker stopped")]
    assert len(done) == 3 and sum(done) >= 4 * 30 and sum(1 for d in done if d) >= 2, done  # shared out
    report, distributed = verdicts(pg_url)
    assert distributed == verdicts(lite)[1] and len(distributed) == 4 * len(verdicts(lite, "--root", roots[0])[1])
    assert report["summary"]["coverage_complete"]
    for crawl_id, in query(pg_url, "SELECT id FROM crawls"):
        no_duplicates(pg_url, crawl_id)
    assert query(pg_url, "SELECT COUNT(*) FROM pending") == [(0,)]
    listing = CliRunner().invoke(main, ["--db", pg_url, "crawls"]).output
    assert "North@" in listing and "South@" in listing and listing.count("finished") == 2


def wait_for(condition, timeout=120, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_kill_9_of_a_worker_and_of_a_crawler_then_resume_loses_nothing(tmp_path, pg_url):
    roots = copies(tmp_path, 3)
    slow = slow_script(roots[0] / "Quality" / "zz_slow_limits.py")
    lite = str(tmp_path / "single.db")
    single = subprocess.run([sys.executable, "-m", "shadowscan.cli", "--db", lite, "crawl", *map(str, roots), "-q",
                             "--timeout", "600"], env=ENV, capture_output=True, text=True)
    assert single.returncode in (0, 1), single.stderr
    first = workers(pg_url, 1)
    crawler = shadowscan(pg_url, "crawl", *roots, "--queue", "--timeout", "600")
    crew = []
    try:
        # the worker takes the slow file (its try is committed before the analysis starts): kill -9 it mid-file
        wait_for(lambda: query(pg_url, "SELECT tries FROM pending WHERE path = ?", (str(slow),)) == [(1,)],
                 what="a worker taking the slow file")
        os.killpg(first[0].pid, signal.SIGKILL)
        first[0].wait()
        crew = workers(pg_url, 2)
        # some files stored, some still pending: kill -9 the crawler
        wait_for(lambda: query(pg_url, "SELECT COUNT(*) FROM members") > [(5,)], what="verdicts stored")
        assert query(pg_url, "SELECT COUNT(*) FROM pending")[0][0] > 0
        os.killpg(crawler.pid, signal.SIGKILL)
        crawler.wait()
        listing = CliRunner().invoke(main, ["--db", pg_url, "crawls"]).output
        assert "stopped" in listing and "INCOMPLETE" in listing
        report, _ = verdicts(pg_url)
        assert not report["summary"]["coverage_complete"]  # a crawl with files pending is never an all-clear
        # resume: crawl again (the lease went with the killed crawler), the workers carry on
        again = shadowscan(pg_url, "crawl", *roots, "--queue", "--timeout", "600")
        out, err = again.communicate(timeout=600)
        assert again.returncode in (0, 1), err
        assert "coverage complete" in out
    finally:
        stop(crew + first + [crawler])
    report, resumed = verdicts(pg_url)
    assert resumed == verdicts(lite)[1] and report["summary"]["coverage_complete"]
    slow_row = [a for a in report["artifacts"] if a["path"] == str(slow)][0]
    assert slow_row["status"] == "analyzed"  # retried by another worker after the kill, analysed once
    for crawl_id, in query(pg_url, "SELECT id FROM crawls"):
        no_duplicates(pg_url, crawl_id)
    (latest,) = query(pg_url, "SELECT MAX(id) FROM crawls")[0]
    assert query(pg_url, "SELECT COUNT(*) FROM pending WHERE crawl_id = ?", (latest,)) == [(0,)]


def test_a_file_that_takes_down_every_worker_ends_as_analyzer_crashed(tmp_path, pg_url):
    """Each worker that takes the file is killed (-9) mid-analysis; after MAX_TRIES the next worker
    stores it as analyzer-crashed without trying again, and the crawl finishes."""
    share = tmp_path / "share"
    share.mkdir()
    poison = slow_script(share / "poison.py")
    (share / "ok.py").write_text("import pandas as pd\nprint(pd.read_csv('x.csv').describe())\n")
    crawler = shadowscan(pg_url, "crawl", share, "--queue", "--timeout", "600")
    killed, last = [], []
    try:
        for attempt in range(1, MAX_TRIES + 1):
            worker = workers(pg_url, 1)[0]
            killed.append(worker)
            wait_for(lambda attempt=attempt: query(pg_url, "SELECT tries FROM pending WHERE path = ?", (str(poison),))
                     == [(attempt,)], what=f"try {attempt}")
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        last = workers(pg_url, 1)
        _, err = crawler.communicate(timeout=300)
        assert crawler.returncode == 4, err  # analyzer-crashed: not analysed, and the crawl says so
        assert "1 file could not be analysed (analyzer-crashed 1)" in err
    finally:
        stop(killed + last + [crawler])
    report, _ = verdicts(pg_url)
    by_name = {a["relpath"]: a for a in report["artifacts"]}
    assert by_name["poison.py"]["status"] == "analyzer-crashed"
    assert f"stopped {MAX_TRIES} workers" in by_name["poison.py"]["status_reason"]
    assert by_name["ok.py"]["status"] == "analyzed"


def write(db, sql, args=()):
    conn = connect(db)
    try:
        conn.execute(sql, args)
        conn.commit()
    finally:
        conn.close()


def test_pending_files_whose_jobs_are_gone_are_queued_again_and_the_crawl_ends(tmp_path, pg_url):
    """The crawler was cut between committing its pending files and deferring their jobs (here: the
    jobs deleted before any worker ran): it notices files no job covers and defers them again, so the
    crawl ends instead of waiting forever."""
    share = tmp_path / "share"
    share.mkdir()
    for i in range(3):
        (share / f"tool{i}.py").write_text(f"import pandas as pd\nprint(pd.read_csv('{i}.csv').describe())\n")
    crawler = shadowscan(pg_url, "crawl", share, "--queue", "-q")
    worker = []
    try:
        wait_for(lambda: query(pg_url, "SELECT COUNT(*) FROM procrastinate_jobs") == [(1,)], what="the job")
        assert query(pg_url, "SELECT COUNT(*) FROM pending") == [(3,)]
        write(pg_url, "DELETE FROM procrastinate_jobs")
        worker = workers(pg_url, 1)
        _, err = crawler.communicate(timeout=120)
        assert crawler.returncode == 0, err
    finally:
        stop(worker + [crawler])
    report, _ = verdicts(pg_url)
    assert sorted(a["relpath"] for a in report["artifacts"]) == ["tool0.py", "tool1.py", "tool2.py"]
    assert report["summary"]["coverage_complete"]


def test_a_file_that_fails_outside_the_analysis_ends_the_crawl_with_the_reason(tmp_path, pg_url):
    """A pending file a worker cannot handle (its candidate from a newer crawler, of a kind this worker
    does not know) fails in the worker, not in the analysis pool: the other file of the job is stored,
    the job is retried with backoff, and once the file had every try the crawl ends, incomplete, with
    the reason, instead of waiting forever."""
    share = tmp_path / "share"
    share.mkdir()
    (share / "ok.py").write_text("import pandas as pd\nprint(pd.read_csv('x.csv').describe())\n")
    (share / "new.py").write_text("import pandas as pd\nprint(pd.read_csv('y.csv').describe())\n")
    crawler = shadowscan(pg_url, "crawl", share, "--queue", "-q")
    worker = []
    try:
        wait_for(lambda: query(pg_url, "SELECT COUNT(*) FROM procrastinate_jobs") == [(1,)], what="the job")
        (candidate,) = query(pg_url, "SELECT candidate FROM pending WHERE path LIKE ?", ("%new.py",))[0]
        data = json.loads(candidate)
        write(pg_url, "UPDATE pending SET candidate = ? WHERE path LIKE ?",
              (json.dumps({**data, "kind": "kind-of-a-newer-release"}), "%new.py"))
        worker = workers(pg_url, 1)
        _, err = crawler.communicate(timeout=180)
    finally:
        stop(worker + [crawler])
    assert crawler.returncode != 0 and "could be neither analysed nor stored after" in err, err
    assert "new.py" in err and len(err.strip().splitlines()) == 1, err
    assert query(pg_url, "SELECT state FROM crawls") == [("failed",)]
    assert [r[0].rsplit("/", 1)[1] for r in query(pg_url, "SELECT path FROM versions")] == ["ok.py"]

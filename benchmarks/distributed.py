#!/usr/bin/env python3
"""Benchmark 9 (issue 17): distributed analysis against one PostgreSQL, and the SQLite crawl.

1. A generated tree of macro workbooks (the project's own writer, as analysis.py) is crawled
   with ``crawl --queue`` and analysed by 1, 2 and 4 ``shadowscan worker`` processes against
   one PostgreSQL server (started here, tests/pgserver.py), each into a fresh database;
   time from the crawl's start until it ends (it ends when every file is stored).
   Aim: 2 workers >= 1.7x the throughput of 1 (on 2 cores).
2. The single-host SQLite crawl (``crawl --jobs 2``) of the same tree with this code and with
   the code of a reference commit (default ``main``, exported with ``git archive``), in the
   same run. Aim: not slower.
"""
from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, env, report, shadowscan, timed
from analysis import make_workbooks

sys.path.insert(0, str(REPO / "tests"))
from pgserver import PostgresServer  # noqa: E402


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _server_cpu(server: PostgresServer) -> float:
    """CPU seconds of the PostgreSQL server and the backends it has reaped (/proc: utime, stime,
    cutime, cstime of the postmaster)."""
    assert server.proc is not None
    fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def distributed(server: PostgresServer, share: Path, workers: int, n: int, name: str) -> tuple[float, float]:
    """(seconds from the queued crawl's start to its end, CPU seconds of crawler, workers, their analysis
    processes and the database server) with ``workers`` worker processes."""
    url = server.create_database(name)
    # the schema first (a crawl would create it too), so that workers and crawler start alike
    subprocess.run([sys.executable, "-c", f"from shadowscan.store import Store; Store({url!r}).close()"],
                   env=env(), check=True)
    cpu = _children_cpu() + _server_cpu(server)
    crew = [subprocess.Popen(shadowscan("--db", url, "worker"), env=env(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True) for _ in range(workers)]
    try:
        time.sleep(1.0)  # workers connected and listening
        seconds, proc = timed(shadowscan("--db", url, "crawl", str(share), "--queue", "--quiet"), env=env())
    finally:
        for p in crew:
            p.send_signal(signal.SIGTERM)
        for p in crew:
            p.wait(120)
    lines = [line for p in crew for line in (p.stderr.read() if p.stderr else "").splitlines()]
    done = sum(int(line.split()[2].replace(",", "")) for line in lines if line.startswith("Worker stopped"))
    if done < n:
        raise SystemExit(f"the workers analysed {done} of {n} files")
    time.sleep(0.5)  # the server reaps the backends of the closed connections
    return seconds, _children_cpu() + _server_cpu(server) - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workbooks", type=int, default=5000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--reference", default="main", help="git commit or branch to compare the SQLite crawl with")
    parser.add_argument("--repeat", type=int, default=1, help="repeat each measurement (best is reported)")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        share = Path(tmp) / "share"
        started = time.perf_counter()
        make_workbooks(share, args.workbooks)
        n = sum(1 for _ in share.rglob("*.xlsm"))
        print(f"generated {n} workbooks in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        timed(["cat", *map(str, share.rglob("*.xlsm"))])  # the page cache warm for every run
        ref = Path(tmp) / "reference"
        ref.mkdir()
        archive = subprocess.run(["git", "-C", str(REPO), "archive", args.reference], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(ref)], input=archive.stdout, check=True)
        ref_env = {**os.environ, "PYTHONPATH": str(ref)}
        rows: list[tuple[str, str]] = [("load average at start", " ".join(f"{x:.2f}" for x in os.getloadavg()))]
        lite = {"reference": float("inf"), "this branch": float("inf")}
        lite_cpu = {"reference": float("inf"), "this branch": float("inf")}
        for attempt in range(args.repeat):  # interleaved, so that a change of load hits both alike
            for label, environment in (("reference", ref_env), ("this branch", env())):
                db = Path(tmp) / f"{label.replace(' ', '_')}{attempt}.db"
                before = _children_cpu()
                seconds, _ = timed([sys.executable, "-m", "shadowscan.cli", "--db", str(db), "crawl", str(share),
                                    "--jobs", "2", "--quiet"], env=environment)
                lite[label] = min(lite[label], seconds)
                lite_cpu[label] = min(lite_cpu[label], _children_cpu() - before)
        for label, best in lite.items():
            rows.append((f"SQLite crawl --jobs 2, {label} (best of {args.repeat})",
                         f"{best:.1f} s ({n / best:.0f} files/s), CPU {1000 * lite_cpu[label] / n:.1f} ms/file"))
        rows.append(("SQLite: this branch vs reference", f"{lite['reference'] / lite['this branch']:.2f}x "
                                                         "the reference's rate (aim >= 1.0, within noise)"))
        with PostgresServer() as server:
            rate: dict[int, float] = {}
            seconds = {w: float("inf") for w in counts}
            cpu = {w: float("inf") for w in counts}
            for i in range(args.repeat):  # interleaved as above
                for workers in counts:
                    wall, used = distributed(server, share, workers, n, f"b{workers}_{i}")
                    seconds[workers], cpu[workers] = min(seconds[workers], wall), min(cpu[workers], used)
            for workers in counts:
                rate[workers] = n / seconds[workers]
                rows.append((f"PostgreSQL, {workers} worker(s) (best of {args.repeat})",
                             f"{seconds[workers]:.1f} s ({rate[workers]:.0f} files/s), "
                             f"CPU {1000 * cpu[workers] / n:.1f} ms/file (crawler, workers, analysis, server)"))
            if 1 in rate:
                for workers in counts[1:]:
                    rows.append((f"scaling 1 -> {workers} workers", f"{rate[workers] / rate[1]:.2f}x"
                                 + ("  (aim >= 1.7x)" if workers == 2 else "")))
        rows.append(("load average at end", " ".join(f"{x:.2f}" for x in os.getloadavg())))
        report(f"distributed analysis of {n} macro workbooks ({os.cpu_count()} cores)", rows)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark 5: peak memory crawling 10,000 vs 100,000 files. Aim: under 1.3x.

Every file is a small candidate script, so each one is listed, analysed in a worker,
classified and stored: the whole pipeline runs per file. Peak RSS is the largest of
the crawl process and its workers.
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import env, make_tree, peak_rss_mb, report, shadowscan

SCRIPT = b"import pyodbc\ncn = pyodbc.connect('DSN=MES')\nrows = cn.execute('SELECT * FROM v_oee').fetchall()\n"


def measure(files: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = make_tree(Path(tmp) / "share", files, name="tool{:06d}.py", content=SCRIPT)
        return peak_rss_mb(shadowscan("--db", str(Path(tmp) / "inv.db"), "crawl", str(root), "--quiet"), env=env())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    args = parser.parse_args()
    small_s, small_mb = measure(args.small)
    large_s, large_mb = measure(args.large)
    report("peak memory of a crawl", [
        (f"{args.small:,} files", f"{small_mb:.0f} MiB peak, {small_s:.0f} s ({args.small / small_s:,.0f} files/s)"),
        (f"{args.large:,} files", f"{large_mb:.0f} MiB peak, {large_s:.0f} s ({args.large / large_s:,.0f} files/s)"),
        ("ratio large / small", f"{large_mb / small_mb:.2f}x  (aim < 1.3x)"),
    ])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark 1: discovery over a 200,000-file tree with no candidates, vs `find -type f`.

Aim: at least half of find's rate (issue 18: at 1,000,000 files, ``--files 1000000``) with
flat memory. Both walk the same tree in the same run; the tree is made fresh in a temporary
folder, or once in ``--tree DIR`` and reused (page cache warmed by one untimed walk of each).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import env, make_tree, peak_rss_mb, report, timed

from shadowscan.crawl import walk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200_000)
    parser.add_argument("--tree", help="make the tree in this folder once and reuse it (it is kept)")
    args = parser.parse_args()
    if args.tree:
        measure(Path(args.tree), args.files)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            measure(Path(tmp), args.files)


def measure(folder: Path, files: int) -> None:
    marker = folder / f"complete-{files}"
    if not marker.exists():
        make_tree(folder, files)
        marker.write_text("")
    root = folder
    find = ["find", str(root), "-type", "f"]
    find_quietly = {"stdout": subprocess.DEVNULL}  # its output thrown away, not read through a pipe
    timed(find, **find_quietly)
    sum(1 for _ in walk([str(root)]))
    finds, ours = [], []
    for _ in range(3):  # alternated, so that a busy moment of the machine hits both
        finds.append(timed(find, **find_quietly)[0])
        start = time.perf_counter()
        found = sum(1 for _ in walk([str(root)]))
        ours.append(time.perf_counter() - start)
    assert found == 0, "the tree holds no candidates"
    find_s, ours_s = min(finds), min(ours)
    walk_code = ("import sys; from shadowscan.crawl import walk; "
                 "sys.exit(sum(1 for _ in walk([sys.argv[1]])))")
    small = peak_rss_mb([sys.executable, "-c", walk_code, str(root / "d000")], env=env())[1]
    peak = peak_rss_mb([sys.executable, "-c", walk_code, str(root)], env=env())[1]
    report(f"discovery (no candidates, load {os.getloadavg()[0]:.1f})", [
        ("files", f"{files:,}"),
        ("find -type f", f"{find_s:.2f} s ({files / find_s:,.0f} files/s)"),
        ("shadowscan walk", f"{ours_s:.2f} s ({files / ours_s:,.0f} files/s)"),
        ("peak RSS of the walk: 5,000 files vs all", f"{small:.0f} MiB vs {peak:.0f} MiB"),
        ("ratio (shadowscan rate / find rate)", f"{find_s / ours_s:.2f}  (aim >= 0.5)"),
    ])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark 1: discovery over a 200,000-file tree with no candidates, vs `find -type f`.

Aim: at least half of find's rate. Both walk the same tree in the same run; the tree is
made fresh in a temporary folder (page cache warmed by one untimed walk of each).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import make_tree, report, timed

from shadowscan.crawl import walk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = make_tree(Path(tmp), args.files)
        timed(["find", str(root), "-type", "f"])
        sum(1 for _ in walk([str(root)]))
        find_s = min(timed(["find", str(root), "-type", "f"])[0] for _ in range(3))
        ours = []
        for _ in range(3):
            start = time.perf_counter()
            found = sum(1 for _ in walk([str(root)]))
            ours.append(time.perf_counter() - start)
        assert found == 0, "the tree holds no candidates"
        ours_s = min(ours)
        report("discovery (no candidates)", [
            ("files", f"{args.files:,}"),
            ("find -type f", f"{find_s:.2f} s ({args.files / find_s:,.0f} files/s)"),
            ("shadowscan walk", f"{ours_s:.2f} s ({args.files / ours_s:,.0f} files/s)"),
            ("ratio (shadowscan rate / find rate)", f"{find_s / ours_s:.2f}  (aim >= 0.5)"),
        ])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark 7: inventory growth per unchanged re-crawl of 10,000 artifacts. Aim: under 1 MB.

The reference, measured in the same run, is the size the first crawl of the same tree
added (what every re-crawl used to add when each crawl stored a full row per artifact).
Sizes are the pages in use after a WAL checkpoint (free pages excluded).
"""
from __future__ import annotations

import argparse
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from _common import env, make_tree, report, shadowscan

SCRIPTS = (b"import pyodbc\ncur.execute(\"UPDATE Lots SET Disposition = 'REJECT' WHERE Cpk < 1.33\")\n",
           b"import pandas as pd\ndf = pd.read_sql('SELECT day, oee FROM oee_daily', con)\ndf.plot()\n")


def used_bytes(db: Path) -> int:
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = con.execute("PRAGMA page_count").fetchone()[0] - con.execute("PRAGMA freelist_count").fetchone()[0]
    size = pages * con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=int, default=10_000)
    parser.add_argument("--recrawls", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = make_tree(Path(tmp) / "share", args.artifacts, name="tool{:06d}.py", content=SCRIPTS[0])
        for n, path in enumerate(sorted(root.rglob("*.py"))):
            if n % 2:
                path.write_bytes(SCRIPTS[1])
        db = Path(tmp) / "inv.db"
        crawl = shadowscan("--db", str(db), "crawl", str(root), "--quiet")
        subprocess.run(crawl, env=env(), check=True)
        sizes = [used_bytes(db)]
        for _ in range(args.recrawls):
            subprocess.run(crawl, env=env(), check=True)
            sizes.append(used_bytes(db))
    growth = [b - a for a, b in zip(sizes, sizes[1:])]
    worst = max(growth)
    report("inventory growth per unchanged re-crawl", [
        (f"first crawl of {args.artifacts:,} artifacts (reference)", f"{sizes[0] / 1e6:.2f} MB"),
        ("each re-crawl adds", ", ".join(f"{g / 1e6:.3f} MB" for g in growth)
         + f"  ({worst / args.artifacts:.0f} bytes per artifact; aim < 1 MB)"),
        ("ratio re-crawl / first crawl", f"{worst / sizes[0]:.3f}x"),
    ])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark: Access databases analysed with one worker and with two (issue 18.6).

``--databases`` JET4 files written by the project's own writer (fixtures/jet4.py: tables with
rows, saved select and update queries, a linked ODBC table, VBA modules) are crawled with
``--jobs 1`` and ``--jobs 2`` (fresh inventories, the same folder, one run), and listed by
MDBTools' own command-line tools (``mdb-tables`` and ``mdb-queries`` per file, one process
after another) as a reference. Aim: ``--jobs 2`` at least 1.7x ``--jobs 1`` on two cores.
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from _common import env, report, shadowscan, timed

from fixtures.jet4 import (
    Column,
    LinkedTable,
    Query,
    QueryRow,
    Table,
    write_mdb,
)
from fixtures.office import VbaModule


def make_databases(folder: Path, count: int) -> None:
    for i in range(count):
        rows = [(n, f"Merkmal {n}", n / 4, Decimal(n) / 4) for n in range(1, 50 + i % 150)]
        limits = Table("Grenzwerte", [Column("Id", "long"), Column("Merkmal", "text"), Column("USL", "double"),
                                      Column("Preis", "currency")], rows)
        select = Query("qryGrenzen", [QueryRow(0), QueryRow(1, flag=1), QueryRow(5, name1="Grenzwerte"),
                                      QueryRow(6, expression="Grenzwerte.Merkmal"),
                                      QueryRow(8, expression="Grenzwerte.USL>1"), QueryRow(255)])
        update = Query("qryPreis", [QueryRow(0), QueryRow(1, flag=4), QueryRow(5, name1="Grenzwerte"),
                                    QueryRow(6, expression="Grenzwerte.Preis*1.1", name1="Grenzwerte.Preis"),
                                    QueryRow(255)], flags=48)
        link = LinkedTable("ERP_Auftraege", "dbo.Orders", connect="ODBC;DSN=ERP;UID=planer;")
        module = VbaModule("modPruefung", "Sub Pruefen()\n" + "".join(
            f"    If Me.Wert{n} > {n * 1.5} Then Me.Status = \"NIO\"\n" for n in range(i % 40)) + "End Sub\n")
        sub = folder / f"dept{i % 8}"
        sub.mkdir(parents=True, exist_ok=True)
        write_mdb(sub / f"db_{i:04d}.mdb", [limits], [select, update], [link], modules=[module])


def mdbtools(files: list[Path]) -> float:
    start = time.perf_counter()
    for path in files:
        timed(["mdb-tables", "-1", str(path)])
        timed(["mdb-queries", "-1", str(path)])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", type=int, default=300)
    args = parser.parse_args()
    for tool in ("mdb-tables", "mdb-queries"):
        if not shutil.which(tool):
            raise SystemExit(f"cannot run the Access benchmark: {tool} not found (Debian: apt-get install mdbtools)")
    with tempfile.TemporaryDirectory() as tmp:
        share = Path(tmp) / "share"
        make_databases(share, args.databases)
        files = sorted(share.rglob("*.mdb"))
        timed(["cat", *map(str, files)])  # warm the page cache
        reference = mdbtools(files)
        seconds = {}
        for jobs in (1, 2):
            db = Path(tmp) / f"jobs{jobs}.db"
            seconds[jobs], proc = timed(shadowscan("--db", str(db), "crawl", str(share), "--jobs", str(jobs)),
                                        env=env())
            assert f"{args.databases} artifacts" in proc.stdout + proc.stderr, proc.stdout + proc.stderr
        n = args.databases
        report(f"Access: {n} generated JET4 databases ({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})", [
            ("mdb-tables + mdb-queries per file", f"{reference:.1f} s ({n / reference:.1f} files/s)"),
            ("shadowscan crawl --jobs 1", f"{seconds[1]:.1f} s ({n / seconds[1]:.1f} files/s)"),
            ("shadowscan crawl --jobs 2", f"{seconds[2]:.1f} s ({n / seconds[2]:.1f} files/s)"),
            ("--jobs 2 speed-up over --jobs 1", f"{seconds[1] / seconds[2]:.2f}x  (aim >= 1.7x)"),
        ])


if __name__ == "__main__":
    main()

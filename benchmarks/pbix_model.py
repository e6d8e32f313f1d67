#!/usr/bin/env python3
"""Benchmark (issue 16): reading a .pbix data model, shadowscan against pbixray itself.

Real reports: the .pbix files of pbixray's own test data (MIT), read from the fetched snapshot
of Hugoberry/pbixray (``--mirror``; see tests/realworld/SOURCES.tsv), every one that is present.
Measured in one process, on bytes already in memory, best of ``--repeat`` per file:

* reference: pbixray alone, reading what shadowscan asks of it (``PBIXRay(BytesIO)``, tables,
  schema, DAX measures, calculated columns and tables, relationships, Power Query);
* ``shadowscan.analyzers.powerbi.analyze`` (the same reads, plus DataMashup, the rules over
  every query, measure and column, classification facts);
* the same analysis with the model left unread (``MAX_MODEL = 0``): what the model costs.

The one-time import of pbixray (pandas, numpy) per analysis process is reported apart.
"""
from __future__ import annotations

import argparse
import io
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import REPO, report  # noqa: F401  (puts the repository on sys.path)

MIRROR = Path(os.environ.get("SHADOWSCAN_MIRRORS", "/work/.mirror")) / "Hugoberry+pbixray" / "repo"


def _files(mirror: Path) -> list[tuple[str, bytes]]:
    git_dir = mirror / ".git" if (mirror / ".git").exists() else mirror
    listing = subprocess.run(["git", "--git-dir", str(git_dir), "ls-tree", "-r", "-l", "HEAD", "data/"],
                             capture_output=True, text=True, check=True).stdout
    out = []
    for line in listing.splitlines():
        meta, _, path = line.partition("\t")
        if path.endswith(".pbix") and meta.split()[3] != "-":
            data = subprocess.run(["git", "--git-dir", str(git_dir), "show", f"HEAD:{path}"],
                                  capture_output=True, check=False).stdout
            if data.startswith(b"PK"):  # present in the snapshot (large files may be left out)
                out.append((path.rsplit("/", 1)[-1], data))
    return out


def _best(repeat: int, work: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=MIRROR)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not args.mirror.exists():
        raise SystemExit(f"no snapshot of Hugoberry/pbixray at {args.mirror} (fetch it first)")
    start = time.perf_counter()
    from pbixray import PBIXRay

    imported = time.perf_counter() - start
    from shadowscan.analyzers import powerbi
    from shadowscan.model import Limits

    def library(data: bytes) -> None:
        model = PBIXRay(io.BytesIO(data))
        try:
            for part in (model.tables, model.schema, model.dax_measures, model.dax_columns, model.dax_tables,
                         model.relationships, model.power_query):
                len(part)
        finally:
            model.close()

    rows = []
    total_lib = total_ours = total_without = 0.0
    for name, data in _files(args.mirror):
        try:
            library(data)
        except Exception as exc:  # a file pbixray cannot read (a live connection): not a model to compare
            rows.append((name[:44], f"skipped: pbixray {type(exc).__name__}"))
            continue
        cap = powerbi.MAX_MODEL
        lib = _best(args.repeat, lambda data=data: library(data))
        ours = _best(args.repeat, lambda name=name, data=data: powerbi.analyze(name, "pbix", Limits(), data=data))
        powerbi.MAX_MODEL = 0
        without = _best(args.repeat, lambda name=name, data=data: powerbi.analyze(name, "pbix", Limits(), data=data))
        powerbi.MAX_MODEL = cap
        total_lib, total_ours, total_without = total_lib + lib, total_ours + ours, total_without + without
        rows.append((f"{name[:34]} ({len(data) / 1e6:.2f} MB)",
                     f"pbixray {lib * 1000:7.1f} ms, shadowscan {ours * 1000:7.1f} ms ({ours / lib:.2f}x), "
                     f"queries only {without * 1000:6.1f} ms"))
    rows.append(("all files", f"pbixray {total_lib:.2f} s, shadowscan {total_ours:.2f} s: "
                              f"**{total_ours / total_lib:.2f}x** pbixray's time; queries only {total_without:.2f} s"))
    rows.append(("import pbixray (pandas, numpy), once", f"{imported:.2f} s"))
    rows.append(("load average", " ".join(f"{x:.1f}" for x in os.getloadavg())))
    report(f"pbix data model: shadowscan vs pbixray alone (one process, best of {args.repeat})", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""Benchmark (issue 18): real workbooks, shadowscan against oletools in the same run.

The real corpus (``../shared/corpus/excel`` and ``../shared/corpus/real-dev/excel``: .xls,
.xlsm, .xlsb, .xlam from public repositories, including the 600 KB mv-calculator) is copied
``--copies`` times into one tree (byte-identical files under other names; shadowscan has
no cache across files within a crawl, so every copy is analysed in full). Measured, in this order, on a warm page cache:

* reference: oletools' ``VBA_Parser`` API over every file in one process (open, detect and
  extract VBA, run oletools' ``analyze_macros`` keyword scan), going on past errors and
  encrypted files (the ``olevba`` command stops at the first encrypted file, and ``olevba -r
  DIR`` without a glob finds nothing, so the API is the fair reference);
* ``shadowscan crawl --jobs 2`` (analyse, classify, store) into a fresh inventory;
* the CPU seconds one process spends in ``shadowscan.analyzers.excel.analyze`` on
  mv-calculator-final-2-20-2013.xlsm (best of three).

The ratio is the reference's time over shadowscan's: above 1, shadowscan is faster.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, env, report, shadowscan, timed

CORPUS = REPO.parent / "shared" / "corpus"
FOLDERS = (CORPUS / "excel", CORPUS / "real-dev" / "excel")
SUFFIXES = {".xls", ".xlsm", ".xlsb", ".xlam", ".xlsx", ".xltm", ".xlt"}
MV_CALCULATOR = CORPUS / "excel" / "poi" / "mv-calculator-final-2-20-2013.xlsm"

REFERENCE = r"""
import sys, time
from pathlib import Path
from oletools.olevba import VBA_Parser
files = sorted(p for p in Path(sys.argv[1]).rglob("*") if p.is_file())
start, ok, failed, modules = time.perf_counter(), 0, 0, 0
for path in files:
    try:
        parser = VBA_Parser(str(path), data=path.read_bytes())
        if parser.detect_vba_macros():
            modules += sum(1 for _ in parser.extract_macros())
            parser.analyze_macros()
        parser.close()
        ok += 1
    except Exception:
        failed += 1
print(time.perf_counter() - start, ok, failed, modules)
"""

MV_CPU = r"""
import sys, time
sys.path.insert(0, sys.argv[2])
from shadowscan.analyzers import excel
from shadowscan.model import Limits
excel.analyze(sys.argv[1], "xlsm", Limits())  # imports and caches warm
best = float("inf")
for _ in range(3):
    t = time.process_time()
    excel.analyze(sys.argv[1], "xlsm", Limits())
    best = min(best, time.process_time() - t)
print(best)
"""


def sources() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    files = sources()
    if not files:
        raise SystemExit(f"no workbooks under {', '.join(map(str, FOLDERS))}: the shared corpus is needed")
    with tempfile.TemporaryDirectory() as tmp:
        share, db = Path(tmp) / "share", Path(tmp) / "inv.db"
        for copy in range(args.copies):
            for i, src in enumerate(files):
                dst = share / f"copy{copy}" / f"d{i % 6}" / f"{i:03d}_{src.name}"
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
        n = args.copies * len(files)
        size = sum(p.stat().st_size for p in share.rglob("*") if p.is_file())
        for p in share.rglob("*"):  # warm the page cache for both
            if p.is_file():
                p.read_bytes()
        _, ref = timed([sys.executable, "-c", REFERENCE, str(share)])
        ref_s, ok, failed, modules = ref.stdout.split()
        ref_s = float(ref_s)
        start = time.perf_counter()
        timed(shadowscan("--db", str(db), "crawl", str(share), "--quiet", "--jobs", str(args.jobs)), env=env())
        ours_s = time.perf_counter() - start
        again_s = min(timed(shadowscan("--db", str(db), "crawl", str(share), "--quiet"), env=env())[0]
                      for _ in range(3))  # nothing changed: every stored analysis is reused
        _, mv = timed([sys.executable, "-c", MV_CPU, str(MV_CALCULATOR), str(REPO)], env=env())
        report(f"{n} real workbooks ({len(files)} files x {args.copies}, {size / 1e6:.0f} MB; {os.cpu_count()} cores)", [
            ("oletools VBA_Parser, one process", f"{ref_s:.1f} s ({n / ref_s:.1f} files/s; {ok} read, {failed} failed, "
                                                 f"{modules} modules)"),
            (f"shadowscan crawl --jobs {args.jobs}", f"{ours_s:.1f} s ({n / ours_s:.1f} files/s)"),
            ("ratio (oletools time / shadowscan time)", f"{ref_s / ours_s:.2f}x  (aim >= 3x)"),
            ("mv-calculator, CPU in excel.analyze", f"{float(mv.stdout):.2f} s  (aim < 1 s)"),
            ("re-crawl, nothing changed (best of 3)",
             f"{again_s:.2f} s: {ours_s / again_s:.0f}x faster than the first crawl  (aim >= 20x)"),
        ])


if __name__ == "__main__":
    main()

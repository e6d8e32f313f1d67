#!/usr/bin/env python3
"""Render a 20,000-artifact inventory: file sizes, render times, and the HTML report in Chromium.

The inventory goes through the real path: the demo share is crawled once, then each of its
analyses is judged again (registry, governance, classification) under 20,000 paths spread
over 12 departments and three years of modification times, and stored with ``Store.add``
like a crawl stores it. ``data.build`` reads it back; every format renders that report.
In headless Chromium (tests/chromium.py) the HTML report is opened from disk and timed:
first paint and first contentful paint (DevTools lifecycle events, from navigation start),
the load event, the inventory's first page drawn, a text search and a sort over all rows.

    python benchmarks/report.py [--artifacts 20000,100000] [--keep DIR] [--no-browser] [--formats html,json]

Each format is written by a process of its own, which builds the report, writes the format into a
file and says how long each took (wall clock and CPU: on a busy machine the CPU time is the steadier
figure) and its peak RSS (the report must stay flat in memory as the inventory grows). The reference
row ``pass`` reads every artifact once and writes nothing, what any format pays at least; each format's
write CPU is also given as a multiple of it (a ratio within one run, steadier than seconds when the
machine is shared).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from _common import REPO

sys.path.insert(0, str(REPO / "tests"))

from shadowscan.analysis import ENGINE  # noqa: E402
from shadowscan.model import Candidate, Kind  # noqa: E402
from shadowscan.registry import Registry  # noqa: E402
from shadowscan.reports import FORMATS  # noqa: E402
from shadowscan.reports.data import build  # noqa: E402
from shadowscan.scan import CrawlOptions, judge, run_crawl  # noqa: E402
from shadowscan.store import Store  # noqa: E402

DEPARTMENTS = ("Quality", "Finance", "Production", "Maintenance", "Logistics", "Engineering", "Purchasing",
               "Lab", "Tooling", "Planning", "EHS", "HR")
THREE_YEARS = 3 * 365 * 86400
PASS = "pass"  # the reference row: one pass over the artifacts (read from the inventory), nothing written


def synthesise(db: Path, artifacts: int, distinct: bool = False) -> int:
    """Crawl the demo share, then store ``artifacts`` judged copies of its analyses as one crawl; ``distinct``:
    every copy its own tool (its own logic fingerprint and bytes), as on a share of unique scripts."""
    with Store(str(db)) as store:
        run_crawl([str(REPO / "samples" / "share")], store, CrawlOptions(jobs=2))
        templates = [(row, store.analysis_of(row)) for row in store.artifacts(1)]
        root = "//fs01/plant"
        crawl_id = store.begin_crawl([root], {"synthetic": artifacts})
        registry, now, started = Registry(store.db), datetime.now(timezone.utc), time.monotonic()
        for i in range(artifacts):
            row, analysis = templates[i % len(templates)]
            name = row["relpath"].rsplit("/", 1)[-1]
            stem, _, ext = name.rpartition(".")
            relpath = f"{DEPARTMENTS[i % len(DEPARTMENTS)]}/Line{(i // 97) % 40:02d}/{stem}_{i:05d}.{ext}"
            candidate = Candidate(f"{root}/{relpath}", root, relpath, Kind(row["kind"]), row["format"], row["size"],
                                  time.time() - (i * 7919 % THREE_YEARS))
            sha256 = row["sha256"]
            if distinct:
                sha256 = hashlib.sha256(f"{sha256}/{i}".encode()).hexdigest()
                analysis = replace(analysis, fingerprint=hashlib.sha256(f"{analysis.fingerprint}/{i}".encode())
                                   .hexdigest() if analysis.fingerprint else None)
            artifact = judge(registry, candidate, sha256, analysis, now)
            store.add(crawl_id, artifact, ("new", "changed", "unchanged", "unchanged")[i % 4], ENGINE)
        store.end_crawl(crawl_id, "finished", started)
    return crawl_id


def browser_figures(html: Path, artifacts: int) -> dict[str, float]:
    from chromium import Browser, find_chromium

    if find_chromium() is None:
        print("chromium not installed: no browser figures")
        return {}
    with Browser(width=1280, height=1000, timeout=120) as browser:
        page = browser.new_page(1280, 1000)
        page.call("Page.setLifecycleEventsEnabled", enabled=True)
        start = time.perf_counter()
        page.call("Page.navigate", url=html.as_uri())
        browser.wait_event("Page.loadEventFired", page.session, timeout=120)
        load = time.perf_counter() - start
        page.wait_for(f"document.getElementById('shown').textContent === '{artifacts} of {artifacts} shown'", 120)
        drawn = time.perf_counter() - start
        stamps = {}
        for event in browser.events:
            if event["method"] == "Page.lifecycleEvent" and event.get("sessionId") == page.session:
                stamps.setdefault(event["params"]["name"], event["params"]["timestamp"])
        begin = stamps.get("init") or stamps.get("commit")
        search = page.evaluate("(function () { var t = performance.now(), q = document.getElementById('q');"
                               " q.value = 'line07'; document.getElementById('cls').dispatchEvent(new Event('change'));"
                               " return [performance.now() - t, document.getElementById('shown').textContent]; })()")
        sort = page.evaluate("(function () { var t = performance.now();"
                             " document.querySelector(\"#inventory th[data-key='nm']\").click();"
                             " return performance.now() - t; })()")
        errors = page.errors()
        heap = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : 0")
        phone = browser.new_page(390, 844)  # a phone: the page must not scroll sideways
        phone.navigate(html.as_uri())
        phone.wait_for("document.querySelectorAll('#inventory tbody tr').length > 0", 120)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        # print: the summary and the page of rows shown, with a note saying how many of how many
        page.call("Emulation.setEmulatedMedia", media="print")
        printed = page.evaluate("(function () { var n = document.getElementById('printnote');"
                                " return getComputedStyle(n).display + '|' + n.textContent; })()")
        t = time.perf_counter()
        pdf = base64.b64decode(page.call("Page.printToPDF", landscape=False, printBackground=True)["data"])
        pdf_seconds = time.perf_counter() - t
        pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    figures = {
        "first paint (s)": stamps["firstPaint"] - begin if begin and "firstPaint" in stamps else float("nan"),
        "first contentful paint (s)": (stamps["firstContentfulPaint"] - begin
                                       if begin and "firstContentfulPaint" in stamps else float("nan")),
        "load event (s)": load,
        "inventory drawn (s)": drawn,
        f"search over all rows (ms) -> {search[1]}": search[0],
        "sort all rows by path (ms)": sort,
        "JS heap (MiB)": heap / 2 ** 20,
        "390 px: horizontal overflow (px)": overflow,
        f"print to PDF (s) -> {pages} pages, note: {printed.split('|', 1)[-1][:60]}": pdf_seconds,
    }
    if not (printed.startswith("block|") and pdf.startswith(b"%PDF")):
        print("print check FAILED:", printed[:200])
    if errors:
        print("console errors:", errors)
    return figures


def child(db: Path, fmt: str, target: Path) -> None:
    """In a fresh process: build the report, write one format to ``target``; print seconds and peak RSS."""
    with Store(str(db), readonly=True) as store:
        t, c = time.perf_counter(), time.process_time()
        report = build(store, store.crawl()["id"])
        built, built_cpu = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    if fmt == PASS:  # the reference: what any format that shows every artifact pays at least
        sum(len(a.findings) for a in report.artifacts)
    elif fmt != "build":
        if FORMATS[fmt].is_directory:
            FORMATS[fmt].render(report)
        else:
            with open(target, "wb") as out:
                FORMATS[fmt].write(report, out)
    written, written_cpu = time.perf_counter() - t, time.process_time() - c
    print(json.dumps({"build": built, "write": written, "build_cpu": built_cpu, "write_cpu": written_cpu,
                      "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def measure(db: Path, out: Path, formats: list[str], size: int) -> dict[str, dict[str, float]]:
    """Each format in its own process (peak RSS is per process), the build alone first."""
    print(f"\n{size:,} artifacts: {'format':<14}{'build (s)':>10}{'write (s)':>10}{'build CPU':>10}{'write CPU':>10}"
          f"{'peak RSS':>12}{'size':>12}")
    figures = {}
    for fmt in ["build", PASS, *formats]:
        target = out / f"report-{size}{FORMATS[fmt].suffix if fmt in FORMATS else ''}"
        proc = subprocess.run([sys.executable, __file__, "--child", fmt, "--db", str(db), "--keep", str(target)],
                              capture_output=True, text=True, check=False)
        if proc.returncode:
            raise SystemExit(f"{fmt} failed:\n{proc.stderr[-3000:]}")
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        figures[fmt] = got
        size_text = f"{target.stat().st_size / 2 ** 20:9.1f} MiB" if fmt in FORMATS and target.is_file() else ""
        print(f"{'':<20}{fmt:<14}{got['build']:>10.2f}{got['write'] if fmt != 'build' else 0:>10.2f}"
              f"{got['build_cpu']:>10.2f}{got['write_cpu'] if fmt != 'build' else 0:>10.2f}"
              f"{got['rss']:>8.0f} MiB{size_text:>12}")
    reference = figures[PASS]["write_cpu"]
    print(f"{'':<20}write CPU / one pass over the artifacts ({reference:.2f} s): " + ", ".join(
        f"{fmt} {figures[fmt]['write_cpu'] / reference:.2f}x" for fmt in formats))
    return figures


def synthesised(folder: Path, artifacts: int, distinct: bool = False) -> Path:
    """The inventory of ``artifacts`` synthetic artifacts in ``folder`` (made once, reused when kept)."""
    db = folder / f"bench-{artifacts}{'-distinct' if distinct else ''}.db"
    if not db.exists():
        t = time.perf_counter()
        synthesise(db, artifacts, distinct)
        print(f"synthesised {artifacts:,} artifacts through judge + Store.add: {time.perf_counter() - t:.1f} s")
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--artifacts", default="20000,100000", help="inventory sizes, comma-separated")
    parser.add_argument("--keep", type=Path, default=None, help="write the inventories and outputs here "
                        "(inventories are reused when they exist)")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--formats", default="html,json,csv,csv-findings,xlsx,sarif,migration")
    parser.add_argument("--distinct-tools", action="store_true", help="every artifact its own tool (a share of "
                        "unique scripts) instead of copies of the demo share's few dozen tools")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.db, args.child, args.keep)
        return
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="shadowscan-bench-") as tmp:
        out = args.keep or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        sizes = [int(n) for n in args.artifacts.split(",")]
        results = {}
        for size in sizes:
            db = synthesised(out, size, args.distinct_tools)
            results[size] = measure(db, out, args.formats.split(","), size)
            if not args.no_browser and "html" in args.formats:
                print(f"\nHTML report of {size:,} artifacts in headless Chromium (1280x1000):")
                for key, value in browser_figures(out / f"report-{size}.html", size).items():
                    print(f"  {key:<52}{value:>9.2f}")
        if len(sizes) > 1:
            small, large = results[sizes[0]], results[sizes[-1]]
            print(f"\npeak RSS {sizes[-1]:,} / {sizes[0]:,} artifacts: " + ", ".join(
                f"{fmt} {large[fmt]['rss'] / small[fmt]['rss']:.2f}x" for fmt in small))


if __name__ == "__main__":
    main()

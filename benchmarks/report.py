#!/usr/bin/env python3
"""Render a 20,000-artifact inventory: file sizes, render times, and the HTML report in Chromium.

The inventory goes through the real path: the demo share is crawled once, then each of its
analyses is judged again (registry, governance, classification) under 20,000 paths spread
over 12 departments and three years of modification times, and stored with ``Store.add``
like a crawl stores it. ``data.build`` reads it back; every format renders that report.
In headless Chromium (tests/chromium.py) the HTML report is opened from disk and timed:
first paint and first contentful paint (DevTools lifecycle events, from navigation start),
the load event, the inventory's first page drawn, a text search and a sort over all rows.

    python benchmarks/report.py [--artifacts 20000] [--keep DIR] [--no-browser]
"""
from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from _common import REPO

sys.path.insert(0, str(REPO / "tests"))

from shadowscan.model import Candidate, Kind  # noqa: E402
from shadowscan.registry import Registry  # noqa: E402
from shadowscan.reports import FORMATS  # noqa: E402
from shadowscan.reports.data import build  # noqa: E402
from shadowscan.scan import ENGINE, CrawlOptions, judge, run_crawl  # noqa: E402
from shadowscan.store import Store  # noqa: E402

DEPARTMENTS = ("Quality", "Finance", "Production", "Maintenance", "Logistics", "Engineering", "Purchasing",
               "Lab", "Tooling", "Planning", "EHS", "HR")
THREE_YEARS = 3 * 365 * 86400


def synthesise(db: Path, artifacts: int) -> int:
    """Crawl the demo share, then store ``artifacts`` judged copies of its analyses as one crawl."""
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
            artifact = judge(registry, candidate, row["sha256"], analysis, now)
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
    }
    if errors:
        print("console errors:", errors)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--artifacts", type=int, default=20_000)
    parser.add_argument("--keep", type=Path, default=None, help="write the outputs here instead of a temp folder")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--formats", default="html,json,csv,csv-findings,xlsx,sarif,migration")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shadowscan-bench-") as tmp:
        out = args.keep or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        db = out / "bench.db"
        db.unlink(missing_ok=True)
        t = time.perf_counter()
        crawl_id = synthesise(db, args.artifacts)
        print(f"synthesised {args.artifacts:,} artifacts through judge + Store.add: {time.perf_counter() - t:.1f} s")
        with Store(str(db)) as store:
            t = time.perf_counter()
            report = build(store, crawl_id)
            print(f"data.build (read inventory, headlines, checklist, migration plan): {time.perf_counter() - t:.2f} s;"
                  f" {sum(len(a['findings']) for a in report['artifacts']):,} findings,"
                  f" {len(report['migration']):,} migration cards")
        print(f"\n{'format':<14}{'render (s)':>12}{'size':>14}")
        for name in args.formats.split(","):
            fmt = FORMATS[name]
            t = time.perf_counter()
            rendered = fmt.render(report)
            seconds = time.perf_counter() - t
            if isinstance(rendered, dict):
                size = sum(len(v.encode()) for v in rendered.values())
                label = f"{len(rendered)} files"
            else:
                data = rendered if isinstance(rendered, bytes) else rendered.encode()
                (out / f"report{fmt.suffix}").write_bytes(data)
                size, label = len(data), ""
            print(f"{name:<14}{seconds:>12.2f}{size / 2 ** 20:>11.1f} MiB {label}")
        if "html" in args.formats:
            from shadowscan.reports.html import inventory_blob, script_json

            raw = script_json(inventory_blob(report))
            with Store(str(db)) as store:
                demo = script_json(inventory_blob(build(store, 1)))
            ratio = len(demo.encode()) / len(gzip.compress(demo.encode(), 6))
            print(f"\nHTML inventory blob: {len(raw.encode()) / 2 ** 20:.1f} MiB as JSON, embedded gzip+base64. The "
                  f"synthetic copies compress unusually well; the demo share's own blob compresses {ratio:.1f}x, "
                  f"so a real 20,000-artifact report of this mix would be about "
                  f"{len(raw.encode()) / ratio * 4 / 3 / 2 ** 20:.0f} MiB.")
        if not args.no_browser and "html" in args.formats:
            print("\nHTML report in headless Chromium (1280x1000):")
            for key, value in browser_figures(out / "report.html", args.artifacts).items():
                print(f"  {key:<52}{value:>9.2f}")


if __name__ == "__main__":
    main()

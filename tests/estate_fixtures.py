"""Inventories for the leadership report (issue 13), made by the project's own code.

``copied_share``: the demo share crawled once for real, then stored again as N copies of
itself (every file under ``copyNNN/``) the way a crawl stores them: each copy judged by
``scan.judge`` against the registry and written through ``Store.add``, as one finished
crawl of the same root. That is what a real crawl of the share copied N times records,
without analysing the same 23 files N times (about 2 minutes for 200 copies here).
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

from conftest import SAMPLES

from shadowscan.analysis import ENGINE
from shadowscan.model import Candidate, Kind
from shadowscan.registry import Registry
from shadowscan.roots import canonical
from shadowscan.scan import CrawlOptions, judge, run_crawl
from shadowscan.store import Store


def copied_share(db: Path, copies: int) -> str:
    """Returns the root the copies live under (the demo share's canonical path)."""
    root = canonical(str(SAMPLES / "share"))
    with Store(str(db)) as store:
        run_crawl([root], store, CrawlOptions(jobs=2))
        templates = [(row, store.analysis_of(row)) for row in store.artifacts(1)]
        crawl_id = store.begin_crawl([root], {"copies": copies})
        registry, now, started = Registry(store.db), datetime.now(timezone.utc), time.monotonic()
        for n in range(copies):
            for row, analysis in templates:
                relpath = f"copy{n:03d}/{row['relpath']}"
                candidate = Candidate(f"{root}/{relpath}", root, relpath, Kind(row["kind"]), row["format"],
                                      row["size"], (row["mtime"] or 0) + n)
                store.add(crawl_id, judge(registry, candidate, row["sha256"], analysis, now), "new", ENGINE,
                          commit=False)
        store.commit()
        store.close_root(crawl_id, root, None, "complete", None, [], 0)
        store.end_crawl(crawl_id, "finished", started)
    return root

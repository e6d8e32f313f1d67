#!/usr/bin/env python3
"""Regenerate docs/report.png: the first screen of the demo share's HTML report in headless Chromium.

Crawls samples/share into a temporary inventory, registers and signs off one citizen tool
(so the owner and governance panels show a registered tool), crawls again (so "since the
previous crawl" has a previous crawl), renders the HTML report and takes a 1280x1000 shot.

    python scripts/report_screenshot.py [--output docs/report.png]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from chromium import Browser, find_chromium  # noqa: E402


def cli(db: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "shadowscan.cli", "--db", str(db), *args], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "report.png")
    args = parser.parse_args()
    if find_chromium() is None:
        raise SystemExit("chromium not found (Debian package chromium)")
    with tempfile.TemporaryDirectory(prefix="shadowscan-shot-") as tmp:
        db, html = Path(tmp) / "demo.db", Path(tmp) / "report.html"
        cli(db, "crawl", "samples/share", "--quiet")
        tool = "samples/share/Production/OEE_Dashboard.xlsm"
        cli(db, "register", tool, "--owner", "P. Zieliński", "--function", "production", "--purpose",
            "OEE charts for the morning meeting", "--platform", "excel", "--data-access", "read-only",
            "--product-owner", "A. Nowak", "--cost-center", "K-200", "--review-every", "90")
        cli(db, "signoff", tool, "--by", "A. Nowak")
        cli(db, "crawl", "samples/share", "--quiet")
        cli(db, "report", "-f", "html", "-o", str(html))
        with Browser(width=1280, height=1000) as browser:
            page = browser.new_page(1280, 1000)
            page.navigate(html.as_uri())
            page.wait_for("document.querySelectorAll('#inventory tbody tr').length > 0")
            if page.errors():
                raise SystemExit(f"console errors: {page.errors()}")
            args.output.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()

"""The HTML report in a real headless Chromium: it renders, logs no error, filters, sorts,
pages, opens the detail view, and no name from a hostile share runs as script.

Driven over the DevTools protocol (tests/chromium.py, stdlib only). Skips when Chromium
is not installed (Debian package ``chromium``).
"""
from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from chromium import Browser, find_chromium
from conftest import SAMPLES, crawl_and_report
from test_report_injection import make_hostile_share

from shadowscan.reports import html as html_format
from shadowscan.reports.data import build
from shadowscan.store import Store

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(find_chromium() is None, reason="chromium not installed (Debian package chromium)")]

ROWS = "document.querySelectorAll('#inventory tbody tr').length"
SHOWN = "document.getElementById('shown').textContent"


def html_report(tmp: Path, share: Path) -> tuple[Path, dict]:
    """The HTML report of a crawl of ``share``, and the JSON report it was rendered from."""
    out = crawl_and_report(tmp, share, ("html", "json"), tmp / "report")
    return out.with_suffix(".html"), json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def browser():
    with Browser(width=1280, height=1000) as b:
        yield b


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def click(page, selector: str) -> None:
    """A real mouse click in the middle of the first element matching ``selector``."""
    box = page.evaluate(f"(function () {{ var e = document.querySelector({selector!r}); e.scrollIntoView();"
                        " var r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
    for kind in ("mousePressed", "mouseReleased"):
        page.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)


def test_demo_report_renders_filters_and_shows_details(browser, tmp_path):
    html, report = html_report(tmp_path, SAMPLES / "share")
    total, shadow = report["summary"]["total"], report["summary"]["shadow-it"]
    finance = [a for a in report["artifacts"] if a["department"] == "Finance"]
    assert 10 < total < 50 and shadow and finance
    page = browser.new_page(1280, 1000)
    page.navigate(html.as_uri())
    assert page.wait_for(ROWS) == total
    assert page.evaluate(SHOWN) == f"{total} of {total} shown"
    assert page.evaluate("document.querySelector('[data-count=\"shadow-it\"]').textContent") == str(shadow)
    assert page.evaluate("document.querySelectorAll('ol.top li').length") == min(10, shadow)
    shot = page.screenshot(tmp_path / "report.png")
    assert png_size(shot) == (1280, 1000) and len(shot) > 20_000

    page.evaluate("document.getElementById('q').focus()")
    page.type("Finance")
    assert page.wait_for(f"{SHOWN} === '{len(finance)} of {total} shown'")
    assert page.evaluate(ROWS) == len(finance)
    assert page.evaluate("[...document.querySelectorAll('#inventory tbody td.path')]"
                         ".every(td => td.textContent.startsWith('Finance/'))")
    page.evaluate("var s = document.getElementById('cls'); s.value = 'shadow-it'; s.dispatchEvent(new Event('change'))")
    assert page.evaluate(ROWS) == sum(a["classification"] == "shadow-it" for a in finance)

    page.evaluate("var q = document.getElementById('q'); q.value = ''; q.dispatchEvent(new Event('input'));"
                  "var s = document.getElementById('cls'); s.value = ''; s.dispatchEvent(new Event('change'))")
    assert page.wait_for(f"{ROWS} === {total}")
    click(page, "#inventory th[data-key='nm']")  # sort by path, A-Z
    paths = page.evaluate("[...document.querySelectorAll('#inventory tbody td.path')].map(td => td.textContent)")
    assert paths == sorted(paths, key=str.lower)
    # the owner column names the person the CSV and XLSX name: decided once, not again in the page
    owners = dict(page.evaluate("[...document.querySelectorAll('#inventory tbody tr')].map(tr => "
                                "[tr.querySelector('td.path').textContent, tr.querySelectorAll('td.wide')[3].textContent])"))
    for a in report["artifacts"]:
        hints = a["facts"].get("owner_hints") or {}
        person = hints.get("last_modified_by") or hints.get("author")
        if a["relpath"] in owners and not a["registered"]:
            assert owners[a["relpath"]] == (f"unregistered; edited by {person}" if person else "unregistered")
    assert any("edited by" in o for o in owners.values())
    page.evaluate("var s = document.getElementById('size'); s.value = '25'; s.dispatchEvent(new Event('change'))")
    assert page.evaluate(ROWS) == min(25, total)
    assert page.evaluate("document.getElementById('page').textContent") == f"page 1 of {-(-total // 25)}"

    click(page, "#inventory tbody tr")  # the detail view of the first row
    assert page.wait_for("!document.getElementById('detail').hidden")
    detail = page.evaluate("document.getElementById('detail').textContent")
    assert paths[0] in detail and "Findings (" in detail and "Owner and registry" in detail

    page.evaluate("location.hash = ''")
    click(page, "ol.top li a")  # a top risk opens its detail with its evidence
    assert page.wait_for("!document.getElementById('detail').hidden")
    detail = page.evaluate("document.getElementById('detail').textContent")
    first = report["migration"][0]
    assert first["relpath"] in detail and first["headline"] in detail
    evidence = [e["snippet"][:60] for f in next(a for a in report["artifacts"] if a["path"] == first["path"])["findings"]
                if f["impact"] for e in f["evidence"][:1]]
    assert evidence and all(e in detail for e in evidence)
    page.screenshot(tmp_path / "detail.png")
    assert page.errors() == []


def test_hostile_names_never_run_as_script(browser, tmp_path):
    html, _ = html_report(tmp_path, make_hostile_share(tmp_path / "share"))
    page = browser.new_page()
    page.navigate(html.as_uri())
    assert page.wait_for(ROWS) == 5
    for n in range(5):  # every detail view, which shows names, sheets, modules, connections, evidence
        page.evaluate(f"location.hash = 'a/{n}'")
        assert page.wait_for("!document.getElementById('detail').hidden && "
                             "document.getElementById('detail').textContent.length > 50")
    page.evaluate("document.getElementById('q').focus()")
    page.type("onerror")
    assert page.wait_for(f"{ROWS} > 0")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("document.querySelectorAll('img, iframe, b, [onerror], [onload]').length") == 0
    assert page.evaluate("document.scripts.length") == 2
    text = page.evaluate("document.body.innerText")
    assert "<img src=x onerror=window.__pwned=1>" in text  # shown as text
    assert page.errors() == []


def test_a_compressed_inventory_unpacks_in_the_browser(browser, tmp_path):
    """Large inventories travel gzip+base64; force that on the hostile report and use it."""
    html_report(tmp_path, make_hostile_share(tmp_path / "share"))
    page_file = tmp_path / "compressed.html"
    with Store(str(tmp_path / "inv.db"), readonly=True) as store:
        page_file.write_text(html_format.render(build(store), compress_over=0), encoding="utf-8")
    assert 'data-encoding="gzip+base64"' in page_file.read_text(encoding="utf-8")
    page = browser.new_page()
    page.navigate(page_file.as_uri())
    assert page.wait_for(SHOWN + " === '5 of 5 shown'")
    page.evaluate("location.hash = 'a/0'")
    assert page.wait_for("!document.getElementById('detail').hidden")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.errors() == []

"""An injection corpus: names and contents from a share that try to become markup or formulas.

File and folder names, sheet names, a VBA module name, a data connection name, document
properties and code snippets carry ``<script>``, ``<img onerror>``, quotes and
``=HYPERLINK(...)``. Every report format is rendered from a real crawl of them: the HTML
holds no element or attribute that did not come from the template, the JSON blob cannot
close its script element, and no CSV or XLSX cell starts a formula.
"""
from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from conftest import crawl_and_report
from hypothesis import given, settings
from hypothesis import strategies as st

from fixtures.jet4 import Column, Query, QueryRow, Table, write_mdb
from fixtures.office import VbaModule, write_workbook
from shadowscan.reports.html import needs_visible, script_json
from shadowscan.textio import visible_deep

FOLDER = "<img src=x onerror=window.__pwned=1>"
HYPERLINK = '=HYPERLINK("http://evil.example/","click")'
FORMULA_START = ("=", "+", "-", "@")


def make_hostile_share(share: Path) -> Path:
    """Five hostile artifacts, written with the project's own fixture writers."""
    (share / FOLDER).mkdir(parents=True)
    write_workbook(
        share / FOLDER / 'limits "quoted" <b>.xlsm',
        sheets={'=HYPERLINK("evil","y")': [["a"]], '"><img src=x onerror=alert(1)>': [["b"]]},
        vba_modules=[VbaModule("<script>", 'Sub Go()\n    ws.Cells(r, 4).Value = "FAIL"\n'
                                           '    MsgBox "</script><script>window.__pwned=2</script>"\nEnd Sub\n')],
        connections=[{"name": "<script>window.__pwned=4</script>", "connection_string": "DSN=QMS;UID=x",
                      "command": HYPERLINK}],
        properties={"creator": "<img src=x onerror=window.__pwned=5>", "last_modified_by": HYPERLINK})
    (share / '=HYPERLINK("http:evil","x").py').write_text(
        "import pyodbc\ncur.execute(\"UPDATE Lots SET Disposition = 'REJECT' WHERE note = "
        "'</script><script>window.__pwned=6</script>'\")\n")
    (share / "@SUM(1+1)-cmd.ps1").write_text(
        "Invoke-Sqlcmd -ServerInstance qms -Query \"UPDATE Lots SET Status = 'FAIL' WHERE x = '=cmd|calc!A0'\"\n")
    (share / '+"><svg onload=window.__pwned=7>.xlsm').write_bytes(b"garbage")
    # Access: hostile table, column and query names (they reach the reports as evidence and structure).
    table = "<script>__pwned=8</script>"  # Access names allow no dots
    write_mdb(share / "lots.mdb",
              tables=[Table(table, [Column('=HYPERLINK("evil","t")', "text"), Column("Result", "text")], [("a", "b")])],
              queries=[Query('"><img src=x onerror=__pwned=9>', [
                  QueryRow(0), QueryRow(1, flag=4), QueryRow(5, name1=table),
                  QueryRow(6, expression='"FAIL"', name2=f"{table}.Result"), QueryRow(255)], flags=48)])
    return share


def render_all(tmp: Path, share: Path) -> Path:
    """Crawl ``share`` and write every format to ``tmp/out/r.*``; returns the output folder."""
    formats = ("html", "json", "csv", "csv-findings", "xlsx", "sarif", "migration")
    return crawl_and_report(tmp, share, formats, tmp / "out" / "r", jobs=1).parent


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("hostile")
    return render_all(tmp, make_hostile_share(tmp / "share"))


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(html)
    return parser.tags


def assert_no_injected_markup(html: str, scripts: int) -> None:
    tags = elements(html)
    assert [t for t, _ in tags].count("script") == scripts
    assert not [t for t, _ in tags if t in ("img", "iframe", "object", "embed", "b", "base", "form")]
    for tag, attrs in tags:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        if tag == "a":
            assert (attrs.get("href") or "").startswith(("#", "cards/", "../", "backlog.csv")), attrs
    assert "window.__pwned" not in "".join(str(v) for _, attrs in tags for v in attrs.values())


def test_the_crawl_carried_the_hostile_names(out):
    report = json.loads((out / "r.json").read_text(encoding="utf-8"))
    text = json.dumps(report, ensure_ascii=False)
    for needle in (FOLDER, "<script>window.__pwned=4</script>", '=HYPERLINK("evil","y")', "VBA/<script>",
                   "</script><script>window.__pwned=6</script>", HYPERLINK, "<script>__pwned=8</script>",
                   '=HYPERLINK("evil","t")',
                   'query "><img src=x onerror=__pwned=9>'):
        assert json.dumps(needle, ensure_ascii=False)[1:-1] in text, needle
    assert report["summary"]["shadow-it"] == 4


def test_html_holds_no_markup_from_the_share(out):
    html = (out / "r.html").read_text(encoding="utf-8")
    assert_no_injected_markup(html, scripts=2)  # the JSON blob and the page's own script
    blob = html.split('<script type="application/json" id="inventory-data" data-encoding="json">', 1)[1]
    blob = blob.split("</script>", 1)[0]
    assert "<" not in blob and ">" not in blob
    assert "window.__pwned=6" in blob  # carried as data...
    rows = json.loads(blob)["rows"]  # ...and still valid JSON that holds the original text
    assert any("</script><script>window.__pwned=6</script>" in json.dumps(r) for r in rows)
    assert "&lt;img src=x onerror=window.__pwned=1&gt;" in html  # escaped where the template prints it


def test_migration_pages_hold_no_markup_from_the_share(out):
    folder = out / "r-migration"
    pages = [folder / "index.html", *sorted((folder / "cards").glob("*.html"))]
    assert len(pages) == 5  # backlog + 4 high-risk cards
    for page in pages:
        assert page.resolve().is_relative_to(folder.resolve())
        assert_no_injected_markup(page.read_text(encoding="utf-8"), scripts=0)


def test_script_json_cannot_close_its_element():
    text = script_json({"x": "</script><!-- <script>&\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"x": "</script><!-- <script>&\u2028"}


@pytest.mark.parametrize("name", ["r.csv", "r.findings.csv", "r-migration/backlog.csv"])
def test_csv_cells_never_start_a_formula(out, name):
    rows = list(csv.reader(io.StringIO((out / name).read_text(encoding="utf-8-sig"))))
    assert len(rows) > 1
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_START)]
    assert any(c.startswith("'=HYPERLINK(") for c in cells)  # neutralised, not dropped


def test_xlsx_cells_are_never_formulas(out):
    wb = openpyxl.load_workbook(out / "r.xlsx")
    seen = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_START), (ws.title, cell.coordinate, cell.value)
                    seen += cell.value.startswith("'=HYPERLINK(")
    assert seen


def test_sarif_is_valid_json_with_the_hostile_uris_encoded(out):
    sarif = json.loads((out / "r.sarif").read_text(encoding="utf-8"))
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for result in sarif["runs"][0]["results"] for loc in result["locations"]}
    assert "%3Cimg%20src%3Dx%20onerror%3Dwindow.__pwned%3D1%3E/limits%20%22quoted%22%20%3Cb%3E.xlsm" in uris
    assert all("<" not in uri and " " not in uri for uri in uris)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(["\\", "f", "b", "r", "u", "0", "a", "\x0c", "\x1b", "\r", "\n", "\t",
                                         "\u202e", "\x85", "\ufeff", "é"]), max_size=12))
def test_the_html_rows_fast_path_never_skips_a_string_that_needs_escapes(text):
    """The HTML inventory skips the escaping walk for rows whose JSON shows nothing to escape:
    that check must never miss a string visible() would change (backslash runs included)."""
    row = {"p": text, "f": [[text, 1]]}
    if visible_deep(row) != row:
        assert needs_visible(json.dumps(row, ensure_ascii=False)), repr(text)

"""The XLSX export: its sheets as openpyxl reads them, and as LibreOffice Calc reads them.

LibreOffice (Debian ``libreoffice-calc``) converts every sheet to CSV with formulas
exported as formulas, so a cell it took for a formula would show up starting with ``=``.
The LibreOffice part skips when ``soffice`` is not installed.
"""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from conftest import SAMPLES, crawl_and_report
from openpyxl.utils import get_column_letter
from test_report_injection import make_hostile_share

from shadowscan.reports.xlsx import HEADERS

pytestmark = pytest.mark.slow  # real servers, browsers or whole crawls: `-m "not slow"` skips them


SHEETS = ["Summary", "Tools", "Inventory", "Findings", "Not scanned", "Migration backlog", "Registry"]
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
# Text CSV filter options: comma, double quote, UTF-8, first line 1, ..., export formulas (10th), all sheets (-1)
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,true,false,-1"
KEY = {name: key for key, name in HEADERS.items()}  # human column name -> the report's key
PADDING = 0.7109375  # what Excel adds to a column's width in characters (5 pixels of a 7-pixel character)


def keys(row) -> list:
    """A header row (human names) as the report's keys."""
    return [KEY.get(getattr(c, "value", c), getattr(c, "value", c)) for c in row]


def xlsx_report(tmp: Path, share: Path) -> Path:
    """Crawl ``share``; write report.xlsx and report.json (what the workbook must hold)."""
    return crawl_and_report(tmp, share, ("xlsx", "json"), tmp / "report").with_suffix(".xlsx")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return xlsx_report(tmp_path_factory.mktemp("xlsx"), SAMPLES / "share")


@pytest.fixture(scope="module")
def report(demo) -> dict:
    return json.loads(demo.with_suffix(".json").read_text(encoding="utf-8"))


def libreoffice_csv(xlsx: Path, outdir: Path) -> dict[str, list[list[str]]]:
    """Every sheet of ``xlsx`` as LibreOffice Calc reads it: {sheet name: rows}."""
    if SOFFICE is None:
        pytest.skip("LibreOffice not installed (Debian package libreoffice-calc)")
    outdir.mkdir()
    profile = (outdir / "profile").as_uri()
    run = subprocess.run([SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", CSV_FILTER,
                          "--outdir", str(outdir), str(xlsx)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    sheets = {}
    for path in outdir.glob(f"{xlsx.stem}-*.csv"):
        with path.open(encoding="utf-8", newline="") as f:
            sheets[path.stem[len(xlsx.stem) + 1:]] = list(csv.reader(f))
    return sheets


def test_sheets_headers_filters_and_widths(demo, report):
    wb = openpyxl.load_workbook(demo)
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
        assert ws["A1"].font.bold
        # a width of N characters is stored as Excel stores it: N plus the cell's padding (5 px, 0.71 characters)
        widths = [d.width - PADDING for d in ws.column_dimensions.values()]
        assert widths and all(8 <= w <= 60 for w in widths), (ws.title, widths)
    inventory = wb["Inventory"]
    header = keys(inventory[1])
    assert inventory.max_row == report["summary"]["total"] + 1
    assert {"relpath", "classification", "risk_score", "headline", "gaps"} <= set(header)
    first, top = dict(zip(header, [c.value for c in inventory[2]])), report["artifacts"][0]
    assert (first["relpath"], first["classification"], first["risk_score"]) == \
           (top["relpath"], top["classification"], top["risk_score"])
    assert wb["Migration backlog"].max_row == report["summary"]["shadow-it"] + 1
    assert wb["Findings"].max_row == sum(len(a["findings"]) for a in report["artifacts"]) + 1


def test_libreoffice_reads_every_sheet_and_value(demo, report, tmp_path):
    sheets = libreoffice_csv(demo, tmp_path / "lo")
    assert set(sheets) == set(SHEETS)
    inventory = sheets["Inventory"]
    header = keys(inventory[0])
    rows = [dict(zip(header, row)) for row in inventory[1:]]
    assert len(rows) == report["summary"]["total"]
    by_path = {r["relpath"]: r for r in rows}
    limits = by_path["Quality/Final_Test_Limits_Line2.xlsm"]
    assert limits["classification"] == "shadow-it" and limits["risk_score"] == "85" and limits["impacts"] == "quality"
    assert limits["owner"] == "T. Nowak" and limits["modified"][:2] == "20"  # a date cell, shown as a date
    assert by_path["Production/Raport_zmianowy.xlsm"]["owner"] == "Ł. Wiśniewski"  # non-ASCII intact
    summary = {(r[0], r[1]): r[2] for r in sheets["Summary"][1:]}
    assert summary[("artifacts", "high-risk shadow IT")] == str(report["summary"]["shadow-it"])
    assert summary[("artifacts", "total")] == str(report["summary"]["total"])
    backlog = sheets["Migration backlog"]
    assert [r[0] for r in backlog[1:]] == [str(n) for n in range(1, report["summary"]["shadow-it"] + 1)]
    bheader = keys(backlog[0])
    targets = {r[bheader.index("relpath")]: r[bheader.index("target")] for r in backlog[1:]}
    assert targets["Finance/Ausschusskosten_Buchung.xlsm"] == "ERP" and targets["Quality/lot_release.py"] == "QMS"
    findings = sheets["Findings"]
    assert any(r[keys(findings[0]).index("rule")] == "financial.writes" for r in findings[1:])


def test_libreoffice_finds_no_formula_in_a_hostile_export(tmp_path):
    xlsx = xlsx_report(tmp_path, make_hostile_share(tmp_path / "share"))
    sheets = libreoffice_csv(xlsx, tmp_path / "lo")
    cells = [cell for rows in sheets.values() for row in rows for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]
    assert any(c.startswith("'=HYPERLINK(") for c in cells)


def test_print_setup_colours_wrapping_and_links_to_findings(demo, report):
    wb = openpyxl.load_workbook(demo)
    for ws in wb.worksheets:  # landscape, one page wide, the header row on every page
        # fitToWidth 1 is the file format's default (written or not); fitToHeight 0: as many pages as it takes
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.fitToWidth or 1) == 1, ws.title
        assert int(ws.page_setup.fitToHeight) == 0, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows == "$1:$1", ws.title
    inventory, findings = wb["Inventory"], wb["Findings"]
    header = keys(inventory[1])
    rows = inventory.max_row
    coloured = {(str(cf.sqref), r.type, tuple(r.formula or ())) for cf in inventory.conditional_formatting
                for r in cf.rules}
    cls, risk = (get_column_letter(header.index(c) + 1) for c in ("classification", "risk_score"))
    assert {(f"{cls}2:{cls}{rows}", "expression", (f'${cls}2="shadow-it"',)),  # every row's class and risk
            (f"{cls}2:{cls}{rows}", "expression", (f'${cls}2="citizen-development"',)),
            (f"{risk}2:{risk}{rows}", "colorScale", ())} <= coloured
    headline = inventory.cell(2, header.index("headline") + 1)
    assert headline.alignment.wrap_text  # the top artifact's headline is longer than the column
    fheader = keys(findings[1])
    for row in inventory.iter_rows(min_row=2):
        cell = row[header.index("findings")]
        relpath = row[header.index("relpath")].value
        if cell.value:  # the count, as the link's text, links to the artifact's first finding
            target = cell.hyperlink.location
            sheet, ref = target.split("!")
            assert sheet == "'Findings'"
            first = int(ref.replace("A", ""))
            assert findings[first][fheader.index("relpath")].value == relpath
            assert findings[first - 1][fheader.index("relpath")].value != relpath
            assert findings[first + int(cell.value) - 1][fheader.index("relpath")].value == relpath
        else:
            assert cell.hyperlink is None

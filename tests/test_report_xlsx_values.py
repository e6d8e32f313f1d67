"""The XLSX workbook read back with openpyxl, sheet by sheet, against what the report holds (its JSON
written from the same inventory): every value of every row, the headers, and the guards: a formula-like
text stays text (with an apostrophe), control and bidi characters are shown as escapes, secrets stay
redacted, non-ASCII text is intact; an empty inventory still gives every sheet with its header."""
from __future__ import annotations

import json
import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import crawl_and_report
from test_hostile import RAW, make_spoofing_share
from test_report_injection import make_hostile_share
from test_secrets import ACCESS_SECRETS, SECRETS, plant

from shadowscan.reports import xlsx
from shadowscan.reports.csvfmt import FINDING_COLUMNS, TOOL_COLUMNS
from shadowscan.reports.data import build
from shadowscan.store import Store
from shadowscan.textio import visible

SHEETS = {"Summary": ("section", "item", "value"), "Tools": TOOL_COLUMNS, "Inventory": xlsx.INVENTORY,
          "Findings": FINDING_COLUMNS, "Not scanned": xlsx.UNSCANNED, "Migration backlog": xlsx.BACKLOG,
          "Registry": xlsx.REGISTRY}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NON_ASCII = "Qualität/Prüfprotokoll_Łódź_日本.py"


def shown(value: Any) -> Any:
    """What a cell must hold for a value of the report: text with its control and bidi characters shown as
    escapes and an apostrophe before a formula start; yes/no for a boolean; numbers as they are."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        text = visible(value)
        return "'" + text if text.startswith(FORMULA_START) else text
    return value


def as_excel_reads(text: str) -> str:
    """Text of a cell as Excel reads it: OOXML's ``_xHHHH_`` escapes decoded (openpyxl leaves them; a literal
    ``_x000D_`` of the data is written ``_x005F_x000D_``, so Excel shows it as text, not as a CR)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def same(cell: Any, value: Any) -> bool:
    expected = shown(value)
    if expected in (None, ""):
        return cell in (None, "")
    return bool((as_excel_reads(cell) if isinstance(cell, str) else cell) == expected)


def rows_of(ws: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """The header (as the report's keys) and the rows of a sheet as dicts."""
    names = {xlsx.header(c): c for cols in SHEETS.values() for c in cols}
    values = list(ws.iter_rows(values_only=True))
    keys = [names.get(h, h) for h in values[0]]
    return keys, [dict(zip(keys, row)) for row in values[1:]]


def make_share(share: Path) -> Path:
    """Formula-like names and contents, control and bidi characters, planted secrets, non-ASCII names:
    each part written by the project's own fixture writers."""
    make_hostile_share(share)
    make_spoofing_share(share / "spoof")
    plant(share / "secrets")
    (share / NON_ASCII).parent.mkdir()
    (share / NON_ASCII).write_text("# Prüfgrenze für Łódź\ncur.execute(\"UPDATE Lose SET Prüfergebnis = 'FAIL'\")\n",
                                   encoding="utf-8")
    return share


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("xlsx-values")
    out = crawl_and_report(tmp, make_share(tmp / "share"), ("xlsx", "json"), tmp / "report")
    report = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    return out.with_suffix(".xlsx"), report


@pytest.mark.slow
def test_every_sheet_has_its_human_headers(made):
    wb = openpyxl.load_workbook(made[0])
    assert wb.sheetnames == list(SHEETS)
    for title, columns in SHEETS.items():
        header = [c.value for c in wb[title][1]]
        assert header == [xlsx.header(c) for c in columns], title
        assert all("_" not in h for h in header), (title, header)  # names for people, not keys


@pytest.mark.slow
def test_inventory_holds_every_artifact_as_the_report_does(made):
    path, report = made
    keys, rows = rows_of(openpyxl.load_workbook(path)["Inventory"])
    assert keys == list(xlsx.INVENTORY)
    artifacts = report["artifacts"]
    assert len(rows) == len(artifacts) > 8
    for row, a in zip(rows, artifacts):
        for key in ("relpath", "path", "sha256", "kind", "format", "size", "status", "status_reason", "classification",
                    "risk_score", "action", "headline", "signoff", "department", "tool_id", "registered", "coverage"):
            assert same(row[key], a[key]), (key, row[key], a[key])
        assert same(row["impacts"], ";".join(a["impacts"])) and same(row["gaps"], "; ".join(a["gaps"]))
        assert same(row["rules"], ";".join(f["rule"] for f in a["findings"]))
        assert same(row["structure"], "; ".join(a["structure"]))
        assert int(row["findings"]) == len(a["findings"])  # a linked count is its digits
        when = datetime.fromtimestamp(a["mtime"], timezone.utc).replace(tzinfo=None, microsecond=0)
        assert abs((row["modified"] - when).total_seconds()) < 0.001, (row["modified"], when)


@pytest.mark.slow
def test_findings_hold_every_finding_with_its_first_evidence(made):
    path, report = made
    keys, rows = rows_of(openpyxl.load_workbook(path)["Findings"])
    assert keys == list(FINDING_COLUMNS)
    expected = []
    for a in report["artifacts"]:
        for f in a["findings"]:
            first = f["evidence"][0] if f["evidence"] else {}
            expected.append({"relpath": a["relpath"], "tool_id": a.get("tool_id"), "classification": a["classification"],
                             "risk_score": a["risk_score"], "rule": f["rule"], "family": f["family"],
                             "title": f["title"], "severity": f["severity"], "impact": f["impact"] or "",
                             "location": first.get("location", ""), "line": first.get("line"),
                             "snippet": first.get("snippet", ""), "evidence_count": len(f["evidence"]),
                             "path": a["path"]})
    assert len(rows) == len(expected) > 10
    for row, want in zip(rows, expected):
        for k in FINDING_COLUMNS:
            assert same(row[k], want[k]), (k, row[k], want[k])


@pytest.mark.slow
def test_tools_backlog_and_summary_hold_the_reports_values(made):
    path, report = made
    wb = openpyxl.load_workbook(path)
    _, tools = rows_of(wb["Tools"])
    assert len(tools) == len(report["tools"]) > 0
    for row, t in zip(tools, report["tools"]):
        for key in ("tool_id", "name", "classification", "risk_score", "copies", "headline"):
            assert same(row[key], t[key]), (key, row[key], t[key])
        assert same(row["departments"], ";".join(t["departments"]))
    _, backlog = rows_of(wb["Migration backlog"])
    assert len(backlog) == len(report["migration"]) > 0
    for row, c in zip(backlog, report["migration"]):
        for key in ("rank", "priority", "relpath", "target", "target_reason", "risk_score", "headline", "next_step",
                    "path"):
            assert same(row[key], c[key]), (key, row[key], c[key])
        person = c["owner"]["name"] or c["owner"].get("last_modified_by") or c["owner"].get("author")
        assert person is None or person in str(row["owner"]), (row["owner"], c["owner"])
        assert "?" not in str(row["owner"]), "nobody known is said as 'unregistered', not '(last edited by ?)'"
    _, summary = rows_of(wb["Summary"])
    items = {(r["section"], r["item"]): r["value"] for r in summary}
    assert items[("artifacts", "total")] == report["summary"]["total"] == len(report["artifacts"])
    assert items[("artifacts", "high-risk shadow IT")] == report["summary"]["shadow-it"]
    assert same(items[("decision", "first screen")], report["summary"]["decision"]["sentence"])
    assert summary[0]["section"] == "coverage"  # coverage first
    assert same(summary[0]["value"], report["coverage"]["statement"])
    assert rows_of(wb["Registry"])[1] == []  # nothing registered


@pytest.mark.slow
def test_guards_formulas_controls_secrets_and_non_ascii(made):
    path, report = made
    wb = openpyxl.load_workbook(path)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert not [t for t in texts if t.startswith(FORMULA_START)]
    relpaths = {r["relpath"] for r in rows_of(wb["Inventory"])[1]}
    assert "'=HYPERLINK(\"http:evil\",\"x\").py" in relpaths and "'@SUM(1+1)-cmd.ps1" in relpaths  # text, kept
    assert "spoof/\\x0d=2+3.py" in relpaths and "spoof/x\\u202egpj.py" in relpaths  # shown as escapes
    assert not [t for t in texts if any(ch in t for ch in RAW)]
    assert NON_ASCII in relpaths
    assert any("Prüfgrenze für Łódź" in t for t in texts)  # evidence text intact
    with zipfile.ZipFile(path) as package:
        parts = "".join(package.read(n).decode("utf-8") for n in package.namelist())
    for secret in SECRETS + ACCESS_SECRETS:
        assert secret not in parts
    assert "'=HYPERLINK(" in parts and "Łódź" in parts
    # a literal "_x000D_" of a document property stays those characters: escaped so no reader makes it a CR
    assert "ok_x005F_x000D_=2+3" in parts and "ok_x000D_=2+3" not in parts.replace("_x005F_x000D_", "")


@pytest.mark.slow
def test_an_empty_inventory_gives_every_sheet_with_its_header(tmp_path):
    (tmp_path / "share").mkdir()
    out = crawl_and_report(tmp_path, tmp_path / "share", ("xlsx",), tmp_path / "empty.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == list(SHEETS)
    for title, columns in SHEETS.items():
        ws = wb[title]
        assert [c.value for c in ws[1]] == [xlsx.header(c) for c in columns]
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:"), title
    for title in ("Tools", "Inventory", "Findings", "Migration backlog", "Registry"):
        assert wb[title].max_row == 1, title
    items = {(r["section"], r["item"]): r["value"] for r in rows_of(wb["Summary"])[1]}
    assert items[("artifacts", "total")] == 0


@pytest.mark.slow
def test_links_stop_at_excels_limit_a_sheet(made, tmp_path, monkeypatch):
    """Excel opens no sheet with more than 65,530 hyperlinks: past the limit a count is shown unlinked."""
    made_xlsx, _ = made
    monkeypatch.setattr(xlsx, "MAX_LINKS", 2)
    out = tmp_path / "r.xlsx"
    with Store(str(made_xlsx.parent / "inv.db"), readonly=True) as store, out.open("wb") as f:
        xlsx.write(build(store), f)
    keys, _ = rows_of(openpyxl.load_workbook(out)["Inventory"])
    column = keys.index("findings")
    ws = openpyxl.load_workbook(out)["Inventory"]
    counts = [(row[column].value, row[column].hyperlink) for row in ws.iter_rows(min_row=2)]
    linked = [v for v, link in counts if link is not None]
    unlinked = [v for v, link in counts if link is None and v]
    assert len(linked) == 2 and unlinked and all(isinstance(v, (int, float)) for v in unlinked)


def test_clean_keeps_numbers_and_makes_text_safe():
    assert xlsx.clean(85) == 85 and xlsx.clean(2.5) == 2.5 and xlsx.clean(None) is None
    assert xlsx.clean(True) == "yes" and xlsx.clean(False) == "no"
    assert xlsx.clean("=SUM(A1)") == "'=SUM(A1)" and xlsx.clean("-1+2") == "'-1+2" and xlsx.clean("@x") == "'@x"
    assert xlsx.clean("a\x1bb\u202ec") == "a\\x1bb\\u202ec"
    assert xlsx.clean("\r=1+1") == "\\x0d=1+1"  # the CR is shown, so nothing starts a formula
    assert xlsx.clean("bad\udcfcname\ufffe") == "bad\ufffdname\ufffd"  # what XML cannot hold
    assert xlsx.clean("Prüfung Łódź 日本") == "Prüfung Łódź 日本"
    long = xlsx.clean("=" + "x" * 40000)
    assert len(long) == xlsx.MAX_CELL and long.startswith("'=")
    assert xlsx.clean(datetime(2026, 1, 2, 3, 4, 59, 999271)) == datetime(2026, 1, 2, 3, 4, 59)


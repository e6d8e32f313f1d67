"""Leadership sees tools, not files (issue 13): copies grouped into tools in every format, the
estate across shares and crawls, the decision on the first screen, sentences that agree with
the class."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import SAMPLES
from estate_fixtures import copied_share
from sentences import headline_problems

from shadowscan.cli import main
from shadowscan.reports.data import build, decision
from shadowscan.reports.xlsx import HEADERS
from shadowscan.store import Store

KEY = {name: key for key, name in HEADERS.items()}

pytestmark = pytest.mark.slow  # real servers, browsers or whole crawls: `-m "not slow"` skips them

EXPECTED = json.loads((SAMPLES / "EXPECTED.json").read_text(encoding="utf-8"))["artifacts"]
FILES = len(EXPECTED)  # files of the demo share, each a tool of its own
# tools of the demo share that generate financial data or control quality decisions
HIGH_RISK = sum(1 for a in EXPECTED.values() if a["classification"] == "shadow-it")
COPIES = 200
MIGRATE_FIRST = 10  # the first screen lists at most this many tools to migrate first


def cli(db: Path, *args: object) -> str:
    result = CliRunner().invoke(main, ["--db", str(db), *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def copies200(tmp_path_factory):
    """The demo share copied 200 times: every format of its report."""
    tmp = tmp_path_factory.mktemp("copies")
    db = tmp / "inv.db"
    copied_share(db, 200)
    out = tmp / "out"
    cli(db, "report", "-f", "html", "-f", "json", "-f", "csv", "-f", "xlsx", "-f", "migration", "-o", out / "r")
    return out


def test_200_copies_are_9_high_risk_tools_in_every_format(copies200):
    report = json.loads((copies200 / "r.json").read_text(encoding="utf-8"))
    assert report["summary"]["total"] == FILES * COPIES and report["summary"]["shadow-it"] == HIGH_RISK * 200
    tools = report["summary"]["tools"]
    assert (tools["total"], tools["shadow-it"], tools["shadow-it_files"]) == (FILES, HIGH_RISK, HIGH_RISK * COPIES)
    shadow = [t for t in report["tools"] if t["classification"] == "shadow-it"]
    assert len(shadow) == HIGH_RISK and {t["copies"] for t in shadow} == {200}
    assert all(t["copies_differ"] == "identical" and len(t["departments"]) == 200 for t in shadow)
    # the copy saved last is named, and every artifact points at its tool
    assert all(t["last_changed"]["name"].startswith("copy199/") for t in shadow)
    ids = {t["tool_id"] for t in report["tools"]}
    assert {a["tool_id"] for a in report["artifacts"]} == ids
    # the backlog has one card per tool, not per file
    assert len(report["migration"]) == HIGH_RISK and {c["copies"] for c in report["migration"]} == {200}
    assert len({c["tool_id"] for c in report["migration"]}) == HIGH_RISK
    assert report["summary"]["decision"]["sentence"].startswith(f"{HIGH_RISK} high-risk tools ({HIGH_RISK * COPIES:,} files)")
    # CSV: a tool_id per row, the same 9 tools
    rows = list(csv.DictReader(io.StringIO((copies200 / "r.csv").read_text(encoding="utf-8-sig"))))
    assert len(rows) == FILES * COPIES and len({r["tool_id"] for r in rows if r["classification"] == "shadow-it"}) == HIGH_RISK
    # XLSX: the Tools sheet says 9 high-risk tools with 200 copies each
    wb = openpyxl.load_workbook(copies200 / "r.xlsx", read_only=True)
    sheet = list(wb["Tools"].iter_rows(values_only=True))
    head = [KEY.get(h, h) for h in sheet[0]]  # human column names -> the report's keys
    tools_rows = [dict(zip(head, r)) for r in sheet[1:]]
    high = [t for t in tools_rows if t["classification"] == "shadow-it"]
    assert len(high) == HIGH_RISK and {t["copies"] for t in high} == {200}
    summary = {(r[0], r[1]): r[2] for r in wb["Summary"].iter_rows(min_col=1, max_col=3, values_only=True)}
    assert summary[("tools", "high-risk tools")] == HIGH_RISK
    backlog = list(wb["Migration backlog"].iter_rows(min_col=1, max_col=1, values_only=True))
    assert len(backlog) == HIGH_RISK + 1
    wb.close()
    # HTML: the first screen counts tools; the migrate-first list has 9 distinct tools
    html = (copies200 / "r.html").read_text(encoding="utf-8")
    assert re.search(f'data-count="shadow-it">{HIGH_RISK}<', html) and \
        f'data-files="shadow-it">{HIGH_RISK * COPIES} files<' in html
    # 200 top-level folders: the ten with most tools drawn, the rest said in words
    dept = html[html.index('id="by-department"'):html.index('id="by-kind"')]
    assert len(re.findall(r"<text [^>]*text-anchor=\"end\">copy\d{3}<title>", dept)) == 10
    assert "and 190 other departments with" in dept
    top = re.findall(r'<li data-tool="(T-[0-9a-f]+)"', html)
    assert len(top) == min(HIGH_RISK, MIGRATE_FIRST) == len(set(top))
    # the migration folder: 9 cards
    cards = sorted((copies200 / "r-migration" / "cards").glob("*.html"))
    assert len(cards) == HIGH_RISK


def test_regenerating_the_migration_folder_removes_stale_cards(tmp_path, copies200):
    folder = tmp_path / "plan"
    shutil.copytree(copies200 / "r-migration", folder)
    stale = folder / "cards" / "999-old.html"
    stale.write_text("old card", encoding="utf-8")
    db = tmp_path / "inv.db"
    cli(db, "crawl", SAMPLES / "share" / "Quality", "--quiet", "--jobs", "1")
    cli(db, "report", "-f", "migration", "-o", folder)
    assert not stale.exists()
    quality = sum(1 for path, a in EXPECTED.items() if path.startswith("Quality/") and a["classification"] == "shadow-it")
    assert len(list((folder / "cards").glob("*.html"))) == quality  # the Quality folder's high-risk tools


def test_a_real_crawl_of_copies_groups_them_and_sees_data_only_differences(tmp_path):
    share = tmp_path / "share"
    for n in range(3):
        shutil.copytree(SAMPLES / "share" / "Quality", share / f"Line{n}" / "Quality")
    changed = share / "Line2" / "Quality" / "lot_release.py"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n# checked by QA, lot 4711\n", encoding="utf-8")
    db = tmp_path / "inv.db"
    cli(db, "crawl", share, "--quiet", "--jobs", "2")
    report = json.loads(cli(db, "report", "-f", "json"))
    by_name = {t["name"]: t for t in report["tools"]}
    assert by_name["lot_release.py"]["copies"] == 3
    assert by_name["lot_release.py"]["copies_differ"] == "in data only"  # a comment is not logic
    assert by_name["lot_release.py"]["last_changed"]["name"] == "Line2/Quality/lot_release.py"
    assert by_name["spc_limits.R"]["copies_differ"] == "identical"
    quality = sum(1 for path, a in EXPECTED.items() if path.startswith("Quality/") and a["classification"] == "shadow-it")
    assert report["summary"]["tools"]["shadow-it"] == quality and report["summary"]["shadow-it"] == 3 * quality
    assert len(report["migration"]) == quality


def test_the_estate_covers_every_share_and_crawl_with_share_qualified_names(tmp_path):
    plant1, plant2, plant3 = tmp_path / "Werk1", tmp_path / "Werk2", tmp_path / "Werk3"
    shutil.copytree(SAMPLES / "share" / "Quality", plant1 / "Quality")
    shutil.copytree(SAMPLES / "share" / "Finance", plant2 / "Finance")
    shutil.copytree(SAMPLES / "share" / "Production", plant3 / "Production")
    db = tmp_path / "inv.db"
    cli(db, "crawl", plant1, plant2, "--quiet", "--jobs", "2")  # two shares in one command
    html1 = tmp_path / "one.html"
    cli(db, "report", "-o", html1)
    assert 'id="trend-chart"' not in html1.read_text(encoding="utf-8")  # one crawl: no trend yet
    cli(db, "crawl", plant3, "--quiet", "--jobs", "1")  # another share, another crawl
    report = json.loads(cli(db, "report", "-f", "json"))
    assert [c["id"] for c in report["crawls"]] == [1, 2]
    assert set(report["summary"]["by_department"]) == {"Werk1/Quality", "Werk2/Finance", "Werk3/Production"}
    names = {a["name"] for a in report["artifacts"]}
    assert "Werk1/Quality/lot_release.py" in names and "Werk2/Finance/post_invoices.ps1" in names
    assert "Werk3/Production/OEE_Dashboard.xlsm" in names
    assert report["summary"]["tools"]["shadow-it"] == HIGH_RISK
    assert [p["crawl"] for p in report["trend"]] == [1, 2]
    assert [p["shadow_it_tools"] for p in report["trend"]] == [HIGH_RISK, HIGH_RISK]
    html = tmp_path / "two.html"
    cli(db, "report", "-o", html)
    text = html.read_text(encoding="utf-8")
    assert 'id="trend-chart"' in text and "crawl 1 of" in text and "crawl 2 of" in text
    # --crawl and --root still narrow it
    one = json.loads(cli(db, "report", "-f", "json", "--crawl", "1"))
    assert {a["root"] for a in one["artifacts"]} == {str(plant1), str(plant2)}
    only = json.loads(cli(db, "report", "-f", "json", "--root", plant2))
    assert {a["root"] for a in only["artifacts"]} == {str(plant2)}
    # a later crawl of a share supersedes its earlier one: no artifact counted twice
    cli(db, "crawl", plant1, "--quiet", "--jobs", "1")
    again = json.loads(cli(db, "report", "-f", "json"))
    assert len(again["artifacts"]) == len(report["artifacts"])
    assert [c["id"] for c in again["crawls"]] == [1, 2, 3]
    assert {a["crawl_id"] for a in again["artifacts"] if a["root"] == str(plant1)} == {3}


def test_decision_headlines_and_risk_scale_on_the_demo_share(tmp_path):
    db = tmp_path / "inv.db"
    cli(db, "crawl", SAMPLES / "share", "--quiet", "--jobs", "2")
    report = json.loads(cli(db, "report", "-f", "json"))
    d = report["summary"]["decision"]
    match = re.fullmatch(r"(\d+) high-risk tools to migrate: about \d+–\d+ person-weeks of work, (\d+) to QMS and "
                         r"(\d+) to ERP\.", d["sentence"])
    assert match and int(match.group(1)) == HIGH_RISK == int(match.group(2)) + int(match.group(3)), d["sentence"]
    assert sum(t["tools"] for t in d["by_target"].values()) == HIGH_RISK
    assert "FI_Buchungen" in d["writes_into"]["financial"] and "TestResults" in d["writes_into"]["quality"]
    assert {x["role"] for x in d["ask"]} <= {"registered owner", "last edited by", "author", "file owner", "department"}
    assert all(x["who"] != "root" for x in d["ask"]), "a system account is nobody to ask"
    bad = {a["relpath"]: (a["headline"], headline_problems(a["classification"], a["headline"]))
           for a in report["artifacts"] if headline_problems(a["classification"], a["headline"])}
    assert bad == {}
    html = tmp_path / "r.html"
    cli(db, "report", "-o", html)
    text = html.read_text(encoding="utf-8")
    assert d["sentence"] in text and "risk 85/100" in text and "Risk is a score from 0 to 100" in text


# Chromium: 1440 and 390 px, the detail panel on screen, print ------------------------------------------
def _chromium():
    from chromium import find_chromium

    if find_chromium() is None:
        pytest.skip("chromium not installed (Debian package chromium)")


@pytest.fixture(scope="module")
def demo_html(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo-html")
    db = tmp / "inv.db"
    cli(db, "crawl", SAMPLES / "share", "--quiet", "--jobs", "2")
    cli(db, "report", "-o", tmp / "r.html")
    return tmp / "r.html"


@pytest.mark.parametrize("width", [1440, 390])
@pytest.mark.parametrize("which", ["demo", "copies"])
def test_layout_at_desktop_and_phone_width_and_print(which, width, demo_html, copies200):
    _chromium()
    import base64

    from chromium import Browser

    html, files = (demo_html, FILES) if which == "demo" else (copies200 / "r.html", FILES * COPIES)
    with Browser(width=width, height=850) as browser:
        page = browser.new_page(width, 850)
        page.navigate(html.as_uri())
        page.wait_for("document.querySelectorAll('#inventory tbody tr').length > 0", 60)
        assert page.errors() == []
        inner = page.evaluate("window.innerWidth")
        assert inner == width
        assert page.evaluate("document.documentElement.scrollWidth") <= inner  # no horizontal page scroll
        # the decision is on the first screen
        top = page.evaluate("document.getElementById('decision-sentence').getBoundingClientRect().bottom")
        assert 0 < top < 850
        # the detail panel opens inside the viewport
        page.evaluate("document.querySelector('#inventory tbody tr').scrollIntoView()")
        page.evaluate("document.querySelector('#inventory tbody tr').click()")
        page.wait_for("!document.getElementById('detail').hidden")
        box = page.evaluate("(function () { var r = document.getElementById('detail').getBoundingClientRect();"
                            " return [r.left, r.right, r.width]; })()")
        assert box[0] >= 0 and box[1] <= inner + 0.5 and box[2] > 300
        assert page.evaluate("document.documentElement.scrollWidth") <= inner
        # and nothing inside it scrolls sideways (long connection strings and paths wrap)
        detail = page.evaluate("(function () { var d = document.getElementById('detail');"
                               " return [d.scrollWidth, d.clientWidth]; })()")
        assert detail[0] <= detail[1] + 1, detail
        page.evaluate("document.querySelector('#detail .close').click()")
        # the tools view: one row per tool; a click lists its copies
        page.evaluate("document.querySelector('input[name=view][value=tools]').click()")
        assert page.wait_for("document.getElementById('shown').textContent") == f"{FILES} of {FILES} shown"
        page.evaluate("document.querySelector('#tools-table tbody tr').click()")
        copies = 1 if which == "demo" else 200
        assert page.wait_for("document.getElementById('shown').textContent") == f"{copies} of {files} shown"
        page.evaluate("document.querySelector('#toolchip button').click()")
        # print: the note says what part of the inventory is on paper; a PDF comes out
        page.call("Emulation.setEmulatedMedia", media="print")
        note = page.evaluate("(function () { var n = document.getElementById('printnote');"
                             " return getComputedStyle(n).display + '|' + n.textContent; })()")
        expected = f"All {FILES} files printed." if which == "demo" else f"50 of {FILES * COPIES:,} files shown, rows 1–50."
        assert note.startswith("block|" + expected), note
        assert page.evaluate("getComputedStyle(document.querySelector('.controls')).display") == "none"
        pdf = base64.b64decode(page.call("Page.printToPDF", landscape=False, printBackground=True)["data"])
        assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page\r") + \
            pdf.count(b"/Type /Page ") + pdf.count(b"/Type /Page>") >= 1
        assert page.errors() == []


def test_an_impact_whose_tools_name_no_write_target_is_left_out(tmp_path):
    db = tmp_path / "inv.db"
    cli(db, "crawl", SAMPLES / "share", "--quiet", "--jobs", "2")
    with Store(str(db)) as store:
        cards = list(build(store).migration)
    quality = [replace(c, does=replace(c.does, write_targets=())) for c in cards if "quality" in c.impacts]
    financial = [c for c in cards if "quality" not in c.impacts]
    assert quality and financial
    into = decision(financial + quality).writes_into
    assert "quality" not in into and into["financial"], "no empty 'quality data:' line on the first screen"

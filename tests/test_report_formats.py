"""The report formats from one inventory: several formats in one run, SARIF 2.1.0 structure,
the migration folder, the per-finding CSV, and what the report says changed since the
previous crawl (new, changed, removed, changed without sign-off) and about governance."""
from __future__ import annotations

import csv
import io
import json
import os
import time

import pytest
from click.testing import CliRunner

from fixtures.office import VbaModule, write_workbook
from shadowscan.cli import main

LIMITS = ('Sub Check()\n    If x > usl Then ws.Cells(r, 4).Value = "FAIL"\n'
          '    cn.Execute "UPDATE Lots SET Disposition = \'REJECT\' WHERE Cpk < 1.33"\nEnd Sub\n')
CHART = 'Sub Refresh()\n    Set rs = cn.Execute("SELECT day, oee FROM v_oee")\n    ws.Range("A2").CopyFromRecordset rs\nEnd Sub\n'
POSTING = 'cn.execute("INSERT INTO FI_Postings (Account, Cost) VALUES (4711, ?)", cost)\n'


class Cli:
    def __init__(self, tmp_path):
        self.db = str(tmp_path / "inv.db")
        self.runner = CliRunner()

    def __call__(self, *args):
        result = self.runner.invoke(main, ["--db", self.db, *map(str, args)])
        assert result.exit_code == 0, result.output
        return result


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    """Two crawls: a registered, signed-off chart whose logic then changes; a tool removed; one added."""
    tmp = tmp_path_factory.mktemp("formats")
    share = tmp / "share"
    (share / "Quality").mkdir(parents=True)
    (share / "Production").mkdir()
    write_workbook(share / "Quality" / "limits.xlsm", sheets={"Lots": [["Lot"]]},
                   vba_modules=[VbaModule("Check", LIMITS)], properties={"creator": "J. Miller"})
    chart = write_workbook(share / "Production" / "oee.xlsm", sheets={"Data": [["Day"]]},
                           vba_modules=[VbaModule("Dashboard", CHART)])
    (share / "Production" / "old.py").write_text("print('hello')\nopen(r'\\\\fs01\\x\\out.csv', 'w').write('x')\n")
    cli = Cli(tmp)
    cli("register", chart, "--owner", "Anna Kowalska", "--function", "production", "--purpose", "OEE charts",
        "--platform", "excel", "--data-access", "read-only", "--cost-center", "K-200", "--review-every", "90",
        "--product-owner", "Jan Nowak")
    cli("signoff", chart, "--by", "Jan Nowak")
    cli("crawl", share, "--jobs", "1", "--quiet")
    write_workbook(chart, sheets={"Data": [["Day"]]},
                   vba_modules=[VbaModule("Dashboard", CHART.replace("v_oee", "v_oee_shift"))])
    os.utime(chart, (time.time() + 5, time.time() + 5))
    (share / "Production" / "old.py").unlink()
    (share / "Finance").mkdir()
    (share / "Finance" / "post.py").write_text(POSTING)
    cli("crawl", share, "--jobs", "1", "--quiet")
    out = tmp / "out"
    cli("report", "-f", "html", "-f", "json", "-f", "csv", "-f", "csv-findings", "-f", "xlsx", "-f", "sarif",
        "-f", "migration", "-o", out / "report.html")
    return out


def test_several_formats_each_to_its_own_file(inventory):
    names = sorted(p.name for p in inventory.iterdir())
    assert names == ["report-migration", "report.csv", "report.findings.csv", "report.html", "report.json",
                     "report.sarif", "report.xlsx"]
    assert (inventory / "report.xlsx").read_bytes()[:2] == b"PK"


def test_changes_since_the_previous_crawl(inventory):
    report = json.loads((inventory / "report.json").read_text(encoding="utf-8"))
    assert report["crawl"]["previous"] == report["crawl"]["id"] - 1
    changes = report["summary"]["changes"]
    assert {k: changes[k] for k in ("new", "changed", "removed", "changed_without_signoff")} == \
           {"new": 1, "changed": 1, "removed": 1, "changed_without_signoff": 1}
    assert [r["relpath"] for r in report["changes"]["removed"]] == ["Production/old.py"]
    by_path = {a["relpath"]: a["path"] for a in report["artifacts"]}
    assert report["changes"]["new"] == [by_path["Finance/post.py"]]
    assert report["changes"]["changed"] == [by_path["Production/oee.xlsm"]]
    html = (inventory / "report.html").read_text(encoding="utf-8")
    assert "changed without sign-off" in html


def test_governance_checklist_and_departments(inventory):
    report = json.loads((inventory / "report.json").read_text(encoding="utf-8"))
    chart = next(a for a in report["artifacts"] if a["relpath"] == "Production/oee.xlsm")
    assert chart["checklist"] == {"business_owner": True, "signoff": False, "cost_center": True,
                                  "review_cadence": True}
    assert chart["gaps"] == ["changed without sign-off"]
    g = report["summary"]["governance"]
    assert (g["population"], g["business_owner"], g["signoff"], g["cost_center"]) == (3, 1, 0, 1)
    assert set(report["summary"]["by_department"]) == {"Quality", "Production", "Finance"}
    assert report["registry"][0]["owner"] == "Anna Kowalska"
    limits = next(a for a in report["artifacts"] if a["relpath"] == "Quality/limits.xlsm")
    assert limits["headline"] == "Sets pass/fail or release decisions and writes quality results into Lots. " \
                                 "No registered owner."


def test_sarif_structure(inventory):
    sarif = json.loads((inventory / "report.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    run, = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "shadowscan" and driver["version"]
    rule_ids = [r["id"] for r in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    assert all(r["shortDescription"]["text"] and r["defaultConfiguration"]["level"] in ("error", "warning", "note")
               for r in driver["rules"])
    assert run["results"]
    for result in run["results"]:
        assert result["ruleId"] in rule_ids and rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note", "none") and result["message"]["text"]
        for location in result["locations"]:
            artifact = location["physicalLocation"]["artifactLocation"]
            assert artifact["uri"] and not artifact["uri"].startswith("/")
            assert artifact["uriBaseId"] in run["originalUriBaseIds"]
            region = location["physicalLocation"].get("region")
            assert region is None or region["startLine"] >= 1
    assert all(base["uri"].startswith("file://") and base["uri"].endswith("/")
               for base in run["originalUriBaseIds"].values())
    levels = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]): r["level"]
              for r in run["results"]}
    assert levels[("verdict.shadow-it", "Finance/post.py")] == "error"
    assert levels[("financial.writes", "Finance/post.py")] == "error"
    post = next(r for r in run["results"] if r["ruleId"] == "financial.writes")
    assert post["locations"][0]["physicalLocation"]["region"]["startLine"] == 1  # a script line is a file line
    vba = next(r for r in run["results"] if r["ruleId"] == "quality.decision")
    assert vba["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "VBA/Check"


def test_migration_folder(inventory):
    folder = inventory / "report-migration"
    backlog = list(csv.DictReader(io.StringIO((folder / "backlog.csv").read_text(encoding="utf-8-sig"))))
    assert sorted(r["relpath"] for r in backlog) == ["Finance/post.py", "Quality/limits.xlsm"]
    assert [r["rank"] for r in backlog] == ["1", "2"] and float(backlog[0]["priority"]) >= float(backlog[1]["priority"])
    by_path = {r["relpath"]: r for r in backlog}
    limits, post = by_path["Quality/limits.xlsm"], by_path["Finance/post.py"]
    assert (limits["target"], post["target"]) == ("QMS", "ERP")
    assert limits["effort"] in ("S", "M", "L", "XL") and "vba lines" in limits["measured_size"]
    assert post["writes_into"] == "FI_Postings" and "register it" in post["next_step"]
    cards = {c.name[4:]: c for c in (folder / "cards").glob("*.html")}
    assert sorted(cards) == ["limits.xlsm.html", "post.py.html"]
    card = cards["limits.xlsm.html"].read_text(encoding="utf-8")
    for part in ("Suggested target", "QMS", "Effort", "Owner", "Next step", "What it does", "Where it reaches",
                 "J. Miller", "UPDATE Lots SET Disposition"):
        assert part in card, part
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert f'href="cards/{limits["rank"].zfill(3)}-limits.xlsm.html"' in index


def test_findings_csv_has_one_row_per_finding(inventory):
    report = json.loads((inventory / "report.json").read_text(encoding="utf-8"))
    rows = list(csv.DictReader(io.StringIO((inventory / "report.findings.csv").read_text(encoding="utf-8-sig"))))
    assert len(rows) == sum(len(a["findings"]) for a in report["artifacts"])
    row = next(r for r in rows if r["rule"] == "financial.writes")
    assert row["relpath"] == "Finance/post.py" and row["line"] == "1" and "FI_Postings" in row["snippet"]


def test_binary_and_folder_formats_need_an_output(tmp_path):
    db = tmp_path / "inv.db"
    share = tmp_path / "share"
    share.mkdir()
    (share / "a.py").write_text(POSTING)
    runner = CliRunner()
    assert runner.invoke(main, ["--db", str(db), "crawl", str(share), "--quiet", "--jobs", "1"]).exit_code == 0
    for fmt in ("xlsx", "migration"):
        result = runner.invoke(main, ["--db", str(db), "report", "-f", fmt])
        assert result.exit_code != 0 and "needs --output" in result.output
    result = runner.invoke(main, ["--db", str(db), "report", "-f", "sarif"])
    assert result.exit_code == 0 and json.loads(result.output)["version"] == "2.1.0"
    result = runner.invoke(main, ["--db", str(db), "crawl", str(share), "--quiet", "--report", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 0 and (tmp_path / "r.xlsx").read_bytes()[:2] == b"PK"

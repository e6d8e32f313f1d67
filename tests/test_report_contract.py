"""The report contract ``shadowscan/report-v1`` field by field, from the typed report model (reports/view.py).

One inventory with every part a report can show: the demo share (high-risk tools with copies, migration
cards with data, links and partners), a registered and signed-off tool changed after its sign-off, a
reviewer's decision, a read-only dashboard in its sandbox, a file removed and one added between two crawls,
a root that cannot be reached and a folder link not followed. Every object of the JSON must carry exactly
the documented keys (a field dropped from a ``json()`` fails here), every typed part must say in its JSON
what it holds, and the per-artifact exports (CSV, XLSX, SARIF) must carry the same values as the JSON.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import SAMPLES

from fixtures.office import VbaModule, write_workbook
from fixtures.sandboxes import Panel, grafana_dashboard, write_grafana
from shadowscan.cli import main
from shadowscan.reports import FORMATS, view
from shadowscan.reports.csvfmt import COLUMNS
from shadowscan.reports.data import build
from shadowscan.store import Store

pytestmark = pytest.mark.slow

CHART = 'Sub Refresh()\n    Set rs = cn.Execute("SELECT day, oee FROM v_oee")\n    ws.Range("A2").CopyFromRecordset rs\nEnd Sub\n'
LIMITS = ('Sub Check()\n    If x > usl Then ws.Cells(r, 4).Value = "FAIL"\n'
          '    cn.Execute "UPDATE Lots SET Disposition = \'REJECT\' WHERE Cpk < 1.33"\nEnd Sub\n')

# the contract: the keys of each object, in order ("?" after a key: present only where it applies)
KEYS = {
    "report": "schema crawl crawls coverage unscanned summary trend tools artifacts changes registry reviews migration "
              "migration_groups",
    "crawl": "id roots started finished state reason seconds previous",
    "crawls": "id roots label started finished state",
    "coverage": "complete statement roots",
    "coverage.roots": "root state reason baseline unlisted unreadable not_rechecked sentence",
    "unscanned": "path root relpath name status reason crawl_id",
    "summary": "total shadow-it citizen-development unknown by_status by_impact by_impact_combined by_kind in_sandbox "
               "by_kind_class by_department owners governance tools by_department_tools changes access_times_not_kept "
               "coverage_complete reviews decision",
    "summary.class_counts": "total shadow-it citizen-development unknown",
    "summary.owners": "artifacts registered business_owner shadow_it_with_owner owner_hints_only",
    "summary.governance": "population business_owner signoff cost_center review_cadence complete with_gaps",
    "summary.tools": "total shadow-it citizen-development unknown files with_copies shadow-it_files",
    "summary.changes": "previous_crawl new changed unchanged not_rechecked removed changed_without_signoff",
    "summary.reviews": "reviewed overrules downgrades stale",
    "decision": "shadow_it_tools shadow_it_files effort_weeks by_target writes_into exposure ask sentence",
    "decision.by_target": "tools weeks",
    "decision.ask": "tool_id tool who role",
    "trend": "crawl shadow_it_tools unregistered_tools changed_without_signoff artifacts",
    "tools": "tool_id name names kind format classification impacts risk_score risk_factors action headline copies "
             "copies_differ variants departments representative last_changed registered changed_without_signoff ask "
             "fingerprint locations",
    "tools.locations": "path name department mtime change sha256",
    "last_changed": "path name mtime",
    "ask": "role name",
    "artifacts": "path root relpath kind format size mtime sha256 fingerprint status status_reason classification "
                 "impacts risk_score risk_factors action reasons findings facts registered registry_id owner signoff "
                 "registry_match review change crawl_id department name checklist gaps sandbox headline structure "
                 "coverage last_checked? tool_id",
    "risk_factors": "factor points",
    "findings": "rule family title severity impact evidence",
    "evidence": "location line snippet",
    "review": "id verdict impacts by at reason path analysis_classification analysis_impacts state overrules",
    "checklist": "business_owner signoff cost_center review_cadence",
    "changes": "previous_crawl new changed not_rechecked removed",
    "changes.removed": "path root relpath classification last_crawl",
    "migration": "relpath name path department kind format impacts risk_score headline risk_factors priority "
                 "priority_basis does reaches data exposure target target_reason size effort owner next_step tool_id "
                 "tool_name copies copies_differ departments last_changed ask locations rank group migrate_with "
                 "migrate_with_more?",
    "priority_basis": "impact_weight risk_score recency_weight days_since_change",
    "does": "inputs computes writes write_targets",
    "step": "what where snippet",
    "reaches": "system where snippet",
    "data": "tables? queries? links?",
    "data.tables": "name columns rows",
    "data.queries": "name type",
    "data.links": "name to",
    "effort": "size estimate points weeks",
    "owner": "registered name signoff author last_modified_by file_owner",
    "migrate_with": "rank tool_id name shares",
    "migration_groups": "target process cards together weeks",
}
# typed fields that are not in the contract, and why: the person named in the CSV/XLSX owner column and
# whether the document names one (both decided once in data.py from the facts the contract carries)
NOT_IN_CONTRACT = {"ArtifactRow": {"shown_owner", "document_author"}, "CardOwner": {"document_person"}}


def keys_ok(name: str, obj: dict[str, Any]) -> None:
    want = KEYS[name].split()
    required = [k for k in want if not k.endswith("?")]
    allowed = [k.rstrip("?") for k in want]
    got = list(obj)
    assert set(required) <= set(got) <= set(allowed), (name, got)
    assert got == [k for k in allowed if k in got], (name, "order", got)


def run(*args: Any, ok: tuple[int, ...] = (0,)) -> None:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code in ok, result.output


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("contract")
    share = tmp / "share"
    shutil.copytree(SAMPLES / "share", share)
    (share / "Lines").mkdir()
    chart = write_workbook(share / "Lines" / "oee.xlsm", sheets={"Data": [["Day"]]},
                           vba_modules=[VbaModule("Dashboard", CHART)])
    write_workbook(share / "Lines" / "limits.xlsm", sheets={"Lots": [["Lot"]]}, vba_modules=[VbaModule("Check", LIMITS)])
    write_grafana(share / "Lines" / "scrap.json", grafana_dashboard(
        "Scrap cost trend", [Panel("Scrap cost", ["SELECT day, SUM(cost) FROM v_scrap GROUP BY day"])]))
    (share / "Lines" / "old.py").write_text("print('hello')\n")
    (tmp / "elsewhere").mkdir()
    (share / "linked").symlink_to(tmp / "elsewhere")
    db = tmp / "inv.db"
    run("--db", db, "register", chart, "--owner", "Anna Kowalska", "--function", "production", "--purpose", "OEE",
        "--platform", "excel", "--data-access", "read-only", "--cost-center", "K-200", "--review-every", "90",
        "--product-owner", "Jan Nowak")
    run("--db", db, "signoff", chart, "--by", "Jan Nowak")
    run("--db", db, "review", share / "Lines" / "limits.xlsm", "--verdict", "citizen-development", "--by",
        "Eva Reviewer", "--reason", "a training copy")
    run("--db", db, "crawl", share, tmp / "offline", "--jobs", "2", "--quiet", ok=(3,))
    write_workbook(chart, sheets={"Data": [["Day"]]}, vba_modules=[VbaModule("Dashboard", CHART.replace("oee", "oee2"))])
    os.utime(chart, (time.time() + 5, time.time() + 5))
    (share / "Lines" / "old.py").unlink()
    (share / "Lines" / "new.py").write_text("print('new')\n")
    run("--db", db, "crawl", share, tmp / "offline", "--jobs", "2", "--quiet", ok=(3,))
    out = tmp / "out"
    out.mkdir()
    run("--db", db, "report", *[a for f in ("json", "csv", "xlsx", "sarif") for a in ("-f", f)], "-o", out / "r")
    return out, json.loads((out / "r.json").read_text(encoding="utf-8"))


def test_every_object_of_the_json_carries_the_documented_keys(made):
    _, r = made
    keys_ok("report", r)
    keys_ok("crawl", r["crawl"])
    for c in r["crawls"]:
        keys_ok("crawls", c)
    keys_ok("coverage", r["coverage"])
    for root in r["coverage"]["roots"]:
        keys_ok("coverage.roots", root)
    assert {u["status"] for u in r["unscanned"]} == {"unreadable", "unsupported"}
    for u in r["unscanned"]:
        keys_ok("unscanned", u)
    s = r["summary"]
    keys_ok("summary", s)
    for section in ("by_kind_class", "by_department", "by_department_tools"):
        for row in s[section].values():
            keys_ok("summary.class_counts", row)
    for section in ("owners", "governance", "tools", "changes", "reviews"):
        keys_ok(f"summary.{section}", s[section])
    keys_ok("decision", s["decision"])
    assert s["decision"]["by_target"] and s["decision"]["ask"]
    for row in s["decision"]["by_target"].values():
        keys_ok("decision.by_target", row)
    for row in s["decision"]["ask"]:
        keys_ok("decision.ask", row)
    assert len(r["trend"]) == 2
    for point in r["trend"]:
        keys_ok("trend", point)
    for t in r["tools"]:
        keys_ok("tools", t)
        keys_ok("last_changed", t["last_changed"])
        keys_ok("ask", t["ask"])
        for loc in t["locations"]:
            keys_ok("tools.locations", loc)
    assert s["in_sandbox"] >= 1 and s["reviews"]["reviewed"] and s["changes"]["changed_without_signoff"]
    for a in r["artifacts"]:
        keys_ok("artifacts", a)
        keys_ok("checklist", a["checklist"])
        for f in a["risk_factors"]:
            keys_ok("risk_factors", f)
        for f in a["findings"]:
            keys_ok("findings", f)
            for e in f["evidence"]:
                keys_ok("evidence", e)
        if a["review"]:
            keys_ok("review", a["review"])
    keys_ok("changes", r["changes"])
    assert r["changes"]["new"] and r["changes"]["changed"] and r["changes"]["removed"]
    for gone in r["changes"]["removed"]:
        keys_ok("changes.removed", gone)
    assert r["registry"] and r["reviews"]
    data_parts: set[str] = set()
    for c in r["migration"]:
        keys_ok("migration", c)
        for key in ("priority_basis", "does", "effort", "owner", "last_changed", "ask", "data"):
            keys_ok(key, c[key])
        for step in c["does"]["inputs"] + c["does"]["computes"] + c["does"]["writes"]:
            keys_ok("step", step)
        for reach in c["reaches"]:
            keys_ok("reaches", reach)
        for part, rows in c["data"].items():
            data_parts.add(part)
            for row in rows:
                keys_ok(f"data.{part}", row)
        for other in c["migrate_with"]:
            keys_ok("migrate_with", other)
    assert data_parts == {"tables", "queries", "links"} and any(c["migrate_with"] for c in r["migration"])
    for g in r["migration_groups"]:
        keys_ok("migration_groups", g)


def _fields(part: Any) -> list[str]:
    """The fields of a typed part: a dataclass's or a typed row's (NamedTuple)."""
    return list(part._fields) if isinstance(part, tuple) else [f.name for f in dataclasses.fields(part)]


def _parts(value: Any) -> list[Any]:
    """Every typed part of the report (each dataclass or NamedTuple instance reachable from it)."""
    out, todo = [], [value]
    while todo:
        v = todo.pop()
        if (dataclasses.is_dataclass(v) and not isinstance(v, type)) or (isinstance(v, tuple) and hasattr(v, "_fields")):
            out.append(v)
            todo += [getattr(v, name) for name in _fields(v)]
        elif isinstance(v, (list, tuple)):
            todo += v
        elif isinstance(v, dict):
            todo += v.values()
    return out


def test_every_typed_part_says_in_its_json_what_it_holds(made):
    """A field added to a part of the model and forgotten in its ``json()`` (or a key no field holds) fails."""
    out, _ = made
    with Store(str(out.parent / "inv.db"), readonly=True) as store:
        report = build(store)
        parts = _parts([report.crawl, report.crawls, report.coverage, report.unscanned, report.summary, report.trend,
                        report.changes.removed, report.migration, report.migration_groups, list(report.tools),
                        list(report.artifacts)])
    kinds = {type(p).__name__ for p in parts}
    assert {"ArtifactRow", "FindingRow", "EvidenceRow", "ReviewState", "Checklist", "Tool", "Location", "Card",
            "CardOwner", "DataOf", "TableInfo", "Partner", "MigrationGroup", "Decision", "Summary"} <= kinds
    for p in parts:
        if not hasattr(p, "json"):
            continue
        fields = set(_fields(p)) - NOT_IN_CONTRACT.get(type(p).__name__, set())
        keys = {k.replace("-", "_") for k in p.json()}
        optional = {name for name in _fields(p) if getattr(p, name) is None}
        assert keys <= fields and fields - keys <= optional, (type(p).__name__, fields ^ keys)
    assert isinstance(report, view.Report)


def test_the_per_artifact_exports_carry_the_values_of_the_json(made):
    out, r = made
    arts = r["artifacts"]
    rows = list(csv.DictReader(io.StringIO((out / "r.csv").read_text(encoding="utf-8").lstrip("\ufeff"))))
    assert tuple(rows[0]) == COLUMNS
    for row, a in zip(rows, arts):
        for column in ("relpath", "tool_id", "kind", "status", "classification", "action", "change", "coverage",
                       "sha256", "path"):
            assert row[column] == ("" if a[column] is None else str(a[column])), column
        assert row["rules"].split(";") == [f["rule"] for f in a["findings"]]
        assert row["owner"] == (a["owner"] or a["facts"].get("owner_hints", {}).get("last_modified_by")
                                or a["facts"].get("owner_hints", {}).get("author") or "")
    assert [r_["relpath"] for r_ in rows[len(arts):]] == [u["relpath"] for u in r["unscanned"]]
    ws = openpyxl.load_workbook(out / "r.xlsx", read_only=True)["Inventory"]
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert [v[3] for v in values] == [a["relpath"] for a in arts] and [v[4] for v in values] == [a["tool_id"] for a in arts]
    assert [v[14] for v in values] == [a["headline"] for a in arts] and [v[0] for v in values] == [a["risk_score"] for a in arts]
    sarif = json.loads((out / "r.sarif").read_text(encoding="utf-8"))
    verdicts = [x for x in sarif["runs"][0]["results"] if x["ruleId"].startswith("verdict.")]
    assert [x["properties"]["classification"] for x in verdicts] == [a["classification"] for a in arts]
    assert [x["message"]["text"] for x in verdicts] == [a["headline"] + " " + " ".join(a["reasons"]) for a in arts]
    assert FORMATS["json"].suffix == ".json"

"""Reports at scale and what the first screen carries (issues 13 and 18).

* The report's artifacts are read again from the inventory when a format iterates them
  (``data.Artifacts``): every pass gives the same artifacts in the same order, and the
  streamed JSON, SARIF, CSV and XLSX carry all of them.
* Exposure: GL accounts, cost centers and quality limits found in the evidence.
* The risk x effort chart places rank labels where they overlap no other label or dot.

Speed and memory are measured in benchmarks/report.py, not here.
"""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from conftest import SAMPLES

from shadowscan.reports import FORMATS, plan
from shadowscan.reports.data import Artifacts, build
from shadowscan.reports.exposure import find, merge
from shadowscan.reports.html import exposure_text, scatter
from shadowscan.reports.view import Card, CardOwner, Contact, DataOf, Does, Effort, LastChanged, PriorityBasis, Report
from shadowscan.scan import CrawlOptions, run_crawl
from shadowscan.store import Store


# exposure ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("snippet", "want"), [
    ('    .HKONT = "0000400000"', {"GL accounts": ["0000400000"]}),
    ('bapi.SetValue "COSTCENTER", "10001234"', {"cost centers": ["10001234"]}),
    ("rs!Kostenstelle = \"KST-4100\"", {"cost centers": ["KST-4100"]}),
    ("cuenta contable: 572000", {"GL accounts": ["572000"]}),
    ("Const USL = 10.5", {"quality limits": ["USL 10.5"]}),
    ("obergrenze = 12,5", {"quality limits": ["obergrenze 12,5"]}),
    # a literal lined up with its column in an INSERT; the field itself when its values come from data
    (("sql = \"INSERT INTO FI_Buchungen (Kostenstelle, Sachkonto, Betrag) VALUES ('\" & ws.Cells(z, 2).Value & "
      "\"', '4711', \" & betrag & \")\""),
     {"GL accounts": ["4711"], "cost centers": ["from field Kostenstelle"]}),
    ("If measured > usl Or measured < lsl Then", {"quality limits": ["from field usl", "from field lsl"]}),
])
def test_exposure_is_read_from_the_evidence(snippet, want):
    assert find([snippet]) == want


@pytest.mark.parametrize("snippet", [
    "x = y + 1",
    "limits_line2.csv",  # a limit word inside a file name, followed by a digit, is no limit value
    'ws.Range("B2").Value = Toleranz * 2',  # an operator between the word and the number: no value
    "accountable = 12",
])
def test_exposure_ignores_what_is_no_account_or_limit_value(snippet):
    assert all(v.startswith("from field") for values in find([snippet]).values() for v in values)


def test_exposure_merges_tools_without_repeating_values():
    merged = merge([{"GL accounts": ["4711"]}, {"GL accounts": ["4711", "5400"], "cost centers": ["from field kst"]},
                    {"cost centers": ["from field KST"]}])
    assert merged == {"GL accounts": ["4711", "5400"], "cost centers": ["from field kst"]}


# the risk x effort chart ---------------------------------------------------------------------
def _card(rank: int, points: float = 1.0, risk: int = 80, copies: int = 1, writes: str = "FI_Buchungen") -> Card:
    """A card with what the chart and the grouping read; the rest plain."""
    last = LastChanged(f"/s/tool{rank}.xlsm", f"tool{rank}.xlsm", None)
    return Card(relpath=f"tool{rank}.xlsm", name=f"tool{rank}", path=f"/s/tool{rank}.xlsm", department="Finance",
                kind="excel", format="xlsm", impacts=("financial",), risk_score=risk, headline="", risk_factors=(),
                priority=1.0, priority_basis=PriorityBasis(2.0, risk, 1.0, 0), does=Does((), (), (), (writes,)),
                reaches=(), data=DataOf(), exposure={}, target="ERP", target_reason="", size={},
                effort=Effort("S", "", points, (1.0, 3.0)), owner=CardOwner(False, None, "missing", None, None, None, None),
                next_step="", tool_id=f"T-{rank}", tool_name=f"tool{rank}", copies=copies, copies_differ="identical",
                departments=("Finance",), last_changed=last, ask=Contact("department", "Finance"), locations=(),
                rank=rank)


def _boxes_overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("cards", [
    [_card(n, 10.0, 85) for n in range(1, 13)],  # twelve tools on one spot
    [_card(n, 10.0 + n * 0.3, 85 - n % 3) for n in range(1, 30)],  # a crowded cluster
    [_card(n, float(n * 7 % 40), 20 + n * 13 % 80, copies=n) for n in range(1, 40)],  # spread out
])
def test_chart_labels_overlap_no_label_and_no_dot(cards):
    dots = scatter(cards)
    assert [d.card.rank for d in dots] == [c.rank for c in cards]
    boxes = []
    for d in dots:
        if not d.label:
            continue
        x, y, end = d.label
        width = 6.0 * len(str(d.card.rank))
        box = (x - width if end else x, y - 9.0, x if end else x + width, y)
        assert box[0] >= 0 and box[2] <= 300 and box[1] >= 0 and box[3] <= 200
        for other in dots:  # the label covers no dot, its own included
            dot = (other.x - other.r, other.y - other.r, other.x + other.r, other.y + other.r)
            assert not _boxes_overlap(box, dot), (d.card.rank, other.card.rank)
        boxes.append(box)
    assert not [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if _boxes_overlap(a, b)]
    assert boxes, "at least the first rank gets its label"


# the report read again per format ----------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, Report]:
    tmp = tmp_path_factory.mktemp("scale")
    share = tmp / "share"
    shutil.copytree(SAMPLES / "share", share)
    db = tmp / "inv.db"
    with Store(str(db)) as store:
        run_crawl([str(share)], store, CrawlOptions(jobs=2))
    with Store(str(db), readonly=True) as store:
        report = build(store)
    return db, report


@pytest.mark.slow
def test_artifacts_are_read_again_the_same_each_time(demo):
    _, report = demo
    artifacts = report.artifacts
    assert isinstance(artifacts, Artifacts)
    first, second = list(artifacts), list(artifacts)
    assert first == second and len(first) == len(artifacts) == report.summary.total
    assert [(a.risk_score, a.name) for a in first] == sorted(
        ((a.risk_score, a.name) for a in first), key=lambda k: (-k[0], k[1]))
    assert artifacts[0] == first[0] and artifacts[-1] == first[-1]
    # what the scratch table keeps per artifact is the same artifacts, in the same order
    placed = [p for chunk in artifacts.spool.placed() for p in chunk]
    assert [p.path for p in placed] == [a.path for a in first]
    assert [p.findings for p in placed] == [len(a.findings) for a in first]
    # every artifact carries its structure and tool; the representatives of the cards are whole artifacts
    assert all(a.structure is not None and a.tool_id.startswith("T-") for a in first)
    assert {c.tool_id for c in report.migration} <= {a.tool_id for a in first}


@pytest.mark.slow
def test_streamed_formats_carry_every_artifact(demo, tmp_path):
    _, report = demo
    artifacts = list(report.artifacts)
    findings = sum(len(a.findings) for a in artifacts)
    parsed = json.loads(FORMATS["json"].render(report))
    assert parsed["schema"] == "shadowscan/report-v1"
    assert parsed["artifacts"] == json.loads(json.dumps([a.json() for a in artifacts]))
    assert parsed["summary"]["decision"]["exposure"]["GL accounts"]  # the demo posts to a literal account
    sarif = json.loads(FORMATS["sarif"].render(report))
    run = sarif["runs"][0]
    assert len(run["results"]) == len(artifacts) + findings
    rules = run["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])
    assert set(run["originalUriBaseIds"]) == {r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"]
                                              for r in run["results"]}
    rows = list(csv.DictReader(io.StringIO(FORMATS["csv"].render(report).lstrip("\ufeff"))))
    assert [r["path"] for r in rows] == [a.path for a in artifacts]
    out = tmp_path / "r.xlsx"
    with out.open("wb") as f:
        FORMATS["xlsx"].write(report, f)
    wb = openpyxl.load_workbook(out)
    assert wb["Inventory"].max_row == len(artifacts) + 1 and wb["Findings"].max_row == findings + 1


@pytest.mark.slow
def test_a_report_survives_its_store_being_closed(demo):
    """The artifacts are read through a read-only connection of their own: a report built inside
    ``with Store(...)`` renders after the store is closed (as the CLI and the tests use it)."""
    db, report = demo
    with Store(str(db), readonly=True) as store:
        again = build(store)
    assert list(again.artifacts) == list(report.artifacts)


def test_exposure_on_the_first_screen_names_values_then_fields_briefly():
    assert exposure_text(["4711", "5400"]) == "4711, 5400"
    assert exposure_text(["4711", "from field Kostenstelle"]) == "4711; from the field Kostenstelle"
    fields = [f"from field F{n}" for n in range(9)]
    assert exposure_text(fields) == "from the fields F0, F1, F2, F3, F4, F5 and 3 more"


# migrate together, in a group of hundreds ---------------------------------------------------------
def test_a_large_group_names_the_first_tools_on_each_card_and_lists_all_in_the_plan():
    """30 high-risk tools that write the same table go together: each card names 20 of the others and counts
    the rest (listing every other tool on every card grows with the square of the group), the plan's group
    lists all 30; a tool writing elsewhere stands alone."""
    cards = plan.link([_card(n, writes="FI_Buchungen" if n <= 30 else "Other") for n in range(1, 32)])
    first, last, alone = cards[0], cards[29], cards[30]
    assert [o.rank for o in first.migrate_with] == list(range(2, 22)) and first.migrate_with_more == 9
    assert len(last.migrate_with) == plan.MIGRATE_WITH and last.migrate_with_more == 9
    assert first.migrate_with[0].shares == ("writes fi_buchungen",)
    assert {c.group for c in cards[:30]} == {1} and alone.group == 31 and alone.migrate_with == ()
    assert alone.migrate_with_more is None and "migrate_with_more" not in alone.json()
    (group,) = plan.groups(cards)
    assert group.together == (tuple(range(1, 31)),) and group.cards == tuple(range(1, 32))

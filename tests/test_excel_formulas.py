"""Quality logic that lives in cells: decisions and computed limits in formulas, judged per column header."""
import pytest

from fixtures.office import VbaModule, write_workbook
from shadowscan.analyzers import excel
from shadowscan.classify import Registration, classify
from shadowscan.model import Classification, Impact, Limits

REFRESH = [VbaModule("Refresh", "Sub Refresh()\n    Application.Calculate\nEnd Sub\n")]


def analyse(tmp_path, sheets):
    path = tmp_path / "book.xlsm"
    write_workbook(path, sheets=sheets, vba_modules=REFRESH)
    analysis = excel.analyze(str(path), "xlsm", Limits())
    return analysis, {f.rule: f for f in analysis.findings}


def test_limits_and_pass_fail_computed_in_cells_are_quality_shadow_it(tmp_path):
    analysis, rules = analyse(tmp_path, {"Limits": [
        ["Teil", "Sollmaß", "Toleranz", "Obere Prüfgrenze", "USL", "Messwert", "Ergebnis"],
        ["HX", 12.5, 0.05, "=B2+C2", "=B2+3*C2", 12.52, '=IF(OR(F2>E2,F2<B2-C2),"n.i.O.","i.O.")']]})
    limits = rules["quality.computes-limits"]
    assert [e.location for e in limits.evidence] == ["Limits!D2", "Limits!E2"]
    assert limits.evidence[1].snippet == "USL: =B2+3*C2"
    assert rules["quality.decision"].evidence[0].location == "Limits!G2"
    verdict = classify(analysis, Registration(registered=False))
    assert verdict.classification is Classification.SHADOW_IT and Impact.QUALITY in verdict.impacts


@pytest.mark.parametrize("row", [
    ["Cost center", "Budget", "Actual", "Variance", "Status"],  # header only
    ["K-1", 100, 90, "=C2-B2", '=IF(D2>0,"over","ok")'],        # arithmetic and labels, no decision or limit
    ["K-2", 100, 90, "=SUM(B2:C2)", '=COUNTIF(E:E,"FAIL")'],    # counting decisions reads them
    ["K-3", 100, 90, '=IF(E3="PASS",1,0)', "=AVERAGE(B2:B3)"],  # comparing with a decision reads it
])
def test_reports_that_read_or_sum_are_not_decisions(tmp_path, row):
    analysis, rules = analyse(tmp_path, {"Budget": [["Cost center", "Budget", "Actual", "Variance", "Status"], row]})
    assert "quality.decision" not in rules and "quality.computes-limits" not in rules
    assert classify(analysis, Registration(registered=False)).classification is Classification.CITIZEN_DEVELOPMENT

"""Issue 16: Power BI, Power Apps, Grafana, Jupyter notebooks and Excel templates, each read
in its real format, built by the project's writers (fixtures/sandboxes.py), and
classified with sandbox awareness: a sanctioned platform that only reads is "in sandbox"."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import REPO

from fixtures.office import write_workbook
from fixtures.sandboxes import (
    AppSource,
    Panel,
    PbiTable,
    grafana_dashboard,
    write_grafana,
    write_msapp,
    write_notebook,
    write_powerbi,
    write_solution,
)
from shadowscan.analyzers import grafana, notebook, powerapps, powerbi
from shadowscan.classify import SANDBOXES, classify, in_sandbox
from shadowscan.crawl import kind_of
from shadowscan.model import Classification, Family, Impact, Kind, Limits, Status

LIMITS = Limits()


def rules(analysis):
    return {f.rule for f in analysis.findings}


def evidence(analysis, rule_id):
    return [e for f in analysis.findings if f.rule == rule_id for e in f.evidence]


@pytest.mark.parametrize("name,kind", [("a.ipynb", Kind.NOTEBOOK), ("a.pbix", Kind.POWERBI), ("a.PBIT", Kind.POWERBI),
                                       ("a.msapp", Kind.POWERAPPS), ("a.zip", Kind.POWERAPPS), ("a.json", Kind.GRAFANA),
                                       ("a.xlt", Kind.EXCEL), ("a.xltx", Kind.EXCEL)])
def test_selected_by_name(name, kind):
    assert kind_of(name)[0] is kind


# notebooks ---------------------------------------------------------------------------------------
def test_notebook_flow_across_cells_with_evidence_per_cell(tmp_path):
    path = tmp_path / "n.ipynb"
    write_notebook(path, [("markdown", "# costs"), ("code", "import pyodbc\ncn = pyodbc.connect('DSN=ERP;PWD=s3cret!')"),
                          ("code", "amount = qty * unit_price"),
                          ("code", "cn.execute('INSERT INTO Invoices (amount) VALUES (?)', amount)\n!ls /tmp")],
                   outputs=["ledger password hunter2\n"])
    a = notebook.analyze(str(path), "ipynb", LIMITS)
    assert a.status is Status.ANALYZED and a.facts["code_cells"] == 3 and a.facts["markdown_cells"] == 1
    assert {"financial.writes", "financial.prices", "secrets.connection-password"} <= rules(a)
    flow = evidence(a, "financial.prices")
    assert (flow[0].location, flow[0].line) == ("cell 3", 1) and (flow[1].location, flow[1].line) == ("cell 4", 1)
    assert "hunter2" not in repr(a) and "s3cret" not in repr(a), "outputs are not read, secrets are redacted"
    assert classify(a).classification is Classification.SHADOW_IT


def test_notebook_of_an_older_format_is_upgraded(tmp_path):
    v3 = ('{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": [{"cell_type": "code", '
          '"language": "python", "input": ["import requests\\n", "requests.post(url, json=lot_disposition)"], '
          '"outputs": []}]}]}')
    (tmp_path / "old.ipynb").write_text(v3)
    a = notebook.analyze(str(tmp_path / "old.ipynb"), "ipynb", LIMITS)
    assert a.status is Status.ANALYZED and "writes.web" in rules(a)


def test_notebook_is_not_a_sandbox():
    assert "notebook" not in SANDBOXES and "python" not in SANDBOXES


# Grafana -----------------------------------------------------------------------------------------
def test_grafana_read_only_dashboard_is_in_sandbox(tmp_path):
    path = tmp_path / "d.json"
    panel = Panel("Scrap cost", ["SELECT day, SUM(cost) FROM v_scrap GROUP BY day"])
    write_grafana(path, grafana_dashboard("Scrap cost trend", [panel]))
    a = grafana.analyze(str(path), "json", LIMITS)
    verdict = classify(a)
    assert verdict.classification is Classification.CITIZEN_DEVELOPMENT
    assert verdict.reasons[0].startswith("In sandbox: a Grafana tool")
    assert a.facts["queries"][0]["language"] == "sql"


def test_grafana_panel_query_that_writes_is_shadow_it(tmp_path):
    path = tmp_path / "d.json"
    panel = Panel("Post", ["INSERT INTO gl_postings (account, amount) SELECT '4711', SUM(cost) FROM scrap"])
    write_grafana(path, grafana_dashboard("Costs", [panel], exported=False))
    a = grafana.analyze(str(path), "json", LIMITS)
    verdict = classify(a)
    assert verdict.classification is Classification.SHADOW_IT and Impact.FINANCIAL in verdict.impacts


def test_grafana_form_panel_writing_elsewhere_is_not_in_sandbox(tmp_path):
    path = tmp_path / "d.json"
    write_grafana(path, grafana_dashboard("Shift notes", [Panel("Note", [], form={"method": "PUT", "url": "http://notes/api",
                                                                               "fields": ["shift", "note"]})]))
    a = grafana.analyze(str(path), "json", LIMITS)
    verdict = classify(a)
    assert "writes.app-data" in rules(a) and verdict.classification is Classification.CITIZEN_DEVELOPMENT
    assert not verdict.reasons[0].startswith("In sandbox")


@pytest.mark.parametrize("text", ['{"name": "pkg", "version": "1.0"}', '[1, 2, 3]', '{"panels": "x"}', 'not json "panels"'])
def test_other_json_is_not_an_artifact(tmp_path, text):
    (tmp_path / "x.json").write_text(text)
    assert grafana.analyze(str(tmp_path / "x.json"), "json", LIMITS).status is Status.NOT_AN_ARTIFACT


# Power BI ----------------------------------------------------------------------------------------
def test_pbit_reads_tables_measures_and_m(tmp_path):
    path = tmp_path / "r.pbit"
    write_powerbi(path, [PbiTable("Sales", ["Region", "Revenue"], 'let\n    S = Sql.Database("dwh", "Sales")\nin\n    S',
                                  [("Total revenue", "SUM(Sales[Revenue])")])])
    a = powerbi.analyze(str(path), "pbit", LIMITS)
    assert a.facts["tables"][0]["name"] == "Sales" and a.facts["measures"][0]["name"] == "Total revenue"
    assert evidence(a, "reach.platform-source")[0].snippet.startswith('Sql.Database("dwh"')
    assert classify(a).reasons[0].startswith("In sandbox: a Power BI tool")


def test_pbix_queries_from_datamashup_and_web_post(tmp_path):
    path = tmp_path / "r.pbix"
    query = 'let\n    R = Web.Contents("http://qms/api/results", [Content=Text.ToBinary("{}")])\nin\n    R'
    write_powerbi(path, [PbiTable("Push", ["x"], query)], template=False)
    a = powerbi.analyze(str(path), "pbix", LIMITS)
    assert a.facts["queries"][0]["name"] == "Push" and "XPress9" in a.facts["note"]
    assert "writes.web" in rules(a)
    assert in_sandbox("powerbi", {f.family for f in a.findings}, ()) is None


# Power Apps --------------------------------------------------------------------------------------
def test_msapp_patch_into_a_data_source_vs_a_collection(tmp_path):
    path = tmp_path / "a.msapp"
    write_msapp(path, "A", [AppSource("Costs", table="[dbo].[Costs]")], {"S": {
        "b1": {"OnSelect": "Collect(colLocal, {a: 1}); /* Patch(Costs, Defaults(Costs), {Amount: 1}) */"},
        "b2": {"OnSelect": "// Remove(Costs, ThisItem)\nNavigate(S2)"}}})
    a = powerapps.analyze(str(path), "msapp", LIMITS)
    assert a.facts["writes"] == [] and classify(a).reasons[0].startswith("In sandbox"), "collections and comments write nothing"
    write_msapp(path, "A", [AppSource("Costs", table="[dbo].[Costs]")], {"S": {
        "b1": {"OnSelect": "Patch(Costs, Defaults(Costs), {CostCenter: \"K-310\", Amount: qty * price})"}}})
    a = powerapps.analyze(str(path), "msapp", LIMITS)
    assert {"writes.app-data", "financial.writes"} <= rules(a)
    assert evidence(a, "financial.writes")[0].location == "S/b1.OnSelect"


def test_solution_zip_submitform_through_the_forms_data_source(tmp_path):
    path = tmp_path / "s.zip"
    write_solution(path, "Insp", [AppSource("Inspections", table="Inspections")],
                   {"S": {"frm": {"DataSource": "Inspections"}, "btn": {"OnSelect": "SubmitForm(frm)"}}})
    a = powerapps.analyze(str(path), "zip", LIMITS)
    assert a.facts["package"] == "solution" and a.facts["writes"][0]["data_source"] == "Inspections"
    assert classify(a).classification is Classification.SHADOW_IT


def test_a_zip_without_an_app_is_not_an_artifact(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "logs.zip", "w") as z:
        z.writestr("a.log", "x")
    assert powerapps.analyze(str(tmp_path / "logs.zip"), "zip", LIMITS).status is Status.NOT_AN_ARTIFACT
    (tmp_path / "fake.zip").write_bytes(b"not a zip")
    assert powerapps.analyze(str(tmp_path / "fake.zip"), "zip", LIMITS).status is Status.NOT_AN_ARTIFACT


# Excel templates ----------------------------------------------------------------------------------
def test_xltx_with_a_connection_is_analysed_and_without_is_not(tmp_path):
    from shadowscan.analyzers import excel

    write_workbook(tmp_path / "t.xltx", sheets={"S": [["a"]]},
                   connections=[{"name": "MES", "connection_string": "DSN=MES", "command": "SELECT 1"}])
    write_workbook(tmp_path / "p.xltx", sheets={"S": [["a"]]})
    a = excel.analyze(str(tmp_path / "t.xltx"), "xltx", LIMITS)
    assert a is not None and "reach.data-connection" in rules(a)
    assert excel.analyze(str(tmp_path / "p.xltx"), "xltx", LIMITS).status is Status.NOT_AN_ARTIFACT


# real-world examples (public repositories; fetched snapshots, never copied into the project) ------
def _sources():
    lines = (REPO / "tests" / "realworld" / "SOURCES.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [dict(zip(("kind", "repo", "commit", "path", "licence", "what"), line.split("\t"))) for line in lines]


MIRRORS = Path(os.environ.get("SHADOWSCAN_MIRRORS", "/work/.mirror"))


@pytest.mark.slow  # every real file of a corpus folder: `-m "not slow"` skips it
@pytest.mark.parametrize("source", _sources(), ids=lambda s: s["path"].rsplit("/", 1)[-1])
def test_real_world_example(source, tmp_path):
    git = MIRRORS / source["repo"].replace("/", "+") / "repo"
    if not git.exists():
        pytest.skip(f"snapshot of {source['repo']} not present under {MIRRORS}")
    git_dir = git / ".git" if (git / ".git").exists() else git
    data = subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{source['commit']}:{source['path']}"],
                          capture_output=True, check=True).stdout
    fmt = source["path"].rsplit(".", 1)[-1].lower()
    analyzer = {"grafana": grafana, "powerapps": powerapps, "powerbi": powerbi, "notebook": notebook}[source["kind"]]
    a = analyzer.analyze(source["path"], fmt, LIMITS, data=data)
    assert a.status is Status.ANALYZED, a.reason
    verdict = classify(a)
    sandboxed = verdict.reasons[0].startswith("In sandbox")
    assert sandboxed == source["what"].endswith("in sandbox"), verdict.reasons
    if not sandboxed:
        assert Family.WRITES in {f.family for f in a.findings}
    assert verdict.classification is Classification.CITIZEN_DEVELOPMENT

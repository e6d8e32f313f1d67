"""Issue 16: Power BI, Power Apps, Grafana, Jupyter notebooks and Excel templates, each read
in its real format, built by the project's writers (fixtures/sandboxes.py), and
classified with sandbox awareness: a sanctioned platform that only reads is "in sandbox"."""
from __future__ import annotations

import json
import os
import subprocess
import sys
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


def test_cell_magic_cells_are_not_parsed_as_python(tmp_path):
    """A ``%%sql`` cell holds SQL: the rules read it, the Python parser does not (it would fail and
    leave the whole notebook to text rules)."""
    path = tmp_path / "m.ipynb"
    write_notebook(path, [("code", "%%sql\nUPDATE lots\n  SET disposition = 'REJECTED'\n WHERE lot = 7"),
                          ("code", "import pandas as pd\nframe = pd.read_csv('x.csv')")])
    a = notebook.analyze(str(path), "ipynb", LIMITS)
    assert "parse_error" not in a.facts and a.facts["imports"] == ["pandas"]
    assert [(e.location, e.line) for e in evidence(a, "writes.sql")] == [("cell 1", 2)]


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
    assert a.facts["queries"][0]["name"] == "Push"
    assert "writes.web" in rules(a)
    assert in_sandbox("powerbi", {f.family for f in a.findings}, ()) is None
    # the writer's DataModel is a placeholder (it cannot compress XPress9): said, not silent
    assert a.status is Status.ANALYZED and a.reason.startswith("partial analysis: data model not read: pbixray failed")


def test_pbix_live_connection_names_its_server_and_a_broken_one_is_corrupt(tmp_path):
    """A report on a model in Analysis Services or the Power BI service has no model of its own:
    ``Connections`` says where it reads from (the connection string redacted)."""
    import zipfile

    path = tmp_path / "live.pbix"
    write_powerbi(path, [PbiTable("T", ["x"], 'let\n    S = Csv.Document(File.Contents("x.csv"))\nin\n    S')], template=False)
    live = ('{"Version":1,"Connections":[{"Name":"EntityDataSource","ConnectionType":"analysisServicesDatabaseLive",'
            '"ConnectionString":"Data Source=ssas01;Initial Catalog=Qualitaet;User ID=bi;Password=Geheim!1"}]}')
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("Connections", live)
    a = powerbi.analyze(str(path), "pbix", LIMITS)
    (connection,) = a.facts["live_connections"]
    assert connection["type"] == "analysisServicesDatabaseLive" and "Initial Catalog=Qualitaet" in connection["connection"]
    assert any(e.location == "Connections:EntityDataSource" for e in evidence(a, "reach.platform-source"))
    assert "Geheim!1" not in repr(a)
    broken = tmp_path / "broken.pbix"
    write_powerbi(broken, [PbiTable("T", ["x"], "let S = 1 in S")], template=False)
    with zipfile.ZipFile(broken, "a") as z:
        z.writestr("Connections", '{"Connections": [')
    a = powerbi.analyze(str(broken), "pbix", LIMITS)
    assert a.status is Status.CORRUPT and "malformed Connections" in a.reason


def test_pbix_data_model_not_read_is_said_when_pbixray_is_absent_or_the_model_too_big(tmp_path, monkeypatch):
    """pbixray is optional: without it (an interpreter that cannot import it) or over the cap, the
    queries still stand and the status reason says what was not read."""
    path = tmp_path / "r.pbix"
    write_powerbi(path, [PbiTable("Costs", ["x"], 'let\n    S = Sql.Database("erp", "PRD")\nin\n    S')], template=False)
    code = ("import sys; sys.modules['pbixray'] = None\n"
            "from shadowscan.analyzers import powerbi\nfrom shadowscan.model import Limits\n"
            f"a = powerbi.analyze({str(path)!r}, 'pbix', Limits())\n"
            "print(a.status.value, a.reason, a.facts['queries'][0]['name'])")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=REPO)
    assert run.stdout.strip() == ("analyzed partial analysis: data model not read: pbixray is not installed "
                                  "(pip install 'shadowscan[pbix]') Costs"), run.stderr
    monkeypatch.setattr(powerbi, "MAX_MODEL", 16)
    a = powerbi.analyze(str(path), "pbix", LIMITS)
    assert "data model not read: DataModel of" in a.reason and "(cap 16)" in a.reason


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
    return [dict(zip(("kind", "repo", "commit", "path", "licence", "what", "finds"), line.split("\t"))) for line in lines]


def _must_find(analysis, finds: str) -> list[str]:
    """What the ``finds`` column asks that the analysis lacks: a rule id, ``fact>=N`` (at least N
    entries, or a number at least N), ``fact~text`` (text in the fact), ``-fact`` (no such fact),
    ``reason=`` (no status reason: all of it was read)."""
    missing = []
    for want in filter(None, (w.strip() for w in finds.split(","))):
        if ">=" in want:
            key, _, count = want.partition(">=")
            value = analysis.facts.get(key) or []
            ok = (value if isinstance(value, int) else len(value)) >= int(count)
        elif want.startswith("-"):
            ok = want[1:] not in analysis.facts
        elif "~" in want:
            key, _, text = want.partition("~")
            ok = text in json.dumps(analysis.facts.get(key), ensure_ascii=False)
        elif want == "reason=":
            ok = analysis.reason == ""
        else:
            ok = want in rules(analysis)
        if not ok:
            missing.append(want)
    return missing


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
    if source["kind"] == "powerbi" and "reason=" in source.get("finds", ""):
        pytest.importorskip("pbixray", reason="pbixray (the optional .pbix data model reader) is not installed")
    fmt = source["path"].rsplit(".", 1)[-1].lower()
    analyzer = {"grafana": grafana, "powerapps": powerapps, "powerbi": powerbi, "notebook": notebook}[source["kind"]]
    a = analyzer.analyze(source["path"], fmt, LIMITS, data=data)
    assert a.status is Status.ANALYZED, a.reason
    verdict = classify(a)
    sandboxed = verdict.reasons[0].startswith("In sandbox")
    assert sandboxed == source["what"].endswith("in sandbox"), verdict.reasons
    if not sandboxed:
        assert Family.WRITES in {f.family for f in a.findings}
    assert not _must_find(a, source.get("finds", "")), (_must_find(a, source.get("finds", "")), a.facts)
    assert verdict.classification is Classification.CITIZEN_DEVELOPMENT

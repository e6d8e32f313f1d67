"""Issue 16: OpenDocument spreadsheets (.ods, .ots) with LibreOffice Basic macros, read in their
real format: packages built by the project's writer (fixtures/opendocument.py),
checked against LibreOffice itself (a headless re-save keeps what the analyzer reads, and the
re-saved file is analysed alike), and bad or hostile packages each ending with a status."""
from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fixtures.opendocument import BasicModule, DatabaseRange, HsqlTable, odb_bytes, ods_bytes, write_ods
from shadowscan.analyzers import opendocument
from shadowscan.classify import classify
from shadowscan.kinds import kind_of
from shadowscan.model import Classification, Impact, Kind, Limits, Status
from shadowscan.redact import redact_analysis
from shadowscan.rules.engine import scan_text

LIMITS = Limits()
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
SHEET = ("Kalibrierung", [["Messmittel", "Letzte Kalibrierung", "Intervall", "Ergebnis"],
                          ["MS-0815", 45200, 365, '=IF([.B2]+[.C2]<TODAY();"FAIL";"PASS")']])
POSTING = """REM  *****  BASIC  *****
Sub PostScrapCosts
  ' book the scrap costs of the shift into the ERP
  oContext = createUnoService("com.sun.star.sdb.DatabaseContext")
  oSource = oContext.getByName("ERP_PROD")
  oConn = oSource.getConnection("svc_post", "Pl@nt-2024!")
  oStmt = oConn.createStatement()
  amount = qty * unit_price
  oStmt.executeUpdate("INSERT INTO CostPostings (CostCenter, Amount) VALUES ('4711', " & amount & ")")
  ThisComponent.storeToURL("file://fs01/finance/export/scrap.pdf", Array())
End Sub
"""
VIEWER = """Sub ShowSummary
  oSheet = ThisComponent.Sheets.getByName("Kalibrierung")
  MsgBox "Devices: " & oSheet.getCellRangeByName("A2").getString()
End Sub
"""


def rules(analysis):
    return {f.rule for f in analysis.findings}


def evidence(analysis, rule_id):
    return [e for f in analysis.findings if f.rule == rule_id for e in f.evidence]


def analyze(path: Path, fmt: str = "ods"):
    return opendocument.analyze(str(path), fmt, LIMITS)


@pytest.mark.parametrize("name", ["a.ods", "B.ODS", "t.ots", "db.odb"])
def test_selected_by_name(name):
    assert kind_of(name)[0] is Kind.OPENDOCUMENT


def test_basic_macro_posting_costs_is_shadow_it_with_evidence(tmp_path):
    path = write_ods(tmp_path / "scrap.ods", [SHEET], [BasicModule("Posting", POSTING)],
                     events=[("dom:load", "Standard.Posting.PostScrapCosts")], author="j.kowalski")
    a = analyze(path)
    assert a.status is Status.ANALYZED
    assert {"reach.database", "writes.sql", "writes.file", "behaviour.autoexec", "financial.writes"} <= rules(a)
    sql = evidence(a, "writes.sql")[0]
    assert (sql.location, sql.line) == ("Basic/Standard/Posting", 9)
    assert evidence(a, "writes.file")[0].line == 10, "storeToURL is a file write (UNO)"
    assert "Pl@nt-2024!" not in repr(a), "the getConnection password is redacted"
    assert a.facts["modules"][0]["autoexec"] == ["dom:load"], "the module the open event runs says so"
    assert a.facts["owner_hints"]["author"] == "j.kowalski"
    verdict = classify(a)
    assert verdict.classification is Classification.SHADOW_IT and Impact.FINANCIAL in verdict.impacts


def test_a_password_set_as_a_uno_property_value_never_leaves(tmp_path):
    """The name on one line, the value on the next: masked in the module before any snippet is cut."""
    code = ('Sub Connect\n  Dim aInfo(1) As New com.sun.star.beans.PropertyValue\n  aInfo(0).Name = "user"\n'
            '  aInfo(0).Value = "qs_kal"\n  aInfo(1).Name = "password"\n'
            '  aInfo(1).Value = "Kal!br2024" : oConn = oManager.getConnectionWithInfo("sdbc:odbc:QMS", aInfo())\n'
            "End Sub\n")
    a = analyze(write_ods(tmp_path / "kal.ods", [SHEET], [BasicModule("Connect", code)]))
    assert evidence(a, "reach.database")[0].line == 6, "the line that sets the value is evidence"
    assert "Kal!br2024" not in repr(a) and "Kal!br2024" not in repr(redact_analysis(a))


def test_read_only_macro_is_citizen_development(tmp_path):
    a = analyze(write_ods(tmp_path / "view.ods", [SHEET[:1] + ([["Messmittel"]],)], [BasicModule("View", VIEWER)]))
    assert a.status is Status.ANALYZED and a.facts["vba_lines"] == 4
    assert not {r for r in rules(a) if r.startswith(("writes.", "financial.", "quality.", "behaviour.autoexec"))
                and not r.endswith(".term")}, "vocabulary only: nothing computed, written or run on open"
    verdict = classify(a)
    assert verdict.classification is Classification.CITIZEN_DEVELOPMENT
    assert "1 Basic modules, 4 code lines" in " ".join(verdict.reasons)


def test_formula_decision_and_template_open_event(tmp_path):
    """An .ots whose macro runs when a document is created from it; a cell that sets pass/fail."""
    path = write_ods(tmp_path / "vorlage.ots", [SHEET], [BasicModule("Init", "Sub Init\n  x = 1\nEnd Sub\n")],
                     events=[("office:new", "Standard.Init.Init")])
    a = analyze(path, "ots")
    assert a.facts["format"] == "template"
    auto = [f for f in a.findings if f.rule == "behaviour.autoexec"]
    assert auto and "created from the template" in auto[0].title
    decision = evidence(a, "quality.decision")
    assert decision and decision[0].location == "Kalibrierung!D2" and '"FAIL"' in decision[0].snippet
    assert classify(a).classification is Classification.SHADOW_IT


def test_database_range_sql_and_links(tmp_path):
    rng = DatabaseRange("Import", "Daten.A1:Daten.C50", "QMS_Prod",
                        "UPDATE Inspection SET Disposition = 'RELEASED' WHERE Lot = 42")
    sheet = ("Daten", [["Los", "Wert"], ["42", "=['file:///srv/qs/limits.ods'#$Sheet1.B2]"]])
    a = analyze(write_ods(tmp_path / "import.ods", [sheet], ranges=[rng]))
    assert {"reach.data-connection", "writes.sql", "reach.formula-link", "reach.external-link"} <= rules(a)
    assert a.facts["connections"][0]["connection"] == "QMS_Prod"
    assert a.facts["external_links"] == ["file:///srv/qs/limits.ods"]


def test_spreadsheet_without_macros_or_outside_data_is_not_an_artifact(tmp_path):
    assert analyze(write_ods(tmp_path / "plain.ods", [SHEET])).status is Status.NOT_AN_ARTIFACT


def test_password_protected_library_is_said_not_read(tmp_path):
    path = write_ods(tmp_path / "locked.ods", [SHEET], [BasicModule("Secret", VIEWER, library="Locked")],
                     protected=["Locked"])
    a = analyze(path)
    assert a.status is Status.ANALYZED and a.facts["protected_libraries"] == ["Locked"]
    assert a.reason.startswith("partial analysis: not read: password-protected Basic libraries Locked")


def test_basic_rules_differ_from_vba_where_the_languages_do():
    """The UNO calls are Basic (and Python macros), not VBA; VBA's statements hold in Basic;
    a procedure's name runs nothing on open in Basic."""
    def ids(code, language):
        return {f.rule for f in scan_text(code, language, "m")}

    assert "writes.file" in ids('oDoc.storeToURL(sUrl, aArgs())', "basic")
    assert "writes.file" not in ids('oDoc.storeToURL(sUrl, aArgs())', "vba")
    assert "reach.database" in ids('o = createUnoService("com.sun.star.sdbc.DriverManager")', "basic")
    assert "writes.recordset" in ids("oResult.insertRow()", "basic")
    assert "writes.email" in ids('createUnoService("com.sun.star.system.SimpleSystemMail")', "basic")
    assert "writes.file" in ids('Kill "C:\\temp\\x.txt"', "basic")
    assert "behaviour.win32" in ids('Declare Function GetTickCount Lib "kernel32" () As Long', "basic")
    assert "behaviour.autoexec" in ids("Sub Workbook_Open()", "vba")
    assert "behaviour.autoexec" not in ids("Sub Workbook_Open()", "basic")
    assert ids("' oDoc.storeToURL(sUrl, aArgs())", "basic") == set(), "comments are not code"


def test_vba_compatibility_module_runs_office_open_events(tmp_path):
    """A workbook converted from Excel keeps its VBA as Basic with ``Option VBASupport 1``:
    there LibreOffice runs ``Workbook_Open`` as Excel does; without it the name runs nothing."""
    code = "Sub Workbook_Open()\n  Kill \"C:\\temp\\x.txt\"\nEnd Sub\n"
    plain = analyze(write_ods(tmp_path / "plain.ods", [SHEET], [BasicModule("M", code)]))
    compat = analyze(write_ods(tmp_path / "compat.ods", [SHEET], [BasicModule("M", "Option VBASupport 1\n" + code)]))
    assert "behaviour.autoexec" not in rules(plain) and plain.facts["modules"][0]["autoexec"] == []
    assert "behaviour.autoexec" in rules(compat) and compat.facts["modules"][0]["autoexec"] == ["Workbook_Open"]


# Base databases (.odb) -------------------------------------------------------------------------
def test_base_database_is_judged_by_what_it_stores_and_what_its_buttons_run():
    ledger = HsqlTable("Ausschussbuchungen", [("ID", "INTEGER"), ("Kostenstelle", "VARCHAR(10)"),
                                              ("Betrag", "DECIMAL(10,2)"), ("Steuer", "DECIMAL(10,2)")],
                       rows=[(1, "K-310", 125.5, 23.8), (2, "K-320", 80, 15.2)], memory=True)
    post = ("Sub Buchen\n  oConn = ThisComponent.DataSource.getConnection(\"\", \"\")\n"
            "  oConn.createStatement().executeUpdate(\"UPDATE Ausschussbuchungen SET Betrag = Betrag * 1.19\")\nEnd Sub\n")
    data = odb_bytes(tables=[ledger], modules=[BasicModule("Buchung", post)], buttons=[("Buchen", "Standard.Buchung.Buchen")],
                     queries=[("qryOffen", 'SELECT * FROM "Ausschussbuchungen" WHERE "Betrag" > 0')])
    a = opendocument.analyze("kosten.odb", "odb", LIMITS, data=data)
    assert a.status is Status.ANALYZED and a.reason == "" and a.facts["format"] == "database"
    assert a.facts["tables"] == [{"name": "Ausschussbuchungen", "columns": ["ID", "Kostenstelle", "Betrag", "Steuer"],
                                  "rows": 2}]
    store = evidence(a, "financial.record-store")
    assert store and store[0].location == "table Ausschussbuchungen" and store[0].snippet.startswith("2 rows")
    assert {"writes.sql", "financial.writes"} <= rules(a) and "behaviour.autoexec" not in rules(a)
    (button,) = a.facts["events"]
    assert (button["scope"], button["part"], button["macro"]) == ("button", "forms/Obj11/content.xml", "Standard.Buchung.Buchen")
    assert a.facts["queries"][0]["name"] == "qryOffen" and a.facts["data_source"]["embedded"] == "hsqldb"
    assert classify(a).classification is Classification.SHADOW_IT


def test_base_front_end_of_a_server_database():
    data = odb_bytes(connection="sdbc:mysql:jdbc:erp-db01:3306/prod", user="qs_lesen",
                     queries=[("Freigabe", "UPDATE lots SET disposition = 'RELEASED' WHERE lot = :lot")])
    a = opendocument.analyze("front.odb", "odb", LIMITS, data=data)
    assert evidence(a, "reach.database")[0].snippet == "sdbc:mysql:jdbc:erp-db01:3306/prod"
    assert a.facts["data_source"]["user"] == "qs_lesen" and "tables" not in a.facts
    assert [(e.location, e.line) for e in evidence(a, "writes.sql")] == [("query Freigabe", 1)]
    assert classify(a).classification is Classification.SHADOW_IT


def test_base_file_with_an_embedded_firebird_says_its_tables_were_not_read():
    package = io.BytesIO(odb_bytes(connection="sdbc:embedded:firebird"))
    with zipfile.ZipFile(package, "a") as z:
        z.writestr("database/firebird.fbk", b"\x00" * 64)  # a Firebird backup: binary
    a = opendocument.analyze("fb.odb", "odb", LIMITS, data=package.getvalue())
    assert a.status is Status.ANALYZED and "embedded database's tables (database/firebird.fbk" in a.reason


# hostile and bad packages --------------------------------------------------------------------
def _replaced(data: bytes, name: str, new: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, new if item.filename == name else src.read(item))
    return out.getvalue()


GOOD = ods_bytes([SHEET], [BasicModule("M", POSTING)])
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
          + b"".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(8))
          + b"]><x>&i;</x>")
NESTED = b"<a>" * 30_000 + b"</a>" * 30_000


@pytest.mark.parametrize("case,data,status,words", [
    ("empty", b"", Status.CORRUPT, "empty file"),
    ("random", bytes(range(256)) * 8, Status.CORRUPT, "not a zip"),
    ("truncated", GOOD[: len(GOOD) // 2], Status.CORRUPT, "damaged zip"),
    ("no mimetype", _replaced(GOOD, "mimetype", b"application/zip"), Status.CORRUPT, "not an OpenDocument spreadsheet"),
    ("malformed content", _replaced(GOOD, "content.xml", b"<office:document-content><table"), Status.CORRUPT,
     "damaged content.xml"),
    ("malformed module", _replaced(GOOD, "Basic/Standard/M.xml", b"<script:module>Sub"), Status.CORRUPT,
     "damaged Basic/Standard/M.xml"),
    ("billion laughs", _replaced(GOOD, "content.xml", LAUGHS), Status.CORRUPT, "damaged content.xml"),
    ("nested content", _replaced(GOOD, "content.xml", NESTED), Status.ANALYZED, ""),
])
def test_bad_packages_end_with_a_status_and_reason(case, data, status, words):
    a = opendocument.analyze("x.ods", "ods", LIMITS, data=data)
    assert a.status is status, (case, a)
    assert words in a.reason, (case, a.reason)


@settings(max_examples=150, deadline=None)
@given(members=st.lists(st.tuples(st.sampled_from(["content.xml", "meta.xml", "Basic/Standard/script-lb.xml",
                                                   "Basic/Standard/M.xml", "Basic/script-lc.xml",
                                                   "Scripts/python/m.py"]),
                                  st.one_of(st.binary(max_size=512), st.sampled_from([
                                      (b'<library:library xmlns:library="http://openoffice.org/2000/library">'
                                       b'<library:element library:name="M"/></library:library>'),
                                      (b"<script:module xmlns:script=\"http://openoffice.org/2000/script\">Kill x"
                                       b"</script:module>"), b'<?xml version="1.0" encoding="x-unknown"?><a/>',
                                      b'<?xml version="1.0" encoding="utf-32"?><a/>']))),
                        max_size=6, unique_by=lambda m: m[0]))
def test_fuzz_packages(members):
    """Any parts under a valid mimetype: a status, never an exception out of the analyzer."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        for name, data in members:
            z.writestr(name, data)
    a = opendocument.analyze("f.ods", "ods", LIMITS, data=out.getvalue())
    assert a.status in set(Status) and (a.status is Status.ANALYZED or a.reason)


@pytest.mark.slow  # large hostile input (megabytes built and read): `-m "not slow"` skips it
def test_zip_bomb_is_refused_before_it_inflates(tmp_path):
    path = tmp_path / "bomb.ods"
    with zipfile.ZipFile(io.BytesIO(GOOD)) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename != "content.xml":
                dst.writestr(item, src.read(item))
        with dst.open("content.xml", "w", force_zip64=True) as f:
            for _ in range(300):
                f.write(b" " * (1 << 20))
    a = analyze(path)
    assert a.status is Status.TOO_LARGE and "zip bomb" in a.reason


@pytest.mark.slow  # large hostile input (megabytes built and read): `-m "not slow"` skips it
def test_huge_sheet_is_read_in_bounded_rows(tmp_path):
    """30,000 formula rows: read incrementally, formulas capped and said so, analysed."""
    rows = [["Teil", "Ergebnis"]] + [[f"P{i}", f'=IF([.A{i}]="";"FAIL";"PASS")'] for i in range(2, 30_002)]
    a = analyze(write_ods(tmp_path / "huge.ods", [("S", rows)], [BasicModule("M", VIEWER)]))
    assert a.status is Status.ANALYZED and a.facts["formula_cells"] == 20_000
    assert "only the first 20,000 formulas" in a.facts["formula_note"]


# LibreOffice itself ----------------------------------------------------------------------------
@pytest.mark.slow
def test_libreoffice_opens_the_generated_file_and_keeps_what_is_analysed(tmp_path):
    """A headless re-save by LibreOffice Calc keeps the Basic modules, the open event, the database
    range and the formula; LibreOffice's own file is analysed with the same findings. The macro
    bound to "open" would leave a marker file: a fresh profile's macro security never runs it."""
    if SOFFICE is None:
        pytest.skip("LibreOffice not installed (Debian package libreoffice-calc)")
    rng = DatabaseRange("Import", "Kalibrierung.A10:Kalibrierung.C50", "QMS_Prod", "SELECT * FROM Limits")
    (tmp_path / "in").mkdir()
    marker = tmp_path / "macro-ran.txt"
    mark = f'Sub Mark\n  Open "{marker}" For Output As #1\n  Print #1, "ran"\n  Close #1\nEnd Sub\n'
    ours = write_ods(tmp_path / "in" / "scrap.ods", [SHEET], [BasicModule("Posting", POSTING), BasicModule("Marker", mark)],
                     events=[("dom:load", "Standard.Marker.Mark")], ranges=[rng])
    out = tmp_path / "out"
    run = subprocess.run([SOFFICE, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                          "--convert-to", "ods", "--outdir", str(out), str(ours)],
                         capture_output=True, text=True, timeout=180, check=False)
    assert run.returncode == 0 and (out / "scrap.ods").exists(), run.stdout + run.stderr
    with zipfile.ZipFile(out / "scrap.ods") as saved:
        assert {"Basic/Standard/Posting.xml", "Basic/Standard/Marker.xml"} <= set(saved.namelist())
        assert b"styles.xml" not in ours.read_bytes() and "styles.xml" in saved.namelist(), "LibreOffice wrote it"
    theirs = analyze(out / "scrap.ods")
    mine = analyze(ours)
    assert theirs.status is Status.ANALYZED
    assert rules(theirs) == rules(mine)
    assert theirs.facts["events"][0]["event"] == "dom:load"
    assert [m["lines"] for m in theirs.facts["modules"]] == [m["lines"] for m in mine.facts["modules"]]
    assert not marker.exists(), "LibreOffice ran the document's macro"
    assert classify(theirs).classification is Classification.SHADOW_IT


# code in any script language, outside data, damaged deflate data (review findings) ---------------
PLAIN = ods_bytes([("Daten", [["Linie", "Stück"], ["L1", 12]])])


def _added(data: bytes, name: str, new: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr(name, new)
    return out.getvalue()


def test_macros_in_any_script_language_make_the_file_a_tool():
    """LibreOffice runs JavaScript and BeanShell macros stored under Scripts/ as readily as Basic:
    such a file is a tool (never skipped as "no artifact"), read with the language-neutral rules,
    and the analysis says which language rules it could not apply; a Python macro is Python
    whatever the case of its extension."""
    assert opendocument.analyze("p.ods", "ods", LIMITS, data=PLAIN).status is Status.NOT_AN_ARTIFACT
    js = _added(PLAIN, "Scripts/javascript/Library1/macro.js",
                b'var p = java.lang.Runtime.getRuntime().exec("cmd /c del \\\\\\\\fs01\\\\qs\\\\x");')
    a = opendocument.analyze("j.ods", "ods", LIMITS, data=js)
    assert a.status is Status.ANALYZED, a
    assert "Scripts/javascript/Library1/macro.js" in a.facts["scripts"]
    assert "behaviour.shell" in rules(a)
    assert a.reason.startswith("partial analysis") and "javascript macros (1)" in a.reason
    bsh = _added(PLAIN, "Scripts/beanshell/Library1/macro.bsh", b'print("hello");')
    assert opendocument.analyze("b.ods", "ods", LIMITS, data=bsh).status is Status.ANALYZED
    py = _added(PLAIN, "Scripts/python/Tool.PY",
                b'import pyodbc\ncur = pyodbc.connect("DSN=ERP").cursor()\n'
                b'cur.execute("INSERT INTO Kosten VALUES (1)")\n')
    a = opendocument.analyze("y.ods", "ods", LIMITS, data=py)
    assert a.status is Status.ANALYZED and not a.reason, a
    assert {"writes.sql", "reach.erp"} <= rules(a)


def test_link_to_external_data_is_outside_data():
    """Sheet > Link to External Data stores a table:cell-range-source that refreshes a range from a
    web page or file: outside data, so the file is inventoried with the link."""
    with zipfile.ZipFile(io.BytesIO(PLAIN)) as z:
        content = z.read("content.xml").decode()
    linked = content.replace("</table:table-cell>", '<table:cell-range-source table:name="HTML_1" '
                             'xlink:href="https://erp.example/prices.html" table:filter-name="calc_HTML_WebQuery" '
                             'table:last-column-spanned="4" table:last-row-spanned="20" '
                             'table:refresh-delay="PT1M"/></table:table-cell>', 1)
    assert linked != content
    a = opendocument.analyze("l.ods", "ods", LIMITS, data=_replaced(PLAIN, "content.xml", linked.encode()))
    assert a.status is Status.ANALYZED, a
    assert a.facts["external_links"] == ["https://erp.example/prices.html"]


@pytest.mark.slow  # runs the real CLI in other processes, or hundreds of generated inputs
def test_damaged_deflate_data_is_corrupt_never_a_crash():
    """Every single-byte change of a package ends with a status and a reason from the analyzer
    (zlib's own errors included), never an exception for the pool to call a crash."""
    crashed = []
    for at in range(0, len(GOOD), 3):
        data = GOOD[:at] + bytes([GOOD[at] ^ 0x5A]) + GOOD[at + 1:]
        try:
            a = opendocument.analyze("d.ods", "ods", LIMITS, data=data)
        except Exception as exc:  # what the pool would record as analyzer-crashed
            crashed.append((at, repr(exc)))
            continue
        assert a.status is Status.ANALYZED or a.reason, (at, a)
    assert not crashed, crashed[:5]

"""Script analyzers: every language, written by the test itself."""
import codecs

import pytest

from shadowscan.analyzers.scripts import analyze
from shadowscan.model import Limits, Status

SCRIPTS = {
    "limits.py": ("utf-8", '''
import pyodbc
conn = pyodbc.connect("DRIVER={SQL Server};SERVER=qms01;UID=qa;PWD=Geheim123")
cur = conn.cursor()
usl = nominal + 3 * sigma
cur.execute("""
    UPDATE TestLimits
       SET USL = ?
     WHERE Part = ?""", usl, part)
''', {"quality.computes-limits", "quality.writes", "secrets.connection-password", "reach.database"}),
    "post_scrap.ps1": ("utf-16", '''
# Bucht Ausschusskosten ins ERP
$kosten = $menge * $preis
Invoke-RestMethod -Uri "https://erp01/api/postings" -Method Post -Body $kosten
''', {"financial.computes", "writes.web", "reach.web"}),
    "Kosten.psm1": ("utf-8-sig", '''function Export-Kosten { $rows | Export-Csv \\\\fin01\\Kosten\\buchung.csv }
''', {"financial.writes", "reach.network-path"}),
    "sperre.vbs": ("cp1252", '''
' Sperrt Chargen bei Überschreitung
Set cn = CreateObject("ADODB.Connection")
cn.Open "DSN=QMS"
If wert > grenzwert Then cn.Execute "UPDATE Chargen SET Status = 'gesperrt' WHERE Nr = " & nr
''', {"quality.decision", "writes.sql", "reach.database"}),
    "nightly.bat": ("cp1252", '''@echo off
REM copy the test results
robocopy D:\\results \\\\qs01\\pruefung\\ergebnisse /E
''', {"writes.file", "reach.network-path", "quality.term"}),
    "release.cmd": ("utf-8", '''sqlcmd -S mes01 -Q "UPDATE Lots SET Release = 'RELEASED' WHERE Id = %1"
''', {"quality.decision", "writes.sql", "reach.database"}),
    "koszty.sql": ("cp1250", '''-- Księgowanie kosztów złomu
INSERT INTO dbo.KosztyZlomu (Partia, Koszt)
SELECT Partia, Ilosc * CenaJednostkowa FROM dbo.Zlom;
''', {"financial.writes", "writes.sql"}),
    "spc.R": ("utf-8", '''library(RODBC)
con <- odbcConnect("historian")
x <- sqlQuery(con, "SELECT value FROM pv")
ucl <- mean(x$value) + 3 * sd(x$value)
write.csv(data.frame(ucl), "//qs01/spc/limits.csv")
''', {"quality.computes-limits", "writes.file", "reach.database"}),
    # VBA modules exported from a workbook or an Access file: standard module, class, form
    "Buchung.bas": ("cp1252", '''Attribute VB_Name = "Buchung"
Option Explicit
Public Sub Buchen()
    cn.Execute "INSERT INTO Kostenbuchung (Kostenstelle, Betrag) VALUES ('" & ks & "', " & betrag & ")"
End Sub
''', {"financial.writes", "writes.sql"}),
    "Pruefung.cls": ("cp1252", '''VERSION 1.0 CLASS
BEGIN
  MultiUse = -1  'True
END
Attribute VB_Name = "Pruefung"
Public Function Urteil(wert As Double, usl As Double) As String
    If wert > usl Then Urteil = "NOK" Else Urteil = "OK"
End Function
''', {"quality.decision"}),
    "Freigabe.frm": ("cp1252", '''VERSION 5.00
Begin {C62A69F0-16DC-11CE-9E98-00AA00574A4F} Freigabe
   Caption         =   "Freigabe"
End
Attribute VB_Name = "Freigabe"
Private Sub cmdOK_Click()
    rs.AddNew
    rs!Los = txtLos.Value
    rs!Freigabe = "gesperrt"
    rs.Update
End Sub
''', {"writes.recordset", "quality.decision"}),
}


def write(tmp_path, name, encoding, text):
    path = tmp_path / name
    if encoding == "utf-16":
        path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    else:
        path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_script_languages(tmp_path, name):
    encoding, text, expected = SCRIPTS[name]
    path = write(tmp_path, name, encoding, text)
    analysis = analyze(str(path), name.rsplit(".", 1)[1].lower(), Limits())
    assert analysis.status is Status.ANALYZED, analysis.reason
    rules = {f.rule for f in analysis.findings}
    assert expected <= rules, f"missing {expected - rules}"
    for finding in analysis.findings:
        for ev in finding.evidence:
            assert ev.location == "script" and ev.line and ev.line >= 1
            assert "Geheim123" not in ev.snippet


def test_exported_vba_modules_are_vba(tmp_path):
    for name in ("Buchung.bas", "Pruefung.cls", "Freigabe.frm"):
        encoding, text, _ = SCRIPTS[name]
        analysis = analyze(str(write(tmp_path, name, encoding, text)), name.rsplit(".", 1)[1], Limits())
        assert analysis.facts["language"] == "vba" and analysis.facts["procedures"] == 1, name


def test_a_cls_or_frm_that_is_no_vba_export_is_no_artifact(tmp_path):
    latex = tmp_path / "thesis.cls"
    latex.write_text("\\NeedsTeXFormat{LaTeX2e}\n\\ProvidesClass{thesis}\n\\LoadClass{report}\n")
    assert analyze(str(latex), "cls", Limits()).status is Status.NOT_AN_ARTIFACT
    other = tmp_path / "screen.frm"
    other.write_text("object Form1: TForm1\n  Caption = 'Main'\nend\n")
    assert analyze(str(other), "frm", Limits()).status is Status.NOT_AN_ARTIFACT
    # an Access form's module as a source-control add-in exports it: no header, VBA from the first line
    access = tmp_path / "Form_Lots.cls"
    access.write_text('Option Compare Database\n\nPrivate Sub cmdRelease_Click()\n    Me!Status = "released"\nEnd Sub\n')
    assert analyze(str(access), "cls", Limits()).status is Status.ANALYZED


def test_encoding_is_recorded(tmp_path):
    path = write(tmp_path, "post_scrap.ps1", "utf-16", SCRIPTS["post_scrap.ps1"][1])
    assert analyze(str(path), "ps1", Limits()).facts["encoding"] == "utf-16-le"


def test_python_facts_and_sql_literal_evidence_line(tmp_path):
    encoding, text, _ = SCRIPTS["limits.py"]
    analysis = analyze(str(write(tmp_path, "limits.py", encoding, text)), "py", Limits())
    assert analysis.facts["imports"] == ["pyodbc"]
    writes = next(f for f in analysis.findings if f.rule == "quality.writes")
    assert writes.evidence[0].line == 7  # the UPDATE line inside the triple-quoted string


def test_python2_falls_back_to_text(tmp_path):
    path = tmp_path / "old.py"
    path.write_text('print "posting costs"\nimport os\nos.system("del x")\n')
    analysis = analyze(str(path), "py", Limits())
    assert analysis.status is Status.ANALYZED
    assert "does not parse as Python 3" in analysis.facts["parse_error"]
    assert "behaviour.shell" in {f.rule for f in analysis.findings}


def test_binary_content_is_corrupt(tmp_path):
    path = tmp_path / "x.ps1"
    path.write_bytes(bytes(range(256)) * 50)
    analysis = analyze(str(path), "ps1", Limits())
    assert analysis.status is Status.CORRUPT and "binary content" in analysis.reason


def test_nul_padding_after_the_code_is_not_binary(tmp_path):
    path = tmp_path / "Status.bas"
    path.write_bytes(b'Attribute VB_Name = "Status"\r\nFunction S(d)\r\n  If d > due Then S = "EXPIRED"\r\nEnd Function\r\n'
                     + b"\x00" * 504)
    analysis = analyze(str(path), "bas", Limits())
    assert analysis.status is Status.ANALYZED, analysis.reason
    assert "quality.decision" in {f.rule for f in analysis.findings}


def test_nul_padding_ending_in_fill_bytes_is_not_binary(tmp_path):
    path = tmp_path / "Check.bas"
    path.write_bytes(b'Attribute VB_Name = "Check"\r\nFunction S(d)\r\n  If d > due Then S = "EXPIRED"\r\nEnd Function\r\n'
                     + b"\x00" * 400 + b"\xad\xba\xad\xba")
    analysis = analyze(str(path), "bas", Limits())
    assert analysis.status is Status.ANALYZED, analysis.reason
    assert "quality.decision" in {f.rule for f in analysis.findings}


def test_binary_after_a_line_break_is_still_corrupt(tmp_path):
    path = tmp_path / "x.bas"
    path.write_bytes(b"Sub A()\r\n" + bytes(range(1, 9)) * 400)
    assert analyze(str(path), "bas", Limits()).status is Status.CORRUPT


def test_too_large(tmp_path):
    path = tmp_path / "big.sql"
    path.write_text("SELECT 1;\n" * 1000)
    analysis = analyze(str(path), "sql", Limits(max_file_size=100))
    assert analysis.status is Status.TOO_LARGE


def test_nothing_is_executed(tmp_path):
    marker = tmp_path / "executed"
    path = tmp_path / "evil.py"
    path.write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    analyze(str(path), "py", Limits())
    assert not marker.exists()


def test_fingerprint_ignores_layout_and_comments_not_logic(tmp_path):
    def fp(name, text):
        path = tmp_path / name
        path.write_text(text)
        return analyze(str(path), name.rsplit(".", 1)[1], Limits()).fingerprint

    base = fp("a.py", "x = 1\nif x:\n    print('FAIL')\n")
    assert base and base.startswith("lf1:")
    assert fp("b.py", "# a comment\nx = 1\n\nif x:\n        print('FAIL')  # why\n") == base
    assert fp("c.py", "x = 2\nif x:\n    print('FAIL')\n") != base
    sql = fp("a.sql", "UPDATE t SET a = 1; -- nightly\n")
    assert fp("b.sql", "-- changed comment\nUPDATE t   SET a = 1;\n") == sql
    assert fp("c.sql", "UPDATE t SET a = 2;\n") != sql

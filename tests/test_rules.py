"""The rule engine, rule by rule: what must fire, and what must not."""
import pytest

from shadowscan.model import Impact
from shadowscan.rules.engine import scan_names, scan_text
from shadowscan.rules.patterns import all_rules


def rules_in(text, language):
    return {f.rule for f in scan_text(text, language, "x")}


@pytest.mark.parametrize("language,text,rule", [
    # writes
    ("vba", 'cn.Execute "UPDATE Lots SET Status = 1"', "writes.sql"),
    ("python", 'cur.execute("INSERT INTO t VALUES (1)")', "writes.sql"),
    ("sql", "MERGE INTO dbo.Postings AS t USING s ON t.id = s.id", "writes.sql"),
    ("sql", "SELECT * INTO NewTable FROM Old", "writes.sql"),
    ("vba", 'sql = "INSERT INTO " & tbl & " VALUES (1)"', "writes.sql"),
    ("python", 'cur.execute("insert into lots values (?, ?)", a, b)', "writes.sql"),
    # the table named through a placeholder
    ("python", 'sql = f"INSERT INTO {TABLE} ({cols}) VALUES ({vals})"', "writes.sql"),
    ("python", 'sql = f"UPDATE {TABLE} SET lot = \'{new}\' WHERE lot = \'{old}\'"', "writes.sql"),
    ("powershell", '$q = "INSERT INTO $table (Lot, Wert) VALUES (1, 2)"', "writes.sql"),
    ("sql", "UPDATE oc_item A INNER JOIN (SELECT id, cost * 1.05 AS cost FROM oc_item) AS B SET A.cost = B.cost", "writes.sql"),
    ("vba", 'CurrentDb.Execute "UPDATE Lose L INNER JOIN Pruefung P ON L.Nr = P.Nr SET L.Status = P.Status"', "writes.sql"),
    # Python database drivers beyond ODBC
    ("python", "db = mysql.connector.connect(host=h, user=u, database=d)", "reach.database"),
    ("python", "conn = pymysql.connect(host=h)", "reach.database"),
    ("python", "from hdbcli import dbapi", "reach.database"),
    ("vba", "rs.AddNew", "writes.recordset"),
    ("vba", "DoCmd.RunSQL strSql", "writes.recordset"),
    ("vba", 'ActiveWorkbook.SaveAs "\\\\srv\\q\\out.xlsx"', "writes.file"),
    ("vba", 'Kill "C:\\temp\\x.csv"', "writes.file"),
    ("vba", "Open strFile For Output As #1", "writes.file"),
    ("python", "df.to_csv(r'\\\\srv\\share\\out.csv')", "writes.file"),
    ("python", "with open('out.txt', 'w') as f:", "writes.file"),
    ("powershell", "$rows | Export-Csv -Path $out", "writes.file"),
    ("batch", "copy report.xlsx \\\\srv\\share\\", "writes.file"),
    ("batch", "echo done >> log.txt", "writes.file"),
    ("r", "write.csv(df, 'out.csv')", "writes.file"),
    ("vba", 'Set o = CreateObject("Outlook.Application")', "writes.email"),
    ("powershell", "Send-MailMessage -To qa@plant -Subject x", "writes.email"),
    ("python", "requests.post(url, json=payload)", "writes.web"),
    ("powershell", "Invoke-RestMethod -Uri $u -Method Post -Body $b", "writes.web"),
    # reach
    ("vba", 'cn.Open "Provider=SQLOLEDB;Data Source=erp01"', "reach.database"),
    ("python", "conn = pyodbc.connect(dsn)", "reach.database"),
    ("powershell", "Invoke-Sqlcmd -ServerInstance mes01 -Query $q", "reach.database"),
    ("r", "con <- odbcConnect('QMS')", "reach.database"),
    ("vba", 'http.Open "GET", "https://api.example/x", False', "reach.web"),
    ("vbscript", 'Set fso = CreateObject("Scripting.FileSystemObject") : p = "\\\\fs01\\quality\\"', "reach.network-path"),
    ("python", "r = rfc.call('BAPI_ACC_DOCUMENT_POST')", "reach.erp"),
    # secrets
    ("vba", 'cn.Open "DSN=erp;UID=sa;PWD=Sommer2024"', "secrets.connection-password"),
    ("python", 'DB_PASSWORD = "hunter22"', "secrets.hardcoded"),
    # behaviour
    ("vba", "Private Sub Workbook_Open()", "behaviour.autoexec"),
    ("vba", 'Shell "cmd /c del x"', "behaviour.shell"),
    ("python", "subprocess.run(['robocopy', a, b])", "behaviour.shell"),
    ("powershell", "Start-Process notepad.exe", "behaviour.shell"),
    ("vba", 'Private Declare PtrSafe Function GetTickCount Lib "kernel32" () As Long', "behaviour.win32"),
    ("xlm", "A1: =EXEC(\"calc.exe\")", "behaviour.xlm"),
])
def test_rule_fires(language, text, rule):
    assert rule in rules_in(text, language)


@pytest.mark.parametrize("language,text,rule", [
    ("vba", "' cn.Execute \"DELETE FROM Lots\"", "writes.sql"),  # a comment does not write
    ("python", "# requests.post(url)", "writes.web"),
    ("sql", "-- UPDATE Lots SET x = 1", "writes.sql"),
    ("batch", "REM copy a b", "writes.file"),
    ("vba", "Application.ScreenUpdating = False", "writes.recordset"),
    ("vba", 'cn.Open "DSN=erp;UID=sa;PWD=" & pwd', "secrets.connection-password"),
    ("python", "password = os.environ['PW']", "secrets.hardcoded"),
    ("vba", "If Status = \"FAIL\" Then MsgBox \"check\"", "quality.decision"),  # reads a decision
    ("sql", "SELECT * FROM Lots WHERE Disposition = 'REJECT'", "quality.decision"),
    ("vba", 'fmt = "#,##0.00_-;-#,##0.00"', "financial.computes"),
    ("vba", "eff_coins_spec = 1 - (a / b)", "quality.computes-limits"),
    ("vba", 'MsgBox ("In the selection, please select which plan goes into the sheet")', "writes.sql"),
    ("vba", 'MsgBox "Please insert into the form your name"', "writes.sql"),
    # a decision word compared in the condition of IIf/ifelse is read, not set
    ("r", "rate$review <- ifelse(rate$Result=='Pass', 1 - rate$n / rate$total, rate$n / rate$total)", "quality.decision"),
    ("vba", 'share = IIf(r.Result = "OK", 1, 0)', "quality.decision"),
    ("python", "passed.append(row)", "quality.decision"),
    ("python", 'self.tests.append((test_name, "passed"))', "quality.decision"),  # bookkeeping, not a row of results
    ("python", 'choices.append(("pass", "Pass"))', "quality.decision"),
    # "update" and "join" in prose are no multi-table UPDATE
    ("python", 'msg = "We need to update our join logic"', "writes.sql"),
    ("vba", 'MsgBox "Update complete. Join the Teams call"', "writes.sql"),
    ("vba", 'Debug.Print "update costs join"', "writes.sql"),
])
def test_rule_stays_quiet(language, text, rule):
    assert rule not in rules_in(text, language)


@pytest.mark.parametrize("text", [
    "Kosten der Charge", "Rechnungsnummer", "koszt złomu", "faktura VAT", "unit price", "GL account 4711",
    "Buchung auf Kostenstelle", "księgowanie",
])
def test_financial_vocabulary_in_three_languages(text):
    assert "financial.term" in rules_in(text, "text")


@pytest.mark.parametrize("text", [
    "Prüfgrenze", "Toleranz", "tolerancja wymiaru", "wada krytyczna", "USL", "Cpk", "pass/fail", "Chargenfreigabe",
    "lot release", "NCR",
])
def test_quality_vocabulary_in_three_languages(text):
    assert "quality.term" in rules_in(text, "text")


def test_terms_found_inside_identifiers():
    assert "financial.term" in rules_in("scrapCost = 1", "vba")
    assert "quality.term" in rules_in("TEST_LIMIT_USL = 1", "python")


@pytest.mark.parametrize("language,text,rule,impact", [
    ("vba", 'ws.Cells(r, 6).Value = "FAIL"', "quality.decision", Impact.QUALITY),
    ("vba", 'If m > usl Then result = "NOK"', "quality.decision", Impact.QUALITY),
    ("python", 'verdict = "PASS" if x < usl else "FAIL"', "quality.decision", Impact.QUALITY),
    ("sql", "UPDATE Lots SET Status = 'gesperrt' WHERE id = 4", "quality.decision", Impact.QUALITY),
    ("vba", "usl = nominal + tol", "quality.computes-limits", Impact.QUALITY),
    ("r", "lots$verdict <- ifelse(lots$value > usl, 'FAIL', 'PASS')", "quality.decision", Impact.QUALITY),
    ("vba", 'Cells(r, 5).Value = IIf(Abs(m - nominal) > tol, "NG", "OK")', "quality.decision", Impact.QUALITY),
    # a row of results written with the verdict the program chose
    ("python", "results.append([lot, serial, 'Fail'])", "quality.decision", Impact.QUALITY),
    ("python", 'writer.writerow((part, measured, "REJECT"))', "quality.decision", Impact.QUALITY),
    ("r", "ucl <- mean(x) + 3 * sd(x)", "quality.computes-limits", Impact.QUALITY),
    ("vba", 'cn.Execute "INSERT INTO ScrapCosts (Lot, Cost) VALUES (1, 2)"', "financial.writes", Impact.FINANCIAL),
    ("python", 'cur.execute("UPDATE TestLimits SET USL = ?", v)', "quality.writes", Impact.QUALITY),
    ("powershell", "$rows | Export-Csv \\\\fin\\Kosten\\buchungen.csv", "financial.writes", Impact.FINANCIAL),
])
def test_correlations_carry_an_impact(language, text, rule, impact):
    found = {f.rule: f for f in scan_text(text, language, "VBA/Module1")}
    assert rule in found
    assert found[rule].impact is impact
    assert found[rule].evidence[0].location == "VBA/Module1"
    assert found[rule].evidence[0].line == 1


def test_vocabulary_alone_has_no_impact():
    findings = scan_text("' Diagramm der Kosten und Prüfgrenzen\nChart1.Refresh", "vba", "VBA/M")
    assert {f.rule for f in findings} == {"financial.term", "quality.term"}
    assert all(f.impact is None for f in findings)


def test_evidence_line_numbers_and_redaction():
    code = "Sub X()\n  a = 1\n  cn.Open \"DSN=erp;UID=sa;PWD=Sommer2024\"\nEnd Sub\n"
    found = {f.rule: f for f in scan_text(code, "vba", "VBA/Module1")}
    ev = found["secrets.connection-password"].evidence[0]
    assert ev.line == 3
    assert "Sommer2024" not in ev.snippet and "PWD=***" in ev.snippet


def test_vba_line_continuation_is_one_unit():
    code = 'sql = "INSERT INTO Kosten " & _\n      "(a) VALUES (1)"\ncn.Execute sql\n'
    found = {f.rule: f for f in scan_text(code, "vba", "m")}
    assert found["financial.writes"].evidence[0].line == 1


def test_sql_statement_spanning_lines_is_one_unit():
    sql = "-- nightly\nUPDATE dbo.TestLimits\n   SET USL = Nominal + Tol\n WHERE Part = 'A';\nSELECT 1;\n"
    found = {f.rule: f for f in scan_text(sql, "sql", "script")}
    assert found["quality.writes"].evidence[0].line == 2


def test_names_scan():
    found = {f.rule: f for f in scan_names([("table TestLimits", "TestLimits"), ("table Kosten", "Kosten"),
                                            ("table Shippers", "Shippers")])}
    assert found["quality.term"].evidence[0].location == "table TestLimits"
    assert found["financial.term"].evidence[0].location == "table Kosten"
    assert len(found) == 2


def test_every_rule_is_documented_and_scoped():
    ids = set()
    for rule in all_rules():
        assert rule.title and rule.id.split(".")[0] == rule.family.value
        ids.add(rule.id)
    assert {"writes.sql", "reach.database", "secrets.hardcoded", "behaviour.autoexec"} <= ids


def test_unknown_language_is_an_error():
    with pytest.raises(ValueError):
        scan_text("x", "cobol", "x")

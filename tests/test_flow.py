"""Following values within a procedure (rules/flow.py): what is computed from money or
measurements and where it goes. Each case is a small program written for the behaviour,
in the languages and naming styles plants use; the negatives are the look-alikes that
must stay citizen development (showing is not deciding)."""
from __future__ import annotations

import random

import pytest

from shadowscan.classify import classify
from shadowscan.model import Analysis, Impact, Status
from shadowscan.rules.engine import merge_findings, scan_text
from shadowscan.rules.flow import _owners


def verdict(text: str, language: str):
    findings = merge_findings(scan_text(text, language, "code"))
    return classify(Analysis(Status.ANALYZED, "", tuple(findings), {"language": language})), findings


QUOTE_VBA = '''Sub Angebot()
    Set ws = Sheets("Angebot")
    mwst = 0.19
    For i = 2 To lastRow
        ws.Cells(i, 5).Value = ws.Cells(i, 3).Value * ws.Cells(i, 4).Value
        ws.Cells(i, 6).Value = ws.Cells(i, 5).Value * mwst
    Next i
End Sub
'''
INVOICE_PDF_VBA = '''Sub MakeInvoices()
    For Each r In Sheets("Orders").Range("A2:A50")
        Sheets("Template").Range("B3") = r.Value
        Sheets("Template").ExportAsFixedFormat Type:=xlTypePDF, Filename:="Invoice_" & r.Value
    Next r
End Sub
'''
REGISTER_VBA = '''Sub AddEntry()
    Set ws = Sheets("Kasa")
    nextRow = ws.Cells(ws.Rows.Count, 1).End(xlUp).Row + 1
    ws.Cells(nextRow, 1).Value = Date
    ws.Cells(nextRow, 2).Value = kwota
End Sub
'''
RECORDSET_VBA = '''Sub SaveLine()
    rs.AddNew
    rs.Fields("PRECIO_UNITARIO").Value = txtPrecio
    rs.Fields("CANTIDAD").Value = txtCantidad
    rs.Update
End Sub
'''
STATUS_VBA = '''Function Judge(m As Double, lsl As Double, usl As Double) As String
    If m < lsl Or m > usl Then
        Judge = "NG"
    Else
        Judge = "OK"
    End If
End Function
'''
DUE_PY = '''from datetime import timedelta

def status(gauge, today):
    next_due = gauge.last_calibration + timedelta(days=gauge.interval_days)
    if next_due < today:
        return "OVERDUE"
    if (next_due - today).days < 14:
        return "DUE SOON"
    return "OK"
'''
PRICE_PY = '''import openpyxl

def fill(ws, items, ust_satz):
    for row, item in enumerate(items, 2):
        netto = item["menge"] * item["einzelpreis"]
        ws.cell(row=row, column=4).value = netto * (1 + ust_satz)
'''
YIELD_PY = '''import pandas as pd
lots = pd.read_csv("lots.csv")
limits = pd.read_excel("limits.xlsx")
out = pd.DataFrame()
for i in range(len(lots)):
    if lots.iloc[i, 3] < limits.iloc[0, 1]:
        row = lots[i:i + 1]
        row['Yield NG'] = limits.iloc[0, 1]
        out = pd.concat([out, row])
out.to_excel("ng_lots.xlsx")
'''
SAP_WRITE = '''Set SapGuiAuto = GetObject("SAPGUI")
Set application = SapGuiAuto.GetScriptingEngine
session.findById("wnd[0]/tbar[0]/okcd").text = "/nMIGO"
session.findById("wnd[0]").sendVKey 0
'''
SAP_QUALITY = '''Set application = GetObject("SAPGUI").GetScriptingEngine
session.StartTransaction "QA11"
'''
SAP_PYTHON_PO = '''def create_order(session, vendor, parts):
    session.StartTransaction(Transaction="me21n")
    session.FindById("wnd[0]/usr/ctxtVENDOR").text = vendor
    session.FindById("wnd[0]/tbar[0]/btn[11]").press()
'''
JUDGE_R = '''judge <- function(x, lsl, usl) {
  if (x < lsl || x > usl) {
    result <- "FAIL"
  } else {
    result <- "PASS"
  }
  result
}
'''


@pytest.mark.parametrize("name,text,language,rule,impact", [
    ("quote with tax, German names", QUOTE_VBA, "vba", "financial.prices", Impact.FINANCIAL),
    ("one PDF invoice per order", INVOICE_PDF_VBA, "vba", "financial.issues-documents", Impact.FINANCIAL),
    ("amounts appended to a cash book, Polish", REGISTER_VBA, "vba", "financial.register", Impact.FINANCIAL),
    ("recordset fields with prices, Spanish", RECORDSET_VBA, "vba", "financial.register", Impact.FINANCIAL),
    ("OK/NG against spec limits", STATUS_VBA, "vba", "quality.decision", Impact.QUALITY),
    ("calibration due status", DUE_PY, "python", "quality.decision", Impact.QUALITY),
    ("calibration due date from an interval", DUE_PY, "python", "quality.due-dates", Impact.QUALITY),
    ("net price plus VAT into cells, German names", PRICE_PY, "python", "financial.prices", Impact.FINANCIAL),
    ("NG lots flagged against yield limits", YIELD_PY, "python", "quality.decision", Impact.QUALITY),
    ("SAP GUI posts a goods movement", SAP_WRITE, "vbscript", "financial.erp-gui", Impact.FINANCIAL),
    ("SAP GUI records a usage decision", SAP_QUALITY, "vbscript", "quality.erp-gui", Impact.QUALITY),
    ("SAP GUI from Python, transaction as a keyword", SAP_PYTHON_PO, "python", "financial.erp-gui", Impact.FINANCIAL),
    ("R judge against limits", JUDGE_R, "r", "quality.decision", Impact.QUALITY),
])
def test_flow_found(name, text, language, rule, impact):
    result, findings = verdict(text, language)
    by_rule = {f.rule: f for f in findings}
    assert rule in by_rule, (name, sorted(by_rule))
    assert impact in result.impacts, name
    assert all(ev.line for ev in by_rule[rule].evidence), "evidence points at lines"


SUMMARY_VBA = '''Sub Summarise()
    Set d = CreateObject("Scripting.Dictionary")
    For i = 2 To lastRow
        d(ws.Cells(i, 1).Value) = d(ws.Cells(i, 1).Value) + ws.Cells(i, 2).Value
    Next i
    wsSummary.Range("B1").Value = "Total Amount"
    For Each k In d.Keys
        wsSummary.Cells(r, 2).Value = d(k)
    Next k
End Sub
'''
VARIANCE_VBA = '''Sub Report()
    variance = actualCost - budgetCost
    ws.Range("D5").Value = variance
    pct = variance / budgetCost * 100
    ws.Range("E5").Value = pct
    ws.ExportAsFixedFormat Type:=xlTypePDF, Filename:="Monthly report"
End Sub
'''
REMINDER_VBS = '''Set mail = CreateObject("CDO.Message")
If DateDiff("d", Date, zeile(2)) < 14 Then
    mail.TextBody = "Anlage " & zeile(0) & " ist am " & zeile(2) & " fällig."
    mail.Send
End If
'''
HEADERS_VBA = '''Sub Stats()
    ws.Cells(1, 1).Value = "Fail Count"
    ws.Cells(1, 2).Value = "Pass Rate"
    If n > 0 Then ws.Cells(2, 2).Value = passed / n
End Sub
'''
WINDOW_PY = '''import datetime as dt
DUE_WITHIN = dt.timedelta(days=30)
def due(rows, today):
    for row in rows:
        if row["next_calibration"] - today <= DUE_WITHIN:
            print(row["gauge"])
'''
FORMAT_VBA = '''Sub Widen()
    For Each col In wsBilling.Columns
        col.ColumnWidth = col.ColumnWidth + 1
    Next col
    Application.PrintCommunication = False
    ActiveSheet.PageSetup.LeftMargin = Application.InchesToPoints(0.5)
End Sub
'''
SAP_READ = '''Set application = GetObject("SAPGUI").GetScriptingEngine
session.findById("wnd[0]/tbar[0]/okcd").text = "/nME2N"
session.findById("wnd[0]").sendVKey 8
Set o = CreateObject("Outlook.Application")
'''
TIMER_PY = '''import time
def run(job):
    start = time.time()
    job()
    costTime = time.time() - start
    with open("timing.log", "a") as f:
        f.write(str(costTime * 1000))
'''
PASSWORD_VBA = '''Sub Unlock()
    Dim SAP As String
    SAP = ws.Range("B65")
    ActiveSheet.Unprotect Password:=SAP
    ActiveWorkbook.SaveAs "copy.xlsm"
End Sub
'''


@pytest.mark.parametrize("name,text,language", [
    ("sums per department into a summary sheet", SUMMARY_VBA, "vba"),
    ("budget variance shown and exported as a report", VARIANCE_VBA, "vba"),
    ("a mail that says a date is due", REMINDER_VBS, "vbscript"),
    ("headers that name pass/fail counts", HEADERS_VBA, "vba"),
    ("a constant window for due gauges, printed", WINDOW_PY, "python"),
    ("column widths and page margins", FORMAT_VBA, "vba"),
    ("SAP report transaction mailed", SAP_READ, "vbscript"),
    ("elapsed time called costTime", TIMER_PY, "python"),
    ("a variable named SAP holding a password", PASSWORD_VBA, "vba"),
])
def test_look_alikes_stay_citizen_development(name, text, language):
    result, findings = verdict(text, language)
    assert not result.impacts, (name, result.reasons)


JUDGE_CONSTANTS_VBA = '''Sub JudgeLot()
    Res.Judg = JUDG_NG
    If Res.Value >= Res.SpecMin And Res.Value <= Res.SpecMax Then Res.Judg = JUDG_OK
End Sub
'''
JUDGE_FUNCTION_VBA = '''Sub WaferJudge()
    Res.JudgRes = RangeDecision(center, Res.SpecResMin, Res.SpecResMax)
End Sub
'''
CHOICES_PY = '''def build(frame):
    box = Combobox(frame, values=["i.O.", "n.i.O."])

def save(check):
    db.session.add(check)
    db.session.commit()
'''
GRID_PRICE_VBS = '''cost = session.findById("wnd[0]/usr/cntlGRID/shellcont/shell").getCellValue(row, "ZZWAVWR")
price = round(cost + cost * markup, 2)
session.findById("wnd[0]/usr/cntlGRID/shellcont/shell").modifyCell row, "KBETM", price
'''
REGISTER_ROW_VBA = '''Sub AddToInvoiceRegister()
    r = Selection.Row
    ws.Cells(r, 9).Value = lst.List(i, 1)
    ws.Cells(r, 13).Value = lblOrder.Caption
    ws.Cells(r, 16).Value = CDbl(lst.List(i, 5))
    ws.Cells(r, 20).Value = lblDate
End Sub
'''


@pytest.mark.parametrize("name,text,language,rule", [
    ("decision constants against spec limits", JUDGE_CONSTANTS_VBA, "vba", "quality.decision"),
    ("a judgement computed from spec limits", JUDGE_FUNCTION_VBA, "vba", "quality.decision"),
    ("pass/fail chosen by a person and stored", CHOICES_PY, "python", "quality.writes"),
    ("a price written into an ERP grid", GRID_PRICE_VBS, "vbscript", "financial.erp-gui"),
    ("an invoice register row filled field by field", REGISTER_ROW_VBA, "vba", "financial.issues-documents"),
])
def test_more_flows(name, text, language, rule):
    result, findings = verdict(text, language)
    assert rule in {f.rule for f in findings}, (name, sorted(f.rule for f in findings))
    assert result.impacts


@pytest.mark.parametrize("name,text,language", [
    ("a judgement word with no limits", 'Sub X()\n    judgement = GetSetting("app", "k", "v")\nEnd Sub\n', "vba"),
    ("a choice list without decisions, saved", 'box = Combobox(values=["red", "blue"])\ndb.session.add(x)\n', "python"),
    ("a status constant without a decision", 'Sub X()\n    If a > b Then st = STATUS_READY\nEnd Sub\n', "vba"),
])
def test_more_look_alikes(name, text, language):
    result, _ = verdict(text, language)
    assert not result.impacts, (name, result.reasons)


LIMIT_TABLE_PY = '''"""Test station limits."""
LIMITS = (
    ('3V3', 0, 3.2, 3.4, None),
    ('5VReg', 0, 4.9, 5.1, None),
    ('Shunt', 0, -65.0, -60.0, None),
)
'''
ODOO_PY = '''import xmlrpc.client
models = xmlrpc.client.ServerProxy(url + "/xmlrpc/2/object")
move = models.execute_kw(db, uid, pwd, "account.move", "create", [{"journal_id": 1, "line_ids": lines}])
'''
COLOURS_PY = '''PALETTE = (
    ('red', 0, 255, 0),
    ('green', 0, 0, 255),
    ('blue', 255, 0, 0),
)
'''


PRICE_EDIT_VBA = '''Sub SalvarPreco()
    rs.Open "SELECT precoVenda FROM t_Servicos WHERE id = " & id, conexao, adOpenKeyset, adLockOptimistic
    rs!precoVenda = txtPreco.Value
    rs.Update
End Sub
'''
PRICE_FUNCTION_VBA = '''Function Verkaufspreis(ek As Double) As Double
    Verkaufspreis = Round(ek * MARGE, 2) - 0.01
End Function
'''
CALIBRATION_ORM_PY = '''def alta(form):
    lectura = Medicion(form["patron"], form["instrumento"], form["temp"])
    db.session.add(lectura)
    db.session.commit()
'''
INVOICE_ORM_PY = '''def bill(order, session):
    session.add(Invoice(order_id=order.id, total=order.total))
    session.commit()
'''


KEYSTROKE_SAP_PY = '''import pyautogui
def book_hours(rows):
    focus_window("SAP Easy Access")
    pyautogui.typewrite('/nCN25')
    pyautogui.hotkey('enter')
    for network, hours in rows:
        pyautogui.typewrite(str(network))
        pyautogui.typewrite(str(hours))
'''
FORMULA_VERDICT_VBA = '''Sub Avaliar()
    Range("M42:O42").FormulaR1C1 = "=IF(ABS(R[-2]C)<=R[-1]C,""PASSOU"",""FALHA"")"
End Sub
'''
CPK_R = '''output$verdict <- renderText({
  if (cpk() > 1.33) {"Pass"} else {"Fail"}
})
'''
PART_PT_PY = '''def avaliar_peca(peso, comprimento):
    if peso < 95 or peso > 105:
        situacao = "Reprovada"
    else:
        situacao = "Aprovada"
    return situacao
'''
WAGE_UDF_VBA = '''Function GROSS_PAY(time_in As Range, time_out As Range, rate As Currency) As Currency
    GROSS_PAY = FormatCurrency((WorksheetFunction.Sum(time_out) - WorksheetFunction.Sum(time_in)) * rate * 24)
End Function
'''


@pytest.mark.parametrize("name,text,language,rule", [
    ("SAP transaction typed by keystroke automation", KEYSTROKE_SAP_PY, "python", "financial.erp-gui"),
    ("a verdict formula written into cells by a macro, Portuguese", FORMULA_VERDICT_VBA, "vba", "quality.decision"),
    ("an R if-expression choosing Pass/Fail by Cpk", CPK_R, "r", "quality.decision"),
    ("a part approved or rejected against bare bounds, Portuguese feminine", PART_PT_PY, "python", "quality.decision"),
    ("a worksheet function that returns gross pay", WAGE_UDF_VBA, "vba", "financial.prices"),
    ("a price edited on an existing record, bang syntax, Portuguese", PRICE_EDIT_VBA, "vba", "financial.register"),
    ("a selling price returned by a VBA Function, German", PRICE_FUNCTION_VBA, "vba", "financial.prices"),
    ("calibration readings stored through an ORM session, Spanish", CALIBRATION_ORM_PY, "python", "quality.writes"),
    ("an invoice stored through an ORM session", INVOICE_ORM_PY, "python", "financial.register"),
])
def test_records_and_returns(name, text, language, rule):
    _, findings = verdict(text, language)
    assert rule in {f.rule for f in findings}, (name, sorted(f.rule for f in findings))


DISTANCE_VBA = '''Function Entfernung(von As String, nach As String) As Double
    Set objHTTP = CreateObject("MSXML2.ServerXMLHTTP")
    objHTTP.Open "GET", "https://example.invalid/distance?o=" & von & "&d=" & nach, False
    objHTTP.send ("")
    meter = Val(objHTTP.responseText)
    Umrechnung = Round(meter / 1000, 1)
    Entfernung = Umrechnung
End Function
'''
CLIPBOARD_VBA = '''Sub Abgleich()
    titel = "Summe Factura de Compra"
    ws.Range("A1").Value = titel
    wsDatos.Range("D2:D" & ultima).Copy
    ws.Range("J2").PasteSpecial Paste:=xlPasteValues
End Sub
'''
SESSION_SET_PY = '''def collect(rows):
    seen = set()
    for inspection in rows:
        seen.add(inspection)
    return seen
'''


KEYSTROKE_NOT_SAP_PY = '''import pyautogui
def fill(rows):
    for r in rows:
        pyautogui.typewrite('VA01')
'''
ZSCORE_R = '''Zl <- (input$mean - input$lsl) / input$sd
Zu <- (input$usl - input$mean) / input$sd
output$z <- renderText(min(Zl, Zu))
'''
FORMULA_SUM_VBA = '''Sub Totals()
    Range("D10").Formula = "=SUM(D2:D9)"
    Range("E10").Formula = "=IF(D10>0,""Revenue"",""None"")"
End Sub
'''


@pytest.mark.parametrize("name,text,language", [
    ("keystrokes typed into a window nobody names as SAP's", KEYSTROKE_NOT_SAP_PY, "python"),
    ("Z-scores against a lower spec limit are not money", ZSCORE_R, "r"),
    ("a formula written by a macro that decides nothing", FORMULA_SUM_VBA, "vba"),
    ("a web request's Send and a unit conversion named Umrechnung", DISTANCE_VBA, "vba"),
    ("cells copied under a caption that names an invoice", CLIPBOARD_VBA, "vba"),
    ("a set of inspections is not a stored record", SESSION_SET_PY, "python"),
])
def test_requests_captions_and_sets_issue_nothing(name, text, language):
    result, findings = verdict(text, language)
    flows = {f.rule for f in findings if f.impact is not None}
    assert not flows, (name, sorted(flows))
    assert result.classification.value == "citizen-development", name


FAILURE_RATE_VBA = '''Sub Shares()
    For i = 1 To n
        Range("Q" & i + 1).Value = (FailRatePerHour * 100) / FailRateTotal
    Next i
End Sub
'''
LOT_BLOCKED_PY = '''import csv, pyodbc
cn = pyodbc.connect("DSN=QMS")
for r in csv.DictReader(open("results.csv")):
    if float(r["value"]) > float(r["usl"]):
        cn.execute("UPDATE Lots SET Status='BLOCKED' WHERE LotId=?", r["lot"])
'''


def test_a_failure_rate_is_not_a_price():
    result, findings = verdict(FAILURE_RATE_VBA, "vba")
    assert "financial.prices" not in {f.rule for f in findings}
    assert result.classification.value == "citizen-development"


def test_a_lot_blocked_against_the_usl_is_a_quality_decision():
    _, findings = verdict(LOT_BLOCKED_PY, "python")
    assert "quality.decision" in {f.rule for f in findings}


def test_z_scores_named_zl_are_not_money():
    _, findings = verdict(ZSCORE_R, "r")
    assert not {f.rule for f in findings} & {"financial.term", "financial.computes"}


def test_a_limit_table_kept_as_data_controls_decisions():
    result, findings = verdict(LIMIT_TABLE_PY, "python")
    assert "quality.limit-table" in {f.rule for f in findings} and Impact.QUALITY in result.impacts
    result, _ = verdict(COLOURS_PY, "python")
    assert not result.impacts, "rows of numbers that are not limits"


def test_creating_records_through_an_erp_api_is_a_financial_write():
    result, findings = verdict(ODOO_PY, "python")
    assert {"reach.erp", "writes.web"} <= {f.rule for f in findings}
    assert result.impacts == (Impact.FINANCIAL,)


def test_a_quality_transaction_in_sap_is_not_financial():
    result, _ = verdict(SAP_QUALITY, "vbscript")
    assert result.impacts == (Impact.QUALITY,)


def test_lines_go_to_their_innermost_procedure_in_one_sweep():
    """flow._owners (a sweep with a stack) gives what searching every span for every line gives."""
    rng = random.Random(7)

    def spans_within(low: int, high: int, depth: int, out: list[tuple[int, int]]) -> None:
        x = low
        while x < high and rng.random() < 0.7:
            start = rng.randint(x, high)
            end = rng.randint(start, high)
            out.append((start, end))
            if depth < 3 and end - start > 2:
                spans_within(start + 1, end, depth + 1, out)
            x = end + 1

    for _ in range(500):
        spans: list[tuple[int, int]] = []
        spans_within(1, 60, 0, spans)
        spans.sort()
        numbers = sorted(rng.sample(range(65), rng.randint(0, 40)))
        for order in (numbers, numbers[::-1]):
            expected = [max((i for i, (a, b) in enumerate(spans) if a <= n <= b), default=-1) for n in order]
            assert _owners(order, spans) == expected, (order, spans)

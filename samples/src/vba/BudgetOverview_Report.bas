Option Explicit
' Budget overview for the plant controller: pulls actuals vs budget per cost center
' from the finance data mart (read-only view) and formats the monthly report sheet.

Public Sub LoadActuals()
    Dim cn As Object, rs As Object, ws As Worksheet
    Set ws = ThisWorkbook.Worksheets("Report")
    Set cn = CreateObject("ADODB.Connection")
    cn.Open "Provider=SQLOLEDB;Data Source=dwh01;Initial Catalog=FinanceMart;Integrated Security=SSPI"
    Set rs = cn.Execute("SELECT cost_center, budget, actual FROM v_budget_vs_actual WHERE period = '2024-05'")
    ws.Range("A5").CopyFromRecordset rs
    rs.Close
    cn.Close
    ws.Range("A4:C4").Font.Bold = True
    ws.PageSetup.PrintArea = "A1:D60"
End Sub

Option Explicit
' Ausschusskosten je Kostenstelle berechnen und ins ERP buchen (Tabelle FI_Buchungen).
' Danach wird eine Kopie der Mappe im Finanz-Share abgelegt.

Public Sub KostenBuchen()
    Dim ws As Worksheet, z As Long
    Dim menge As Double, preis As Double, ausschussKosten As Double
    Dim cn As Object, sql As String
    Set ws = ThisWorkbook.Worksheets("Ausschuss")
    Set cn = CreateObject("ADODB.Connection")
    cn.Open "Driver={SQL Server};Server=erp01;Database=ERP;UID=fi_batch;PWD=Kosten#2024"
    For z = 2 To ws.Cells(ws.Rows.Count, 1).End(xlUp).Row
        menge = ws.Cells(z, 3).Value
        preis = ws.Cells(z, 4).Value
        ausschussKosten = menge * preis
        ws.Cells(z, 5).Value = ausschussKosten
        sql = "INSERT INTO FI_Buchungen (Kostenstelle, Sachkonto, Betrag, Text) VALUES ('" & _
              ws.Cells(z, 2).Value & "', '4711', " & Replace(CStr(ausschussKosten), ",", ".") & ", 'Ausschuss')"
        cn.Execute sql
    Next z
    cn.Close
    ThisWorkbook.SaveCopyAs "\\fs01\finanzen\Buchungen\Ausschuss_" & Format(Date, "yyyymmdd") & ".xlsm"
End Sub

Option Explicit
' Final test limits for line 2 housings.
' Computes USL/LSL from nominal and tolerance, decides PASS/FAIL per lot
' and writes the result into the QMS test result table.

Private Const QMS_CONN As String = "Provider=SQLOLEDB;Data Source=qms01;Initial Catalog=QMS;User ID=qs_user;Password=Linie2!2023"

Public Sub CalculateLimits()
    Dim ws As Worksheet
    Dim r As Long
    Dim nominal As Double, tolerance As Double
    Set ws = ThisWorkbook.Worksheets("Limits")
    For r = 2 To ws.Cells(ws.Rows.Count, 1).End(xlUp).Row
        nominal = ws.Cells(r, 2).Value
        tolerance = ws.Cells(r, 3).Value
        ws.Cells(r, 4).Value = nominal + tolerance   ' USL
        ws.Cells(r, 5).Value = nominal - tolerance   ' LSL
    Next r
End Sub

Public Sub DecideLots()
    Dim ws As Worksheet, r As Long
    Dim measured As Double, usl As Double, lsl As Double
    Set ws = ThisWorkbook.Worksheets("Lots")
    For r = 2 To ws.Cells(ws.Rows.Count, 1).End(xlUp).Row
        measured = ws.Cells(r, 3).Value
        usl = LookupLimit(ws.Cells(r, 2).Value, 4)
        lsl = LookupLimit(ws.Cells(r, 2).Value, 5)
        If measured > usl Or measured < lsl Then
            ws.Cells(r, 4).Value = "FAIL"
        Else
            ws.Cells(r, 4).Value = "PASS"
        End If
    Next r
    PostResults ws
End Sub

Private Function LookupLimit(part As String, col As Integer) As Double
    Dim found As Range
    Set found = ThisWorkbook.Worksheets("Limits").Columns(1).Find(part)
    If Not found Is Nothing Then LookupLimit = found.Offset(0, col - 1).Value
End Function

Private Sub PostResults(ws As Worksheet)
    Dim cn As Object, r As Long, sql As String
    Set cn = CreateObject("ADODB.Connection")
    cn.Open QMS_CONN
    For r = 2 To ws.Cells(ws.Rows.Count, 1).End(xlUp).Row
        sql = "INSERT INTO TestResults (Lot, Part, Measured, Result) VALUES ('" & ws.Cells(r, 1).Value & "', '" & _
              ws.Cells(r, 2).Value & "', " & ws.Cells(r, 3).Value & ", '" & ws.Cells(r, 4).Value & "')"
        cn.Execute sql
    Next r
    cn.Close
End Sub

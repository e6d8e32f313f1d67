Option Explicit
' SPC dashboard: reads the last 500 measurements from the historian (read-only account)
' and refreshes the X-bar chart. Nothing is written back.

Public Sub RefreshChart()
    Dim cn As Object, rs As Object, ws As Worksheet, r As Long
    Set ws = ThisWorkbook.Worksheets("Data")
    Set cn = CreateObject("ADODB.Connection")
    cn.Open "DSN=Historian;Trusted_Connection=Yes"
    Set rs = cn.Execute("SELECT TOP 500 ts, diameter FROM pv_line2 ORDER BY ts DESC")
    ws.Range("A2:B501").ClearContents
    r = 2
    Do While Not rs.EOF
        ws.Cells(r, 1).Value = rs.Fields("ts").Value
        ws.Cells(r, 2).Value = rs.Fields("diameter").Value
        r = r + 1
        rs.MoveNext
    Loop
    rs.Close
    cn.Close
    ThisWorkbook.Worksheets("Chart").ChartObjects(1).Chart.Refresh
End Sub

Option Explicit
' OEE dashboard: refreshes availability, performance and quality rate per line
' from the MES reporting view and redraws the charts for the morning meeting.

Public Sub RefreshOEE()
    Dim cn As Object, rs As Object, ws As Worksheet
    Set ws = ThisWorkbook.Worksheets("OEE")
    Set cn = CreateObject("ADODB.Connection")
    cn.Open "DSN=MES_Report;Trusted_Connection=Yes"
    Set rs = cn.Execute("SELECT line, availability, performance, quality_rate FROM v_oee_yesterday")
    ws.Range("A2").CopyFromRecordset rs
    rs.Close
    cn.Close
    ws.ChartObjects("OEE").Chart.Refresh
End Sub

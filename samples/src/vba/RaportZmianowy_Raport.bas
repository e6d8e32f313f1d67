Option Explicit
' Raport zmianowy - zestawienie produkcji i przestojów z ostatniej zmiany.
' Dane tylko do odczytu z widoku MES, formatowanie i wydruk dla kierownika zmiany.

Public Sub PrzygotujRaport()
    Dim cn As Object, rs As Object, ws As Worksheet
    Set ws = ThisWorkbook.Worksheets("Raport")
    Set cn = CreateObject("ADODB.Connection")
    cn.Open "DSN=MES_Raporty;Trusted_Connection=Yes"
    Set rs = cn.Execute("SELECT linia, sztuki_dobre, przestoje_min FROM v_zmiana_ostatnia")
    ws.Range("A3").CopyFromRecordset rs
    rs.Close
    cn.Close
    ws.Range("A1").Value = "Raport zmianowy - " & Format(Date, "dd.mm.yyyy")
    ws.PrintOut Copies:=1
End Sub

REM  *****  BASIC  *****
REM Messmittel-Kalibrierung: beim Öffnen die nächsten Fälligkeiten berechnen und ins QMS schreiben
Option Explicit

Sub Faelligkeiten_Aktualisieren
  Dim oSheet As Object, oContext As Object, oSource As Object, oConn As Object, oStmt As Object
  Dim nRow As Long, sGeraet As String, dLetzte As Date, nIntervall As Integer, dNaechste As Date
  oSheet = ThisComponent.Sheets.getByName("Messmittel")
  oContext = createUnoService("com.sun.star.sdb.DatabaseContext")
  oSource = oContext.getByName("QMS_Kalibrierung")
  oConn = oSource.getConnection("qms_kal", "Kal!br2024")
  oStmt = oConn.createStatement()
  For nRow = 1 To 200
    sGeraet = oSheet.getCellByPosition(0, nRow).getString()
    If sGeraet = "" Then Exit For
    dLetzte = oSheet.getCellByPosition(1, nRow).getValue()
    nIntervall = oSheet.getCellByPosition(2, nRow).getValue()
    dNaechste = DateAdd("d", nIntervall, dLetzte)
    oStmt.executeUpdate("UPDATE Kalibrierung SET naechste_kalibrierung = '" & Format(dNaechste, "YYYY-MM-DD") & _
                        "' WHERE messmittel = '" & sGeraet & "'")
  Next nRow
  oConn.close()
End Sub

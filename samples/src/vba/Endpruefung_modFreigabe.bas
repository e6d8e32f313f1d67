Option Compare Database
Option Explicit

' Nach der Endprüfung: Grenzwerte neu berechnen, Lose entscheiden, n.i.O.-Lose sperren.
Public Sub LoseFreigeben()
    DoCmd.SetWarnings False
    DoCmd.OpenQuery "qryGrenzwerteBerechnen"
    DoCmd.OpenQuery "qryLosEntscheid"
    DoCmd.RunSQL "UPDATE Lose SET Disposition = 'gesperrt' WHERE Ergebnis = 'FAIL'"
    DoCmd.RunSQL "UPDATE Lose SET Disposition = 'freigegeben' WHERE Ergebnis = 'PASS'"
    DoCmd.SetWarnings True
    MsgBox "Freigabe abgeschlossen"
End Sub

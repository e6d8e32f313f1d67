Option Explicit
' Prüfgrenzen Linie 3 - berechnet obere und untere Prüfgrenze aus Sollmaß und Toleranz
' und setzt das Prüfergebnis (i.O. / n.i.O.). Gesperrte Chargen gehen in die Sperrliste.

Public Sub PruefungAuswerten()
    Dim ws As Worksheet, z As Long
    Dim sollmass As Double, toleranz As Double, messwert As Double
    Dim obereGrenze As Double, untereGrenze As Double
    Set ws = ThisWorkbook.Worksheets("Messwerte")
    For z = 2 To ws.Cells(ws.Rows.Count, 1).End(xlUp).Row
        sollmass = ws.Cells(z, 2).Value
        toleranz = ws.Cells(z, 3).Value
        messwert = ws.Cells(z, 4).Value
        obereGrenze = sollmass + toleranz
        untereGrenze = sollmass - toleranz
        If messwert > obereGrenze Or messwert < untereGrenze Then
            ws.Cells(z, 5).Value = "n.i.O."
            ws.Cells(z, 6).Value = "gesperrt"
            ChargeSperren ws.Cells(z, 1).Value
        Else
            ws.Cells(z, 5).Value = "i.O."
        End If
    Next z
End Sub

Private Sub ChargeSperren(charge As String)
    Dim f As Integer
    f = FreeFile
    Open "\\fs01\qualitaet\Sperrliste\sperrliste.csv" For Append As #f
    Print #f, charge & ";gesperrt;" & Format(Now, "yyyy-mm-dd hh:nn")
    Close #f
End Sub

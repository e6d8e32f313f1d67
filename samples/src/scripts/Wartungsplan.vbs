' Erinnert die Instandhaltung per Mail an fällige Wartungen (liest nur den Wartungsplan)
Set fso = CreateObject("Scripting.FileSystemObject")
Set f = fso.OpenTextFile("\\fs01\instandhaltung\wartungsplan.csv", 1)
Do Until f.AtEndOfStream
    zeile = Split(f.ReadLine, ";")
    If DateDiff("d", Date, CDate(zeile(2))) <= 7 Then
        Set mail = CreateObject("CDO.Message")
        mail.To = "instandhaltung@plant.local"
        mail.Subject = "Wartung fällig: " & zeile(0)
        mail.TextBody = "Anlage " & zeile(0) & " ist am " & zeile(2) & " fällig."
        mail.Send
    End If
Loop
f.Close

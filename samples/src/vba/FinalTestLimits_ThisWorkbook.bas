Private Sub Workbook_Open()
    ' recalculate limits and decide every open lot as soon as the file is opened
    LimitCalc.CalculateLimits
    LimitCalc.DecideLots
End Sub

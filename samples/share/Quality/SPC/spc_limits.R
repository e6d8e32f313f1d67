# Recompute SPC control limits for line 2 every night and publish them for the operators.
library(RODBC)
con <- odbcConnect("Historian")
x <- sqlQuery(con, "SELECT diameter FROM pv_line2 WHERE ts > DATEADD(day, -30, GETDATE())")
ucl <- mean(x$diameter) + 3 * sd(x$diameter)
lcl <- mean(x$diameter) - 3 * sd(x$diameter)
write.csv(data.frame(ucl = ucl, lcl = lcl), "//fs01/quality/spc/limits_line2.csv", row.names = FALSE)
odbcClose(con)

"""Release or block finished lots from the final test results (runs every 15 minutes)."""
import pyodbc

conn = pyodbc.connect("DRIVER={ODBC Driver 17 for SQL Server};SERVER=qms01;DATABASE=QMS;UID=release_bot;PWD=Fr3igabe!")
cur = conn.cursor()
for lot, cpk, failed in cur.execute("SELECT lot, cpk, failed_units FROM v_final_test_summary").fetchall():
    disposition = "RELEASED" if cpk >= 1.33 and failed == 0 else "BLOCKED"
    cur.execute("UPDATE Lots SET Disposition = ? WHERE LotId = ?", disposition, lot)
conn.commit()

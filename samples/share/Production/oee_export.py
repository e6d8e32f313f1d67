"""Draw yesterday's OEE per line from the MES reporting view (read-only) for the shift meeting."""
import matplotlib.pyplot as plt
import pandas as pd
import pyodbc

conn = pyodbc.connect("DSN=MES_Report;Trusted_Connection=yes")
df = pd.read_sql("SELECT line, availability, performance, quality_rate FROM v_oee_yesterday", conn)
df["oee"] = df.availability * df.performance * df.quality_rate
df.plot.bar(x="line", y="oee", title="OEE yesterday")
plt.show()

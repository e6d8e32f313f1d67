# %% [markdown]
# # OEE line 2, last 7 days
# Reads the MES reporting view and plots availability, performance and quality rate.
# %%
import pandas as pd
import pyodbc

conn = pyodbc.connect("DSN=MES_Report;Trusted_Connection=Yes")
oee = pd.read_sql("SELECT day, availability, performance, quality_rate FROM v_oee_daily WHERE line = 'L2'", conn)
# %%
oee["oee"] = oee.availability * oee.performance * oee.quality_rate
oee.plot(x="day", y="oee", title="OEE line 2")

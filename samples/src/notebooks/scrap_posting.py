# %% [markdown]
# # Ausschusskosten buchen
# Monthly scrap cost per cost center, posted to the ERP ledger table.
# %%
import pandas as pd
import pyodbc

erp = pyodbc.connect("DSN=ERP_PRD;UID=fi_batch;PWD=Monat#2024")
scrap = pd.read_sql("SELECT kostenstelle, menge, preis FROM v_ausschuss_monat", erp)
# %%
scrap["kosten"] = scrap.menge * scrap.preis
# %%
cur = erp.cursor()
for row in scrap.itertuples():
    cur.execute("INSERT INTO FI_Buchungen (kostenstelle, betrag) VALUES (?, ?)", row.kostenstelle, row.kosten)
erp.commit()

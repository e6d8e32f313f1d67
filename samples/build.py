#!/usr/bin/env python3
"""Build the demo share ``samples/share/`` from the sources in ``samples/src/``.

A small plant share: Quality, Finance, Production and Maintenance folders with English,
German and Polish workbooks (real VBA projects built from ``src/vba/*.bas``), scripts in
every supported language (``src/scripts/``, written in the encodings Windows tools use),
Access databases (JET4, written by :mod:`fixtures.jet4`) and some bad inputs.
The output is deterministic, so the committed share can be rebuilt byte for byte:

    python samples/build.py            # rebuild samples/share
    python samples/build.py --check    # fail if the committed share differs from a rebuild
"""
from __future__ import annotations

import argparse
import codecs
import filecmp
import shutil
import sys
import tempfile
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from fixtures.jet4 import Column, LinkedTable, Query, QueryRow, Table, write_mdb  # noqa: E402
from fixtures.office import VbaModule, encrypt_workbook, write_workbook  # noqa: E402
from fixtures.opendocument import BasicModule, write_ods  # noqa: E402
from fixtures.sandboxes import (  # noqa: E402
    AppSource,
    Panel,
    PbiTable,
    grafana_dashboard,
    write_grafana,
    write_msapp,
    write_notebook,
    write_powerbi,
    write_solution,
)

SRC = HERE / "src"
CREATED = datetime(2024, 3, 4, 7, 30)


def vba(name: str, source: str, kind: str = "standard") -> VbaModule:
    return VbaModule(name, (SRC / "vba" / source).read_text(encoding="utf-8"), kind)


WORKBOOKS = [
    dict(path="Quality/Final_Test_Limits_Line2.xlsm",
         modules=[vba("LimitCalc", "FinalTestLimits_LimitCalc.bas"),
                  vba("ThisWorkbook", "FinalTestLimits_ThisWorkbook.bas", "document")],
         sheets={"Limits": [["Part", "Nominal", "Tolerance", "USL", "LSL"], ["HX-200", 12.5, 0.05, None, None],
                            ["HX-210", 18.0, 0.08, None, None]],
                 "Lots": [["Lot", "Part", "Measured", "Result"], ["L24-0117", "HX-200", 12.52, None],
                          ["L24-0118", "HX-210", 18.11, None]]},
         properties={"creator": "J. Miller", "last_modified_by": "T. Nowak", "title": "Final test limits line 2"}),
    dict(path="Quality/Prüfgrenzen_Linie3.xlsm",
         modules=[vba("Pruefung", "Pruefgrenzen_Pruefung.bas")],
         sheets={"Messwerte": [["Charge", "Sollmaß", "Toleranz", "Messwert", "Ergebnis", "Status"],
                               ["C-4711", 25.0, 0.1, 25.04, None, None], ["C-4712", 25.0, 0.1, 25.13, None, None]]},
         properties={"creator": "K. Schäfer", "last_modified_by": "K. Schäfer", "title": "Prüfgrenzen Linie 3"}),
    dict(path="Quality/SPC_Dashboard_Line2.xlsm",
         modules=[vba("Charts", "SPCDashboard_Charts.bas")],
         sheets={"Data": [["Timestamp", "Diameter"]], "Chart": [["X-bar chart of line 2"]]},
         properties={"creator": "A. Kowalska", "last_modified_by": "A. Kowalska", "title": "SPC dashboard"}),
    dict(path="Finance/Ausschusskosten_Buchung.xlsm",
         modules=[vba("Buchung", "Ausschusskosten_Buchung.bas")],
         sheets={"Ausschuss": [["Charge", "Kostenstelle", "Menge", "Preis", "Kosten"],
                               ["C-4712", "K-310", 40, 3.75, None]]},
         properties={"creator": "M. Weber", "last_modified_by": "M. Weber", "title": "Ausschusskosten buchen"}),
    dict(path="Finance/Budget_Overview_2024.xlsm",
         modules=[vba("Report", "BudgetOverview_Report.bas")],
         sheets={"Report": [["Budget vs actual 2024-05"], [], [], ["Cost center", "Budget", "Actual"]]},
         properties={"creator": "S. Brown", "last_modified_by": "S. Brown", "title": "Budget overview"}),
    dict(path="Production/OEE_Dashboard.xlsm",
         modules=[vba("Refresh", "OEEDashboard_Refresh.bas")],
         sheets={"OEE": [["Line", "Availability", "Performance", "Quality rate"]]},
         properties={"creator": "P. Zieliński", "last_modified_by": "P. Zieliński", "title": "OEE dashboard"}),
    dict(path="Production/Raport_zmianowy.xlsm",
         modules=[vba("Raport", "RaportZmianowy_Raport.bas")], codepage=1250,
         sheets={"Raport": [["Raport zmianowy"], [], ["Linia", "Sztuki dobre", "Przestoje [min]"]]},
         properties={"creator": "Ł. Wiśniewski", "last_modified_by": "Ł. Wiśniewski", "title": "Raport zmianowy"}),
    dict(path="Production/Schichtplan_Daten.xlsx",  # no VBA: an artifact only because of its data connection
         sheets={"Schichtplan": [["Linie", "Schicht", "Mitarbeiter"]]},
         connections=[{"name": "MES_Schichten",
                       "connection_string": "DSN=MES_Report;Trusted_Connection=Yes",
                       "command": "SELECT linie, schicht, mitarbeiter FROM v_schichtplan"}],
         properties={"creator": "K. Schäfer", "last_modified_by": "K. Schäfer", "title": "Schichtplan"}),
    dict(path="Maintenance/Alt_Makro_XLM.xlsm",  # Excel 4.0 macro sheet only, no VBA
         sheets={"Sheet1": [["Wartungsliste (alt)"]]},
         macrosheets={"Makro1": [("A1", 'ALERT("Wartungsliste aktualisiert")'), ("A2", "HALT()")]},
         defined_names={"_xlnm.Auto_Open": "Makro1!$A$1"},
         properties={"creator": "H. Braun", "last_modified_by": "H. Braun"}),
    dict(path="Production/Produktionsplan_ohne_Makros.xlsx",  # plain data: must NOT be inventoried
         sheets={"Plan": [["Linie", "Menge"], ["L2", 1200]]}),
]

SCRIPTS = {  # share path -> (source file, encoding as the plant's tools wrote it)
    "Quality/lot_release.py": ("lot_release.py", "utf-8"),
    "Quality/SPC/spc_limits.R": ("spc_limits.R", "utf-8"),
    "Quality/calibration_due.py": ("calibration_due.py", "utf-8"),
    "Finance/koszty_zlomu.sql": ("koszty_zlomu.sql", "cp1250"),
    "Finance/post_invoices.ps1": ("post_invoices.ps1", "utf-16"),
    "Production/oee_export.py": ("oee_export.py", "utf-8"),
    "Maintenance/backup_logs.bat": ("backup_logs.bat", "cp1252"),
    "Maintenance/Wartungsplan.vbs": ("Wartungsplan.vbs", "cp1252"),
}


# Saved queries as Access stores them in MSysQueries (attribute 1 = type, 3 = select flags,
# 5 = table, 6 = column, 7 = join, 8 = WHERE, 9 = GROUP BY, 11 = ORDER BY); MSysObjects
# flags per type: select 0, update 48, append 64.
def _select(name, tables, columns, where=None, group_by=(), joins=()):
    rows = [QueryRow(0), QueryRow(1, flag=1)] + [QueryRow(5, name1=t) for t in tables]
    rows += [QueryRow(6, expression=expr, name1=alias) for expr, alias in columns]
    rows += [QueryRow(7, expression=cond, flag=1, name1=a, name2=b) for a, b, cond in joins]
    rows += [QueryRow(8, expression=where)] if where else []
    rows += [QueryRow(9, expression=g) for g in group_by] + [QueryRow(255)]
    return Query(name, rows, flags=0)


def _update(name, tables, assignments, where=None, joins=()):
    rows = [QueryRow(0), QueryRow(1, flag=4)] + [QueryRow(5, name1=t) for t in tables]
    rows += [QueryRow(6, expression=value, name2=target) for target, value in assignments]
    rows += [QueryRow(7, expression=cond, flag=1, name1=a, name2=b) for a, b, cond in joins]
    rows += ([QueryRow(8, expression=where)] if where else []) + [QueryRow(255)]
    return Query(name, rows, flags=48)


def _append(name, target, tables, columns, group_by=()):
    rows = [QueryRow(0), QueryRow(1, flag=3, name1=target)] + [QueryRow(5, name1=t) for t in tables]
    rows += [QueryRow(6, expression=expr, name2=column) for expr, column in columns]
    rows += [QueryRow(9, expression=g) for g in group_by] + [QueryRow(255)]
    return Query(name, rows, flags=64)


DATABASES = {
    # Quality: computes the final test limits and the PASS/FAIL disposition of every lot.
    "Quality/Endprüfung_Grenzwerte.mdb": dict(
        tables=[
            Table("Merkmale", [Column("Merkmal", "text"), Column("Nominal", "double"), Column("Toleranz", "double"),
                               Column("USL", "double"), Column("LSL", "double")],
                  [("Bohrung D12", 12.0, 0.05, None, None), ("Länge L80", 80.0, 0.2, None, None)]),
            Table("Messungen", [Column("Los", "text"), Column("Merkmal", "text"), Column("Messwert", "double"),
                                Column("Gemessen", "datetime")],
                  [("L24-0117", "Bohrung D12", 12.03, datetime(2024, 5, 6, 6, 12)),
                   ("L24-0118", "Bohrung D12", 12.07, datetime(2024, 5, 6, 6, 40))]),
            Table("Lose", [Column("Los", "text"), Column("Ergebnis", "text"), Column("Disposition", "text")],
                  [("L24-0117", None, None), ("L24-0118", None, None)]),
        ],
        queries=[
            _update("qryGrenzwerteBerechnen", ["Merkmale"],
                    [("Merkmale.USL", "[Nominal]+[Toleranz]"), ("Merkmale.LSL", "[Nominal]-[Toleranz]")]),
            _update("qryLosEntscheid", ["Lose", "Messungen", "Merkmale"],
                    [("Lose.Ergebnis", 'IIf([Messwert]>[USL] Or [Messwert]<[LSL],"FAIL","PASS")')],
                    joins=[("Lose", "Messungen", "Lose.Los = Messungen.Los"),
                           ("Messungen", "Merkmale", "Messungen.Merkmal = Merkmale.Merkmal")]),
            _select("qryOffeneLose", ["Lose"], [("Lose.Los", None), ("Lose.Ergebnis", None)],
                    where="Lose.Disposition Is Null"),
        ],
        modules=[vba("modFreigabe", "Endpruefung_modFreigabe.bas")]),
    # Finance: posts scrap costs per cost center straight into the ERP through a linked table.
    "Finance/Ausschuss_Kosten_ERP.mdb": dict(
        tables=[Table("Ausschuss", [Column("Charge", "text"), Column("Kostenstelle", "text"), Column("Menge", "long"),
                                    Column("Preis", "currency")],
                      [("C-4712", "K-310", 40, 3.75), ("C-4715", "K-320", 12, 18.4)])],
        links=[LinkedTable("ERP_Buchungen", "dbo.FI_POSTINGS",
                           connect="ODBC;DRIVER={SQL Server};SERVER=erp-db01;DATABASE=PRD;UID=fi_batch;"
                                   "PWD=Buchung2024!;APP=Microsoft Office")],
        queries=[_append("qryAusschussKostenBuchen", "ERP_Buchungen", ["Ausschuss"],
                         [("Ausschuss.Kostenstelle", "Kostenstelle"), ("Sum([Menge]*[Preis])", "Betrag")],
                         group_by=["Ausschuss.Kostenstelle"])]),
    # Production: a read-only downtime report over its own table and a linked shift table.
    "Production/Stillstand_Bericht.mdb": dict(
        tables=[Table("Stillstaende", [Column("Linie", "text"), Column("Datum", "datetime"), Column("Minuten", "long"),
                                       Column("Grund", "text")],
                      [("L2", datetime(2024, 5, 6), 35, "Werkzeugwechsel"), ("L3", datetime(2024, 5, 6), 80, "Störung")])],
        links=[LinkedTable("Schichten", "Schichten", database="Z:\\Produktion\\Schichtdaten.mdb")],
        queries=[_select("qryStillstandProLinie", ["Stillstaende"],
                         [("Stillstaende.Linie", None), ("Sum(Stillstaende.Minuten)", "Minuten")],
                         group_by=["Stillstaende.Linie"])]),
}


def sandboxes(out: Path) -> None:
    """One read-only and one writing tool per sandbox kind (issue 16), and files of the same
    extensions that are no tools (a settings .json, a log archive .zip): not inventoried."""
    def at(rel: str) -> Path:
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    nb = (SRC / "notebooks")
    write_notebook(at("Production/oee_analysis.ipynb"), _cells(nb / "oee_analysis.py"))
    write_notebook(at("Finance/scrap_posting.ipynb"), _cells(nb / "scrap_posting.py"),
                   outputs=["posted 2 rows with DSN=ERP_PRD;UID=fi_batch\n"])
    write_grafana(at("Production/Grafana/oee_line2.json"), grafana_dashboard("OEE Linie 2", [
        Panel("OEE", ["SELECT time, line, oee FROM v_oee WHERE $__timeFilter(time)"]),
        Panel("Spindle load", ["avg by (machine) (spindle_load_percent{line=\"L2\"})"],
              datasource={"type": "prometheus", "uid": "prom-plant"})], uid="oee-l2"))
    write_grafana(at("Quality/Grafana/lot_release.json"), grafana_dashboard("Lot release", [
        Panel("Open lots", ["SELECT lot, part, measured FROM v_open_lots"], type="table"),
        Panel("Release or block lot", [], form={"method": "POST", "url": "http://qms01/api/lots/disposition",
                                               "fields": ["lot", "disposition", "inspection_result"]})], uid="lot-release"))
    write_powerbi(at("Production/OEE_Bericht.pbit"), [PbiTable(
        "OEE", ["Linie", "Schicht", "OEE"],
        'let\n    Quelle = Sql.Database("mes-db01", "MES", [Query="SELECT linie, schicht, oee FROM v_oee"])\nin\n    Quelle',
        [("OEE Durchschnitt", "AVERAGE(OEE[OEE])")])], title="OEE Bericht")
    write_powerbi(at("Finance/Ausschusskosten_Refresh.pbix"), [PbiTable(
        "Ausschusskosten", ["Kostenstelle", "Betrag"],
        'let\n    Quelle = Sql.Database("erp-db01", "PRD", [Query="INSERT INTO FI_Buchungen (kostenstelle, betrag) '
        'SELECT kostenstelle, menge * preis FROM ausschuss; SELECT * FROM FI_Buchungen"])\nin\n    Quelle')],
        template=False, title="Ausschusskosten")
    write_msapp(at("Maintenance/Stillstand_Anzeige.msapp"), "StillstandAnzeige",
                [AppSource("Stillstaende", api="shared_sharepointonline", table="Stillstaende")],
                {"Start": {"galStillstand": {"Items": 'SortByColumns(Filter(Stillstaende, Linie = drpLinie.Selected.Value), '
                                                      '"Minuten", SortOrder.Descending)'},
                           "btnDetails": {"OnSelect": "ClearCollect(colAuswahl, galStillstand.Selected); Navigate(Details)"}}})
    write_solution(at("Quality/Wareneingang_Pruefung_Solution.zip"), "WareneingangPruefung",
                   [AppSource("Inspections", table="[dbo].[Inspections]"),
                    AppSource("NotifyQA", api="shared_logicflows", kind="ServiceInfo")],
                   {"Pruefung": {"frmPruefung": {"DataSource": "Inspections"},
                                 "btnFreigabe": {"OnSelect": "Patch(Inspections, galLose.Selected, "
                                                             "{Disposition: If(Value(txtMesswert.Text) > USL, \"REJECTED\", "
                                                             "\"ACCEPTED\"), InspectionResult: txtMesswert.Text}); "
                                                             "NotifyQA.Run(galLose.Selected.Lot)"}}})
    # LibreOffice Calc: a Basic macro bound to "open" computes calibration due dates and writes them
    # into the QMS; a shift log without macros is no tool (not inventoried, like a plain .xlsx)
    write_ods(at("Quality/Messmittel_Kalibrierung.ods"), [("Messmittel", [
        ["Messmittel", "Letzte Kalibrierung", "Intervall (Tage)", "Nächste Kalibrierung"],
        ["MS-0815 Bügelmessschraube", 45200, 365, "=[.B2]+[.C2]"],
        ["LS-12 Lehrring 20H7", 45310, 180, "=[.B3]+[.C3]"]])],
        [BasicModule("Kalibrierung", (SRC / "basic" / "Kalibrierung.bas").read_text(encoding="utf-8"))],
        events=[("dom:load", "Standard.Kalibrierung.Faelligkeiten_Aktualisieren")],
        title="Messmittel-Kalibrierung", author="M. Wójcik")
    write_ods(at("Production/Schichtbuch.ods"), [("Schicht", [["Datum", "Schicht", "Bemerkung"],
                                                              [45355, "Früh", "Linie 2 Werkzeugwechsel"]])])
    at("Production/Grafana/settings.json").write_text('{"refresh": "30s", "theme": "dark"}\n', encoding="utf-8")
    import zipfile

    with zipfile.ZipFile(at("Maintenance/logs_2024.zip"), "w") as archive:
        info = zipfile.ZipInfo("machine1.log", (2024, 3, 4, 7, 30, 0))
        archive.writestr(info, "2024-03-04 06:00 spindle warm-up done\n")


def _cells(source: Path) -> list[tuple[str, str]]:
    """A notebook from a script: ``# %%`` starts a code cell, ``# %% [markdown]`` a markdown cell."""
    cells: list[tuple[str, str]] = []
    for chunk in source.read_text(encoding="utf-8").split("# %%")[1:]:
        head, _, body = chunk.partition("\n")
        if "[markdown]" in head:
            cells.append(("markdown", "\n".join(line.removeprefix("# ") for line in body.strip().splitlines())))
        else:
            cells.append(("code", body.strip()))
    return cells


def write_script(target: Path, source: str, encoding: str) -> None:
    text = (SRC / "scripts" / source).read_text(encoding="utf-8").replace("\n", "\r\n")
    if encoding == "utf-16":
        target.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    else:
        target.write_bytes(text.encode(encoding))


def build(out: Path) -> None:
    for spec in WORKBOOKS:
        spec = dict(spec)
        target = out / spec.pop("path")
        target.parent.mkdir(parents=True, exist_ok=True)
        codepage = spec.pop("codepage", 1252)
        modules = spec.pop("modules", None)
        props = {"created": CREATED, "company": "Plant Werk 2", **spec.pop("properties", {})}
        write_workbook(target, vba_modules=modules, codepage=codepage, properties=props, **spec)
    for rel, (source, encoding) in SCRIPTS.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        write_script(target, source, encoding)
    for rel, spec in DATABASES.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        write_mdb(target, created=CREATED, **spec)
    sandboxes(out)
    bad_inputs(out)


def bad_inputs(out: Path) -> None:
    """Files a real share has: encrypted, truncated, empty, Office lock files."""
    archive = out / "Quality" / "Archiv"
    archive.mkdir(parents=True, exist_ok=True)
    plain = archive / "_plain.xlsm"
    write_workbook(plain, vba_modules=[vba("Auswertung", "SPCDashboard_Charts.bas")],
                   sheets={"Cpk": [["Merkmal", "Cpk"]]}, properties={"created": CREATED, "creator": "K. Schäfer"})
    encrypt_workbook(plain, archive / "Cpk_Auswertung_geschützt.xlsm", "Qualität2023")
    data = plain.read_bytes()
    (out / "Finance" / "Alt").mkdir(parents=True, exist_ok=True)
    (out / "Finance" / "Alt" / "Kostenrechnung_kaputt.xlsm").write_bytes(data[: len(data) // 2])
    plain.unlink()
    (out / "Maintenance" / "leer.xlsm").write_bytes(b"")
    (out / "Production" / "~$OEE_Dashboard.xlsm").write_bytes(b"\x0bT. Nowak" + b" " * 150)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare a fresh build with samples/share")
    args = parser.parse_args()
    share = HERE / "share"
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "share"
        fresh.mkdir()
        build(fresh)
        if args.check:
            diff = _differences(fresh, share)
            for line in diff:
                print(line)
            return 1 if diff else 0
        if share.exists():
            shutil.rmtree(share)
        shutil.copytree(fresh, share)
    print(f"built {sum(1 for p in share.rglob('*') if p.is_file())} files in {share}")
    return 0


def _differences(a: Path, b: Path) -> list[str]:
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()} if b.exists() else set()
    out = [f"only in fresh build: {p}" for p in sorted(files_a - files_b)]
    out += [f"only in samples/share: {p}" for p in sorted(files_b - files_a)]
    out += [f"differs: {p}" for p in sorted(files_a & files_b) if not filecmp.cmp(a / p, b / p, shallow=False)]
    return out


if __name__ == "__main__":
    sys.exit(main())

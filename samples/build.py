#!/usr/bin/env python3
"""Build the demo share ``samples/share/`` from the sources in ``samples/src/``.

A small plant share: Quality, Finance, Production and Maintenance folders with English,
German and Polish workbooks (real VBA projects built from ``src/vba/*.bas``), scripts in
every supported language (``src/scripts/``, written in the encodings Windows tools use),
Access databases (JET4, written by :mod:`shadowscan.fixtures.jet4`) and some bad inputs.
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

from shadowscan.fixtures.office import VbaModule, encrypt_workbook, write_workbook  # noqa: E402

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

"""The JET4 writer: its .mdb files read back by mdbtools, by pyodbc with the MDBTools driver and by
shadowscan's own Access analyzer. Nothing is mocked: each check opens the written file with a real reader."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
import textwrap
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from fixtures.jet4 import (
    Column,
    LinkedTable,
    Query,
    QueryRow,
    Table,
    build_mdb,
    write_mdb,
)
from fixtures.office import VbaModule
from shadowscan.analyzers.access_file import read_header, vba_from_streams

needs_mdbtools = pytest.mark.skipif(shutil.which("mdb-export") is None,
                                    reason="mdbtools not installed (Debian: apt-get install mdbtools)")

LIMITS = Table("TestLimits", [
    Column("Id", "long"), Column("Merkmal", "text"), Column("USL", "double"), Column("Preis", "currency"),
    Column("Geprüft", "datetime"), Column("Aktiv", "boolean"), Column("Notiz", "memo")], [
    (1, "Prüfgrenze", 1.5, Decimal("12.3456"), datetime(2023, 5, 17, 14, 30, 5), True, "kurz"),
    (2, "Łódź – Zażółć", -2.25, 7, datetime(1999, 12, 31), False, "Grenzwert " * 40),
    (3, "", 0.1, Decimal("-0.5"), date(1899, 12, 30), True, ""),
    (4, None, None, None, None, False, None),
    (-2147483648, "x" * 255, 1e300, Decimal("922337203685477.5807"), datetime(2199, 3, 1, 6, 0), True, "ä" * 3000),
])
EMPTY = Table("Leer", [Column("A", "text")])
# 600 rows over several data pages; every third memo long enough for an LVAL page, one chained over pages.
MANY = Table("Messwerte", [Column("Nr", "long"), Column("Wert", "double"), Column("Text", "memo")],
             [(i, i / 8, (f"Messung {i}; ") * (i % 3 * 10)) for i in range(1, 601)]
             + [(601, 0.0, "".join(chr(0x41 + i % 26) for i in range(20000)))])
QUERY = Query("qryGrenzen", [
    QueryRow(0), QueryRow(1, flag=1), QueryRow(5, name1="TestLimits"),
    QueryRow(6, expression="TestLimits.Merkmal"), QueryRow(6, expression="TestLimits.USL"),
    QueryRow(8, expression="TestLimits.USL>1"), QueryRow(255)])
UPDATE = Query("qryPreisUpdate", [
    QueryRow(0), QueryRow(1, flag=4), QueryRow(5, name1="TestLimits"),
    QueryRow(6, expression="TestLimits.Preis*1.1", name1="TestLimits.Preis"), QueryRow(255)], flags=48)
MODULES = (
    VbaModule("modExport", 'Sub Export()\n    DoCmd.RunSQL "DELETE FROM TestLimits WHERE Aktiv = False"\nEnd Sub\n'),
    # > 4 KB compressed: its stream is a long value chained over LVAL pages
    VbaModule("Prüfung", "Sub Prüfen()\n" + "".join(
        f'    If Me.Wert{i} > {hashlib.sha1(str(i).encode()).hexdigest()} Then MsgBox "Grenze {i} überschritten"\n'
        for i in range(150)) + "End Sub\n"),
    VbaModule("Charge", "Public Nummer As String\nPublic Menge As Long\n", "class"),
)
LINKS = (LinkedTable("ERP_Auftraege", "dbo.Orders", connect="ODBC;DSN=ERP;UID=x;PWD=secret;"),
         LinkedTable("Grenzwerte_QS", "Grenzwerte", database=r"\\qs-server\qs\grenzwerte.mdb"))


@pytest.fixture(scope="module")
def mdb(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("jet4") / "pruefstand.mdb"  # the MDBTools driver fails on non-ASCII paths
    write_mdb(path, [LIMITS, EMPTY, MANY], [QUERY, UPDATE], LINKS, modules=MODULES)
    return path


def run(*args: str | Path) -> str:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


def export(path: Path, table: str) -> list[dict[str, str]]:
    text = run("mdb-export", "-T", "%Y-%m-%d %H:%M:%S", "-0", "NULL", path, table)
    return list(csv.DictReader(io.StringIO(text)))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the file itself ---------------------------------------------------------------------


def test_header_reads_as_unencrypted_jet4_without_password(mdb):
    data = mdb.read_bytes()
    assert data[4:19] == b"Standard Jet DB" and data[0x14] == 1 and len(data) % 4096 == 0
    assert data[2 * 4096:2 * 4096 + 2] == b"\x02\x01"  # MSysObjects' table definition on page 2
    assert read_header(data[:3 * 4096], len(data)) == {
        "format": "JET4", "page_size": 4096, "encrypted": False, "database_password": False}


def test_same_input_same_bytes(tmp_path):
    first, second = tmp_path / "a.mdb", tmp_path / "b.mdb"
    write_mdb(first, [LIMITS, MANY], [QUERY], LINKS)
    write_mdb(second, [LIMITS, MANY], [QUERY], LINKS)
    assert first.read_bytes() == second.read_bytes()
    assert build_mdb([LIMITS], created=datetime(2020, 1, 1)) != build_mdb([LIMITS])


@pytest.mark.parametrize(("make", "message"), [
    (lambda: Table("T", [Column("A", "text")], [("x" * 256,)]), "255"),
    (lambda: Table("T", [Column("A", "long")], [("12",)]), "long"),
    (lambda: Table("T", [Column("A", "long")], [(2 ** 31,)]), "long"),
    (lambda: Table("T", [Column("A", "currency")], [(Decimal("0.00001"),)]), "currency"),
    (lambda: Table("T", [Column("A", "datetime")], [("2024-01-01",)]), "datetime"),
    (lambda: Table("T", [Column("A", "boolean")], [(1,)]), "boolean"),
    (lambda: Table("T", [Column(f"C{i}", "text") for i in range(10)], [("ł" * 255,) * 10]), "does not fit"),
    (lambda: Table("T", [Column("A", "text")], [("a", "b")]), "values"),
    (lambda: Table("T", [Column("A", "text"), Column("a", "long")]), "duplicate"),
    (lambda: Table("T", [Column("A", "varchar")]), "type must be"),
    (lambda: Table("T", [Column(f"Column number {i:03d} with a long name", "long") for i in range(90)]),
     "definition"),
    (lambda: Table("MSysMine", [Column("A", "long")]), "MSys"),
    (lambda: LinkedTable("L", "X"), "database path or a connect"),
])
def test_bad_input_is_refused_not_written(tmp_path, make, message):
    path = tmp_path / "bad.mdb"
    with pytest.raises(ValueError, match=message):
        obj = make()
        if isinstance(obj, Table):
            write_mdb(path, [obj])
        else:
            write_mdb(path, links=[obj])
    assert not path.exists()


@pytest.mark.parametrize(("modules", "message"), [
    ([VbaModule("Form_Start", "Option Explicit\n", "document")], "standard or class"),
    ([VbaModule("Modul", ""), VbaModule("MODUL", "")], "duplicate"),
])
def test_bad_modules_are_refused(tmp_path, modules, message):
    with pytest.raises(ValueError, match=message):
        write_mdb(tmp_path / "m.mdb", [EMPTY], modules=modules)


# -- mdbtools ------------------------------------------------------------------------------


@needs_mdbtools
def test_mdbtools_sees_jet4_and_the_user_tables(mdb):
    assert run("mdb-ver", mdb).strip() == "JET4"
    assert run("mdb-tables", "-1", mdb).split() == ["TestLimits", "Leer", "Messwerte"]
    assert run("mdb-tables", "-1", "-S", mdb).split()[:2] == ["MSysObjects", "MSysQueries"]
    schema = run("mdb-schema", "-T", "TestLimits", mdb)
    for column, kind in (("Id", "Long Integer"), ("Merkmal", "Text (255)"), ("USL", "Double"),
                         ("Preis", "Currency"), ("Geprüft", "DateTime"), ("Aktiv", "Boolean"),
                         ("Notiz", "Memo/Hyperlink")):
        assert f"[{column}]\t\t\t{kind}" in schema


@needs_mdbtools
def test_mdb_export_returns_the_rows_exactly(mdb):
    rows = export(mdb, "TestLimits")
    assert [(r["Id"], r["Merkmal"], r["Geprüft"], r["Aktiv"]) for r in rows] == [
        ("1", "Prüfgrenze", "2023-05-17 14:30:05", "1"),
        ("2", "Łódź – Zażółć", "1999-12-31 00:00:00", "0"),
        ("3", "NULL", "1899-12-30 00:00:00", "1"),  # mdb-export prints an empty string as NULL
        ("4", "NULL", "NULL", "0"),
        ("-2147483648", "x" * 255, "2199-03-01 06:00:00", "1"),
    ]
    assert [float(r["USL"]) if r["USL"] != "NULL" else None for r in rows] == [1.5, -2.25, 0.1, None, 1e300]
    assert [r["Preis"] for r in rows] == ["12.3456", "7.0000", "-0.5000", "NULL", "922337203685477.5807"]
    assert [r["Notiz"] for r in rows] == ["kurz", "Grenzwert " * 40, "NULL", "NULL", "ä" * 3000]


@needs_mdbtools
def test_rows_over_many_pages_and_chained_memos(mdb):
    rows = export(mdb, "Messwerte")
    assert [(int(r["Nr"]), float(r["Wert"])) for r in rows] == [(row[0], row[1]) for row in MANY.rows]
    assert [r["Text"] for r in rows[:600]] == [row[2] or "NULL" for row in MANY.rows[:600]]
    assert len(rows[600]["Text"]) > 4096  # mdbtools cuts text at its bind size; the chain was followed
    assert MANY.rows[600][2].startswith(rows[600]["Text"])
    assert export(mdb, "Leer") == []


@needs_mdbtools
def test_catalog_and_queries_as_mdbtools_reads_them(mdb):
    objects = {r["Name"]: r for r in export(mdb, "MSysObjects")}
    assert {name: objects[name]["Type"] for name in ("TestLimits", "qryGrenzen", "ERP_Auftraege",
                                                      "Grenzwerte_QS")} == {
        "TestLimits": "1", "qryGrenzen": "5", "ERP_Auftraege": "4", "Grenzwerte_QS": "6"}
    assert objects["ERP_Auftraege"]["Connect"] == "ODBC;DSN=ERP;UID=x;PWD=secret;"
    assert objects["Grenzwerte_QS"]["Database"] == r"\\qs-server\qs\grenzwerte.mdb"
    assert run("mdb-queries", "-1", mdb).split() == ["qryGrenzen", "qryPreisUpdate"]
    sql = " ".join(run("mdb-queries", mdb, "qryGrenzen").split())
    assert sql == "SELECT TestLimits.Merkmal,TestLimits.USL FROM [TestLimits] WHERE TestLimits.USL>1"


@needs_mdbtools
def test_vba_project_in_msysaccessstorage(mdb):
    nodes = export_hex(mdb, "MSysAccessStorage")
    by_parent: dict[str, dict[str, dict[str, str]]] = {}
    for node in nodes:
        by_parent.setdefault(node["ParentId"], {})[node["Name"]] = node
    node = next(n for n in nodes if n["Name"] == "MSysAccessStorage_ROOT")
    for name in ("VBA", "VBAProject", "VBA"):
        node = by_parent[node["Id"]][name]
    streams = {name: bytes.fromhex(n["Lv"]) for name, n in by_parent[node["Id"]].items()}
    assert set(streams) == {"dir", "_VBA_PROJECT", "modExport", "Prüfung", "Charge"}
    assert len(streams["Prüfung"]) > 4096
    code = dict(vba_from_streams(streams))
    for module in MODULES:
        text = code[f"VBA/{module.name}"].replace("\r\n", "\n")
        assert text.endswith(module.source) and text.startswith(f'Attribute VB_Name = "{module.name}"')


def export_hex(path: Path, table: str) -> list[dict[str, str]]:
    text = run("mdb-export", "-b", "hex", path, table)
    return list(csv.DictReader(io.StringIO(text)))


# -- pyodbc + MDBTools ODBC driver (in a subprocess: a driver crash must not take pytest down) --

_ODBC_SCRIPT = textwrap.dedent("""
    import json, sys
    from contextlib import closing
    import pyodbc
    driver = next(d for d in pyodbc.drivers() if "mdb" in d.lower())
    conn_str = "DRIVER={%s};DBQ=%s" % (driver, sys.argv[1])

    def query(sql):
        with closing(pyodbc.connect(conn_str, autocommit=True)) as cn:
            cur = cn.cursor()
            cur.execute(sql)
            return [[v if v is None or isinstance(v, (int, float, str, bool)) else str(v) for v in row]
                    for row in cur.fetchall()]

    with closing(pyodbc.connect(conn_str, autocommit=True)) as cn:
        tables = [[t.table_name, t.table_type] for t in cn.cursor().tables()]
    print(json.dumps({
        "tables": tables,
        "limits": query("SELECT * FROM [TestLimits]"),
        "count": query("SELECT COUNT(*) FROM [Messwerte]"),
        "objects": query("SELECT Id, ParentId, Name, Type, Flags, DateCreate, DateUpdate, [Connect], [Database], "
                         "ForeignName FROM MSysObjects"),
        "queries": query("SELECT Attribute, Expression, Flag, Name1, Name2, ObjectId, [Order] FROM MSysQueries"),
    }))
""")


@pytest.fixture(scope="module")
def odbc(mdb) -> dict:
    pyodbc = pytest.importorskip("pyodbc")
    if not any("mdb" in d.lower() for d in pyodbc.drivers()):
        pytest.skip("no MDBTools ODBC driver (Debian: apt-get install unixodbc odbc-mdbtools)")
    done = subprocess.run([sys.executable, "-c", _ODBC_SCRIPT, str(mdb)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_odbc_lists_the_tables_and_queries(odbc):
    assert [t for t in odbc["tables"] if t[1] != "SYSTEM TABLE"] == [
        ["TestLimits", "TABLE"], ["Leer", "TABLE"], ["Messwerte", "TABLE"],
        ["qryGrenzen", "VIEW"], ["qryPreisUpdate", "VIEW"]]
    assert ["MSysObjects", "SYSTEM TABLE"] in odbc["tables"]


def test_odbc_select_returns_the_rows(odbc):
    assert odbc["limits"][:4] == [
        [1, "Prüfgrenze", 1.5, "12.3456", "2023-05-17 14:30:05", True, "kurz"],
        [2, "Łódź – Zażółć", -2.25, "7.0000", "1999-12-31 00:00:00", False, "Grenzwert " * 40],
        [3, None, 0.1, "-0.5000", "1899-12-30 00:00:00", True, ""],  # the driver reads a 0-byte text as NULL
        [4, None, None, None, None, False, None],
    ]
    assert odbc["count"] == [["601"]]  # the driver's COUNT(*) is a string


def test_odbc_reads_catalog_with_links_and_query_rows(odbc):
    objects = {row[2]: row for row in odbc["objects"]}
    tables_container = objects["Tables"][0]
    limits = objects["TestLimits"]
    assert limits[1] == tables_container and limits[3] == 1 and limits[4] == 0 and limits[5] == "2024-01-15 08:00:00"
    assert objects["MSysObjects"][0] == 2 and objects["MSysObjects"][4] == -2147483648
    assert objects["ERP_Auftraege"][3:] == [4, 0, "2024-01-15 08:00:00", "2024-01-15 08:00:00",
                                            "ODBC;DSN=ERP;UID=x;PWD=secret;", None, "dbo.Orders"]
    assert objects["Grenzwerte_QS"][3:] == [6, 0, "2024-01-15 08:00:00", "2024-01-15 08:00:00",
                                            None, r"\\qs-server\qs\grenzwerte.mdb", "Grenzwerte"]
    assert objects["qryPreisUpdate"][3:5] == [5, 48]
    by_id: dict[int, list] = {}
    for attribute, expression, flag, name1, name2, object_id, order in odbc["queries"]:
        by_id.setdefault(object_id, []).append([attribute, expression, flag, name1, name2, order])
    for query in (QUERY, UPDATE):
        assert by_id.pop(objects[query.name][0]) == [
            [r.attribute, r.expression, r.flag, r.name1, r.name2, None] for r in query.rows]
    assert by_id == {}


# -- shadowscan's analyzer -----------------------------------------------------------------


def test_the_access_analyzer_reads_the_file(mdb):
    access = pytest.importorskip("shadowscan.analyzers.access")
    pytest.importorskip("shadowscan.analyzers.access_queries")
    from shadowscan.model import Limits, Status

    if access.pick_driver() is None:
        pytest.skip("no Access ODBC driver")
    before = sha256(mdb)
    result = access.analyze(str(mdb), "mdb", Limits())
    assert result.status == Status.ANALYZED
    facts = result.facts
    assert facts["format"] == "JET4" and facts["database_password"] is False
    assert [(t["name"], t["rows"]) for t in facts["tables"]] == [("TestLimits", 5), ("Leer", 0), ("Messwerte", 601)]
    assert {q["name"]: q["type"] for q in facts["queries"]} == {"qryGrenzen": "select", "qryPreisUpdate": "update"}
    select = next(q["sql"] for q in facts["queries"] if q["name"] == "qryGrenzen")
    assert " ".join(select.split()) == "SELECT TestLimits.Merkmal, TestLimits.USL FROM TestLimits WHERE TestLimits.USL>1;"
    assert {(x["name"], x["kind"]) for x in facts["linked_tables"]} == {("ERP_Auftraege", "odbc"),
                                                                       ("Grenzwerte_QS", "file")}
    rules = {f.rule for f in result.findings}
    assert {"reach.linked-table", "access.action-query", "secrets.connection-password", "writes.sql"} <= rules
    assert [(m["location"], m["source_lines"]) for m in facts["modules"]] == [
        ("VBA/modExport", 3), ("VBA/Prüfung", 152), ("VBA/Charge", 2)]
    assert facts["module_objects"] == 3
    assert sha256(mdb) == before


@needs_mdbtools
def test_reading_never_changes_the_file(mdb, odbc):
    before = sha256(mdb)
    for table in ("TestLimits", "MSysObjects", "MSysQueries", "Messwerte"):
        export(mdb, table)
    run("mdb-queries", mdb, "qryGrenzen")
    assert sha256(mdb) == before
    assert mdb.read_bytes() == build_mdb([LIMITS, EMPTY, MANY], [QUERY, UPDATE], LINKS, modules=MODULES)

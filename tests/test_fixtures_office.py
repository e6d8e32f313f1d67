"""The Excel fixture writer: VBA projects read back by oletools, workbooks by openpyxl."""
from __future__ import annotations

import hashlib
import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import msoffcrypto
import pytest
from oletools.crypto import is_encrypted
from oletools.olevba import VBA_Parser
from openpyxl import load_workbook

from fixtures.office import (
    VbaModule,
    build_vba_project,
    encrypt_workbook,
    write_workbook,
)

SHORT = VbaModule("Module1", 'Sub Hello()\n    MsgBox "Hello"\nEnd Sub\n')
# > 6 KB, repeated lines longer than a copy token may be: catches ms-ovba-compression's max-length bug.
LONG = VbaModule("Loader", "Sub Load()\n" + "".join(
    f'    Worksheets("Data").Cells({i}, {i % 7 + 1}).Value = "Lieferant {i % 13}: " & Format(Now, "yyyy-mm-dd")\n'
    for i in range(120)) + "End Sub\n")
GERMAN = VbaModule("Prüfung", 'Sub Prüfen()\n    \' Maße prüfen, Größe übernehmen\n'
                              '    MsgBox "Prüfung für Charge ä ö ü ß Ä Ö Ü abgeschlossen"\nEnd Sub\n')
POLISH = VbaModule("Raport", 'Sub Raport()\n    \' Zażółć gęślą jaźń\n'
                             '    MsgBox "Raport zmianowy: ą ć ę ł ń ó ś ź ż Ą Ć Ę Ł Ń Ó Ś Ź Ż"\nEnd Sub\n')
WORKBOOK_OPEN = VbaModule("ThisWorkbook", 'Private Sub Workbook_Open()\n    Call Hello\nEnd Sub\n', "document")
CLASS = VbaModule("Lot", "Public Number As String\nPublic Quantity As Long\n", "class")


def vba_code(path_or_data: Path | bytes) -> dict[str, tuple[str, str]]:
    """vba_filename -> (stream path, code without Attribute VB_ lines, LF line ends)."""
    parser = VBA_Parser("vbaProject.bin", data=path_or_data) if isinstance(path_or_data, bytes) else VBA_Parser(str(path_or_data))
    try:
        return {vba_filename: (stream_path, _strip(code))
                for _, stream_path, vba_filename, code in parser.extract_macros()}
    finally:
        parser.close()


def _strip(code: str) -> str:
    lines = code.replace("\r\n", "\n").splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith("Attribute VB_"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(("module", "codepage", "filename"), [
    (SHORT, 1252, "Module1.bas"),
    (LONG, 1252, "Loader.bas"),
    (GERMAN, 1252, "Prüfung.bas"),
    (POLISH, 1250, "Raport.bas"),
    (WORKBOOK_OPEN, 1252, "ThisWorkbook.cls"),
    (CLASS, 1252, "Lot.cls"),
])
def test_module_round_trips_through_oletools(module: VbaModule, codepage: int, filename: str,
                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    project = build_vba_project([module], codepage=codepage)
    assert list(tmp_path.iterdir()) == []  # nothing written to the current directory
    assert vba_code(project)[filename] == (f"VBA/{module.name}", module.source)

    workbook = write_workbook(tmp_path / "book.xlsm", vba_modules=[module], codepage=codepage)
    assert vba_code(workbook)[filename][1] == module.source


def test_long_module_is_long_enough() -> None:
    assert len(LONG.source) > 6 * 1024


def test_text_outside_the_code_page_is_refused() -> None:
    with pytest.raises(UnicodeEncodeError):
        build_vba_project([POLISH], codepage=1252)


def test_module_kind_and_duplicates_are_checked() -> None:
    with pytest.raises(ValueError):
        VbaModule("Module1", "", "form")
    with pytest.raises(ValueError):
        build_vba_project([SHORT, VbaModule("MODULE1", "")])


def test_workbook_gets_document_modules_and_codenames(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "book.xlsm", sheets={"Limits": [["Part"]], "Lots": [["Lot"]]},
                          vba_modules=[SHORT, WORKBOOK_OPEN, CLASS])
    code = vba_code(path)
    assert set(code) == {"ThisWorkbook.cls", "Sheet1.cls", "Sheet2.cls", "Module1.bas", "Lot.cls"}
    assert code["ThisWorkbook.cls"][1] == WORKBOOK_OPEN.source
    with zipfile.ZipFile(path) as archive:
        assert 'codeName="ThisWorkbook"' in archive.read("xl/workbook.xml").decode()
        assert 'codeName="Sheet2"' in archive.read("xl/worksheets/sheet2.xml").decode()
    workbook = load_workbook(path, keep_vba=True)
    assert workbook.sheetnames == ["Limits", "Lots"]
    assert workbook.vba_archive is not None
    workbook.vba_archive.close()


def test_full_workbook_loads_in_openpyxl(tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "full.xlsm",
        sheets={"Data": [["Rate", "Amount", "Total"], [1.5, 10, "=A2*B2"], [None, "x", "=[1]Sheet1!$A$1"]]},
        vba_modules=[SHORT],
        macrosheets={"Makro1": [("A2", "HALT()"), ("$A$1", '=ALERT("Wartung & Pflege")')]},
        defined_names={"_xlnm.Auto_Open": "=Makro1!$A$1", "Rates": "=Data!$A$2:$A$3"},
        connections=[{"name": "MES", "connection_string": "DSN=MES;Trusted_Connection=Yes",
                      "command": "SELECT a FROM t WHERE b > 'x'"}],
        external_links=["\\\\srv\\fin\\rates.xlsx"],
        properties={"creator": "K. Schäfer", "last_modified_by": "T. Nowak", "title": "Prüfung",
                    "company": "Werk 2", "created": datetime(2023, 5, 4, 12, 0)},
    )
    workbook = load_workbook(path, keep_vba=True)
    assert workbook.sheetnames == ["Data", "Makro1"]
    assert workbook["Data"]["C2"].value == "=A2*B2"
    assert workbook["Makro1"]["A1"].value == '=ALERT("Wartung & Pflege")'
    assert set(workbook.defined_names) == {"_xlnm.Auto_Open", "Rates"}
    assert workbook.defined_names["_xlnm.Auto_Open"].attr_text == "Makro1!$A$1"
    [link] = workbook._external_links
    assert link.file_link.Target == "file:///\\\\srv\\fin\\rates.xlsx"
    workbook.vba_archive.close()  # keep_vba holds the package open
    assert link.file_link.TargetMode == "External"
    assert workbook.properties.creator == "K. Schäfer"
    assert workbook.properties.lastModifiedBy == "T. Nowak"
    assert workbook.properties.title == "Prüfung"
    assert workbook.properties.created == datetime(2023, 5, 4, 12, 0)

    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        types = archive.read("[Content_Types].xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        connections = archive.read("xl/connections.xml").decode()
        app = archive.read("docProps/app.xml").decode()
    assert {"xl/macrosheets/sheet1.xml", "xl/connections.xml", "xl/vbaProject.bin",
            "xl/externalLinks/externalLink1.xml", "xl/externalLinks/_rels/externalLink1.xml.rels"} <= set(names)
    assert 'PartName="/xl/macrosheets/sheet1.xml" ContentType="application/vnd.ms-excel.macrosheet+xml"' in types
    assert "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet" in rels
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    assert '<dbPr connection="DSN=MES;Trusted_Connection=Yes" command="SELECT a FROM t WHERE b &gt; \'x\'"/>' \
        in connections
    assert "<Company>Werk 2</Company>" in app
    assert len(set(re.findall(r'Id="(rId\d+)"', rels))) == len(re.findall(r'Id="rId\d+"', rels))


@pytest.mark.parametrize(("suffix", "content_type"), [
    (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    (".xlsm", "application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
    (".xltm", "application/vnd.ms-excel.template.macroEnabled.main+xml"),
    (".xlam", "application/vnd.ms-excel.addin.macroEnabled.main+xml"),
])
def test_format_follows_extension(suffix: str, content_type: str, tmp_path: Path) -> None:
    modules = None if suffix == ".xlsx" else [SHORT]
    path = write_workbook(tmp_path / f"book{suffix}", sheets={"Plan": [["Linie", "Menge"], ["L2", 1200]]},
                          vba_modules=modules, connections=[{"name": "Q", "connection_string": "Provider=SQLOLEDB",
                                                             "command": "SELECT 1", "type": "oledb"}])
    with zipfile.ZipFile(path) as archive:
        assert f'PartName="/xl/workbook.xml" ContentType="{content_type}"' in \
            archive.read("[Content_Types].xml").decode()
        assert 'type="5"' in archive.read("xl/connections.xml").decode()
        assert ("xl/vbaProject.bin" in archive.namelist()) == (modules is not None)
    if suffix == ".xlam":  # openpyxl does not know the add-in content type; oletools must see the code
        assert vba_code(path)["Module1.bas"][1] == SHORT.source
    else:
        workbook = load_workbook(path, keep_vba=True)
        assert workbook.sheetnames == ["Plan"]
        if workbook.vba_archive is not None:  # keep_vba holds the package open
            workbook.vba_archive.close()


def test_macro_content_is_refused_in_xlsx(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_workbook(tmp_path / "book.xlsx", vba_modules=[SHORT])
    with pytest.raises(ValueError):
        write_workbook(tmp_path / "book.xlsx", macrosheets={"Macro1": [("A1", "HALT()")]})


def test_same_input_gives_same_bytes(tmp_path: Path) -> None:
    modules = [SHORT, LONG, WORKBOOK_OPEN]
    assert build_vba_project(modules) == build_vba_project(modules)
    spec = dict(sheets={"Data": [["a", 1, "=B1*2"]]}, vba_modules=modules,
                macrosheets={"Macro1": [("A1", "HALT()")]}, defined_names={"_xlnm.Auto_Open": "Macro1!$A$1"},
                connections=[{"name": "Q", "connection_string": "DSN=X", "command": "SELECT 1"}],
                external_links=["C:\\data\\rates.xlsx"], properties={"creator": "J. Miller"})
    first = write_workbook(tmp_path / "a.xlsm", **spec)
    second = write_workbook(tmp_path / "b.xlsm", **spec)
    assert sha256(first) == sha256(second)
    with zipfile.ZipFile(first) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert "2024-01-15T08:00:00Z" in archive.read("docProps/core.xml").decode()


@pytest.mark.parametrize("password", ["VelvetSweatshop", "Qualität2023"])
def test_encrypted_workbook_decrypts_back(password: str, tmp_path: Path) -> None:
    plain = write_workbook(tmp_path / "plain.xlsm", vba_modules=[SHORT])
    encrypted = encrypt_workbook(plain, tmp_path / "locked.xlsm", password)
    assert is_encrypted(str(encrypted))
    with open(encrypted, "rb") as handle:
        office = msoffcrypto.OfficeFile(handle)
        office.load_key(password=password)
        out = io.BytesIO()
        office.decrypt(out)
    assert out.getvalue() == plain.read_bytes()
    again = encrypt_workbook(plain, tmp_path / "again.xlsm", password)
    assert sha256(again) == sha256(encrypted)

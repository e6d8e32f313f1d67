"""Access databases from ../shared/corpus/access through pyodbc and the real MDBTools driver."""
import json
import sqlite3

import pytest
from click.testing import CliRunner

from shadowscan.analyzers import access
from shadowscan.cli import main
from shadowscan.model import Limits, Status

pytestmark = pytest.mark.skipif(access.pick_driver() is None,
                                reason="no Access ODBC driver (Debian: apt-get install unixodbc odbc-mdbtools)")

# file -> (status, format, user tables, queries, linked tables, forms, reports, macros, VBA modules), per MANIFEST.tsv
EXPECTED = {
    "mdbtestdata/nwind.mdb": ("analyzed", "JET3", 9, 22, 0, 21, 13, 7, 0),
    "mdbtestdata/ASampleDatabase.accdb": ("analyzed", "ACE12", 1, 6, 0, 3, 3, 0, 0),
    "mdbtestdata/DateTestDatabase.mdb": ("analyzed", "JET4", 1, 0, 0, 0, 0, 0, 0),
    "access-examples/Access_Example_VBA.accdb": ("analyzed", "ACE12", 11, 59, 0, 13, 8, 3, 33),
    "jackcess/odbcLinkerTestV2007.accdb": ("analyzed", "ACE12", 1, 56, 1, 0, 0, 1, 0),
    "jackcess/queryTestV2003.mdb": ("analyzed", "JET4", 3, 9, 0, 0, 0, 0, 0),
    "jackcess/testV1997.mdb": ("analyzed", "JET3", 4, 0, 0, 0, 0, 0, 0),
    "jackcess/testV2010.accdb": ("analyzed", "ACE14", 4, 0, 0, 0, 0, 0, 0),
    "jackcess/complexDataTestV2007.accdb": ("analyzed", "ACE12", 1, 0, 0, 0, 0, 0, 0),
    "jackcess/calcFieldTestV2010.accdb": ("analyzed", "ACE14", 1, 0, 0, 0, 0, 0, 0),
    "mdb-reader/bigint.accdb": ("analyzed", "ACE16", 1, 0, 0, 0, 0, 0, 0),
    "mdb-reader/empty.accdb": ("analyzed", "ACE16", 0, 0, 0, 0, 0, 0, 0),
    "mdb-reader/V2003_with-password.mdb": ("analyzed", "JET4", 1, 0, 0, 0, 0, 0, 0),
    "mdb-reader/V2010_with-password.accdb": ("encrypted", "ACE14", 0, 0, 0, 0, 0, 0, 0),
    "access33/TestImport_Backup.accdb": ("analyzed", "ACE12", 1, 1, 0, 2, 0, 0, 1),
    "derived/queryTestV2000.TRUNCATED-32768.mdb": ("corrupt", "JET4", 0, 0, 0, 0, 0, 0, 0),
}


@pytest.fixture(scope="module")
def inventory(corpus, tmp_path_factory):
    db = tmp_path_factory.mktemp("access") / "inv.db"
    result = CliRunner().invoke(main, ["--db", str(db), "crawl", str(corpus / "access"), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    report = json.loads(CliRunner().invoke(main, ["--db", str(db), "report", "-f", "json"]).output)
    return db, {a["relpath"]: a for a in report["artifacts"]}


@pytest.mark.slow  # every real file of a corpus folder: `-m "not slow"` skips it
def test_every_corpus_database_is_inventoried(inventory):
    _, arts = inventory
    assert set(arts) == set(EXPECTED)


@pytest.mark.slow  # every real file of a corpus folder: `-m "not slow"` skips it
@pytest.mark.parametrize("relpath", sorted(EXPECTED))
def test_corpus_database(inventory, relpath):
    status, fmt, tables, queries, links, forms, reports, macros, modules = EXPECTED[relpath]
    art = inventory[1][relpath]
    assert art["status"] == status, art["status_reason"]
    assert art["facts"]["format"] == fmt
    if status != "analyzed":
        assert art["status_reason"] and art["classification"] == "unknown"
        return
    facts = art["facts"]
    got = (len(facts["tables"]), len(facts["queries"]), len(facts["linked_tables"]), facts["forms"], facts["reports"],
           facts["macros"], len(facts["modules"]))
    assert got == (tables, queries, links, forms, reports, macros, modules)


@pytest.mark.slow  # every real file of a corpus folder: `-m "not slow"` skips it
def test_vba_modules_of_the_access_front_end(inventory):
    facts = inventory[1]["access-examples/Access_Example_VBA.accdb"]["facts"]
    names = {m["location"] for m in facts["modules"]}
    assert {"VBA/modMain", "VBA/Form_800_Link_Manager_frm", "VBA/modFileFunctions"} <= names
    # MANIFEST counts 9544 lines (not blank ones, by its per-module figures); we keep every
    # line of the editor view, and about 7,200 of them are code (no blanks, no comments)
    assert 9544 <= sum(m["source_lines"] for m in facts["modules"]) < 12000
    assert 7000 < facts["vba_lines"] < 7500
    main_module = inventory[1]["access33/TestImport_Backup.accdb"]["facts"]["modules"]
    assert [m["location"] for m in main_module] == ["VBA/Main"]


@pytest.mark.slow  # every real file of a corpus folder: `-m "not slow"` skips it
def test_linked_odbc_table_with_redacted_password(inventory):
    art = inventory[1]["jackcess/odbcLinkerTestV2007.accdb"]
    link = art["facts"]["linked_tables"][0]
    assert link["name"] == "Ordrar" and link["kind"] == "odbc" and link["foreign_name"] == "dbo.Ordrar"
    assert "DSN=Magnapinna" in link["connect"] and "PWD=***" in link["connect"]
    rules = {f["rule"]: f for f in art["findings"]}
    assert rules["reach.linked-table"]["evidence"][0]["location"] == "linked table Ordrar"
    assert "secrets.connection-password" in rules


@pytest.mark.slow  # every real file of a corpus folder: `-m "not slow"` skips it
def test_dummy_password_never_stored_or_shown(inventory):
    db, arts = inventory
    assert "DummyPassword" not in json.dumps(arts)
    assert "DummyPassword" not in "\n".join(sqlite3.connect(db).iterdump())


@pytest.mark.slow  # every real file of a corpus folder: `-m "not slow"` skips it
def test_database_password_is_a_finding(inventory):
    art = inventory[1]["mdb-reader/V2003_with-password.mdb"]
    assert "secrets.database-password" in {f["rule"] for f in art["findings"]}
    assert art["facts"]["database_password"] is True


@pytest.mark.slow  # every real file of a corpus folder: `-m "not slow"` skips it
def test_table_and_column_names_carry_domain_evidence(inventory):
    art = inventory[1]["mdbtestdata/nwind.mdb"]
    fin = next(f for f in art["findings"] if f["rule"] == "financial.term")
    assert any(e["location"].startswith(("table ", "query ")) for e in fin["evidence"])


def test_missing_driver_is_unsupported_with_what_to_install(corpus, monkeypatch):
    import pyodbc

    monkeypatch.setattr(pyodbc, "drivers", lambda: [])  # the one part that cannot be absent for real here
    analysis = access.analyze(str(corpus / "access/jackcess/testV1997.mdb"), "mdb", Limits())
    assert analysis.status is Status.UNSUPPORTED and "odbc-mdbtools" in analysis.reason


def test_random_bytes_named_accdb_are_corrupt(tmp_path):
    path = tmp_path / "x.accdb"
    path.write_bytes(bytes(range(256)) * 64)
    assert access.analyze(str(path), "accdb", Limits()).status is Status.CORRUPT


def test_an_encrypted_database_says_so_in_words_not_masked(tmp_path):
    """The reason used to read "encrypted with a password: *** the owner ..." once redacted: the
    word after "password:" was taken for a password."""
    from fixtures.jet4 import Column, Table, write_mdb
    from shadowscan.redact import redact_analysis

    path = tmp_path / "locked.mdb"
    write_mdb(path, tables=[Table("Lots", [Column("Lot", "text")], [("A-1",)])])
    data = bytearray(path.read_bytes())
    data[2 * 4096:2 * 4096 + 2] = b"\x9a\x3c"  # page 2 enciphered: the catalog's signature is gone
    path.write_bytes(bytes(data))
    analysis = redact_analysis(access.analyze(str(path), "mdb", Limits()))
    assert analysis.status is Status.ENCRYPTED
    assert "***" not in analysis.reason and "ask the owner for an unencrypted copy" in analysis.reason


@pytest.mark.parametrize("ext", ["mde", "accde"])
def test_compiled_front_end_extensions_go_through_the_access_analyzer(tmp_path, ext):
    """.mde/.accde share the container of .mdb/.accdb (their VBA is compiled: counted, no source)."""
    from fixtures.jet4 import Column, Table, write_mdb

    path = tmp_path / f"frontend.{ext}"
    write_mdb(path, tables=[Table("Kosten", [Column("Betrag", "currency")], [(1,)])])
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "i.db"), "crawl", str(tmp_path), "--quiet"])
    assert result.exit_code == 0, result.output
    art = json.loads(CliRunner().invoke(main, ["--db", str(tmp_path / "i.db"), "report", "-f", "json"]).output)
    (only,) = art["artifacts"]
    assert (only["kind"], only["format"], only["status"]) == ("access", ext, "analyzed")
    assert [t["name"] for t in only["facts"]["tables"]] == ["Kosten"]


# -- cut short at a page boundary, damaged VBA projects (issue 12, item 5) -------------------------------
def test_page_aligned_truncated_nwind_is_corrupt_not_analyzed(corpus, tmp_path):
    """``head -c 1501184 nwind.mdb``: a whole number of pages, so the size check passes and the driver
    reads what is there without a word (a table and the catalog's system tables lose their pages)."""
    whole = (corpus / "access/mdbtestdata/nwind.mdb").read_bytes()
    path = tmp_path / "t.mdb"
    path.write_bytes(whole[:1501184])
    analysis = access.analyze(str(path), "mdb", Limits())
    assert analysis.status is Status.CORRUPT, analysis.reason
    assert "truncated JET3 database" in analysis.reason and "1,501,184 bytes" in analysis.reason


@pytest.mark.slow  # every real file of a corpus folder: `-m "not slow"` skips it
@pytest.mark.parametrize("relpath", ["mdbtestdata/nwind.mdb", "access-examples/Access_Example_VBA.accdb"])
def test_every_page_aligned_cut_of_a_real_database_is_corrupt(corpus, tmp_path, relpath):
    """Each of the 1,463 and 824 cuts (before: every one of them `analyzed`, rows or code missing);
    the page check runs before the driver reads past the end (one cut made it loop)."""
    whole = (corpus / "access" / relpath).read_bytes()
    page = 2048 if whole[0x14] == 0 else 4096
    cut = tmp_path / ("cut" + relpath[relpath.rindex("."):])
    wrong = {}
    for kept in range(3, len(whole) // page):
        cut.write_bytes(whole[:kept * page])
        analysis = access.analyze(str(cut), cut.suffix[1:], Limits())
        if analysis.status is not Status.CORRUPT or not analysis.reason.startswith("truncated "):
            wrong[kept] = (analysis.status.value, analysis.reason)
    assert not wrong, f"{len(wrong)} cuts not found: {dict(list(wrong.items())[:5])}"


def test_every_page_aligned_cut_of_a_database_is_corrupt(tmp_path):
    from fixtures.jet4 import Column, Table, write_mdb

    whole = tmp_path / "whole.mdb"
    write_mdb(whole, tables=[Table("Kosten", [Column("Konto", "text"), Column("Betrag", "currency")],
                                   [(f"K-{i}", i) for i in range(1500)]),
                             Table("Grenzwerte", [Column("Merkmal", "text"), Column("Max", "double")],
                                   [(f"M{i}", i / 10) for i in range(400)])])
    data = whole.read_bytes()
    assert access.analyze(str(whole), "mdb", Limits()).status is Status.ANALYZED
    pages = len(data) // 4096
    assert pages > 10
    for kept in range(3, pages):
        cut = tmp_path / f"cut{kept}.mdb"
        cut.write_bytes(data[:kept * 4096])
        analysis = access.analyze(str(cut), "mdb", Limits())
        assert analysis.status is Status.CORRUPT, f"{kept} of {pages} pages: {analysis.status} {analysis.reason}"
        assert analysis.reason.startswith("truncated JET4 database"), analysis.reason


def _with_vba(tmp_path, damage):
    """A JET4 database with two VBA modules, then ``damage`` applied to the stored bytes."""
    from fixtures.jet4 import Column, Table, write_mdb
    from fixtures.office import VbaModule

    path = tmp_path / "front.mdb"
    modules = [VbaModule("Posting", 'Sub Post()\n    cn.Execute "UPDATE Kosten SET Betrag = 0"\nEnd Sub\n'),
               VbaModule("Limits", 'Sub Judge()\n    ws.Cells(2, 3).Value = "FAIL"\nEnd Sub\n')]
    write_mdb(path, tables=[Table("Kosten", [Column("Betrag", "currency")], [(1,)])], modules=modules)
    path.write_bytes(damage(path.read_bytes(), modules))
    return access.analyze(str(path), "mdb", Limits())


def _replace_once(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) == 1 and len(old) == len(new)
    return data.replace(old, new)


def test_a_damaged_vba_dir_stream_is_reported_not_silent(tmp_path):
    from fixtures.office import _dir_stream, compress

    def damage(data, modules):
        stored = compress(_dir_stream(modules, "VBAProject", 1252))
        return _replace_once(data, stored, b"\x07" + bytes(range(256)) * (len(stored) // 256) +
                             bytes(len(stored) % 256 - 1))

    analysis = _with_vba(tmp_path, damage)
    assert analysis.status is Status.ANALYZED  # tables and queries were read; the reason says what was not
    assert analysis.reason.startswith("partial analysis: damaged VBA project: the dir stream"), analysis.reason
    assert analysis.facts["vba_error"] and analysis.facts["modules"] == []
    assert [t["name"] for t in analysis.facts["tables"]] == ["Kosten"]


def test_a_partial_analysis_is_a_warning_in_the_report(tmp_path):
    """What could not be read reaches the report: the artifact is analysed, and its status reason
    (JSON, CSV) says which part of it was not."""
    import json

    from click.testing import CliRunner

    from fixtures.office import _dir_stream, compress
    from shadowscan.cli import main

    def damage(data, modules):
        stored = compress(_dir_stream(modules, "VBAProject", 1252))
        return _replace_once(data, stored, bytes(len(stored)))

    share = tmp_path / "share"
    share.mkdir()
    _with_vba(share, damage)
    db = str(tmp_path / "inv.db")
    runner = CliRunner()
    assert runner.invoke(main, ["--db", db, "crawl", str(share), "-q"]).exit_code == 0
    shown = runner.invoke(main, ["--db", db, "report", "-f", "json"])
    artifact = json.loads(shown.output)["artifacts"][0]
    assert artifact["status"] == "analyzed"
    assert artifact["status_reason"].startswith("partial analysis: damaged VBA project"), artifact["status_reason"]
    csv_text = runner.invoke(main, ["--db", db, "report", "-f", "csv", "-o", "-"]).output
    assert "partial analysis: damaged VBA project" in csv_text


def test_a_damaged_vba_module_is_reported_and_the_others_read(tmp_path):
    from fixtures.office import _module_text, compress

    def damage(data, modules):
        stored = compress(_module_text(modules[0]).encode("cp1252"))
        return _replace_once(data, stored, b"\x09" + stored[1:])  # not a CompressedContainer any more

    analysis = _with_vba(tmp_path, damage)
    assert analysis.status is Status.ANALYZED
    assert "damaged VBA project: module Posting" in analysis.reason, analysis.reason
    assert [m["location"] for m in analysis.facts["modules"]] == ["VBA/Limits"]

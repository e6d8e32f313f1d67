"""Registry: register -> crawl -> managed, identity by logic, sign-off, governance, exchange."""
import json
import os
import shutil

import pytest
from click.testing import CliRunner

from fixtures.office import VbaModule, write_workbook
from shadowscan.cli import main

CHART = 'Sub Refresh()\n    Set rs = cn.Execute("SELECT day, oee FROM v_oee")\n    ws.Range("A2").CopyFromRecordset rs\nEnd Sub\n'
CHART_CHANGED = CHART.replace("v_oee", "v_oee_by_shift")
POSTING = 'Sub Post()\n    cn.Execute "INSERT INTO FI_Postings (Account, Cost) VALUES (4711, " & cost & ")"\nEnd Sub\n'


def workbook(path, code, rows=(("Day", "OEE"),)):
    path.parent.mkdir(parents=True, exist_ok=True)
    write_workbook(path, sheets={"Data": [list(r) for r in rows]}, vba_modules=[VbaModule("Dashboard", code)])
    return path


class Cli:
    def __init__(self, tmp_path, db=None):
        self.db = db or str(tmp_path / "inv.db")
        self.runner = CliRunner()

    def exists(self):
        """Whether the inventory was created (an SQLite file; a PostgreSQL database with its tables)."""
        from shadowscan.store import Store

        return Store.exists(self.db)

    def __call__(self, *args, ok=True):
        result = self.runner.invoke(main, ["--db", self.db, *map(str, args)])
        if ok:
            assert result.exit_code == 0, result.output
        else:
            assert result.exit_code != 0, result.output
        return result

    def register(self, path, *extra, ok=True):
        return self("register", path, "--owner", "Anna Kowalska", "--function", "production", "--purpose",
                    "OEE charts", "--platform", "excel", "--data-access", "read-only", *extra, ok=ok)

    def crawl(self, root):
        self("crawl", root, "--jobs", "1", "--quiet")
        return {a["relpath"]: a for a in json.loads(self("report", "-f", "json").output)["artifacts"]}


def governance(artifact):
    return {f["rule"] for f in artifact["findings"] if f["family"] == "governance"}


@pytest.fixture
def cli(tmp_path):
    return Cli(tmp_path)


@pytest.mark.slow  # a whole crawl: `-m "not slow"` skips it
def test_register_crawl_managed_then_cosmetic_and_logic_changes(tmp_path, cli):
    share = tmp_path / "share"
    book = workbook(share / "Production" / "oee.xlsm", CHART)
    cli.register(book, "--cost-center", "K-200", "--review-every", "90", "--product-owner", "Jan Nowak")
    art = cli.crawl(share)["Production/oee.xlsm"]
    assert art["registered"] and art["classification"] == "citizen-development"
    assert art["action"] == "allow and monitor" and art["owner"] == "Anna Kowalska" and art["registry_id"] == 1
    assert art["signoff"] == "missing" and "governance.no-signoff" in governance(art)

    cli("signoff", book, "--by", "Jan Nowak", "--note", "v1 for production")
    art = cli.crawl(share)["Production/oee.xlsm"]
    assert art["signoff"] == "valid" and not governance(art)

    workbook(book, CHART, rows=(("Day", "OEE"), ("Mon", 0.71)))  # data edit: bytes change, logic does not
    art = cli.crawl(share)["Production/oee.xlsm"]
    assert art["signoff"] == "valid" and art["action"] == "allow and monitor"

    workbook(book, CHART_CHANGED)  # logic change
    art = cli.crawl(share)["Production/oee.xlsm"]
    assert art["signoff"] == "stale" and "governance.changed-without-signoff" in governance(art)
    assert art["registered"] and art["registry_match"] == "changed"

    cli("signoff", book, "--by", "Jan Nowak")
    assert cli.crawl(share)["Production/oee.xlsm"]["signoff"] == "valid"


def test_copies_and_moves_are_recognised(tmp_path, cli):
    share = tmp_path / "share"
    book = workbook(share / "Production" / "oee.xlsm", CHART)
    cli.register(book)
    (share / "Quality").mkdir()
    shutil.copy(book, share / "Quality" / "oee_copy.xlsm")
    arts = cli.crawl(share)
    copy = arts["Quality/oee_copy.xlsm"]
    assert copy["registered"] and copy["registry_match"] == "copy" and "governance.copy" in governance(copy)
    assert arts["Production/oee.xlsm"]["registry_match"] == "registered"
    (share / "Archive").mkdir()
    book.rename(share / "Archive" / "oee.xlsm")
    moved = cli.crawl(share)["Archive/oee.xlsm"]
    assert moved["registered"] and moved["registry_match"] == "moved" and moved["owner"] == "Anna Kowalska"


def test_registered_shadow_it_stays_shadow_it(tmp_path, cli):
    share = tmp_path / "share"
    book = workbook(share / "Finance" / "post.xlsm", POSTING)
    cli.register(book, "--data-access", "read-write")
    art = cli.crawl(share)["Finance/post.xlsm"]
    assert art["classification"] == "shadow-it" and art["action"] == "migrate to an enterprise system now"
    rules = governance(art)
    assert {"governance.must-migrate", "governance.no-cost-center", "governance.no-review-cadence"} <= rules
    assert "governance.read-only-contradicted" not in rules


def test_read_only_tool_that_starts_writing_is_contradicted(tmp_path, cli):
    """Registered read-only while it only read; the logic then gains a write: the crawl says so, with the evidence."""
    share = tmp_path / "share"
    book = workbook(share / "Finance" / "post.xlsm", CHART)
    cli.register(book)
    workbook(book, POSTING)
    art = cli.crawl(share)["Finance/post.xlsm"]
    assert {"governance.must-migrate", "governance.read-only-contradicted"} <= governance(art)
    contradicted = next(f for f in art["findings"] if f["rule"] == "governance.read-only-contradicted")
    assert "INSERT INTO FI_Postings" in contradicted["evidence"][0]["snippet"]


def test_unregistered_gets_no_owner_finding_and_register_action(tmp_path, cli):
    share = tmp_path / "share"
    workbook(share / "oee.xlsm", CHART)
    art = cli.crawl(share)["oee.xlsm"]
    assert not art["registered"] and art["action"] == "register" and "governance.no-owner" in governance(art)


def test_bad_input_is_refused_and_nothing_written(tmp_path, cli):
    book = workbook(tmp_path / "oee.xlsm", CHART)
    assert "not a known artifact" in cli.register(tmp_path / "missing.xlsm", ok=False).output
    out = cli("register", book, "--owner", "Piotr Nowak", "--function", "it", "--purpose", "x", "--platform", "excel",
              "--data-access", "read-only", ok=False).output
    assert "not IT" in out
    assert "Invalid value" in cli("register", book, "--owner", "A B", "--function", "sales-magic", "--purpose", "x",
                                  "--platform", "excel", "--data-access", "read-only", ok=False).output
    assert "Invalid value" in cli("register", book, "--owner", "A B", "--function", "quality", "--purpose", "x",
                                  "--platform", "lotus", "--data-access", "read-only", ok=False).output
    assert "not a named person" in cli("register", book, "--owner", "n/a", "--function", "quality", "--purpose", "x",
                                       "--platform", "excel", "--data-access", "read-only", ok=False).output
    assert "no inventory at" in cli("registry", "list", ok=False).output  # nothing was written, not even a file
    assert not os.path.exists(cli.db)
    cli.register(book)
    assert "registry is empty" not in cli("registry", "list").output
    assert "already registered" in cli.register(book, ok=False).output
    before = cli("registry", "export").output
    bad = tmp_path / "bad.json"
    for content in ("{not json", json.dumps({"schema": "x"}),
                    json.dumps({"schema": "shadowscan/registry-v1", "entries": [{"id": 1}]}),
                    before.replace('"production"', '"it"')):
        bad.write_text(content)
        assert "registry was not changed" in cli("registry", "import", bad, ok=False).output or \
            "not valid JSON" in cli("registry", "import", bad, ok=False).output
        assert cli("registry", "export").output == before


def test_export_import_round_trip(tmp_path, cli):
    book = workbook(tmp_path / "oee.xlsm", CHART)
    cli.register(book, "--contributors", "IT, Maintenance", "--cost-center", "K-1", "--review-every", "30",
                 "--scale-decision", "Plant manager", "--product-owner", "Jan Nowak")
    cli("signoff", book, "--by", "Jan Nowak", "--note", "ok")
    exported = cli("registry", "export").output
    (tmp_path / "reg.json").write_text(exported)
    other = Cli(tmp_path / "other")
    (tmp_path / "other").mkdir()
    other("registry", "import", tmp_path / "reg.json", "--by", "Ewa Lis")
    again = json.loads(other("registry", "export").output)
    history = again["entries"][0].pop("history")
    original = json.loads(exported)
    assert [e["action"] for e in original["entries"][0].pop("history")] == ["register", "signoff"]
    assert again == original  # everything kept; the history gains the import, by whom, from which file
    assert [e["action"] for e in history] == ["register", "signoff", "import"]
    assert history[-1]["by"] == "Ewa Lis" and history[-1]["changes"]["from"] == "reg.json"
    assert history[-1]["changes"]["owner"] == [None, "Anna Kowalska"]  # new to this inventory
    data = json.loads(exported)["entries"][0]
    assert data["contributors"] == ["IT", "Maintenance"] and data["signoffs"][0]["signed_by"] == "Jan Nowak"
    assert json.loads(other("registry", "show", "1").output)["owner"] == "Anna Kowalska"
    other("registry", "remove", "1")
    assert "registry is empty" in other("registry", "list").output


def test_review_overdue(tmp_path, cli):
    share = tmp_path / "share"
    book = workbook(share / "oee.xlsm", CHART)
    cli.register(book, "--review-every", "30")
    data = json.loads(cli("registry", "export").output)
    data["entries"][0]["registered_at"] = "2024-01-01T00:00:00+00:00"
    (tmp_path / "reg.json").write_text(json.dumps(data))
    cli("registry", "import", tmp_path / "reg.json")
    assert "governance.review-overdue" in governance(cli.crawl(share)["oee.xlsm"])


def test_access_database_identity_is_its_queries_and_tables_not_its_rows(tmp_path, cli):
    """An Access report database: new rows keep it registered and signed; a changed query does not."""
    from fixtures.jet4 import Column, Query, QueryRow, Table, write_mdb
    from shadowscan.analyzers.access import pick_driver

    if pick_driver() is None:
        pytest.skip("no Access ODBC driver (Debian: apt-get install unixodbc odbc-mdbtools)")

    def database(path, rows, where):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_mdb(path, tables=[Table("Downtime", [Column("Line", "text"), Column("Minutes", "long")], rows)],
                  queries=[Query("qryByLine", [QueryRow(0), QueryRow(1, flag=1), QueryRow(5, name1="Downtime"),
                                               QueryRow(6, expression="Downtime.Line"), QueryRow(8, expression=where),
                                               QueryRow(255)])])
        return path

    share = tmp_path / "share"
    db = database(share / "Production" / "downtime.mdb", [("L2", 35)], "Downtime.Minutes>10")
    cli.register(db, "--platform", "access", "--product-owner", "Jan Nowak")
    cli("signoff", db, "--by", "Jan Nowak")
    database(db, [("L2", 35), ("L3", 80), ("L4", 5)], "Downtime.Minutes>10")  # this week's data
    art = cli.crawl(share)["Production/downtime.mdb"]
    assert art["registered"] and art["registry_match"] == "registered" and art["signoff"] == "valid"
    database(db, [("L2", 35)], "Downtime.Minutes>30")  # the query's logic changed
    art = cli.crawl(share)["Production/downtime.mdb"]
    assert art["registry_match"] == "changed" and art["signoff"] == "stale"

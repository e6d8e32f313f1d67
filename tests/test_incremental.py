"""Re-crawls read only what changed and record new / changed / unchanged / removed."""
import json
import os
import shutil
from pathlib import Path

from click.testing import CliRunner

from shadowscan import analysis
from shadowscan.cli import main
from shadowscan.store import Store


def crawl(db, root, *extra):
    result = CliRunner().invoke(main, ["--db", db, "crawl", str(root), "--jobs", "1", *extra])
    assert result.exit_code == 0, result.output
    return result.output


def sneak_edit(path):
    """Change the content but keep size and mtime."""
    st = path.stat()
    data = path.read_bytes()
    path.write_bytes(data[::-1])
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def rows(db):
    with Store(db) as store:
        crawl_id = store.crawl()["id"]
        return {r["relpath"]: dict(r) for r in store.artifacts(crawl_id)}


def test_recrawl_reuses_unchanged_and_records_changes(tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    (share / "keep.py").write_text('cur.execute("UPDATE Lots SET Status = \'FAIL\'")\n')
    (share / "edit.py").write_text("print('hello')\n")
    (share / "gone.sql").write_text("SELECT 1;\n")
    db = str(tmp_path / "inv.db")
    first = crawl(db, share)
    assert "3 new" in first
    before = rows(db)

    (share / "edit.py").write_text("import requests\nrequests.post(url)\n")
    os.utime(share / "edit.py", (1, 1))  # mtime differs for sure
    (share / "gone.sql").unlink()
    (share / "new.bat").write_text("copy a b\n")
    sneak_edit(share / "keep.py")  # same size and mtime: a re-crawl that reads it would see a new hash
    second = crawl(db, share)
    assert "1 new, 1 changed, 1 unchanged, 1 removed" in second
    after = rows(db)
    assert after["keep.py"]["change"] == "unchanged" and after["keep.py"]["status"] == "analyzed"
    assert after["keep.py"]["classification"] == before["keep.py"]["classification"] == "shadow-it"
    assert after["keep.py"]["sha256"] == before["keep.py"]["sha256"]
    assert after["edit.py"]["change"] == "changed" and "writes.web" in json.dumps(
        [dict(f) for f in Store(db).findings(after["edit.py"]["id"])])
    assert after["new.bat"]["change"] == "new"
    assert "gone.sql" not in after
    with Store(db) as store:
        assert store.removed(store.crawl()["id"], [str(share)]) == [str(share / "gone.sql")]


def test_full_flag_reads_everything_again(tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    (share / "keep.py").write_text("x = 1\n")
    db = str(tmp_path / "inv.db")
    crawl(db, share)
    old = rows(db)["keep.py"]["sha256"]
    sneak_edit(share / "keep.py")
    crawl(db, share)
    assert rows(db)["keep.py"]["sha256"] == old  # not read: size and mtime unchanged
    crawl(db, share, "--full")
    assert rows(db)["keep.py"]["sha256"] != old and rows(db)["keep.py"]["change"] == "unchanged"


def test_reused_findings_keep_their_evidence(tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    (share / "post.py").write_text('import requests\nrequests.post("https://erp01/api/postings", json=costs)\n')
    db = str(tmp_path / "inv.db")
    crawl(db, share)
    report1 = json.loads(CliRunner().invoke(main, ["--db", db, "report", "-f", "json"]).output)["artifacts"]
    crawl(db, share)
    report2 = json.loads(CliRunner().invoke(main, ["--db", db, "report", "-f", "json"]).output)["artifacts"]
    assert [a.pop("change") for a in report1 + report2] == ["new", "unchanged"]
    assert [a.pop("crawl_id") for a in report1 + report2] == [1, 2]  # the crawl that speaks for it
    assert report1 == report2


def test_files_found_to_be_no_artifact_are_not_read_again(tmp_path):
    """Issue 18.8: an .xlsx without macros is read once; while its size and mtime stay, re-crawls
    skip it like the stored analysis of an unchanged workbook, and --full reads it again."""
    from fixtures.office import write_workbook

    share = tmp_path / "share"
    share.mkdir()
    write_workbook(share / "plain.xlsx", sheets={"Data": [["lot", "value"], ["A1", 3.5]]})
    (share / "job.py").write_text("print(1)\n")
    db = str(tmp_path / "inv.db")
    assert "1 new" in crawl(db, share)
    with Store(db) as store:
        assert [tuple(r) for r in store.db.execute("SELECT folder, name FROM passed")] == [(str(share), "plain.xlsx")]
    sneak_edit(share / "plain.xlsx")  # garbage now, same size and mtime: read again, it would be an artifact
    crawl(db, share)
    assert set(rows(db)) == {"job.py"}
    crawl(db, share, "--full")
    assert rows(db)["plain.xlsx"]["status"] != "analyzed"  # read: the reversed bytes are no workbook
    crawl(db, share)  # an artifact now: no longer skipped as "no artifact"
    assert set(rows(db)) == {"job.py", "plain.xlsx"} and rows(db)["plain.xlsx"]["change"] == "unchanged"
    with Store(db) as store:
        assert store.db.execute("SELECT COUNT(*) FROM passed").fetchone()[0] == 0


def test_plain_workbooks_with_odd_names_are_remembered_too(tmp_path):
    """A re-crawl looks a folder's remembered files up by the names the listing spells: names that are
    not plain ASCII (letters beyond ASCII, a backslash, bytes that are no UTF-8) are keyed as they were
    stored. Each is garbled with its size and mtime kept: skipped, it stays out of the report; read
    again by mistake, it would come back as a damaged workbook."""
    from fixtures.office import write_workbook

    share = tmp_path / "share"
    (share / "Qualität").mkdir(parents=True)
    names = ["Prüfung.xlsx", "lot\\17.xlsx", os.fsdecode(b"\xfflot.xlsx"), "plain.xlsx"]
    for name in names:
        write_workbook(share / "Qualität" / name, sheets={"Data": [["lot", "value"], ["A1", 3.5]]})
    (share / "job.py").write_text("print(1)\n")
    db = str(tmp_path / "inv.db")
    crawl(db, share)
    assert set(rows(db)) == {"job.py"}
    for name in names:
        sneak_edit(share / "Qualität" / name)
    crawl(db, share)
    assert set(rows(db)) == {"job.py"}
    os.utime(share / "Qualität" / names[2], (1, 1))  # changed: read again (garbage now: an artifact)
    crawl(db, share)
    assert set(rows(db)) == {"job.py", "Qualität/\\xfflot.xlsx"}


def test_a_changed_plain_workbook_is_read_again(tmp_path):
    from fixtures.office import write_workbook

    share = tmp_path / "share"
    share.mkdir()
    write_workbook(share / "plain.xlsx", sheets={"Data": [["lot", "value"]]})
    db = str(tmp_path / "inv.db")
    crawl(db, share)
    assert rows(db) == {}
    write_workbook(share / "plain.xlsx", sheets={"Data": [["lot"]]},
                   connections=[{"name": "erp", "connection_string": "DSN=ERP", "command": "SELECT * FROM Costs",
                                 "type": "odbc"}])
    os.utime(share / "plain.xlsx", (1, 1))
    crawl(db, share)
    assert rows(db)["plain.xlsx"]["change"] == "new"


def test_an_unchanged_judgement_shares_the_stored_version_and_a_new_one_does_not(tmp_path):
    """A reused analysis is judged again on every crawl: judged the same, the crawl shares the stored
    version (no copy); judged differently (the tool was registered meanwhile), it stores a new one."""
    from shadowscan.registry import Registry

    share = tmp_path / "share"
    share.mkdir()
    (share / "post.py").write_text('import requests\nrequests.post("https://erp01/api/postings", json=costs)\n')
    db = str(tmp_path / "inv.db")
    crawl(db, share)
    crawl(db, share)

    def versions():
        with Store(db) as store:
            return [tuple(r) for r in store.db.execute("SELECT id, registry FROM versions ORDER BY id")]

    assert len(versions()) == 1
    first = rows(db)["post.py"]
    with Store(db) as store:
        Registry(store.db).register(path=str(share / "post.py"), kind="script", fingerprint=first["fingerprint"],
                                    sha256=first["sha256"], by="test", owner="Anna Kowalska", function="finance",
                                    purpose="postings", platform="python", data_access="read-write",
                                    product_owner="Jan Nowak", contributors=[])
    crawl(db, share)
    assert len(versions()) == 2 and json.loads(versions()[1][1])["registered"] is True
    assert rows(db)["post.py"]["change"] == "unchanged"
    crawl(db, share)
    assert len(versions()) == 2
    # the two judgements share one stored analysis: the analyzer's findings are stored once, and each
    # version holds only its own governance findings (unregistered: no owner; registered: no sign-off)
    with Store(db) as store:
        q = store.db.execute
        assert [r[0] for r in q("SELECT DISTINCT analysis_id FROM versions")] == [1]
        assert q("SELECT COUNT(*) FROM analyses").fetchone()[0] == 1
        analysed = [r[0] for r in q("SELECT rule FROM analysis_findings ORDER BY id")]
        assert "writes.web" in analysed and not [r for r in analysed if r.startswith("governance.")]
        judged = [(r[0], r[1]) for r in q("SELECT artifact_id, rule FROM findings ORDER BY id")]
        assert ("governance.no-owner" in [r for v, r in judged if v == 1]
                and "governance.no-owner" not in [r for v, r in judged if v == 2])
        assert "governance.no-signoff" in [r for v, r in judged if v == 2]
        shown = [f["rule"] for f in store.findings(2)]
        assert shown == analysed + [r for v, r in judged if v == 2]  # the analyzer's first, as before


def test_a_signoff_changes_the_verdict_of_a_reused_analysis(tmp_path):
    """The shortcut for unchanged files shares the stored analysis, never the stored judgement: a
    sign-off, an edited entry or a review date moving changes the governance findings on the next
    re-crawl without reading the file."""
    from shadowscan.registry import Registry

    share = tmp_path / "share"
    share.mkdir()
    (share / "post.py").write_text('import requests\nrequests.post("https://erp01/api/postings", json=costs)\n')
    db = str(tmp_path / "inv.db")
    crawl(db, share)
    first = rows(db)["post.py"]
    with Store(db) as store:
        registry = Registry(store.db)
        entry = registry.register(path=str(share / "post.py"), kind="script", fingerprint=first["fingerprint"],
                                  sha256=first["sha256"], by="test", owner="Anna Kowalska", function="finance",
                                  purpose="postings", platform="python", data_access="read-write",
                                  product_owner="Jan Nowak", contributors=[])

    def rules():
        with Store(db) as store:
            return {f["rule"] for f in store.findings(rows(db)["post.py"]["id"])}

    crawl(db, share)
    assert "governance.no-signoff" in rules() and "governance.no-cost-center" in rules()
    with Store(db) as store:
        Registry(store.db).edit(entry, by="test", cost_center="CC-4711")
    out = crawl(db, share)
    assert "1 unchanged" in out and "governance.no-cost-center" not in rules()
    assert "governance.no-signoff" in rules() and "writes.web" in rules()
    with Store(db) as store:
        Registry(store.db).signoff(entry, by="Jan Nowak", sha256=first["sha256"], fingerprint=first["fingerprint"])
    crawl(db, share)
    assert "governance.no-signoff" not in rules() and rows(db)["post.py"]["registry"].count('"valid"') == 1
    with Store(db) as store:  # three judgements, one analysis
        assert tuple(store.db.execute("SELECT COUNT(DISTINCT analysis_id), COUNT(*) FROM versions").fetchone()) == (1, 4)


def test_the_engine_id_follows_the_analysis_code_and_rule_data(tmp_path):
    """A stored analysis is reused only by the same engine: the id changes with any analyser
    code or rule data (a new vocabulary word must re-read unchanged files), not with caches, and
    not with the code that runs again on every crawl anyway (reports, store, judgement)."""
    package = Path(analysis.__file__).resolve().parent
    copy = tmp_path / "shadowscan"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert analysis.engine_id(copy) == analysis.ENGINE
    (copy / "rules" / "__pycache__").mkdir(exist_ok=True)
    (copy / "rules" / "__pycache__" / "x.pyc").write_bytes(b"cache")
    assert analysis.engine_id(copy) == analysis.ENGINE
    for unrelated in (copy / "reports" / "html.py", copy / "store.py", copy / "classify.py", copy / "scan.py"):
        unrelated.write_text(unrelated.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert analysis.engine_id(copy) == analysis.ENGINE
    for related in (copy / "analyzers" / "excel.py", copy / "redact.py", copy / "analysis.py"):
        before = related.read_text(encoding="utf-8")
        related.write_text(before + "\n# changed\n", encoding="utf-8")
        assert analysis.engine_id(copy) != analysis.ENGINE, related.name
        related.write_text(before, encoding="utf-8")
    vocabulary = next((copy / "rules" / "vocabulary").glob("*.json"))
    vocabulary.write_text(vocabulary.read_text(encoding="utf-8") + " ", encoding="utf-8")
    assert analysis.engine_id(copy) != analysis.ENGINE

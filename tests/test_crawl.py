"""Discovery: what is a candidate, what is skipped, loops and excludes, no content read."""
import os

import pytest

from shadowscan.crawl import KINDS, Problem, kind_of, walk
from shadowscan.kinds import LOCK_SUFFIXES
from shadowscan.model import Kind


def make_tree(root):
    files = {
        "Quality/limits.xlsm": b"x", "Quality/~$limits.xlsm": b"lock", "Quality/db.ldb": b"lock",
        "Finance/Kosten.accdb": b"x", "Finance/post.PS1": b"x", "Finance/notes.txt": b"x",
        "Produktion/Übersicht.xlsx": b"x", "Produktion/łódź.sql": b"x", "Archive/old.vbs": b"x",
        "noext": b"x", "R/spc.R": b"x",
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def relpaths(items):
    return sorted(i.relpath for i in items if not isinstance(i, Problem))


def test_candidates_by_type(tmp_path):
    make_tree(tmp_path)
    items = list(walk([str(tmp_path)]))
    assert relpaths(items) == sorted([
        "Finance/Kosten.accdb", "Finance/post.PS1", "Produktion/Übersicht.xlsx", "Produktion/łódź.sql",
        "Quality/limits.xlsm", "Archive/old.vbs", "R/spc.R"])
    kinds = {i.relpath: i.kind for i in items}
    assert kinds["Finance/Kosten.accdb"] is Kind.ACCESS and kinds["Finance/post.PS1"] is Kind.SCRIPT
    assert all(i.root == str(tmp_path) and i.size == 1 for i in items)


def test_excludes_match_paths_and_names(tmp_path):
    make_tree(tmp_path)
    items = list(walk([str(tmp_path)], excludes=("Archive", "*.sql")))
    assert "Archive/old.vbs" not in relpaths(items)
    assert "Produktion/łódź.sql" not in relpaths(items)


def test_symlink_loop_ends(tmp_path):
    make_tree(tmp_path)
    os.symlink(tmp_path, tmp_path / "Quality" / "loop")
    items = list(walk([str(tmp_path)]))
    assert relpaths(items).count("Quality/limits.xlsm") == 1


def test_listing_does_not_read_content(tmp_path):
    make_tree(tmp_path)
    target = tmp_path / "Quality/limits.xlsm"
    os.chmod(target, 0)  # unreadable content still lists (stat needs no read permission)
    assert "Quality/limits.xlsm" in relpaths(walk([str(tmp_path)]))


def test_missing_root_is_a_problem_not_a_crash(tmp_path):
    items = list(walk([str(tmp_path / "nope")]))
    assert len(items) == 1 and isinstance(items[0], Problem) and "cannot open" in items[0].reason


def test_single_file_root(tmp_path):
    (tmp_path / "a.py").write_text("x = 1")
    items = list(walk([str(tmp_path / "a.py")]))
    assert [i.relpath for i in items] == ["a.py"]


def test_undecodable_file_name(tmp_path):
    name = os.fsencode(str(tmp_path)) + b"/caf\xe9.bat"
    with open(name, "wb") as f:
        f.write(b"echo x")
    items = list(walk([str(tmp_path)]))
    assert len(items) == 1 and items[0].kind is Kind.SCRIPT


def test_kind_of():
    assert kind_of("Makro.XLSM") == (Kind.EXCEL, "xlsm")
    assert kind_of("~$Makro.xlsm") is None
    assert kind_of("db.laccdb") is None
    assert kind_of("README") is None
    assert kind_of("Module1.bas") == (Kind.SCRIPT, "bas")  # exported VBA modules
    assert kind_of("Klasse.CLS") == (Kind.SCRIPT, "cls")
    assert kind_of("Form1.frm") == (Kind.SCRIPT, "frm")
    assert kind_of("Macro MB1A.vb") == (Kind.SCRIPT, "vb")
    assert kind_of("xlsm") is None and kind_of(".xlsm") == (Kind.EXCEL, "xlsm")
    # lock files are told by their extension alone only while no kind claims .ldb / .laccdb
    assert not {suffix.lstrip(".") for suffix in LOCK_SUFFIXES} & set(KINDS)


def test_the_walk_selects_by_name_in_any_spelling(tmp_path):
    """The walk classifies each extension spelling once (a cache): every spelling still counts, lock
    files and names that merely end in an extension's letters do not, and the paths are the folder's
    path plus the name, as the user would open them."""
    names = ["a.xlsx", "B.XLSX", "c.XlSx", "~$a.xlsx", "xlsx", "notes.txt", "report.xlsx.bak", "d.Py"]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    items = list(walk([str(tmp_path)]))
    assert sorted((i.relpath, i.format) for i in items) == [
        ("B.XLSX", "xlsx"), ("a.xlsx", "xlsx"), ("c.XlSx", "xlsx"), ("d.Py", "py")]
    assert {i.path for i in items} == {os.path.join(str(tmp_path), i.relpath) for i in items}
    # a root given with a trailing separator gives the same paths
    assert {i.path for i in walk([str(tmp_path) + os.sep])} == {i.path for i in items}


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a file to another account")
def test_file_owner_is_an_ownership_hint(tmp_path):
    """POLICY.md lists the file owner among the ownership hints: it reaches the report."""
    import json
    import pwd

    from click.testing import CliRunner

    from shadowscan.cli import main

    share = tmp_path / "share"
    share.mkdir()
    (share / "mine.py").write_text('cur.execute("UPDATE Lots SET Status = \'FAIL\'")\n')
    theirs = share / "theirs.py"
    theirs.write_text("print('x')\n")
    nobody = pwd.getpwnam("nobody")
    os.chown(theirs, nobody.pw_uid, nobody.pw_gid)
    db = str(tmp_path / "inv.db")
    assert CliRunner().invoke(main, ["--db", db, "crawl", str(share), "--quiet"]).exit_code == 0
    arts = {a["relpath"]: a for a in json.loads(CliRunner().invoke(main, ["--db", db, "report", "-f", "json"]).output)
            ["artifacts"]}
    assert arts["theirs.py"]["facts"]["owner_hints"] == {"file_owner": "nobody"}
    assert arts["mine.py"]["facts"]["owner_hints"]["file_owner"] == pwd.getpwuid(os.geteuid()).pw_name
    no_owner = next(f for f in arts["theirs.py"]["findings"] if f["rule"] == "governance.no-owner")
    assert "file owner: nobody" in no_owner["evidence"][0]["snippet"]

"""Scanning never changes a byte or a timestamp on the share and leaves no file behind."""
import hashlib
import os
import shutil
import sys

import pytest
from click.testing import CliRunner

from shadowscan.cli import main

pytestmark = pytest.mark.slow  # real servers, browsers or whole crawls: `-m "not slow"` skips them

OLD = 946684800  # 2000-01-01: older than mtime, so a normal (relatime) read would update atime


def _names(folder):
    """A folder's entries, listed through an O_NOATIME descriptor (the check must not touch atime)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOATIME)
    try:
        return sorted(os.listdir(fd))
    finally:
        os.close(fd)


def snapshot(root):
    state = {}
    folders = [str(root)]
    while folders:
        dirpath = folders.pop()
        for name in _names(dirpath):
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            digest = None
            if os.path.isdir(path) and not os.path.islink(path):
                folders.append(path)
            elif os.path.isfile(path) and not os.path.islink(path):
                fd = os.open(path, os.O_RDONLY | os.O_NOATIME)  # the check itself must not touch atime
                with os.fdopen(fd, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            state[os.path.relpath(path, root)] = (digest, st.st_mtime_ns, st.st_atime_ns, st.st_mode)
    return state


def test_the_check_sees_an_ordinary_read(tmp_path):
    """Guard: on this file system a plain read of an old-atime file does change atime."""
    share = tmp_path / "s"
    share.mkdir()
    (share / "a.py").write_text("x = 1")
    prepare(share, [])
    before = snapshot(share)
    (share / "a.py").read_bytes()
    assert snapshot(share) != before


def prepare(share, sources):
    for src in sources:
        if src.is_dir():
            shutil.copytree(src, share / src.name)
        else:
            share.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, share / src.name)
    for dirpath, dirnames, filenames in os.walk(share, topdown=False):
        for name in filenames + dirnames:  # folders too: listing one must not move its atime (issue 12, item 8)
            path = os.path.join(dirpath, name)
            os.utime(path, (OLD, os.stat(path).st_mtime))


def crawl_and_compare(tmp_path, share):
    before = snapshot(share)
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "inv.db"), "crawl", str(share), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    after = snapshot(share)
    assert set(after) == set(before), f"new or vanished files: {set(after) ^ set(before)}"
    changed = [p for p in before if before[p] != after[p]]
    assert not changed, f"changed by the crawl: {changed}"
    return len(before)


def test_demo_share_is_untouched(tmp_path):
    from conftest import SAMPLES

    share = tmp_path / "share"
    prepare(share, [p for p in (SAMPLES / "share").iterdir()])
    assert crawl_and_compare(tmp_path, share) > 10


def test_corpus_workbooks_and_databases_are_untouched(tmp_path, corpus):
    share = tmp_path / "share"
    prepare(share, [corpus / "excel", corpus / "access"])
    assert crawl_and_compare(tmp_path, share) > 40  # no .ldb/.laccdb, no byte or timestamp changed


def make_links(tmp_path):
    """A share with every kind of symbolic link, each link's own atime set in the past."""
    share, outside = tmp_path / "share", tmp_path / "outside"
    (share / "Quality" / "sub").mkdir(parents=True)
    outside.mkdir()
    (share / "Quality" / "tool.py").write_text("import pyodbc\n")
    (share / "Quality" / "sub" / "deep.py").write_text("x = 1\n")
    (outside / "far.py").write_text("y = 2\n")
    links = {"Misc/broken_link.xlsm": "/nonexistent/target.xlsm", "Quality/inner_link.py": "tool.py",
             "Quality/outer_link.py": str(outside / "far.py"), "Quality/outer_dir": str(outside),
             "Quality/inner_dir": "sub", "Quality/notes_link.txt": "tool.py"}
    (share / "Misc").mkdir()
    for name, target in links.items():
        os.symlink(target, share / name)
    for dirpath, dirnames, filenames in os.walk(share, topdown=False):
        for name in filenames + dirnames:  # each link's own times, not its target's
            path = os.path.join(dirpath, name)
            os.utime(path, (OLD, os.lstat(path).st_mtime), follow_symlinks=False)
    return share, [share / name for name in links]


def link_times(links):
    return {str(p): (os.lstat(p).st_atime_ns, os.lstat(p).st_mtime_ns) for p in links}


def test_the_check_sees_a_link_followed(tmp_path):
    """Guard: on this file system following a link (a stat through it) moves the link's own atime."""
    share, links = make_links(tmp_path)
    before = link_times(links)
    os.stat(share / "Quality" / "inner_link.py")
    assert link_times(links) != before


@pytest.mark.skipif(os.geteuid() != 0, reason="only the owner or root may put a link's access time back")
def test_links_keep_their_access_time(tmp_path):
    """A dangling link, links in and out of the root, to files and folders, and a link that is no
    candidate: crawled (and their targets read where they are inside the root), every link keeps
    its own access time (a crawl as root moved Misc/broken_link.xlsm's)."""
    share, links = make_links(tmp_path)
    state = snapshot(share)  # (its isdir/isfile follow links: the links' times are set again below)
    for link in links:
        os.utime(link, (OLD, os.lstat(link).st_mtime), follow_symlinks=False)
    before = link_times(links)
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "inv.db"), "crawl", str(share), "--jobs", "2",
                                       "-f", "json", "-o", str(tmp_path / "r.json")])
    assert link_times(links) == before
    assert result.exit_code == 0, result.output
    assert snapshot(share) == state
    import json

    report = json.loads((tmp_path / "r.json").read_text())
    seen = {a["relpath"]: a["status"] for a in report["artifacts"]}
    assert seen["Quality/inner_link.py"] == "analyzed" and seen["Quality/sub/deep.py"] == "analyzed"
    assert seen["Misc/broken_link.xlsm"] == "unsupported" and seen["Quality/outer_link.py"] == "unsupported"
    assert "Quality/inner_dir/deep.py" not in seen  # walked where it is, not through the link


def test_the_check_sees_a_folder_listing(tmp_path):
    """Guard: listing an old-atime folder the ordinary way does change its atime here."""
    share = tmp_path / "s"
    (share / "sub").mkdir(parents=True)
    (share / "sub" / "a.py").write_text("x = 1")
    prepare(share, [])
    before = snapshot(share)
    os.listdir(share / "sub")
    assert snapshot(share) != before


NOBODY = 65534


@pytest.mark.skipif(not hasattr(os, "fork") or os.geteuid() != 0, reason="needs root to drop privileges to nobody")
def test_a_non_owner_says_it_cannot_keep_access_times():
    """As nobody (not the owner) O_NOATIME is refused and times cannot be set back: the crawl
    and the report say on how many files, instead of changing them silently (issue 12, item 7)."""
    import json
    import tempfile

    from click.testing import CliRunner

    with tempfile.TemporaryDirectory() as tmp:
        base = __import__("pathlib").Path(tmp)
        base.chmod(0o777)
        share = base / "share"
        (share / "Quality").mkdir(parents=True)
        for n in range(3):
            (share / "Quality" / f"tool{n}.py").write_text(f"print({n})\n")
        prepare(share, [])
        db = base / "inv.db"
        out = base / "out.txt"
        import ctypes  # noqa: F401  (imported before the privileges go: the interpreter's own
        import multiprocessing.popen_fork  # noqa: F401  files may not be readable to nobody)

        import shadowscan.analyzers.scripts  # noqa: F401

        pid = os.fork()
        if pid == 0:  # child: drop privileges and crawl
            code = 1
            try:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
                sys.stdout = open(out, "w")  # noqa: SIM115 (pytest replaced sys.stdout with its capture)
                main(["--db", str(db), "crawl", str(share), "--jobs", "1"], standalone_mode=False)
                code = 0
            finally:
                sys.stdout.flush()
                os._exit(code)
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0, out.read_text() if out.exists() else "no output"
        summary = out.read_text()
        report = json.loads(CliRunner().invoke(main, ["--db", str(db), "report", "-f", "json"]).output)
    assert "cannot preserve access times on" in summary, summary
    assert report["summary"]["access_times_not_kept"] == 3
    assert all("not the file's owner" in a["facts"]["access_time"] for a in report["artifacts"])

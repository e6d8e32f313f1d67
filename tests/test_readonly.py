"""Scanning never changes a byte or a timestamp on the share and leaves no file behind."""
import hashlib
import os
import shutil

from click.testing import CliRunner

from shadowscan.cli import main

OLD = 946684800  # 2000-01-01: older than mtime, so a normal (relatime) read would update atime


def snapshot(root):
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            digest = None
            if os.path.isfile(path) and not os.path.islink(path):
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
    for dirpath, _, filenames in os.walk(share):
        for name in filenames:
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

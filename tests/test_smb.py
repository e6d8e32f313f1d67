"""SMB shares against a real Samba server on 127.0.0.1 (tests/sambaserver.py).

The server serves one tree (the demo share, a few corpus files, a folder the Samba
accounts may not read) as ``share`` (user ``scanner``, writable) and ``public`` (guests,
read-only), and a ``scratch`` folder for the tests that change files. The crawls run the
real command line in a subprocess, as a user would type it.
"""
from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest
import sambaserver
from conftest import CORPUS, REPO, SAMPLES
from sambaserver import PASSWORD, USER, Share

from shadowscan import analysis, scan
from shadowscan.model import Kind, Limits
from shadowscan.pool import WorkerPool
from shadowscan.readfile import TooLarge
from shadowscan.sources import Problem, SourceOptions, source_for
from shadowscan.sources.smb import SmbSource, _dropped, _within, parse, server_of
from shadowscan.store import Store

pytestmark = pytest.mark.slow  # real servers, browsers or whole crawls: `-m "not slow"` skips them

PASSWORD_ENV = "SHADOWSCAN_SMB_PASSWORD"
CORPUS_FILES = ("excel/oletools/excel4_sample_macro.xls", "excel/oletools/encrypted.xlsm",
                "excel/oletools/autostart-encrypt-standardpassword.xlsm", "access/jackcess/testV1997.mdb")


class Setup:
    def __init__(self, server: sambaserver.Samba, tree: Path, scratch: Path) -> None:
        self.server, self.tree, self.scratch = server, tree, scratch
        self.port = str(server.port)

    def url(self, share: str, sub: str = "") -> str:
        return self.server.url(share, sub)

    def options(self, **kw) -> SourceOptions:
        return SourceOptions(**{"username": USER, "password": PASSWORD, "port": self.server.port, **kw})


@pytest.fixture(scope="session")
def samba():
    why = sambaserver.unavailable()
    if why:
        pytest.skip(why)
    base = sambaserver.world_readable_tmpdir("shadowscan-smbtest-")
    tree, scratch, workdir = base / "tree", base / "scratch", base / "smbd"
    shutil.copytree(SAMPLES / "share", tree)
    for rel in CORPUS_FILES if (CORPUS / "MANIFEST.tsv").is_file() else ():
        (tree / "Corpus").mkdir(exist_ok=True)
        shutil.copy2(CORPUS / rel, tree / "Corpus" / Path(rel).name)
    denied = tree / "Restricted"
    denied.mkdir()
    (denied / "payroll.py").write_text("cur.execute(\"UPDATE Payroll SET Amount = Amount * 1.1\")\n")
    denied.chmod(0)  # root's: neither the Samba user nor guests may list it
    scratch.mkdir()
    workdir.mkdir()
    sambaserver.give_to_samba_user(tree, keep=(denied,))
    sambaserver.give_to_samba_user(scratch)
    server = sambaserver.serve(Share("share", tree), Share("public", tree, guest=True), Share("scratch", scratch),
                               workdir=workdir)
    server.start()
    try:
        yield Setup(server, tree, scratch)
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def cli(db: Path, *args: str, password: str | None = None, **kw) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    env["PYTHONPATH"] = str(REPO)
    if password is not None:
        env[PASSWORD_ENV] = password
    if "stdout" not in kw and "stderr" not in kw:
        kw["capture_output"] = True
    return subprocess.run([sys.executable, "-m", "shadowscan.cli", "--db", str(db), *args], text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=180, **kw)


def report_json(db: Path) -> dict:
    out = cli(db, "report", "-f", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def report(db: Path) -> list[dict]:
    return report_json(db)["artifacts"]


def inventory(artifacts: list[dict]) -> dict[str, tuple]:
    return {a["relpath"]: (a["kind"], a["status"], a["classification"], a["size"], a["sha256"], tuple(a["impacts"]),
                           a["risk_score"], tuple(sorted(f["rule"] for f in a["findings"]))) for a in artifacts}


def snapshot(root: Path) -> dict[str, tuple]:
    """Content hash, mtime, mode and extended attributes of everything (atime: see test docstring)."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest() if os.path.isfile(path) else None
            xattrs = {a: os.getxattr(path, a) for a in os.listxattr(path)}
            state[os.path.relpath(path, root)] = (digest, st.st_mtime_ns, st.st_mode, st.st_uid, xattrs)
    return state


@pytest.fixture(scope="module")
def crawls(samba, tmp_path_factory):
    """A user crawl over SMB exactly as typed, and a local crawl of the same tree, with the tree's state around both."""
    tmp = tmp_path_factory.mktemp("smbcrawl")
    before = snapshot(samba.tree)
    smb = cli(tmp / "smb.db", "crawl", samba.url("share"), "--port", samba.port, "--username", USER, "--jobs", "2",
              password=PASSWORD)
    assert smb.returncode == 3, smb.stdout + smb.stderr  # the user may not list Restricted: coverage incomplete
    assert "Coverage incomplete: //127.0.0.1/share was scanned in part: 1 folder could not be listed" in smb.stderr
    local = cli(tmp / "local.db", "crawl", str(samba.tree), "--jobs", "2")
    assert local.returncode == 0, local.stdout + local.stderr
    return {"smb": smb, "smb_db": tmp / "smb.db", "local_db": tmp / "local.db", "before": before,
            "after": snapshot(samba.tree)}


def test_user_crawl_finds_what_a_local_crawl_finds(samba, crawls):
    assert "Crawl 1 finished" in crawls["smb"].stdout
    smb, local = report(crawls["smb_db"]), report(crawls["local_db"])
    assert all(a["path"].startswith("//127.0.0.1/share/") and a["root"] == "//127.0.0.1/share" for a in smb)
    ours, theirs = inventory(smb), inventory(local)
    assert len(ours) >= 20 and any(k.endswith(".mdb") for k in ours)  # the demo share's Access databases
    assert any(k.startswith("Corpus/") for k in ours) == (CORPUS / "MANIFEST.tsv").is_file()
    # the one difference: root reads the folder locally; the Samba user may not list it
    assert "Restricted" not in ours  # a folder it could not list is no artifact: it is listed as not scanned
    (restricted,) = report_json(crawls["smb_db"])["unscanned"]
    assert (restricted["relpath"], restricted["status"]) == ("Restricted", "unreadable")
    assert theirs.pop("Restricted/payroll.py")[1] == "analyzed"
    assert ours == theirs
    mtimes = {a["relpath"]: a["mtime"] for a in local}
    assert all(abs(a["mtime"] - mtimes[a["relpath"]]) < 1e-6 for a in smb if a["relpath"] in mtimes)


def test_access_denied_folder_is_recorded_with_the_reason(crawls):
    (denied,) = report_json(crawls["smb_db"])["unscanned"]
    assert denied["path"] == "//127.0.0.1/share/Restricted" and denied["status"] == "unreadable"
    assert "cannot list folder" in denied["reason"] and "STATUS_ACCESS_DENIED" in denied["reason"]
    assert "1 folder could not be listed" in crawls["smb"].stderr


def test_the_share_is_untouched(crawls):
    """Same bytes, mtimes, modes, owners and xattrs; no file added. (atime is the server's to keep:
    Samba reads with an ordinary read, so SMB cannot promise it the way O_NOATIME does locally.)"""
    assert set(crawls["after"]) == set(crawls["before"]), set(crawls["after"]) ^ set(crawls["before"])
    assert crawls["after"] == crawls["before"]


def test_password_never_shows(samba, crawls, tmp_path):
    db = crawls["smb_db"]
    texts = [crawls["smb"].stdout, crawls["smb"].stderr, cli(db, "report", "-f", "json").stdout,
             cli(db, "report", "-f", "csv").stdout]
    blobs = [p.read_bytes() for p in db.parent.glob(db.name + "*")] + [samba.server.logs()]
    assert all(PASSWORD not in t for t in texts)
    assert all(PASSWORD.encode() not in b and PASSWORD.encode("utf-16-le") not in b for b in blobs)
    bad = cli(tmp_path / "bad.db", "crawl", samba.url("share"), "--port", samba.port, "-U", USER,
              password="wrong-" + PASSWORD)
    assert bad.returncode == 3 and "1 root not reached" in bad.stdout  # exit 3: the root could not be opened
    assert "//127.0.0.1/share could not be reached" in bad.stderr and "nothing under it was scanned" in bad.stderr
    (root,) = report_json(tmp_path / "bad.db")["unscanned"]
    assert "cannot open the crawl root" in root["reason"] and "logon" in root["reason"].lower()
    assert PASSWORD not in bad.stdout + bad.stderr + json.dumps(root)
    assert repr(samba.options()).count(PASSWORD) == 0


def _read_tty(fd: int, sink: list[bytes]) -> None:
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the other side is closed
            return
        if not data:
            return
        sink.append(data)


def test_guest_crawl_with_progress_on_a_terminal(samba, crawls, tmp_path):
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))  # 160 columns
    sink: list[bytes] = []
    reader = threading.Thread(target=_read_tty, args=(master, sink))
    reader.start()
    try:
        guest = cli(tmp_path / "guest.db", "crawl", samba.url("public"), "--port", samba.port, "--jobs", "2",
                    stdout=subprocess.PIPE, stderr=slave)
    finally:
        os.close(slave)
        reader.join(timeout=10)
        os.close(master)
    progress = b"".join(sink).decode(errors="replace")
    assert guest.returncode == 3, progress  # a guest may not list Restricted either
    assert "listed" in progress and "files/s" in progress  # the live progress line, as for local paths
    assert "Crawl 1 finished" in guest.stdout
    assert inventory(report(tmp_path / "guest.db")) == inventory(report(crawls["smb_db"]))  # nobody may not list it either


def sneak_edit(path: Path) -> None:
    """Change the content but keep size and mtime."""
    st = path.stat()
    path.write_bytes(path.read_bytes()[::-1])
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_incremental_recrawl_over_smb(samba, tmp_path):
    folder = samba.scratch / "inc"
    folder.mkdir()
    (folder / "keep.py").write_text('cur.execute("UPDATE Lots SET Status = \'FAIL\'")\n')
    (folder / "edit.py").write_text("print('hello')\n")
    (folder / "gone.sql").write_text("SELECT 1;\n")
    db, url = tmp_path / "inc.db", samba.url("scratch", "inc")
    args = ("crawl", url, "--port", samba.port, "-U", USER, "--jobs", "1")
    first = cli(db, *args, password=PASSWORD)
    assert "3 new" in first.stdout, first.stdout + first.stderr
    before = {a["relpath"]: a for a in report(db)}

    (folder / "edit.py").write_text("import requests\nrequests.post(url)\n")
    os.utime(folder / "edit.py", (1, 1))
    (folder / "gone.sql").unlink()
    (folder / "new.bat").write_text("copy a b\n")
    sneak_edit(folder / "keep.py")  # a re-crawl that read it would see a new hash
    second = cli(db, *args, password=PASSWORD)
    assert "1 new, 1 changed, 1 unchanged, 1 removed" in second.stdout, second.stdout + second.stderr
    after = {a["relpath"]: a for a in report(db)}
    assert after["keep.py"]["sha256"] == before["keep.py"]["sha256"]  # not read again
    assert after["keep.py"]["classification"] == "shadow-it"
    assert after["edit.py"]["sha256"] != before["edit.py"]["sha256"]
    assert "writes.web" in json.dumps(after["edit.py"]["findings"])
    assert set(after) == {"keep.py", "edit.py", "new.bat"}
    with Store(str(db)) as store:
        assert store.removed(store.crawl()["id"], [url]) == [f"{url}/gone.sql"]


def test_timeout_and_a_dying_worker_over_smb(samba, tmp_path, monkeypatch):
    """Workers are forked: each reads over SMB on a connection of its own, also the one that replaces a dead one."""
    folder = samba.scratch / "pool"
    folder.mkdir()
    for name in ("boom.py", "ok.py", "slow.py"):
        (folder / name).write_text(f"print({name!r})\n")
    real = analysis.analyzer_for

    def analyzer_for(kind: Kind):
        inner = real(kind)

        def analyze(path, fmt, limits, **kw):
            if path.endswith("slow.py"):
                time.sleep(60)
            if path.endswith("boom.py"):
                os.kill(os.getpid(), signal.SIGKILL)
            return inner(path, fmt, limits, **kw)
        return dataclasses.replace(inner, analyze=analyze)

    monkeypatch.setattr(analysis, "analyzer_for", analyzer_for)
    options = scan.CrawlOptions(jobs=1, limits=Limits(timeout=2.0), source=samba.options())
    with Store(str(tmp_path / "pool.db")) as store:
        list(source_for(samba.url("scratch"), options.source).walk(samba.url("scratch", "pool"), ()))  # parent connected
        scan.run_crawl([samba.url("scratch", "pool")], store, options)
        rows = {r["relpath"]: dict(r) for r in store.artifacts(store.crawl()["id"])}
    assert rows["boom.py"]["status"] == "analyzer-crashed" and "SIGKILL" in rows["boom.py"]["status_reason"]
    assert rows["slow.py"]["status"] == "timeout"
    assert rows["ok.py"]["status"] == "analyzed"
    assert rows["ok.py"]["sha256"] == hashlib.sha256(b"print('ok.py')\n").hexdigest()


def _ports(source: SmbSource) -> set[int]:
    return {c.transport._sock.getsockname()[1] for kw in source._open for c in kw["connection_cache"].values()}


def _read_in_child(path: str, options: SourceOptions) -> tuple[bytes, set[int]]:
    source = source_for(path, options)
    return source.read_bytes(path, 1 << 20), _ports(source)  # type: ignore[arg-type]


def test_a_forked_worker_never_uses_the_parents_connection(samba):
    path = samba.url("share", "Quality/lot_release.py")
    source = source_for(path, samba.options())
    expected = source.read_bytes(path, 1 << 20)
    parent = _ports(source)  # type: ignore[arg-type]
    assert parent
    with WorkerPool(1, 30, 0) as pool:
        ((_, (data, child)),) = list(pool.map(iter([("k", _read_in_child, (path, samba.options()))])))
    assert data == expected and child and not child & parent
    assert source.read_bytes(path, 1 << 20) == expected and _ports(source) == parent  # the parent's still works


def test_reconnects_once_after_a_dropped_connection(samba):
    source = SmbSource("127.0.0.1", samba.options())
    path = samba.url("share", "Quality/lot_release.py")
    expected = source.read_bytes(path, 1 << 20)
    (port,) = _ports(source)
    os.kill(samba.server.connection_pids()[port], signal.SIGKILL)  # the smbd process serving this connection
    time.sleep(0.2)
    assert source.read_bytes(path, 1 << 20) == expected
    assert port not in _ports(source)
    assert "Quality/lot_release.py" in {c.relpath for c in source.walk(samba.url("share"), ())
                                        if not isinstance(c, Problem)}
    source.close()


def test_vanished_and_unreadable_files_become_reasons(samba):
    folder = samba.scratch / "gone"
    folder.mkdir()
    (folder / "a.py").write_text("x = 1\n")
    (folder / "locked.py").write_text("x = 2\n")
    os.chmod(folder / "locked.py", 0)  # root's: the Samba user may list it but not read it
    options = samba.options()
    found = {c.relpath: c for c in source_for(samba.url("scratch"), options).walk(samba.url("scratch", "gone"), ())}
    (folder / "a.py").unlink()
    _, vanished = analysis.analyze_file(found["a.py"], Limits(), options)
    assert vanished.status.value == "unreadable" and "vanished" in vanished.reason
    _, denied = analysis.analyze_file(found["locked.py"], Limits(), options)
    assert denied.status.value == "unreadable" and "permission denied" in denied.reason
    assert "STATUS_ACCESS_DENIED" in denied.reason


def test_size_cap_and_private_copies(samba):
    source = source_for(samba.url("share"), samba.options())
    path = samba.url("share", "Quality/Final_Test_Limits_Line2.xlsm")
    data = (samba.tree / "Quality" / "Final_Test_Limits_Line2.xlsm").read_bytes()
    with pytest.raises(TooLarge):
        source.read_bytes(path, 1000)
    with source.local_file(path, 1 << 20) as copy:
        assert Path(copy).read_bytes() == data and not copy.startswith(str(samba.tree))
    assert not os.path.exists(copy) and not os.path.exists(os.path.dirname(copy))
    assert hashlib.sha256(source.read_bytes(path, 1 << 20)).hexdigest() == hashlib.sha256(data).hexdigest()
    assert source.exists(path) and not source.exists(path + ".nope")


def test_unc_and_slash_paths_give_the_same_relpaths(samba):
    assert parse(r"\\FS01\Quality\Line 2") == parse("//fs01/Quality/Line 2") == parse("\\\\fs01/Quality\\Line 2\\")
    assert parse("//fs01/q/a").unc == r"\\fs01\q\a" and server_of(r"\\FS01\q") == "fs01"
    with pytest.raises(ValueError):
        parse("//fs01")
    source = source_for(samba.url("share"), samba.options())
    slash = sorted(c.relpath for c in source.walk(samba.url("share", "Quality"), ()))
    backslash = sorted(c.relpath for c in source.walk(r"\\127.0.0.1\share\Quality", ()))
    assert slash == backslash and "SPC/spc_limits.R" in slash
    (single,) = source.walk(samba.url("share", "Quality/lot_release.py"), ())
    assert (single.relpath, single.root) == ("lot_release.py", samba.url("share", "Quality"))
    (missing,) = source.walk(samba.url("nosuchshare"), ())
    assert isinstance(missing, Problem) and "no such share" in missing.reason
    assert [c.relpath for c in source.walk(samba.url("share"), ("Quality", "Finance", "Production", "Maintenance",
                                                                 "Corpus"))] == ["Restricted"]


def test_share_offline_after_a_good_crawl(crawls, tmp_path):
    """The same share, later offline (a closed port): exit 3, the report says it could not be reached,
    and the artifacts of the good crawl stay as last seen, not re-checked, instead of "removed"."""
    db = tmp_path / "offline.db"
    shutil.copy(crawls["smb_db"], db)
    good = report(db)
    out = cli(db, "crawl", "//127.0.0.1/SHARE/", "--port", str(sambaserver.free_port()))  # typed differently
    assert out.returncode == 3, out.stdout + out.stderr
    assert "//127.0.0.1/share could not be reached" in out.stderr and "removed" not in out.stdout
    after = report(db)
    kept = {a["relpath"]: a for a in after if a["change"] == "not-rechecked"}
    assert set(kept) == {a["relpath"] for a in good} and all(a["last_checked"] == 1 for a in kept.values())
    full = json.loads(cli(db, "report", "-f", "json").stdout)
    assert full["coverage"]["complete"] is False and full["changes"]["removed"] == []
    assert full["summary"]["shadow-it"] == sum(a["classification"] == "shadow-it" for a in good)


def test_an_unreachable_server_is_a_problem_not_a_crash():
    port = sambaserver.free_port()  # nobody listens there
    (problem,) = SmbSource("127.0.0.1", SourceOptions(port=port)).walk("//127.0.0.1/share", ())
    assert isinstance(problem, Problem) and f"cannot connect to 127.0.0.1:{port}" in problem.reason


def test_register_and_sign_off_a_tool_on_the_share(samba, tmp_path):
    """The engineer's workflow on a share path, as typed: register, sign off, crawl sees it registered."""
    db, url = tmp_path / "reg.db", samba.url("share", "Production/OEE_Dashboard.xlsm")
    smb = ("--port", samba.port, "--username", USER)
    reg = cli(db, "register", url, "--owner", "Piotr Zielinski", "--function", "production", "--purpose", "OEE charts",
              "--platform", "excel", "--data-access", "read-only", "--product-owner", "Anna Nowak",
              "--cost-center", "K-200", "--review-every", "90", *smb, password=PASSWORD)
    assert reg.returncode == 0, reg.stdout + reg.stderr
    assert "Registered //127.0.0.1/share/Production/OEE_Dashboard.xlsm" in reg.stdout
    sign = cli(db, "signoff", url, "--by", "Anna Nowak", *smb, password=PASSWORD)
    assert sign.returncode == 0, sign.stdout + sign.stderr
    crawl = cli(db, "crawl", samba.url("share", "Production"), *smb, password=PASSWORD)
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    oee = next(a for a in report(db) if a["relpath"] == "OEE_Dashboard.xlsm")
    assert oee["registered"] and oee["registry_match"] == "registered" and oee["signoff"] == "valid"
    assert oee["action"] == "allow and monitor"
    missing = cli(db, "register", samba.url("share", "Production/nope.xlsm"), "--owner", "A B", "--function",
                  "production", "--purpose", "x", "--platform", "excel", "--data-access", "read-only", *smb,
                  password=PASSWORD)
    assert missing.returncode != 0 and "not a known artifact" in missing.stderr


def test_a_logon_that_never_answers_is_given_up_as_a_dropped_connection():
    """smbprotocol waits on a session setup without a timeout; a logon is run for a bounded time, then
    its connection is closed and the error is one a reconnect handles (no crawl hangs on a dead server)."""
    release = threading.Event()
    started = time.monotonic()
    with pytest.raises(ConnectionResetError) as caught:
        _within(0.3, release.wait, {})
    assert time.monotonic() - started < 5 and _dropped(caught.value) and "no answer to the logon" in str(caught.value)
    release.set()
    assert _within(5, lambda: 42, {}) == 42
    with pytest.raises(ValueError):
        _within(5, lambda: int("x"), {})

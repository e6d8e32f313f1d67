"""Hostile and broken inputs, generated here: each ends in the inventory with a status and a
reason, the crawl finishes, nothing leaks. (Issue 7; the soak variant is behind --soak.)"""
import io
import json
import os
import random
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixtures.office import VbaModule, build_vba_project, write_workbook
from shadowscan.analysis import analyze_file
from shadowscan.analyzers import excel, excel_file, scripts
from shadowscan.cli import main
from shadowscan.model import Candidate, Kind, Limits, Status
from shadowscan.rules.engine import scan_text

REPO = Path(__file__).resolve().parent.parent


def good_workbook(path, code='Sub Main()\n    MsgBox "hi"\nEnd Sub\n'):
    write_workbook(path, sheets={"S": [["a"]]}, vba_modules=[VbaModule("Main", code)])
    return path


def bomb(path, member="xl/worksheets/sheet1.xml", size=300 * 1024 * 1024):
    """A valid-looking package whose one member inflates to ``size`` bytes of zeros."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open(member, "w", force_zip64=True) as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(size >> 20):
                f.write(chunk)
    return path


def nested_xml(path, depth=30_000):
    """XML nested ``depth`` levels, with varied tag names so it is not refused as a zip bomb first."""
    rng = random.Random(7)
    tags = [f"t{rng.getrandbits(40):x}" for _ in range(depth)]
    doc = "".join(f"<{t}>" for t in tags) + "".join(f"</{t}>" for t in reversed(tags))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", doc)
        z.writestr("xl/macrosheets/sheet1.xml", doc)
    return path


def corrupt_vba_project(path):
    good = good_workbook(path.with_name("good.xlsm"))
    out = io.BytesIO()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/vbaProject.bin":
                data = data[:512] + bytes(range(256)) * 8 + data[2560:]
            dst.writestr(item, data)
    good.unlink()
    path.write_bytes(out.getvalue())
    return path


def make_hostile_share(root: Path) -> dict[str, set[str]]:
    """Every bad case of issue 7, and the statuses each may end in."""
    root.mkdir(parents=True)
    expected: dict[str, set[str]] = {}

    def add(name, statuses, data=None, maker=None):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if maker:
            maker(path)
        else:
            path.write_bytes(data)
        expected[name] = statuses

    whole = good_workbook(root / "ok.xlsm").read_bytes()
    expected["ok.xlsm"] = {"analyzed"}
    project = build_vba_project([VbaModule("Main", "Sub A()\nEnd Sub\n")])
    add("truncated.xlsm", {"corrupt"}, whole[: len(whole) // 3])
    add("truncated_ole.xls", {"corrupt"}, project[: len(project) // 3])
    add("random.xlsm", {"corrupt"}, os.urandom(4096))
    add("random.xls", {"corrupt"}, os.urandom(4096))
    add("empty.xlsm", {"not-an-artifact"}, b"")
    add("empty.py", {"not-an-artifact"}, b"")
    add("blank.ps1", {"not-an-artifact"}, b"\xef\xbb\xbf  \r\n\t\n")
    # nothing but NULs: the content was lost (a failed copy or sync), a damaged tool, never "no tool"
    add("lost.ps1", {"corrupt"}, b"\xef\xbb\xbf  \r\n\t\x00\x00\n")
    add("lost.xlsm", {"corrupt"}, b"\x00" * 65536)
    add("lost.py", {"corrupt"}, b"\x00" * 4096)
    add("bomb_sheet.xlsx", {"too-large"}, maker=bomb)
    add("bomb_strings.xlsm", {"too-large"}, maker=lambda p: bomb(p, "xl/sharedStrings.xml"))
    add("nested.xlsm", {"corrupt", "analyzed"}, maker=nested_xml)
    add("corrupt_vba.xlsm", {"corrupt", "analyzed"}, maker=corrupt_vba_project)
    add("utf16.ps1", {"analyzed"}, "\ufeffInvoke-Sqlcmd -Query 'UPDATE Lots SET Status=1'".encode("utf-16-le"))
    add("nuls.py", {"corrupt"}, b"import os\x00\x00\x00" * 200)
    add("latin1.vbs", {"analyzed"}, "' Prüfung \xff\xfe\n".encode("latin-1"))
    add("huge.sql", {"too-large"}, b"SELECT 1;\n" * 200_000)  # 2 MB, over the 1 MB cap used below
    name = os.fsencode(str(root)) + b"/bad_\xff\xfename.bat"
    with open(name, "wb") as f:
        f.write(b"copy a b\n")
    expected["bad_\\xff\\xfename.bat"] = {"analyzed"}
    deep = "d" * 200 + "/" + "e" * 200
    long_rel = "/".join([deep] * 8) + "/" + "x" * 200 + ".py"
    add(long_rel, {"analyzed"}, b"x = 1\n")
    # issue 16: the sandbox formats
    from fixtures.sandboxes import AppSource, PbiTable, msapp_bytes, write_notebook, write_powerbi

    app = msapp_bytes("A", [AppSource("T")], {"S": {"b": {"OnSelect": "Patch(T, Defaults(T), {x: 1})"}}})
    add("truncated.msapp", {"corrupt"}, app[: len(app) // 2])
    add("bomb.msapp", {"too-large"}, maker=lambda p: bomb(p, "Controls\\1.json"))
    add("bomb_solution.zip", {"too-large"}, maker=lambda p: bomb(p, "CanvasApps/x.msapp"))
    add("random.pbix", {"corrupt"}, os.urandom(4096))
    write_powerbi(root / "ok.pbit", [PbiTable("T", ["a"], 'let S = Csv.Document(File.Contents("x.csv")) in S')])
    whole_pbit = (root / "ok.pbit").read_bytes()
    expected["ok.pbit"] = {"analyzed"}
    add("truncated.pbit", {"corrupt"}, whole_pbit[: len(whole_pbit) // 2])
    add("bomb.pbit", {"too-large"}, maker=lambda p: bomb(p, "DataModelSchema"))
    add("huge_dashboard.json", {"too-large"},
        json.dumps({"title": "x", "schemaVersion": 39, "panels": [{"title": "p" * 100}] * 20_000}).encode())
    add("nested_dashboard.json", {"corrupt"}, b'{"schemaVersion": 39, "panels": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    add("broken_dashboard.json", {"corrupt"}, b'{"schemaVersion": 39, "panels": [{"title": "cut')
    add("malformed.ipynb", {"corrupt"}, b'{"cells": "not a list", "nbformat": 4}')
    add("truncated.ipynb", {"corrupt"}, b'{"cells": [{"cell_type": "code", "source": "x = ')
    add("nested.ipynb", {"corrupt"}, b"[" * 100_000 + b"]" * 100_000)
    add("empty.ipynb", {"not-an-artifact"}, b"")
    write_notebook(root / "ok.ipynb", [("code", "print(1)")])
    expected["ok.ipynb"] = {"analyzed"}
    # OpenDocument spreadsheets with Basic macros
    from fixtures.opendocument import BasicModule, odb_bytes, ods_bytes

    ods = ods_bytes([("S", [["a"]])], [BasicModule("M", 'Sub A\n  Kill "x"\nEnd Sub\n')])
    add("ok.ods", {"analyzed"}, ods)
    add("truncated.ods", {"corrupt"}, ods[: len(ods) // 2])
    add("bomb.ods", {"too-large"}, maker=lambda p: bomb(p, "content.xml"))
    add("nested.ods", {"corrupt", "analyzed"}, maker=nested_xml)
    add("random.ots", {"corrupt"}, os.urandom(4096))
    odb = odb_bytes(queries=[("q", "SELECT 1")])
    add("ok.odb", {"analyzed"}, odb)
    add("truncated.odb", {"corrupt"}, odb[: len(odb) // 2])
    (root / "loop").symlink_to(root)
    return expected


@pytest.mark.slow  # a whole crawl: `-m "not slow"` skips it
def test_every_hostile_file_gets_a_status_and_reason(tmp_path):
    share = tmp_path / "share"
    expected = make_hostile_share(share)
    db = tmp_path / "inv.db"
    result = CliRunner().invoke(main, ["--db", str(db), "crawl", str(share), "--max-size", "1MB", "--jobs", "2",
                                       "--timeout", "60", "--memory", "1024"])
    assert result.exit_code == 4, result.output  # too-large files: the crawl's own limit stopped their analysis
    rows = {r[0]: (r[1], r[2]) for r in sqlite3.connect(db).execute("SELECT relpath, status, status_reason FROM artifacts")}
    passed = {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM passed")}
    for name, statuses in list(expected.items()):
        if statuses == {"not-an-artifact"}:  # an empty file is no tool: remembered, not inventoried
            assert name not in rows and name in passed, name
            del expected[name]
            continue
        assert name in rows, f"{name} missing from the inventory"
        status, reason = rows[name]
        assert status in statuses, f"{name}: {status} ({reason})"
        if status != "analyzed":
            assert len(reason) > 15, f"{name}: reason {reason!r} is not one a person can act on"
    assert len(rows) == len(expected), sorted(set(rows) - set(expected))
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _as_every_kind(tmp_path, stem, content):
    """(extension, analysis) of ``content`` saved under every extension the crawl analyses."""
    from shadowscan.kinds import KINDS, kind_of

    for ext in sorted(KINDS):
        path = tmp_path / f"{stem}.{ext}"
        path.write_bytes(content)
        kind, fmt = kind_of(path.name)
        yield ext, analyze_file(Candidate(str(path), str(tmp_path), path.name, kind, fmt, len(content), 0.0),
                                Limits())[1]


@pytest.mark.parametrize("content", [b"", b"  \r\n\t\n", b"\xef\xbb\xbf\n\n", b"\xff\xfe \x00\n\x00"])
def test_an_empty_file_of_any_kind_is_no_artifact(tmp_path, content):
    """0 bytes, or only whitespace and a byte-order mark: no tool, whatever its name says
    (an empty ``.py`` was "citizen development, reads and shows data" and counted among the tools)."""
    for ext, analysis in _as_every_kind(tmp_path, "empty", content):
        assert analysis.status is Status.NOT_AN_ARTIFACT and "empty file" in analysis.reason, (ext, analysis)


@pytest.mark.parametrize("content", [b"\x00" * 4096, b"\n\x00\x00 \x00", b"\xff\xfe\x00\x00\x00\x00"])
def test_a_file_of_nothing_but_nul_bytes_is_a_damaged_tool(tmp_path, content):
    """A failed copy or sync leaves a file of NULs at its old size: its content was lost. It stays in
    the inventory as corrupt with a reason, for every kind, never dropped as "no tool" (a crawl would
    then report the tool removed and its coverage complete)."""
    for ext, analysis in _as_every_kind(tmp_path, "lost", content):
        assert analysis.status is Status.CORRUPT and "NUL bytes" in analysis.reason, (ext, analysis)


def test_a_file_with_content_after_blank_lines_is_read(tmp_path):
    path = tmp_path / "late.py"
    path.write_bytes(b"\n" * 5000 + b"import pyodbc\n")
    _, analysis = analyze_file(Candidate(str(path), str(tmp_path), path.name, Kind.SCRIPT, "py", 5014, 0.0), Limits())
    assert analysis.status is Status.ANALYZED


def test_vanished_file_is_unreadable_not_a_crash(tmp_path):
    path = tmp_path / "gone.xlsm"
    candidate = Candidate(str(path), str(tmp_path), "gone.xlsm", Kind.EXCEL, "xlsm", 10, 0.0)
    _, analysis = analyze_file(candidate, Limits())
    assert analysis.status is Status.UNREADABLE and "vanished" in analysis.reason


NOBODY = 65534


def crawl_as_nobody(share: Path, db: Path) -> int:
    """Run the crawl in a forked child that dropped root privileges (modules already imported)."""
    import multiprocessing.popen_fork  # noqa: F401  (imported before the privileges go: nobody may not read

    import shadowscan.analyzers.scripts  # noqa: F401   the stdlib here, and run alone no test had imported it)

    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            main(["--db", str(db), "crawl", str(share), "--jobs", "1", "--quiet"], standalone_mode=False)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


@pytest.mark.skipif(not hasattr(os, "fork") or os.geteuid() != 0, reason="needs root to drop privileges to nobody")
def test_unreadable_files_and_folders_as_an_unprivileged_user():
    with tempfile.TemporaryDirectory() as tmp:  # not under pytest's tmp (0700 for root)
        base = Path(tmp)
        base.chmod(0o777)
        share = base / "share"
        (share / "open").mkdir(parents=True)
        (share / "closed").mkdir()
        (share / "open" / "fine.py").write_text("x = 1\n")
        (share / "open" / "secret.py").write_text("x = 2\n")
        (share / "closed" / "hidden.py").write_text("x = 3\n")
        (share / "open" / "secret.py").chmod(0)
        (share / "closed").chmod(0)
        db = base / "inv.db"
        assert crawl_as_nobody(share, db) == 3  # coverage incomplete: a folder and a file were not read
        rows = {r[0]: (r[1], r[2], r[3]) for r in
                sqlite3.connect(db).execute("SELECT relpath, kind, status, status_reason FROM artifacts")}
        unscanned = {r[0]: (r[1], r[2]) for r in
                     sqlite3.connect(db).execute("SELECT relpath, status, reason FROM unscanned")}
        (share / "closed").chmod(0o755)
    assert rows["open/fine.py"][1:] == ("analyzed", "")
    assert rows["open/secret.py"][1:] == ("unreadable", "permission denied; grant the scanning account read access")
    assert "closed" not in rows  # a folder is no artifact: the crawl records it as not scanned
    assert unscanned["closed"][0] == "unreadable" and "Permission denied" in unscanned["closed"][1]
    assert "closed/hidden.py" not in rows


# fuzzing: arbitrary input never raises out of an analyzer or the rules ------------------------
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(data=st.binary(max_size=4096), fmt=st.sampled_from(sorted(scripts.LANGUAGES)))
def test_fuzz_script_analyzer(tmp_path, data, fmt):
    analysis = scripts.analyze(str(tmp_path / f"f.{fmt}"), fmt, Limits(), data=data)
    # a .cls/.frm without VBA in it is no exported module (a LaTeX class); every other script is analysed
    allowed = (Status.ANALYZED, Status.CORRUPT) + ((Status.NOT_AN_ARTIFACT,) if fmt in ("cls", "frm") else ())
    assert analysis.status in allowed


@FUZZ
@given(text=st.text(max_size=2000), language=st.sampled_from(["vba", "python", "powershell", "batch", "sql", "r",
                                                              "vbscript", "xlm", "text"]))
def test_fuzz_rules(text, language):
    for finding in scan_text(text, language, "x"):
        assert finding.evidence


@FUZZ
@given(data=st.binary(max_size=4096), prefix=st.sampled_from([b"", b"PK\x03\x04", excel_file.OLE_MAGIC]))
def test_fuzz_excel_prechecks(tmp_path, data, prefix):
    analysis = excel.analyze(str(tmp_path / "f.xlsm"), "xlsm", Limits(), data=prefix + data)
    assert analysis.status in set(Status) and (analysis.status is Status.ANALYZED or analysis.reason)


@FUZZ
@given(members=st.lists(st.tuples(st.sampled_from(["xl/workbook.xml", "xl/connections.xml", "xl/vbaProject.bin",
                                                   "xl/macrosheets/sheet1.xml", "docProps/core.xml"]),
                                  st.binary(max_size=512)), max_size=5, unique_by=lambda m: m[0]))
def test_fuzz_zip_packages(tmp_path, members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members:
            z.writestr(name, data)
    analysis = excel.analyze(str(tmp_path / "f.xlsm"), "xlsm", Limits(), data=out.getvalue())
    assert analysis.status in set(Status) and (analysis.status is Status.ANALYZED or analysis.reason)


def test_files_deleted_or_replaced_while_the_crawl_runs(tmp_path):
    """Listed, then deleted, enlarged past the cap or rewritten before analysis: each gets the
    status its content has when it is read, and the crawl finishes."""
    from shadowscan.scan import CrawlOptions, run_crawl
    from shadowscan.store import Store

    share = tmp_path / "share"
    share.mkdir()
    for n in range(40):
        (share / f"report_{n:02}.py").write_text(f"print('report {n}')\n")
    order = [name for name in os.listdir(share)]  # the order the crawl lists them in
    gone, grown, rewritten = (share / order[-1]), (share / order[-2]), (share / order[-3])
    seen: list[str] = []

    def meddle(artifact) -> None:  # after the first verdict, before the last files are read
        seen.append(artifact.candidate.relpath)
        if len(seen) == 1:
            gone.unlink()
            grown.write_text("x = 1\n" * 2000)  # 12 KB, over the 4 KB cap
            rewritten.write_text('cur.execute("UPDATE Lots SET Disposition = \'REJECT\' WHERE cpk < 1.33")\n')

    with Store(str(tmp_path / "inv.db")) as store:
        result = run_crawl([str(share)], store, CrawlOptions(limits=Limits(max_file_size=4096), jobs=1), meddle)
        rows = {r["relpath"]: r for r in store.db.execute("SELECT relpath, status, status_reason, classification "
                                                          "FROM artifacts")}
    assert result.total == 40 and not result.interrupted
    assert order[0] not in (gone.name, grown.name, rewritten.name) and seen[0] != gone.name
    assert rows[gone.name]["status"] == "unreadable" and "vanished" in rows[gone.name]["status_reason"]
    assert rows[grown.name]["status"] == "too-large" and "cap" in rows[grown.name]["status_reason"]
    assert rows[rewritten.name]["classification"] == "shadow-it"
    assert sum(r["status"] == "analyzed" for r in rows.values()) == 38


# Issue 12, item 9: bounded time on hostile text ------------------------------------------------
@pytest.mark.slow  # timed on large hostile input: `-m "not slow"` skips it
@pytest.mark.parametrize("piece", ["a", "a1", "a-", "pass", "0x0f", ".Open ", "select ", "open(", "auth=(",
                                   '"pwd"="', '("x").text="', "set x=", "Env:a ", 'GetBytes("a:'])
def test_rules_and_redaction_take_linear_time(piece):
    """Quadratic patterns took 2-7 s per language on 40,000 characters of a repeated piece. Not a
    speed test (those are benchmarks): the growth of CPU time from 10,000 to 40,000 characters
    must be linear (4x), far from quadratic (16x); best of three, so a busy machine cannot fail it."""
    import time

    from shadowscan.redact import redact

    def cost(run, size: int) -> float:
        text = (piece * (size // len(piece) + 1))[:size]
        best = float("inf")
        for _ in range(3):
            start = time.process_time()
            run(text)
            best = min(best, time.process_time() - start)
        return max(best, 0.002)  # below the clock's resolution, growth cannot be measured (nor be a hang)

    for name, run in [("redact", redact)] + [(lang, lambda t, lang=lang: scan_text(t, lang, "x"))
                                              for lang in ("vba", "sql", "python")]:
        small, large = cost(run, 10_000), cost(run, 40_000)
        assert large / small < 9, f"{name} on {piece!r}: {small:.3f} s -> {large:.3f} s for 4x the input"


def _crawl_one_analysed(tmp_path, share) -> set[str]:
    """Crawl a share of one file (20 s timeout): it must end analysed; returns its rule ids."""
    db = tmp_path / "inv.db"
    result = CliRunner().invoke(main, ["--db", str(db), "crawl", str(share), "--jobs", "1", "--timeout", "20"])
    assert result.exit_code == 0, result.output
    status, reason = sqlite3.connect(db).execute("SELECT status, status_reason FROM artifacts").fetchone()
    assert status == "analyzed", reason
    return {r[0] for r in sqlite3.connect(db).execute("SELECT rule FROM analysis_findings UNION SELECT rule FROM findings")}


@pytest.mark.slow  # a whole crawl: `-m "not slow"` skips it
def test_a_hex_literal_of_300_kb_is_analysed_not_timed_out(tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    (share / "load.sql").write_text("INSERT INTO Blobs VALUES (0x" + "0f1e2d3c" * 40_000 + ");\n"
                                    "UPDATE Kosten SET Betrag = Betrag * 1.1 WHERE Jahr = 2024;\n")
    rules = _crawl_one_analysed(tmp_path, share)
    assert "writes.sql" in rules


@pytest.mark.slow  # real processes and timeouts: `-m "not slow"` skips it
def test_a_recorded_timeout_is_not_rerun_on_an_unchanged_file(tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    (share / "slow.sql").write_text("UPDATE Kosten SET x = 1 WHERE id = 7;\n" * 8000)  # about 1.5 s of analysis
    db = tmp_path / "inv.db"

    def crawl(*extra):
        result = CliRunner().invoke(main, ["--db", str(db), "crawl", str(share), "--jobs", "1", "--quiet", *extra])
        con = sqlite3.connect(db)
        crawl_id, seconds = con.execute("SELECT id, seconds FROM crawls ORDER BY id DESC LIMIT 1").fetchone()
        row = con.execute("SELECT status, change FROM artifacts WHERE crawl_id = ?", (crawl_id,)).fetchone()
        assert result.exit_code == (4 if row[0] == "timeout" else 0), result.output  # a timeout is exit status 4
        return row, seconds

    assert crawl("--timeout", "0.2")[0] == ("timeout", "new")
    (status, change), seconds = crawl("--timeout", "0.2")
    assert (status, change) == ("timeout", "unchanged") and seconds < 0.2  # reused, not waited for again
    assert crawl("--timeout", "0.2", "--full")[0][0] == "timeout"  # --full does try again
    assert crawl("--timeout", "60")[0][0] == "analyzed"  # so does a longer timeout


# Issue 12, items 14 and 16: CR injection in CSV; control and bidi characters shown escaped ------
BIDI = "x\u202egpj.py"  # shows as "xyp.jpg" where U+202E is rendered raw
TERMINAL = "esc\x1b[31mred\x07.py"
RAW = ("\u202e", "\x1b", "\x07", "\r")


def make_spoofing_share(share: Path) -> None:
    share.mkdir()
    (share / "\r=2+3.py").write_text("cur.execute(\"UPDATE Lots SET Status = 'FAIL'\")\n")
    (share / BIDI).write_text("print(1)\n")
    (share / TERMINAL).write_text("print(2)\n")
    write_workbook(share / "book.xlsm", sheets={"S": [["a"]]}, vba_modules=[VbaModule("M", "Sub A()\nEnd Sub\n")],
                   properties={"creator": "ok\r=2+3", "last_modified_by": "\r=1+4\u202e", "title": "\x1b]0;pwned\x07"})


def test_no_output_carries_raw_control_or_bidi_characters(tmp_path):
    """A CR cannot split a CSV row (LibreOffice ends rows at a bare CR), and ESC, BEL and
    U+202E from names and properties are shown as escapes in every format."""
    from conftest import crawl_and_report

    share = tmp_path / "share"
    make_spoofing_share(share)
    formats = ("html", "json", "csv", "csv-findings", "xlsx", "sarif", "migration")
    out = crawl_and_report(tmp_path, share, formats, tmp_path / "out" / "r", jobs=1).parent
    texts = {}
    for path in out.rglob("*"):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as package:
                texts.update({f"{path.name}:{n}": package.read(n).decode() for n in package.namelist()})
        elif path.is_file():
            texts[path.name] = path.read_text(encoding="utf-8")
    assert len(texts) > 10
    for name, text in texts.items():
        for char in RAW:
            assert char not in text, f"{name} carries {char!r} raw"
    html = texts["r.html"]
    assert "x\\\\u202egpj.py" in html or "x\\u202egpj.py" in html  # shown, escaped
    for name in ("r.csv", "r-findings.csv") if "r-findings.csv" in texts else ("r.csv",):
        rows = texts[name].splitlines()  # splitlines() ends lines at CR as LibreOffice does
        assert len(rows) == len(list(__import__("csv").reader(io.StringIO(texts[name])))), name
        for row in __import__("csv").reader(rows):
            assert not any(c.startswith(("=", "+", "-", "@")) for c in row), row
    report = json.loads(texts["r.json"])
    assert any(a["relpath"] == BIDI for a in report["artifacts"])  # the data itself is unchanged


@pytest.mark.slow  # a whole crawl: `-m "not slow"` skips it
@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_progress_line_shows_escapes_not_terminal_controls(tmp_path):
    import subprocess
    import sys

    share = tmp_path / "share"
    share.mkdir()
    (share / TERMINAL).write_text("print(2)\n")
    (share / BIDI).write_text("print(1)\n")
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "shadowscan.cli", "--db", str(tmp_path / "inv.db"), "crawl",
                             str(share), "--jobs", "1"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=slave, env={**os.environ, "PYTHONPATH": str(REPO)})
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert proc.wait() == 0
    os.close(master)
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert "\\x1b[31mred\\x07.py" in shown or "x\\u202egpj.py" in shown  # a name is shown, escaped
    assert "\x07" not in shown and "\x1b[31m" not in shown and "\u202e" not in shown


# Issue 12, items 11, 15 and 18: the registry is data ---------------------------------------------
def _entry(**changes):
    entry = {"id": 1, "path": "/srv/share/tool.py", "kind": "script", "fingerprint": "lf1:" + "a" * 64,
             "sha256": "b" * 64, "owner": "Anna Nowak", "function": "quality", "purpose": "SPC charts",
             "platform": "python", "data_access": "read-only", "product_owner": "Jan Kowalski",
             "contributors": ["IT"], "cost_center": "K-1", "review_every": 90, "scale_decision": "Plant manager",
             "registered_at": "2026-01-01T00:00:00+00:00",
             "signoffs": [{"signed_by": "Jan Kowalski", "signed_at": "2026-01-02T00:00:00+00:00", "sha256": None,
                           "fingerprint": "lf1:" + "a" * 64, "note": None}]}
    entry.update(changes)
    return {"schema": "shadowscan/registry-v1", "entries": [entry]}


BAD_IMPORTS = [
    (_entry(owner=42), "$.entries[0].owner"),
    (_entry(purpose=["a", "b"]), "$.entries[0].purpose"),
    (_entry(id=1e30), "$.entries[0].id"),
    (_entry(sha256={"x": 1}), "$.entries[0].sha256"),
    (_entry(contributors="IT, Maintenance"), "$.entries[0].contributors"),
    (_entry(fingerprint=None), "$.entries[0].fingerprint"),
    (_entry(path="../../../../etc/passwd"), "$.entries[0].path"),
    (_entry(path="/srv/share/../../etc/passwd"), "$.entries[0].path"),
    (_entry(signoffs=[{"signed_by": None, "signed_at": "2026-01-02", "fingerprint": "lf1:" + "a" * 64}]),
     "$.entries[0].signoffs[0].signed_by"),
    (_entry(owner="IT"), "$.entries[0]"),  # the policy still applies after the schema
]


@pytest.mark.parametrize("data,where", BAD_IMPORTS, ids=[w + str(n) for n, (_, w) in enumerate(BAD_IMPORTS)])
def test_registry_import_is_validated_whole(tmp_path, data, where):
    db = str(tmp_path / "inv.db")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_entry()))
    runner = CliRunner()
    assert runner.invoke(main, ["--db", db, "registry", "import", str(good)]).exit_code == 0
    before = runner.invoke(main, ["--db", db, "registry", "export"]).output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    result = runner.invoke(main, ["--db", db, "registry", "import", str(bad)])
    assert result.exit_code != 0 and result.exception is None or isinstance(result.exception, SystemExit)
    assert where in result.output and "not changed" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert runner.invoke(main, ["--db", db, "registry", "export"]).output == before


def test_registry_import_of_a_deep_array_is_one_line(tmp_path):
    bad = tmp_path / "deep.json"
    bad.write_text('{"schema": "shadowscan/registry-v1", "entries": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "inv.db"), "registry", "import", str(bad)])
    assert result.exit_code == 2 and "Traceback" not in result.output and "not changed" in result.output


def test_a_signoff_without_a_signer_is_not_valid(tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    tool = share / "spc.py"
    tool.write_text("import matplotlib\nplt.plot(values)\n")
    db = str(tmp_path / "inv.db")
    runner = CliRunner()
    result = runner.invoke(main, ["--db", db, "register", str(tool), "--owner", "Anna Nowak", "--function", "quality",
                                  "--purpose", "SPC charts", "--platform", "python", "--data-access", "read-only"])
    assert result.exit_code == 0, result.output
    con = sqlite3.connect(db)
    fingerprint = con.execute("SELECT fingerprint FROM registry").fetchone()[0]
    with con:  # what an older import stored for "signed_by": null
        con.execute("INSERT INTO signoffs (registry_id, signed_by, signed_at, fingerprint) VALUES (1, 'None', "
                    "'2026-01-02T00:00:00+00:00', ?)", (fingerprint,))
    assert runner.invoke(main, ["--db", db, "crawl", str(share), "--quiet", "--jobs", "1"]).exit_code == 0
    registry, = con.execute("SELECT registry FROM artifacts").fetchone()
    assert json.loads(registry)["signoff"] == "missing"
    rules = {r[0] for r in con.execute("SELECT rule FROM findings")}
    assert "governance.no-signoff" in rules


def test_a_registry_path_on_another_host_is_never_contacted(tmp_path):
    """An imported entry naming //127.0.0.1/x/spc.py with the fingerprint of a file on the share:
    the crawl must not open a connection to that host (a listener counts the attempts)."""
    import socket
    import threading

    share = tmp_path / "share"
    share.mkdir()
    (share / "spc.py").write_text("import matplotlib\nplt.plot(values)\n")
    db = str(tmp_path / "inv.db")
    runner = CliRunner()
    assert runner.invoke(main, ["--db", db, "crawl", str(share), "--quiet", "--jobs", "1"]).exit_code == 0
    fingerprint = sqlite3.connect(db).execute("SELECT fingerprint FROM artifacts").fetchone()[0]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    contacts: list[object] = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            contacts.append(conn)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    reg = tmp_path / "reg.json"
    reg.write_text(json.dumps(_entry(path="//127.0.0.1/x/spc.py", fingerprint=fingerprint, signoffs=[])))
    assert runner.invoke(main, ["--db", db, "registry", "import", str(reg)]).exit_code == 0
    try:
        result = runner.invoke(main, ["--db", db, "crawl", str(share), "--quiet", "--jobs", "1", "--full",
                                      "--port", str(port)])
    finally:
        stop.set()
        thread.join()
        listener.close()
    assert result.exit_code == 0, result.output
    assert not contacts, "the crawl contacted the host of a registry path"
    con = sqlite3.connect(db)
    registry, = con.execute("SELECT registry FROM artifacts WHERE crawl_id = 2").fetchone()
    assert json.loads(registry)["registry_match"] == "moved"


# Issue 12, items 4 and 13: special files and links out of the root --------------------------------
def test_special_files_are_recorded_never_opened(tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    os.mkfifo(share / "x.xlsm")  # opening it for reading would block the crawl
    (share / "y.py").symlink_to(share / "gone.py")
    (share / "z.ps1").symlink_to("/dev/zero")  # reading it would never end
    expected = {"x.xlsm": "named pipe", "y.py": "does not exist", "z.ps1": "outside the crawl root"}
    if os.geteuid() == 0:
        os.mknod(share / "d.py", 0o644 | __import__("stat").S_IFCHR, os.makedev(1, 5))
        expected["d.py"] = "character device"
    db = tmp_path / "inv.db"
    result = CliRunner().invoke(main, ["--db", str(db), "crawl", str(share), "--jobs", "1", "--timeout", "10"])
    assert result.exit_code == 0, result.output
    rows = {r[0]: (r[1], r[2]) for r in sqlite3.connect(db).execute("SELECT relpath, status, status_reason FROM artifacts")}
    assert set(rows) == set(expected), rows
    for name, words in expected.items():
        assert rows[name][0] == "unsupported" and words in rows[name][1], (name, rows[name])
    # with --follow-links, /dev/zero is still a device: recorded, never opened
    result = CliRunner().invoke(main, ["--db", str(db), "crawl", str(share), "--follow-links", "--jobs", "1",
                                       "--timeout", "10"])
    rows = {r[0]: (r[1], r[2]) for r in sqlite3.connect(db).execute(
        "SELECT relpath, status, status_reason FROM artifacts WHERE crawl_id = 2")}
    assert rows["z.ps1"][0] == "unsupported" and "character device" in rows["z.ps1"][1]


def test_links_out_of_the_root_are_not_followed_unless_asked(tmp_path):
    outside = tmp_path / "elsewhere"
    (outside / "deep").mkdir(parents=True)
    (outside / "post.py").write_text("cur.execute(\"UPDATE Kosten SET x = 1\")\n")
    (outside / "deep" / "inner.py").write_text("print(1)\n")
    share = tmp_path / "share"
    share.mkdir()
    (share / "own.py").write_text("print(2)\n")
    (share / "post.py").symlink_to(outside / "post.py")
    (share / "other").symlink_to(outside / "deep")
    (share / "inside.py").symlink_to(share / "own.py")  # stays in the root: read as usual
    db = tmp_path / "inv.db"

    def crawl(*extra):
        result = CliRunner().invoke(main, ["--db", str(db), "crawl", str(share), "--jobs", "1", "--quiet", *extra])
        assert result.exit_code == 0, result.output
        con = sqlite3.connect(db)
        crawl_id = con.execute("SELECT MAX(id) FROM crawls").fetchone()[0]
        return {r[0]: (r[1], r[2]) for r in con.execute(
            "SELECT relpath, status, status_reason FROM artifacts WHERE crawl_id = ? UNION ALL "
            "SELECT relpath, status, reason FROM unscanned WHERE crawl_id = ?", (crawl_id, crawl_id))}

    rows = crawl()
    assert rows["post.py"][0] == "unsupported" and str(outside / "post.py") in rows["post.py"][1]
    # a folder link is recorded as not scanned (no artifact), and coverage stays complete (exit 0)
    assert rows["other"][0] == "unsupported" and str(outside / "deep") in rows["other"][1]
    assert "other/inner.py" not in rows
    assert rows["inside.py"][0] == rows["own.py"][0] == "analyzed"
    rows = crawl("--follow-links")
    assert rows["post.py"][0] == "analyzed" and rows["other/inner.py"][0] == "analyzed"


# Issue 18: a sheet whose formatting reaches the last row and column ------------------------------
@pytest.mark.slow  # a whole crawl
def test_a_sheet_formatted_to_the_last_cell_is_read_by_its_cells_not_its_dimension(tmp_path):
    """Formatting over whole rows and columns declares the dimension A1:XFD1048576 while the
    XML holds a handful of cells. Reading formulas through ``iter_rows`` walked every empty
    cell of that range (a real 234 KB dashboard took more than 280 s and timed out); the
    formulas are read from the cells the sheet holds, with the same findings."""
    share = tmp_path / "share"
    share.mkdir()
    write_workbook(share / "Dashboard.xlsm", formatted_to="XFD1048576",
                   sheets={"Checks": [["Part", "Value", "USL", "Result"],
                                      ["P-1", 5, "=B2+3*0.1", '=IF(B2>C2,"FAIL","PASS")']]},
                   vba_modules=[VbaModule("Main", "Sub Refresh()\n    Calculate\nEnd Sub")])
    with zipfile.ZipFile(share / "Dashboard.xlsm") as archive:
        assert b'<dimension ref="A1:XFD1048576"/>' in archive.read("xl/worksheets/sheet1.xml")
    rules = _crawl_one_analysed(tmp_path, share)
    assert {"quality.decision", "quality.computes-limits"} <= rules


def test_every_byte_changed_in_a_macro_workbook_ends_with_a_status(tmp_path):
    """Single-byte damage anywhere in an .xlsm (zip headers, deflate data of the parts, the VBA
    project) ends as a status with a reason from the analyzer, never an exception (zlib's own
    errors and unsupported compression included)."""
    path = tmp_path / "book.xlsm"
    write_workbook(path, sheets={"Preise": [["Artikel", "Preis"], ["A1", 12.5]]},
                   vba_modules=[VbaModule("Main", 'Sub Post()\n  Range("B2").Value = Range("B2").Value * 1.19\nEnd Sub\n')])
    good = path.read_bytes()
    crashed = []
    for at in range(0, len(good), max(1, len(good) // 400)):
        data = good[:at] + bytes([good[at] ^ 0x5A]) + good[at + 1:]
        try:
            a = excel.analyze("book.xlsm", "xlsm", Limits(), data=data)
        except Exception as exc:  # what the pool would record as analyzer-crashed
            crashed.append((at, repr(exc)[:200]))
            continue
        assert a.status is Status.ANALYZED or a.reason, (at, a)
    assert not crashed, crashed[:5]


# Large scripts: an INSERT dump ----------------------------------------------------------------
ROW_SEPARATOR = ",\n"
_NAMES = ["Müller GmbH", "Schmidt & Söhne KG", "Nowak Sp. z o.o.", "García y Hijos", "Yilmaz A.Ş.", "ACME Corp."]


def insert_dump(rows: int, per_statement: int = 1) -> str:
    """A dump of a table of order lines: one INSERT a line as ``pg_dump --inserts`` writes it, or
    ``per_statement`` rows an INSERT, one a line, as ``mysqldump`` does."""
    rnd = random.Random(rows)
    head = ("CREATE TABLE public.order_lines (id integer, customer text, part text, quantity integer,\n"
            "    unit_price numeric(10,2), line_total numeric(12,2), order_date date, status text);\n")
    values = [f"({i}, '{rnd.choice(_NAMES)}', 'Lager 6204-{i % 97}', {i % 500 + 1}, {rnd.randint(5, 99999) / 100:.2f}, "
              f"{rnd.randint(5, 9999999) / 100:.2f}, '2024-{i % 12 + 1:02d}-11', '{rnd.choice(['open', 'shipped', 'closed'])}')"
              for i in range(rows)]
    return head + "".join(f"INSERT INTO public.order_lines VALUES {ROW_SEPARATOR.join(values[i:i + per_statement])};\n"
                          for i in range(0, rows, per_statement))


def _work(monkeypatch, text: str) -> tuple[int, int, list]:
    """(pattern searches, snippets made, findings) of scan_text over ``text`` as SQL."""
    import dataclasses

    from shadowscan.rules import engine

    counts = {"search": 0, "snippet": 0}

    class Counting:
        def __init__(self, pattern):
            self.inner, self.pattern = pattern, getattr(pattern, "pattern", None)

        def search(self, subject):
            counts["search"] += 1
            return self.inner.search(subject)

    checks = tuple((dataclasses.replace(rule, pattern=Counting(rule.pattern)), view, literals)
                   for rule, view, literals in engine._checks("sql"))
    real_snippet = engine.snippet

    def snippet(text):
        counts["snippet"] += 1
        return real_snippet(text)

    monkeypatch.setattr(engine, "_checks", lambda language: checks)
    monkeypatch.setattr(engine, "snippet", snippet)
    findings = scan_text(text, "sql", "script")
    monkeypatch.undo()
    return counts["search"], counts["snippet"], findings


@pytest.mark.slow  # runs the real CLI in other processes, or hundreds of generated inputs
def test_an_insert_dump_costs_the_rules_that_still_look_not_every_rule(monkeypatch):
    """A 20 MB INSERT dump took 52 s CPU, a 190 MB one ran into the crawl's timeout: every row ran
    every rule (non-ASCII rows skipped the literal pre-checks) and made a redacted snippet for
    evidence that was thrown away. Now snippets are made for kept evidence only (at most
    MAX_EVIDENCE a finding, whatever the length of the dump) and a rule with all its evidence is
    not run again: 1,500 rows more cost 3 searches a row (the two vocabulary rules, which have not
    found enough, and writes.sql, which a write correlation still needs), not one per rule."""
    from shadowscan.rules.engine import MAX_EVIDENCE, _rules_for

    small_searches, small_snippets, small = _work(monkeypatch, insert_dump(1500))
    large_searches, large_snippets, large = _work(monkeypatch, insert_dump(3000))
    assert [(f.rule, len(f.evidence)) for f in small] == [(f.rule, len(f.evidence)) for f in large]
    assert {"writes.sql", "financial.term"} <= {f.rule for f in large}
    assert large_snippets == small_snippets <= MAX_EVIDENCE * len(large)  # was one per matching row
    assert large_searches - small_searches <= 3 * 1500 < len(_rules_for("sql")) * 1500 // 4  # was one per rule a row


@pytest.mark.slow  # a whole crawl of an 8 MB file: `-m "not slow"` skips it
def test_a_large_insert_dump_is_analysed_within_the_timeout(tmp_path):
    """An 8 MB dump of multi-row INSERTs (mysqldump's default) with non-ASCII names: 31 s CPU
    before (3.9 s per MB; at 190 MB the crawl's 120 s timeout ended it), 14 s now. The crawl's own
    timeout is the check (60 s of wall clock, room for a loaded machine), not a measured time."""
    share = tmp_path / "share"
    share.mkdir()
    (share / "dump.sql").write_text(insert_dump(90_000, per_statement=100), encoding="utf-8")
    db = tmp_path / "inv.db"
    result = CliRunner().invoke(main, ["--db", str(db), "crawl", str(share), "--jobs", "1", "--timeout", "60"])
    assert result.exit_code == 0, result.output
    status, reason = sqlite3.connect(db).execute("SELECT status, status_reason FROM artifacts").fetchone()
    assert status == "analyzed", reason

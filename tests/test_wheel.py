"""The built wheel carries the templates: install it in a fresh venv and render a report there."""
import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # real servers, browsers or whole crawls: `-m "not slow"` skips them

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    # Built from a copy of the sources: setuptools' build/ folder in a working tree keeps
    # files of earlier builds (a module since moved out would slip into the wheel).
    source = tmp_path_factory.mktemp("src") / "shadowscan"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "out", "*.egg-info", "__pycache__", ".*_cache"))
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(source)],
                   check=True, capture_output=True)
    wheels = list(out.glob("shadowscan-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def test_wheel_contains_templates(wheel):
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "shadowscan/templates/report.html.j2" in names
    # Every module of the source tree is in the wheel (a subpackage missing from
    # setup.cfg's list once broke the installed command).
    source = {str(p.relative_to(REPO)) for p in (REPO / "shadowscan").rglob("*.py")}
    missing = sorted(source - set(names))
    assert not missing, f"not in the wheel: {missing}"


def test_wheel_leaves_the_fixture_writers_out(wheel):
    """The fixture writers (and their xlsxwriter import) are test-side: not in the wheel."""
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.startswith("fixtures/") or "/fixtures/" in n]


def test_plain_install_runs_every_command(wheel, tmp_path):
    """A plain `pip install` of the wheel (no extras, so no xlsxwriter) imports every module
    and runs every CLI command, from crawl to registry import."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    absent = subprocess.run([str(python), "-c", "import xlsxwriter"], capture_output=True)
    assert absent.returncode != 0, "xlsxwriter came with a plain install"
    every_module = ("import importlib, pkgutil, shadowscan\n"
                    "for m in pkgutil.walk_packages(shadowscan.__path__, 'shadowscan.'):\n"
                    "    importlib.import_module(m.name)\n")
    subprocess.run([str(python), "-c", every_module], check=True, capture_output=True, cwd=tmp_path)

    share = tmp_path / "share"
    share.mkdir()
    (share / "post.py").write_text('cur.execute("INSERT INTO Invoices VALUES (1)")\n')
    (share / "chart.py").write_text('import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()\n')
    exe = env_dir / "bin" / "shadowscan"
    db, html = tmp_path / "inv.db", tmp_path / "r.html"

    def run(*args: str) -> str:
        done = subprocess.run([str(exe), "--db", str(db), *args], capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 0, f"{args}: {done.stderr}"
        return done.stdout

    run("crawl", str(share), "--report", str(html), "--quiet")
    assert "post.py" in html.read_text()
    report = json.loads(run("report", "-f", "json"))
    assert {a["name"]: a["classification"] for a in report["artifacts"]}["post.py"] == "shadow-it"
    run("report", "-f", "xlsx", "-o", str(tmp_path / "r.xlsx"))
    assert "finished" in run("crawls")
    run("register", str(share / "chart.py"), "--owner", "Ann Owner", "--function", "production",
        "--purpose", "charts", "--platform", "python", "--data-access", "read-only", "--review-every", "90")
    run("signoff", "1", "--by", "Ann Owner")
    run("registry", "edit", "1", "--cost-center", "K-1", "--by", "Ann Owner")
    assert "K-1" in run("registry", "show", "1")
    assert "cost" in run("registry", "history", "1").lower()
    assert "chart.py" in run("registry", "list")
    exported = tmp_path / "registry.json"
    run("registry", "export", "-o", str(exported))
    run("review", str(share / "post.py"), "--verdict", "shadow-it", "--impacts", "financial",
        "--by", "Rev Iewer", "--reason", "posts invoices")
    assert "post.py" in run("reviews")
    run("registry", "remove", "1", "--by", "Ann Owner")
    run("registry", "import", str(exported), "--by", "Ann Owner")
    assert "chart.py" in run("registry", "list")
    run("crawl", str(share), "--quiet")
    run("prune", "--keep", "1")

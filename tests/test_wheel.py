"""The built wheel carries the templates: install it in a fresh venv and render a report there."""
import json
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
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO)],
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


def test_installed_wheel_renders_a_report(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    share = tmp_path / "share"
    share.mkdir()
    (share / "post.py").write_text('cur.execute("INSERT INTO Invoices VALUES (1)")\n')
    exe = env_dir / "bin" / "shadowscan"
    db, html = tmp_path / "inv.db", tmp_path / "r.html"
    run = subprocess.run([str(exe), "--db", str(db), "crawl", str(share), "--report", str(html)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "post.py" in html.read_text()
    report = subprocess.run([str(exe), "--db", str(db), "report", "-f", "json"], capture_output=True, text=True,
                            cwd=tmp_path, check=True)
    assert json.loads(report.stdout)["artifacts"][0]["classification"] == "shadow-it"

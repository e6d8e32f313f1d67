"""The README's newcomer commands run as written on the demo inventory.

Every ``sh`` block that follows a ``<!-- runs-on-demo -->`` marker is run, in order, in one
bash session from a folder laid out like a fresh clone after ``bash scripts/run demo``:
``samples/``, the virtualenv as ``.venv`` and the demo's inventory ``out/demo.db``."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # real servers, browsers or whole crawls: `-m "not slow"` skips them

REPO = Path(__file__).resolve().parent.parent
MARK = "<!-- runs-on-demo -->"


def blocks() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return [m.group(1) for m in re.finditer(re.escape(MARK) + r"\s*```sh\n(.*?)```", text, re.S)]


def demo_command() -> list[str]:
    """The crawl ``scripts/run demo`` runs, as it is written there."""
    line = next(line for line in (REPO / "scripts" / "run").read_text().splitlines() if "--db out/demo.db" in line)
    return line.strip().replace('"$VENV/bin/shadowscan"', "shadowscan").split()


def test_readme_commands_run_on_the_demo_inventory(tmp_path):
    found = blocks()
    assert len(found) >= 2, "the README's newcomer blocks are marked"
    assert any("source .venv/bin/activate" in b for b in found)
    venv = Path(sys.executable).parent.parent
    (tmp_path / ".venv").symlink_to(venv if (venv / "bin" / "activate").exists() else REPO / ".venv")
    (tmp_path / "samples").symlink_to(REPO / "samples")
    (tmp_path / "out").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("SHADOWSCAN_DB", "VIRTUAL_ENV")}
    env["PATH"] = "/usr/bin:/bin"  # shadowscan is not on PATH until the README's activation line
    demo = ["bash", "-c", "source .venv/bin/activate && " + " ".join(demo_command())]
    done = subprocess.run(demo, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    script = "set -eo pipefail\n" + "\n".join(found)
    out = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert (tmp_path / "out" / "inventory.json").is_file() and (tmp_path / "out" / "first.sarif").is_file()
    assert "high-risk tools found" in out.stdout
    assert not (tmp_path / "shadowscan.db").exists()  # everything went to the demo inventory

"""The code is lint-clean: ruff (settings in pyproject.toml) over the package and everything around it."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CHECKED = ("shadowscan", "tests", "benchmarks", "scripts", "fixtures", "samples/build.py")


def _ruff() -> list[str]:
    beside = Path(sys.executable).with_name("ruff")  # the virtualenv's own, installed by the test extra
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("ruff")
    if found is None:
        pytest.skip("ruff is in the test extra: pip install -e .[test]")
    return [found]


def test_ruff_finds_nothing():
    run = subprocess.run([*_ruff(), "check", "--no-cache", *CHECKED], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr

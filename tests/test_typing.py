"""The package type-checks (mypy, settings in setup.cfg): annotations are kept honest."""
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # mypy over the package from a cold cache takes ~10 s: `-m "not slow"` skips it
def test_mypy_finds_no_errors():
    pytest.importorskip("mypy", reason="mypy is in the test extra: pip install -e .[test]")
    run = subprocess.run([sys.executable, "-m", "mypy", "shadowscan"], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr

"""Issue 18: speed costs no truth. Every workbook of the demo share, the corpus and real-dev
is analysed exactly as before the speed work (status, reason, findings with their evidence,
facts, fingerprint): ``tests/data/excel-analyses.json`` holds a digest of each analysis made
by the code before it. Regenerate only for a change that is meant to alter results."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from shadowscan.analyzers import excel
from shadowscan.model import Limits

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
pytestmark = pytest.mark.slow  # every real workbook analysed, about 15 s: `-m "not slow"` skips it
EXPECTED = json.loads((ROOT / "tests" / "data" / "excel-analyses.json").read_text())


def _record(path: Path) -> str | None:
    analysis = excel.analyze(str(path), path.suffix.lower().lstrip("."), Limits())
    if not analysis.is_artifact:  # dropped by the crawl, as before the interface said so
        return None
    record = {"status": str(analysis.status), "reason": analysis.reason, "fp": analysis.fingerprint,
              "findings": [[f.rule, str(f.family), f.title, str(f.severity), str(f.impact),
                            [[e.location, e.line, e.snippet] for e in f.evidence]] for f in analysis.findings],
              "facts": json.loads(json.dumps(analysis.facts, default=str))}
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


def _file(key: str) -> Path:
    return (CORPUS / key[len("corpus/"):]) if key.startswith("corpus/") else ROOT / key


@pytest.mark.parametrize("group", ["samples/", "corpus/excel/", "corpus/real-dev/"])
def test_workbook_analyses_are_unchanged(group):
    keys = [k for k in EXPECTED if k.startswith(group)]
    if group.startswith("corpus/") and not CORPUS.is_dir():
        pytest.skip("the shared corpus (../shared/corpus) is not present")
    assert keys
    changed = [k for k in keys if _record(_file(k)) != EXPECTED[k]]
    assert not changed, f"analyses differ from before: {changed}"

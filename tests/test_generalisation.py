"""Rules describe behaviour, never a particular tool: no file name, path, hash, owner or
repository name of the labelled real-world sets appears in the rules or the vocabulary."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import CORPUS, REPO

RULE_FILES = sorted((REPO / "shadowscan" / "rules").rglob("*.*")) + [REPO / "shadowscan" / "classify.py"] + \
    sorted((REPO / "shadowscan" / "analyzers").glob("*.py"))


def _identifiers(labels: Path) -> set[str]:
    out: set[str] = set()
    with open(labels, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            out.add(row["sha256"].lower())
            out.add(Path(row["path"]).name.lower())
            out.add(Path(row["path"]).parent.name.lower())
            repo = row["source"].split("@", 1)[0]
            owner, _, name = repo.partition("/")
            out.update({owner.lower(), name.lower(), repo.lower()})
    return {i for i in out if len(i) >= 6}


def test_no_corpus_identity_in_rules():
    labels = CORPUS / "real-dev" / "LABELS.tsv"
    if not labels.is_file():
        pytest.skip(f"real-world development set not found at {labels}")
    identities = _identifiers(labels)
    for path in RULE_FILES:
        if path.suffix not in (".py", ".json", ".md"):
            continue
        text = path.read_text(encoding="utf-8").lower()
        leaked = sorted(i for i in identities if i in text)
        assert not leaked, f"{path.relative_to(REPO)} names corpus files or repositories: {leaked}"

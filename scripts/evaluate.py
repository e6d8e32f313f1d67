"""Measure the classifier against a labelled set of real tools.

    python scripts/evaluate.py [LABELS.tsv] [ROOT]

LABELS.tsv has the columns ``path`` (relative to ROOT), ``label`` (``shadow-it``,
``citizen-development`` or ``ambiguous``, which is not scored) and ``impacts``
(``financial``, ``quality``, both comma-separated, or ``none``); ROOT defaults to the
folder of LABELS.tsv, which defaults to ``../shared/corpus/real-dev/LABELS.tsv``. The
tool runs as a user runs it (``shadowscan crawl`` into a temporary inventory, then the
JSON report) and prints accuracy, shadow-IT recall and precision, impact agreement and
one line per miss with the reasons the tool gave.
"""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_LABELS = REPO.parent / "shared" / "corpus" / "real-dev" / "LABELS.tsv"


@dataclass
class Result:
    scored: int = 0
    correct: int = 0
    true_positives: int = 0
    false_negatives: int = 0
    false_positives: int = 0
    impacts_right: int = 0
    without_evidence: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    headlines: dict[str, tuple[str, str]] = field(default_factory=dict)  # relpath -> (class, headline)

    @property
    def accuracy(self) -> float:
        return self.correct / self.scored if self.scored else 0.0

    @property
    def recall(self) -> float:
        found = self.true_positives + self.false_negatives
        return self.true_positives / found if found else 0.0

    @property
    def precision(self) -> float:
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 0.0

    @property
    def impact_rate(self) -> float:
        return self.impacts_right / self.true_positives if self.true_positives else 0.0

    def table(self, title: str) -> str:
        tp, fn, fp = self.true_positives, self.false_negatives, self.false_positives
        return "\n".join([
            "| | accuracy | shadow-it recall | precision | impacts right |",
            "|---|---|---|---|---|",
            f"| {title}, {self.scored} scored files | {self.accuracy:.0%} ({self.correct}/{self.scored}) "
            f"| {self.recall:.0%} ({tp}/{tp + fn}) | {self.precision:.0%} ({tp}/{tp + fp}) "
            f"| {self.impact_rate:.0%} ({self.impacts_right}/{tp}) |",
        ])


def shadowscan() -> list[str]:
    exe = Path(sys.executable).with_name("shadowscan")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "shadowscan.cli"]


def crawl(root: Path) -> dict[str, dict]:
    """relpath -> artifact of the JSON report, from a real crawl into a throw-away inventory."""
    with tempfile.TemporaryDirectory(prefix="shadowscan-eval-") as tmp:
        db, out = os.path.join(tmp, "eval.db"), os.path.join(tmp, "eval.json")
        subprocess.run([*shadowscan(), "--db", db, "crawl", str(root), "--quiet"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        subprocess.run([*shadowscan(), "--db", db, "report", "-f", "json", "-o", out], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        with open(out, encoding="utf-8") as f:
            report = json.load(f)
    return {a["relpath"]: a for a in report["artifacts"]}


def _has_located_evidence(artifact: dict) -> bool:
    """A verdict cites a line, a cell, a table or a query for each impact-carrying finding."""
    decisive = [f for f in artifact["findings"] if f.get("impact")] or \
        [f for f in artifact["findings"] if f["rule"] == "financial.computes"]  # "a calculator" (classify.py)
    return bool(decisive) and all(
        any(ev.get("line") or ev["location"].startswith(("table ", "query ")) or "!" in ev["location"]
            for ev in f["evidence"]) for f in decisive)


def evaluate(labels: Path, root: Path) -> Result:
    with open(labels, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    artifacts = crawl(root)
    result = Result()
    result.headlines = {p: (a["classification"], a["headline"]) for p, a in artifacts.items()}
    for row in rows:
        label = row["label"]
        if label not in ("shadow-it", "citizen-development"):
            continue
        artifact = artifacts.get(row["path"])
        got = artifact["classification"] if artifact else "missing"
        result.scored += 1
        result.correct += got == label
        want_impacts = {i for i in row.get("impacts", "").split(",") if i and i != "none"}
        if label == "shadow-it" and got == "shadow-it":
            result.true_positives += 1
            result.impacts_right += set(artifact["impacts"]) == want_impacts  # type: ignore[index]
            if not _has_located_evidence(artifact):  # type: ignore[arg-type]
                result.without_evidence.append(row["path"])
        elif label == "shadow-it":
            result.false_negatives += 1
        elif got == "shadow-it":
            result.false_positives += 1
        if got != label:
            reasons = " | ".join((artifact or {}).get("reasons", [])[:2])[:300]
            result.misses.append(f"{row['path']}: labelled {label}, got {got}: {reasons}")
    return result


def main(argv: list[str]) -> int:
    labels = Path(argv[1]) if len(argv) > 1 else DEFAULT_LABELS
    root = Path(argv[2]) if len(argv) > 2 else labels.parent
    if not labels.exists():
        print(f"no labels at {labels}", file=sys.stderr)
        return 2
    result = evaluate(labels, root)
    print(result.table(root.name))
    for miss in result.misses:
        print("miss:", miss)
    for path in result.without_evidence:
        print("no located evidence:", path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

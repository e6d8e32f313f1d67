"""The report's summaries, tools and change lists, folded one artifact at a time and listed from the report's
scratch table (``reports/data.py``, ``families.Grouper``, ``spool.py``), equal a straightforward computation
over all the report's artifacts held at once (the functions below: how the report computed them before it
was made flat in memory).

The inventory is generated the way ``benchmarks/report.py`` makes it, through the project's own crawl,
``judge`` and ``Store.add``: the demo share, then two more roots of judged copies of its analyses spread
over departments, with file names repeated across folders, copies whose bytes differ, and every kind of
change.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES

from shadowscan import owners
from shadowscan.analysis import ENGINE
from shadowscan.model import Candidate, Kind
from shadowscan.registry import Registry
from shadowscan.registry_types import PLATFORM_OF_FORMAT
from shadowscan.reports import FORMATS
from shadowscan.reports.data import CHECKLIST, CLASSES, build
from shadowscan.reports.families import CLASS_ORDER, by_department, counts, tool_id
from shadowscan.reports.view import Tool
from shadowscan.scan import CrawlOptions, judge, run_crawl
from shadowscan.store import Store

DEPARTMENTS = ("Quality", "Finance", "Production", "Maintenance", "Lab")
COPIES = 240  # per generated root


# the straightforward computation: every artifact held ------------------------------------------
def _by_class(artifacts: Iterable[dict[str, Any]], key: str) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for a in artifacts:
        row = out.setdefault(a[key], {"total": 0, **{c: 0 for c in CLASSES}})
        row["total"] += 1
        row[a["classification"]] += 1
    return dict(sorted(out.items(), key=lambda kv: (-kv[1]["shadow-it"], -kv[1]["total"], kv[0])))


def summarize(artifacts: list[dict[str, Any]]) -> dict[str, Any]:
    classes = Counter(a["classification"] for a in artifacts)
    governed = [a for a in artifacts if a["kind"] != "folder"]
    registered = [a for a in governed if a["registered"]]
    shadow = [a for a in artifacts if a["classification"] == "shadow-it"]
    return {
        "total": len(artifacts),
        "shadow-it": classes.get("shadow-it", 0),
        "citizen-development": classes.get("citizen-development", 0),
        "unknown": classes.get("unknown", 0),
        "by_status": dict(sorted(Counter(a["status"] for a in artifacts).items())),
        "by_impact": dict(sorted(Counter(i for a in artifacts for i in a["impacts"]).items())),
        "by_impact_combined": dict(sorted(Counter(" + ".join(a["impacts"]) for a in shadow).items())),
        "by_kind": dict(sorted(Counter(a["kind"] for a in artifacts).items())),
        "in_sandbox": sum(1 for a in artifacts if a.get("sandbox")),
        "by_kind_class": _by_class(artifacts, "kind"),
        "by_department": _by_class(artifacts, "department"),
        "owners": {
            "artifacts": len(governed),
            "registered": len(registered),
            "business_owner": sum(a["checklist"]["business_owner"] for a in governed),
            "shadow_it_with_owner": sum(a["checklist"]["business_owner"] for a in shadow),
            "owner_hints_only": sum(1 for a in governed if not a["registered"]
                                    and owners.document_person(owners.hints_of(a["facts"])) is not None),
        },
        "governance": {
            "population": len(governed),
            **{key: sum(a["checklist"][key] for a in governed) for key, _ in CHECKLIST},
            "complete": sum(all(a["checklist"].values()) for a in governed),
            "with_gaps": sum(1 for a in governed if a["gaps"]),
        },
    }


def reviews(artifacts: list[dict[str, Any]]) -> dict[str, int]:
    current = [a["review"] for a in artifacts if a.get("review") and a["review"]["state"] == "current"]
    return {
        "reviewed": len(current),
        "overrules": sum(1 for r in current if r["overrules"]),
        "downgrades": sum(1 for r in current if r["analysis_classification"] == "shadow-it"
                          and r["verdict"] != "shadow-it"),
        "stale": sum(1 for a in artifacts if a.get("review") and a["review"]["state"] == "stale"),
    }


def key_of(a: dict[str, Any]) -> str:
    """The logic fingerprint, else identical bytes, else the path."""
    return f"fp:{a['fingerprint']}" if a.get("fingerprint") else f"sha:{a['sha256']}" if a.get("sha256") else \
        f"path:{a['path']}"


def ask(a: dict[str, Any]) -> dict[str, str]:
    role, name = owners.who_to_ask(owners.hints_of(a["facts"]), a.get("owner") if a.get("registered") else None,
                                   a["department"])
    return {"role": role, "name": name}


def group(artifacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One dict per tool, worst first, every copy listed."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for a in artifacts:
        by_key.setdefault(key_of(a), []).append(a)
    tools = []
    for key, copies in by_key.items():
        rep = min(copies, key=lambda a: (CLASS_ORDER.get(a["classification"], 3), -a["risk_score"],
                                         -(a.get("mtime") or 0), a.get("name") or a["relpath"]))
        names = Counter(a["relpath"].rsplit("/", 1)[-1] for a in copies)
        latest = max(copies, key=lambda a: (a.get("mtime") or 0, a["path"]))
        variants = len({a.get("sha256") for a in copies})
        tools.append({
            "tool_id": tool_id(key), "name": names.most_common(1)[0][0], "names": sorted(names),
            "kind": rep["kind"], "format": rep["format"], "classification": rep["classification"],
            "impacts": sorted({i for a in copies for i in a["impacts"]}), "risk_score": rep["risk_score"],
            "risk_factors": rep["risk_factors"], "action": rep["action"], "headline": rep["headline"],
            "copies": len(copies), "copies_differ": "identical" if variants == 1 else "in data only",
            "variants": variants, "departments": sorted({a["department"] for a in copies}),
            "representative": rep["path"],
            "last_changed": {"path": latest["path"], "name": latest.get("name") or latest["relpath"],
                             "mtime": latest.get("mtime")},
            "registered": sum(1 for a in copies if a["registered"]),
            "changed_without_signoff": sum(1 for a in copies if a["signoff"] == "stale"),
            "ask": ask(rep), "fingerprint": rep.get("fingerprint"),
            "locations": [{"path": a["path"], "name": a.get("name") or a["relpath"], "department": a["department"],
                           "mtime": a.get("mtime"), "change": a.get("change"), "sha256": a.get("sha256")}
                          for a in sorted(copies, key=lambda a: (-(a.get("mtime") or 0), a["path"]))],
        })
    tools.sort(key=lambda t: (CLASS_ORDER.get(t["classification"], 3), -t["risk_score"], -t["copies"], t["name"]))
    return tools


# the generated inventory ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("summaries")
    share = tmp / "share"
    shutil.copytree(SAMPLES / "share", share)
    db = tmp / "inv.db"
    with Store(str(db)) as store:
        run_crawl([str(share)], store, CrawlOptions(jobs=2))
        templates = [(row, store.analysis_of(row)) for row in store.artifacts(1)]
        registry, now = Registry(store.db), datetime.now(timezone.utc)
        for r, root in enumerate(("//fs01/plant", "//fs02/lab")):
            crawl_id = store.begin_crawl([root], {"generated": COPIES})
            started = time.monotonic()
            for i in range(COPIES):
                row, analysis = templates[(i * 7 + r) % len(templates)]
                stem, _, ext = row["relpath"].rsplit("/", 1)[-1].rpartition(".")
                # names repeat across folders (the most common name of a tool), folders make paths unique
                relpath = f"{DEPARTMENTS[i % len(DEPARTMENTS)]}/Line{i:04d}/{stem}_{i % 3}.{ext}"
                sha = row["sha256"] if i % 4 else hashlib.sha256(f"{i}".encode()).hexdigest()  # data differs
                candidate = Candidate(f"{root}/{relpath}", root, relpath, Kind(row["kind"]), row["format"],
                                      row["size"], 1_700_000_000 - (i * 7919 % 900) * 3600)
                platform = PLATFORM_OF_FORMAT.get(row["format"])
                if r == 0 and i % 6 == 0 and platform and analysis.fingerprint:  # some registered, in every state
                    entry = registry.register(
                        path=candidate.path, kind=row["kind"], fingerprint=analysis.fingerprint, sha256=sha, by="test",
                        owner="Anna Kowalska", function="quality", purpose="generated", platform=platform,
                        data_access="read-write", product_owner="Jan Nowak", contributors=[],
                        cost_center="4711" if i % 4 == 0 else None, review_every=90 if i % 5 else None)
                    if i % 12 == 0:
                        registry.signoff(entry, by="Jan Nowak", sha256=sha, fingerprint=analysis.fingerprint)
                    elif i % 18 == 0:  # signed off an earlier logic: changed without sign-off
                        registry.signoff(entry, by="Jan Nowak", sha256=None, fingerprint="0" * 64)
                artifact = judge(registry, candidate, sha, analysis, now)
                store.add(crawl_id, artifact, ("new", "changed", "unchanged", "new", "unchanged")[i % 5], ENGINE)
            store.end_crawl(crawl_id, "finished", started)
    return db


@pytest.mark.slow
def test_folded_summaries_equal_the_straightforward_computation(generated: Path) -> None:
    with Store(str(generated), readonly=True) as store:
        report = build(store)
    whole = [a.json() for a in report.artifacts]  # every artifact, whole, in report order, as the contract has it
    assert len(whole) == len(report.artifacts) == report.summary.total > 2 * COPIES
    assert len(report.crawls) == 3, "the demo share and both generated roots"
    summary = report.summary
    want = summarize(whole)
    assert {k: summary.json()[k] for k in want} == want
    assert summary.reviews.json() == reviews(whole)
    assert summary.access_times_not_kept == sum(1 for a in whole if a["facts"].get("access_time"))

    tools = group(whole)
    assert [t.json() for t in report.tools] == tools
    assert len({t["copies_differ"] for t in tools}) == 2 and any(len(t["names"]) < t["copies"] for t in tools)
    # the generated inventory exercises what is counted: registered copies, sign-offs valid and stale, gaps
    assert summary.owners.registered and summary.governance.signoff and summary.governance.cost_center
    assert summary.changes.changed_without_signoff and summary.governance.with_gaps
    typed = [Tool.of(t) for t in tools]
    assert summary.tools == counts(typed) and summary.by_department_tools == by_department(typed)

    by_change: dict[str, list[dict[str, Any]]] = {}
    for a in sorted(whole, key=lambda a: (a["crawl_id"], a["relpath"], a["path"])):  # part by part
        by_change.setdefault(a["change"], []).append(a)
    for key, change in (("new", "new"), ("changed", "changed"), ("not_rechecked", "not-rechecked")):
        assert list(getattr(report.changes, key)) == [a["path"] for a in by_change.get(change, [])]
        assert getattr(summary.changes, key) == len(by_change.get(change, []))
    assert summary.changes.unchanged == len(by_change["unchanged"])
    assert summary.changes.changed_without_signoff == sum(
        1 for a in whole if "changed without sign-off" in a["gaps"])
    # the migration plan is made from the same tools: one card per high-risk tool, its representative
    shadow = [t for t in tools if t["classification"] == "shadow-it"]
    assert sorted(c.tool_id for c in report.migration) == sorted(t["tool_id"] for t in shadow)
    assert all(c.path == next(t["representative"] for t in shadow if t["tool_id"] == c.tool_id)
               for c in report.migration)


@pytest.mark.slow
def test_the_json_report_lists_what_the_straightforward_computation_lists(generated: Path) -> None:
    """The streamed JSON carries the same tools (every copy), artifacts and change lists."""
    with Store(str(generated), readonly=True) as store:
        report = build(store)
    parsed = json.loads(FORMATS["json"].render(report))
    whole = [a.json() for a in report.artifacts]
    assert parsed["tools"] == json.loads(json.dumps(group(whole)))
    assert parsed["changes"]["new"] == [a["path"] for a in sorted(whole, key=lambda a: (a["crawl_id"], a["relpath"],
                                                                                          a["path"]))
                                        if a["change"] == "new"]
    assert [a["path"] for a in parsed["artifacts"]] == [a["path"] for a in whole]

"""Build the report dict from the inventory: the one input every output format reads.

Its shape is the public JSON contract ``shadowscan/report-v1`` (documented in README).
Formats never query the store or look at findings to decide anything: what a report
shows (headlines, governance gaps, changes since the previous crawl, the migration
backlog) is worked out here, once, and every format renders the same answer.
"""
from __future__ import annotations

import json
from collections import Counter
from typing import Any, Iterable

from ..classify import in_sandbox
from ..rules import catalogue
from ..registry import NOT_BUSINESS, Registry
from .. import coverage
from ..store import Store, pid_alive
from . import plan

SCHEMA = "shadowscan/report-v1"
CLASSES = ("shadow-it", "citizen-development", "unknown")
CHECKLIST = (  # POLICY.md "Ownership and sign-off", in the order the reports show it
    ("business_owner", "named business owner (not IT)"),
    ("signoff", "Product Owner sign-off of the current logic"),
    ("cost_center", "cost center that pays"),
    ("review_cadence", "review cadence, not overdue"),
)
TOP_LEVEL = "(top level)"


class NoCrawl(LookupError):
    """The inventory holds no crawl (or not the one asked for)."""


def _document_author(a: dict[str, Any]) -> bool:
    """The document names a person to ask (the file system's owner account does not count)."""
    hints = a["facts"].get("owner_hints") or {}
    return bool(hints.get("author") or hints.get("last_modified_by"))


def build(store: Store, crawl_id: int | None = None) -> dict[str, Any]:
    crawl = store.crawl(crawl_id)
    if crawl is None:
        raise NoCrawl("no crawl in this inventory yet: run `shadowscan crawl PATH` first"
                      if crawl_id is None else f"no crawl with id {crawl_id} in this inventory")
    registry = Registry(store.db)
    entries = {e.id: e.to_dict() for e in registry.entries()}
    artifacts = []
    changed: dict[str, list[str]] = {"new": [], "changed": [], "unchanged": []}
    for row in store.artifacts(crawl["id"]):
        findings = [{
            "rule": f["rule"], "family": f["family"], "title": f["title"], "severity": f["severity"],
            "impact": f["impact"], "evidence": json.loads(f["evidence"]),
        } for f in store.findings(row["id"])]
        artifact = {
            "path": row["path"], "root": row["root"], "relpath": row["relpath"], "kind": row["kind"],
            "format": row["format"], "size": row["size"], "mtime": row["mtime"], "sha256": row["sha256"],
            "fingerprint": row["fingerprint"],
            "status": row["status"], "status_reason": row["status_reason"],
            "classification": row["classification"], "impacts": json.loads(row["impacts"]),
            "risk_score": row["risk_score"], "risk_factors": [
                {"factor": name, "points": points} for name, points in json.loads(row["factors"])],
            "action": row["action"], "reasons": json.loads(row["reasons"]),
            "findings": findings, "facts": json.loads(row["facts"]),
            **_registry_fields(json.loads(row["registry"])),
            "department": department(row["relpath"]),
            "change": row["change"],
        }
        changed.setdefault(row["change"], []).append(row["path"])
        artifact["checklist"], artifact["gaps"] = checklist(artifact, entries.get(artifact["registry_id"]))
        # issue 16: a sanctioned platform that only reads is "in sandbox" (classify.in_sandbox decides)
        artifact["sandbox"] = in_sandbox(artifact["facts"].get("platform"), {f["family"] for f in findings},
                                         artifact["impacts"]) if artifact["classification"] == "citizen-development" else None
        artifact["headline"] = headline(artifact)
        review = artifact["review"]
        if review and review["state"] == "current" and review["overrules"]:
            artifact["headline"] = (f"Reviewed as {review['verdict']} by {review['by']} on {review['at'][:10]} "
                                    f"({review['reason']}); the analysis said {review['analysis_classification']}: "
                                    f"{artifact['headline']}")
        elif review and review["state"] == "stale":
            artifact["headline"] += f" Review by {review['by']} is stale: the logic changed since."
        artifact["structure"] = structure(artifact["facts"])
        artifacts.append(artifact)
    artifacts.sort(key=lambda a: (-a["risk_score"], a["relpath"]))
    roots = json.loads(crawl["roots"])
    state = crawl["state"]
    if state == "running" and not pid_alive(crawl["pid"], crawl["host"]):
        state = "stopped"  # killed, or failed where even its end could not be written
    rows = store.coverage(crawl["id"]) or [{"root": r, "state": "complete" if state == "finished" else "incomplete",
                                             "reason": None, "baseline": None, "unlisted": 0, "unreadable": 0,
                                             "not_rechecked": 0} for r in roots]
    covered = coverage.summarize(rows, state, crawl["reason"])
    by_root = {r["root"]: r for r in covered["roots"]}
    for a in artifacts:
        root = by_root.get(a["root"]) or next((r for r in covered["roots"] if r["root"] == a["path"]), None)
        a["coverage"] = root["sentence"] if root else ""
        if a["change"] == "not-rechecked":
            a["last_checked"] = store.last_checked(a["path"], crawl["id"])
            a["coverage"] = f"not re-checked in this crawl (last checked in crawl {a['last_checked']}): " + \
                a["coverage"]
            a["headline"] = f"Not re-checked in this crawl (as last seen in crawl {a['last_checked']}): " \
                            f"{a['headline']}"
    baselines = [r["baseline"] for r in rows if r.get("baseline")]
    previous = max(baselines) if baselines else None
    removed = _removed(store, crawl["id"])
    summary = summarize(artifacts)
    summary["changes"] = changes(artifacts, changed, removed, previous)
    # files whose access time this crawl's account could not preserve (not their owner)
    summary["access_times_not_kept"] = sum(1 for a in artifacts if a["facts"].get("access_time"))
    summary["coverage_complete"] = covered["complete"]
    summary["reviews"] = reviews(artifacts)
    return {
        "schema": SCHEMA,
        "crawl": {"id": crawl["id"], "roots": roots, "started": crawl["started"],
                  "finished": crawl["finished"], "state": state, "reason": crawl["reason"],
                  "seconds": crawl["seconds"], "previous": previous},
        "coverage": covered,
        "summary": summary,
        "artifacts": artifacts,
        "changes": {"previous_crawl": previous, "new": changed["new"], "changed": changed["changed"],
                    "not_rechecked": changed.get("not-rechecked", []), "removed": removed},
        "registry": list(entries.values()),
        "reviews": [r.to_dict() for r in registry.reviews()],
        "migration": plan.backlog(artifacts, crawl["started"]),
    }


def _registry_fields(state: dict[str, Any]) -> dict[str, Any]:
    return {"registered": bool(state.get("registered")), "registry_id": state.get("registry_id"),
            "owner": state.get("owner"), "signoff": state.get("signoff", "missing"),
            "registry_match": state.get("registry_match"), "review": state.get("review")}


def _removed(store: Store, crawl_id: int) -> list[dict[str, Any]]:
    out = []
    for row in store.removed_rows(crawl_id):
        out.append({"path": row["path"], "relpath": row["relpath"], "classification": row["classification"],
                     "last_crawl": store.last_checked(row["path"], crawl_id - 1)})
    return out


def change_of(report: dict[str, Any]) -> dict[str, str]:
    """Path -> new / changed (since the previous crawl); any other path is unchanged."""
    return {**{p: "new" for p in report["changes"]["new"]}, **{p: "changed" for p in report["changes"]["changed"]}}


def department(relpath: str) -> str:
    """The top-level folder of an artifact: on a plant share, the department."""
    head, sep, _ = relpath.partition("/")
    return head if sep and head else TOP_LEVEL


def checklist(artifact: dict[str, Any], entry: dict[str, Any] | None) -> tuple[dict[str, bool], list[str]]:
    """POLICY.md's governance checklist for one artifact: which items hold, and the gaps in words."""
    rules = {f["rule"] for f in artifact["findings"]}
    if entry is None:
        return {key: False for key, _ in CHECKLIST}, ["no registered business owner"]
    it_owner = entry["function"] in NOT_BUSINESS or "governance.it-owner" in rules
    state = {
        "business_owner": not it_owner,
        "signoff": artifact["signoff"] == "valid",
        "cost_center": bool(entry.get("cost_center")),
        "review_cadence": bool(entry.get("review_every")) and "governance.review-overdue" not in rules,
    }
    gaps = []
    if it_owner:
        gaps.append(f"owner {entry['owner']} is IT, not the business")
    if artifact["signoff"] == "stale" or "governance.changed-without-signoff" in rules:
        gaps.append("changed without sign-off")
    elif not state["signoff"]:
        gaps.append("no Product Owner sign-off")
    if not state["cost_center"]:
        gaps.append("no cost center")
    if not entry.get("review_every"):
        gaps.append("no review cadence")
    elif "governance.review-overdue" in rules:
        gaps.append("review overdue")
    return state, gaps


# one plain sentence per artifact ------------------------------------------------------------
def _into(finding: dict[str, Any] | None) -> str:
    names = plan.targets(finding["evidence"]) if finding else []
    return " into " + ", ".join(names) if names else ""


def headline(a: dict[str, Any]) -> str:
    """What the artifact does that matters, and who answers for it, in one sentence."""
    if a["status"] != "analyzed":
        first = (a["status_reason"] or a["status"]).split(":")[0].split(";")[0].strip()
        return f"Could not be analysed ({a['status']}: {first}); {_owner_phrase(a)}."
    rules = {f["rule"]: f for f in a["findings"]}
    parts = []
    # what it does, in the catalogue's words, for the rules that prove an impact (and the ERP it talks to)
    for info in sorted(catalogue.RULES, key=lambda r: not r.computes):  # what it computes, then what it does with it
        if not info.does or info.id not in rules:
            continue
        if info.impact is None and not a["impacts"]:
            continue
        phrase = info.does + (_into(rules[info.id]) if info.id in ("quality.writes", "financial.writes") else "")
        parts.append(phrase)
    parts = parts[:4]
    if not parts:
        if a["classification"] == "shadow-it":
            parts.append("generates " + " and ".join(a["impacts"]) + " data")
        else:
            reach = [f for f in a["findings"] if f["family"] in ("reach", "writes")]
            parts.append("reads and shows data" + (f" ({reach[0]['title'].lower()})" if reach else ""))
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    if a.get("sandbox"):
        text = f"in sandbox ({a['sandbox']}): {text}"
    return f"{text[0].upper()}{text[1:]}; {_owner_phrase(a)}."


def structure(facts: dict[str, Any], limit: int = 30) -> list[str]:
    """What the analyzer saw inside the file, one line per part (sheets, modules, connections, tables...)."""
    def names(items: list[Any]) -> str:
        shown = ", ".join(str(i) for i in items[:limit])
        return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")

    out = []
    if facts.get("language"):
        out.append(f"{facts['language']} script: {facts.get('lines', 0)} lines, {facts.get('procedures', 0)} procedures"
                   + (f", imports {names(facts['imports'])}" if facts.get("imports") else ""))
    if facts.get("sheets"):
        out.append(f"sheets: {names(facts['sheets'])}")
    modules = [m for m in facts.get("modules") or [] if m.get("lines")]
    if modules:
        out.append("VBA: " + names([f"{m['location'].rpartition('/')[2]} ({m['lines']} lines, {m.get('procedures', 0)} "
                                    f"procedures{', runs on open' if m.get('autoexec') else ''})" for m in modules]))
    if facts.get("xlm_cells"):
        out.append(f"Excel 4.0 macro formulas: {facts['xlm_cells']}")
    for key, label in (("connections", "data connections"), ("tables", "tables"), ("queries", "queries"),
                       ("linked_tables", "linked tables")):
        if facts.get(key):
            out.append(f"{label}: " + names([i.get("name", "?") if isinstance(i, dict) else i for i in facts[key]]))
    for key in ("forms", "reports", "macros"):
        if facts.get(key):
            out.append(f"{key}: {facts[key]}")
    if facts.get("external_links"):
        out.append(f"links to: {names(facts['external_links'])}")
    return out


def _owner_phrase(a: dict[str, Any]) -> str:
    if not a["registered"]:
        return "no registered owner"
    if a["signoff"] == "stale":
        return f"owner {a['owner']}, changed without sign-off"
    return f"owner {a['owner']}, sign-off {a['signoff']}"


# summaries ----------------------------------------------------------------------------------
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
            "owner_hints_only": sum(1 for a in governed if not a["registered"] and _document_author(a)),
        },
        "governance": {
            "population": len(governed),
            **{key: sum(a["checklist"][key] for a in governed) for key, _ in CHECKLIST},
            "complete": sum(all(a["checklist"].values()) for a in governed),
            "with_gaps": sum(1 for a in governed if a["gaps"]),
        },
    }


def changes(artifacts: list[dict[str, Any]], changed: dict[str, list[str]], removed: list[dict[str, Any]],
            previous: int | None) -> dict[str, Any]:
    """Counts of what moved since the previous crawl (``previous_crawl`` None: this is the first)."""
    return {
        "previous_crawl": previous,
        "new": len(changed["new"]), "changed": len(changed["changed"]), "unchanged": len(changed["unchanged"]),
        "not_rechecked": len(changed.get("not-rechecked", [])), "removed": len(removed),
        "changed_without_signoff": sum(1 for a in artifacts if "changed without sign-off" in a["gaps"]),
    }


def reviews(artifacts: list[dict[str, Any]]) -> dict[str, int]:
    """Reviewers' decisions in this crawl: in force, overruling the analysis (and of those, downgrading a
    tool the analysis proves financial or quality-deciding), and stale (the logic changed since)."""
    current = [a["review"] for a in artifacts if a.get("review") and a["review"]["state"] == "current"]
    return {
        "reviewed": len(current),
        "overrules": sum(1 for r in current if r["overrules"]),
        "downgrades": sum(1 for r in current if r["analysis_classification"] == "shadow-it"
                          and r["verdict"] != "shadow-it"),
        "stale": sum(1 for a in artifacts if a.get("review") and a["review"]["state"] == "stale"),
    }

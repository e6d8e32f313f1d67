"""Build the report dict from the inventory: the one input every output format reads.

Its shape is the public JSON contract ``shadowscan/report-v1`` (documented in README).
"""
from __future__ import annotations

import json
from collections import Counter
from typing import Any

from ..store import Store

SCHEMA = "shadowscan/report-v1"


class NoCrawl(LookupError):
    """The inventory holds no crawl (or not the one asked for)."""


def build(store: Store, crawl_id: int | None = None) -> dict[str, Any]:
    crawl = store.crawl(crawl_id)
    if crawl is None:
        raise NoCrawl("no crawl in this inventory yet: run `shadowscan crawl PATH` first"
                      if crawl_id is None else f"no crawl with id {crawl_id} in this inventory")
    artifacts = []
    for row in store.artifacts(crawl["id"]):
        findings = [{
            "rule": f["rule"], "family": f["family"], "title": f["title"], "severity": f["severity"],
            "impact": f["impact"], "evidence": json.loads(f["evidence"]),
        } for f in store.findings(row["id"])]
        artifacts.append({
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
        })
    artifacts.sort(key=lambda a: (-a["risk_score"], a["relpath"]))
    return {
        "schema": SCHEMA,
        "crawl": {"id": crawl["id"], "roots": json.loads(crawl["roots"]), "started": crawl["started"],
                  "finished": crawl["finished"], "state": crawl["state"], "seconds": crawl["seconds"]},
        "summary": summarize(artifacts),
        "artifacts": artifacts,
    }


def _registry_fields(state: dict[str, Any]) -> dict[str, Any]:
    return {"registered": bool(state.get("registered")), "registry_id": state.get("registry_id"),
            "owner": state.get("owner"), "signoff": state.get("signoff", "missing"),
            "registry_match": state.get("registry_match")}


def summarize(artifacts: list[dict[str, Any]]) -> dict[str, Any]:
    classes = Counter(a["classification"] for a in artifacts)
    return {
        "total": len(artifacts),
        "shadow-it": classes.get("shadow-it", 0),
        "citizen-development": classes.get("citizen-development", 0),
        "unknown": classes.get("unknown", 0),
        "by_status": dict(sorted(Counter(a["status"] for a in artifacts).items())),
        "by_impact": dict(sorted(Counter(i for a in artifacts for i in a["impacts"]).items())),
        "by_kind": dict(sorted(Counter(a["kind"] for a in artifacts).items())),
    }

"""Governance findings from POLICY.md "Ownership and sign-off", given a registry match.

Pure: (registry match, analysis, verdict, now) -> findings and the registry state that
reports show (registered, registry id, owner, sign-off valid/stale/missing).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .classify import PERSISTENT_WRITES
from .rules import catalogue
from .model import Analysis, Classification, Evidence, Finding, Severity, Status, Verdict
from .registry import NOT_BUSINESS, Match


def _finding(rule_id: str, title: str, severity: Severity, snippet: str, location: str = "registry",
             evidence: tuple[Evidence, ...] = ()) -> Finding:
    """A governance finding; the id must be in the rule catalogue (the title may say more)."""
    info = catalogue.rule(f"governance.{rule_id}")
    return Finding(info.id, info.family, title or info.title, severity,
                   evidence or (Evidence(location, None, snippet),))


def _parse(ts: str) -> datetime | None:
    try:
        return datetime.fromisoformat(ts)
    except (TypeError, ValueError):
        return None


def signed(by: str | None) -> bool:
    """A sign-off names a person (an import of an older inventory may carry "None" or "")."""
    return bool(by) and str(by).strip().lower() not in ("none", "null", "n/a") and any(c.isalpha() for c in str(by))


def signoff_state(match: Match | None, fingerprint: str | None) -> str:
    """``valid`` when the last sign-off covers this logic, ``stale`` when it does not, else ``missing``."""
    if match is None or match.entry.last_signoff is None or not signed(match.entry.last_signoff.signed_by):
        return "missing"  # a sign-off names who signed, or it is none
    return "valid" if fingerprint and match.entry.last_signoff.fingerprint == fingerprint else "stale"


def assess(match: Match | None, analysis: Analysis, verdict: Verdict, now: datetime) -> tuple[list[Finding], dict[str, Any]]:
    """Governance findings for one artifact, and its registry state."""
    state = signoff_state(match, analysis.fingerprint)
    if match is None:
        hints = analysis.facts.get("owner_hints") or {}
        who = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in hints.items() if k in ("author", "last_modified_by", "file_owner"))
        findings = [_finding("no-owner", "No registered business owner", Severity.MEDIUM if
                             verdict.classification is Classification.SHADOW_IT else Severity.LOW,
                             "not in the registry" + (f" (document {who})" if who else ""))]
        return findings, {"registered": False, "registry_id": None, "owner": None, "signoff": state,
                          "registry_match": None}
    entry = match.entry
    found: list[Finding] = []
    where = f"registry entry {entry.id}"
    if match.how == "copy":
        found.append(_finding("copy", "Copy of a registered tool", Severity.LOW,
                              f"same logic as entry {entry.id} registered at {entry.path}", where))
    if entry.function in NOT_BUSINESS:
        found.append(_finding("it-owner", "Owner is IT, not the business", Severity.MEDIUM,
                              f"owner {entry.owner} ({entry.function})", where))
    if state == "missing":
        if analysis.fingerprint and analysis.fingerprint != entry.fingerprint:
            found.append(_finding("changed-without-signoff", "Changed without sign-off", Severity.HIGH,
                                  "logic differs from what was registered and nothing was signed off", where))
        else:
            found.append(_finding("no-signoff", "No Product Owner sign-off", Severity.MEDIUM,
                                  f"registered {entry.registered_at}, never signed off", where))
    elif state == "stale":
        last = entry.last_signoff
        assert last is not None
        found.append(_finding("changed-without-signoff", "Changed without sign-off", Severity.HIGH,
                              f"logic changed after {last.signed_by} signed off on {last.signed_at}", where))
    if not entry.cost_center:
        found.append(_finding("no-cost-center", "No cost center pays for it", Severity.LOW, "cost center not named", where))
    if not entry.review_every:
        found.append(_finding("no-review-cadence", "No review cadence", Severity.LOW, "review interval not set", where))
    else:
        since = _parse(entry.last_signoff.signed_at if entry.last_signoff else entry.registered_at)
        if since and now - since > timedelta(days=entry.review_every):
            found.append(_finding("review-overdue", "Review overdue", Severity.MEDIUM,
                                  f"last reviewed {since.date()}, every {entry.review_every} days", where))
    if entry.data_access == "read-only" and analysis.status is Status.ANALYZED:
        writes = [f for f in analysis.findings if f.rule in PERSISTENT_WRITES]
        if writes:
            evidence = tuple(ev for f in writes for ev in f.evidence)[:10]
            found.append(_finding("read-only-contradicted", "Registered as read-only, but it writes",
                                  Severity.HIGH, "", evidence=evidence))
    if verdict.classification is Classification.SHADOW_IT:
        found.append(_finding("must-migrate", "Registered, but it feeds financial or quality decisions",
                              Severity.HIGH, "registration does not change that: it must become IT-supported "
                              "enterprise software", where))
    return found, {"registered": True, "registry_id": entry.id, "owner": entry.owner, "signoff": state,
                   "registry_match": match.how}

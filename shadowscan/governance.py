"""Governance findings from POLICY.md "Ownership and sign-off", given a registry match, and
reviewers' decisions applied to a verdict.

Pure: (registry match, analysis, verdict, now) -> findings and the registry state that
reports show (registered, registry id, owner, sign-off valid/stale/missing); (review,
analysis, verdict) -> the verdict in force, shown beside the analysis's own (never silently).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from . import owners
from .classify import BASE, FACTORS, PERSISTENT_WRITES
from .model import Action, Analysis, Classification, Evidence, Finding, Impact, RiskFactor, Severity, Status, Verdict
from .registry import NOT_BUSINESS, Match, Review
from .rules import catalogue


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
        who = owners.described(owners.hints_of(analysis.facts))
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
        accepted = entry.accepted_writes
        if writes and accepted and accepted.get("fingerprint") == analysis.fingerprint:
            evidence = (Evidence(where, None, f"accepted by {accepted.get('by')} on {str(accepted.get('at'))[:10]}: "
                                              f"{accepted.get('reason')}"),
                        *tuple(ev for f in writes for ev in f.evidence)[:9])
            found.append(_finding("writes-accepted", f"Registered as read-only although it writes, accepted: "
                                                     f"{accepted.get('reason')}", Severity.MEDIUM, "", evidence=evidence))
        elif writes:
            evidence = tuple(ev for f in writes for ev in f.evidence)[:10]
            title = "Registered as read-only, but it writes" + (
                " (the writes accepted on registration were of other logic)" if accepted else "")
            found.append(_finding("read-only-contradicted", title, Severity.HIGH, "", evidence=evidence))
    if verdict.classification is Classification.SHADOW_IT:
        found.append(_finding("must-migrate", "Registered, but it feeds financial or quality decisions",
                              Severity.HIGH, "registration does not change that: it must become IT-supported "
                              "enterprise software", where))
    return found, {"registered": True, "registry_id": entry.id, "owner": entry.owner, "signoff": state,
                   "registry_match": match.how}


def write_evidence(analysis: Analysis) -> list[Evidence]:
    """What the analysis shows the tool writing (database, file, mail, web): the evidence a
    read-only registration is checked against."""
    return [ev for f in analysis.findings if f.rule in PERSISTENT_WRITES for ev in f.evidence]


_POINTS = {name: points for name, points, _ in FACTORS}
_IMPACT_FACTORS = {Impact.FINANCIAL: ("generates financial data", _POINTS["generates financial data"]),
                   Impact.QUALITY: ("controls quality decisions", _POINTS["controls quality decisions"])}


def _label(classification: str) -> str:
    return classification.replace("-", " ").replace("shadow it", "shadow IT")


def apply_review(review: Review | None, analysis: Analysis, verdict: Verdict,
                 registered: bool) -> tuple[Verdict, list[Finding], dict[str, Any] | None]:
    """The verdict in force once a reviewer's decision is applied, the findings that show it, and
    the review state reports show. A current review (same logic) sets the classification and
    impacts, with the reviewer, date and reason first among the reasons and the analysis's own
    verdict kept beside it; a review of other logic is stale: the analysis verdict stands, flagged."""
    if review is None:
        return verdict, [], None
    state = {"id": review.id, "verdict": review.verdict, "impacts": list(review.impacts), "by": review.by,
             "at": review.at, "reason": review.reason, "path": review.path,
             "analysis_classification": verdict.classification.value,
             "analysis_impacts": [i.value for i in verdict.impacts]}
    when = review.at[:10]
    where = f"review {review.id}"
    if not analysis.fingerprint or analysis.fingerprint != review.fingerprint:
        state.update(state="stale", overrules=False)
        finding = _finding("review-stale", "Reviewed decision is stale: the logic changed since it was reviewed",
                           Severity.MEDIUM, f"{review.by} reviewed it as {_label(review.verdict)} on {when} "
                                            f"({review.reason}); the analysis verdict applies until it is reviewed again",
                           where)
        reason = (f"Review by {review.by} on {when} ({_label(review.verdict)}: {review.reason}) is stale: the logic "
                  "changed since, so the analysis verdict applies until it is reviewed again.")
        return replace(verdict, reasons=verdict.reasons + (reason,)), [finding], state
    classification = Classification(review.verdict)
    impacts = tuple(Impact(i) for i in review.impacts)
    overrules = classification is not verdict.classification or impacts != verdict.impacts
    state.update(state="current", overrules=overrules)
    analysis_said = _label(verdict.classification.value) + (
        f" ({', '.join(i.value for i in verdict.impacts)})" if verdict.impacts else "")
    head = (f"Reviewed as {_label(review.verdict)}{' (' + ', '.join(review.impacts) + ')' if review.impacts else ''}"
            f" by {review.by} on {when}: {review.reason}"
            + (f" — the analysis said {analysis_said}" if overrules else " — the analysis agrees"))
    reasons = (head,) + tuple(f"Analysis: {r}" for r in verdict.reasons) if overrules else (head,) + verdict.reasons
    if classification is Classification.SHADOW_IT:
        action = Action.MIGRATE
    else:
        action = Action.ALLOW_AND_MONITOR if registered else Action.REGISTER
    analysis_points = {name for name, _ in _IMPACT_FACTORS.values()}
    factors = [RiskFactor("base: " + classification.value, BASE[classification])] if BASE[classification] else []
    factors += [RiskFactor(f"{_IMPACT_FACTORS[i][0]} (reviewer's decision)", _IMPACT_FACTORS[i][1]) for i in impacts]
    factors += [f for f in verdict.factors if not f.name.startswith("base: ") and f.name not in analysis_points]
    score = max(0, min(100, sum(f.points for f in factors)))
    findings = []
    if verdict.classification is Classification.SHADOW_IT and classification is not Classification.SHADOW_IT:
        findings.append(_finding("review-overrules", "Reviewed as citizen development although the analysis proves "
                                 f"{' and '.join(i.value for i in verdict.impacts)} impact", Severity.HIGH,
                                 f"by {review.by} on {when}: {review.reason}", where))
    return Verdict(classification, impacts, score, tuple(factors), action, reasons), findings, state

"""POLICY.md as a pure function: (artifact facts, findings, registration) -> Verdict.

The deciding rule: a tool that *generates* financial data or *controls* quality
decisions is high-risk shadow IT, whatever else is true of it; anything else is citizen
development. A keyword alone never decides: only correlated findings (a write, a
decision or a computation touching such data, see rules/correlate.py) carry an impact.
Every reason names the evidence that made it.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .model import Action, Analysis, Classification, Evidence, Family, Finding, Impact, RiskFactor, Status, Verdict
from .rules import catalogue

# Rule properties come from the one catalogue (rules/catalogue.py), never from lists kept here.
PERSISTENT_WRITES = catalogue.ids(persistent=True)
DATA_WRITES = catalogue.ids(data_write=True)
FLOW_RULES = catalogue.ids(flow=True)
FILE_OR_MAIL_WRITES = PERSISTENT_WRITES - DATA_WRITES
FINANCIAL_COMPUTATIONS_FOR_CALCULATOR = 3
# The IT-sanctioned sandboxes POLICY.md names (registry platform name -> shown name): a tool
# on one of them that only reads is managed citizen development "in sandbox".
SANDBOXES = {"powerbi": "Power BI", "powerapps": "Power Apps", "grafana": "Grafana"}


@dataclass(frozen=True)
class Registration:
    """What the registry knows of an artifact (filled in by the registry, issue 4)."""

    registered: bool = False


def _at(ev: Evidence) -> str:
    line = f" line {ev.line}" if ev.line else ""
    return f"{ev.location}{line}: {ev.snippet}"


def _where(finding: Finding) -> str:
    """The first evidence; for a flow (computes here, writes there) the first two."""
    if not finding.evidence:
        return ""
    shown = list(finding.evidence[:2]) if finding.rule in FLOW_RULES else [finding.evidence[0]]
    more = f" (and {len(finding.evidence) - len(shown)} more)" if len(finding.evidence) > len(shown) else ""
    return " — " + " → ".join(_at(ev) for ev in shown) + more


def in_sandbox(platform: str | None, families: set[Family], impacts: Sequence[Impact]) -> str | None:
    """The sandbox a tool lives in when it is on a sanctioned platform and only reads: no
    impact and no write of any kind (data, files, mail, flows started). None otherwise."""
    if platform not in SANDBOXES or impacts or Family.WRITES in families:
        return None
    return SANDBOXES[platform]


def _by_rule(findings: Sequence[Finding]) -> dict[str, Finding]:
    return {f.rule: f for f in findings}


def impacts_with_reasons(findings: Sequence[Finding]) -> list[tuple[Impact, str]]:
    """Each impact the findings prove, with the sentence that says why."""
    out: list[tuple[Impact, str]] = []
    rules = _by_rule(findings)
    writes = [f for f in findings if f.rule in PERSISTENT_WRITES]
    for finding in findings:
        if finding.impact is not None:
            out.append((finding.impact, f"{finding.title}{_where(finding)}"))
    computes = rules.get("financial.computes")
    if computes and writes:
        out.append((Impact.FINANCIAL, f"Computes financial values and writes data out "
                                      f"({writes[0].title.lower()}){_where(computes)}"))
    elif computes and len(computes.evidence) >= FINANCIAL_COMPUTATIONS_FOR_CALCULATOR:
        out.append((Impact.FINANCIAL, f"Computes financial values in {len(computes.evidence)} places: "
                                      f"a calculator, not a display{_where(computes)}"))
    erp = rules.get("reach.erp")
    # Writing to a database or web service while connected to an ERP is writing to it;
    # mailing or saving a report taken from it is not.
    if erp and any(f.rule in DATA_WRITES and f.impact is None for f in writes):
        out.append((Impact.FINANCIAL, f"Writes data while connected to an ERP/finance system{_where(erp)}"))
    return out


_Check = Callable[[set[str], set[Family], tuple[Impact, ...], Registration], bool]
FACTORS: tuple[tuple[str, int, _Check], ...] = (
    ("generates financial data", 30, lambda r, f, i, g: Impact.FINANCIAL in i),
    ("controls quality decisions", 30, lambda r, f, i, g: Impact.QUALITY in i),
    ("writes to databases or web services", 10, lambda r, f, i, g: bool(r & DATA_WRITES)),
    ("writes files or sends e-mail", 5, lambda r, f, i, g: bool(r & FILE_OR_MAIL_WRITES)),
    ("hard-coded credentials", 10, lambda r, f, i, g: Family.SECRETS in f),
    ("starts other programs", 10, lambda r, f, i, g: "behaviour.shell" in r),
    ("Excel 4.0 macros", 10, lambda r, f, i, g: "behaviour.xlm" in r),
    ("runs automatically on open", 5, lambda r, f, i, g: "behaviour.autoexec" in r),
    ("reaches other systems", 5, lambda r, f, i, g: Family.REACH in f),
    ("no registered owner", 5, lambda r, f, i, g: not g.registered),
)
BASE = {Classification.SHADOW_IT: 20, Classification.CITIZEN_DEVELOPMENT: 0, Classification.UNKNOWN: 20}


def classify(analysis: Analysis, registration: Registration | None = None) -> Verdict:
    """The verdict for one artifact. Pure: same input, same verdict."""
    registration = registration or Registration()
    if analysis.status is not Status.ANALYZED:
        return Verdict(
            classification=Classification.UNKNOWN, impacts=(), risk_score=BASE[Classification.UNKNOWN],
            factors=(RiskFactor(f"not analysable ({analysis.status.value})", BASE[Classification.UNKNOWN]),),
            action=Action.REVIEW,
            reasons=(f"Could not be analysed ({analysis.status.value}): {analysis.reason}",),
        )
    findings = analysis.findings
    proven = impacts_with_reasons(findings)
    impacts = tuple(sorted({impact for impact, _ in proven}, key=lambda i: i.value))
    if impacts:
        classification = Classification.SHADOW_IT
        action = Action.MIGRATE
        reasons = [reason for _, reason in proven]
    else:
        classification = Classification.CITIZEN_DEVELOPMENT
        action = Action.ALLOW_AND_MONITOR if registration.registered else Action.REGISTER
        reasons = [_citizen_reason(analysis)]
        platform = analysis.facts.get("platform")
        sandbox = in_sandbox(platform, {f.family for f in findings}, impacts)
        if sandbox:
            reasons.insert(0, f"In sandbox: a {sandbox} tool that only reads and shows data, on a platform IT "
                              "sanctions for citizen development.")
        elif platform in SANDBOXES:
            reasons.insert(0, f"On a sanctioned platform ({SANDBOXES[platform]}), but not read-only: it writes data, "
                              "so it is outside the sandbox's read-only terms.")
        if not registration.registered:
            reasons.append("Not registered: it needs a named business owner, purpose and platform to count as managed.")
    rules = {f.rule for f in findings}
    families = {f.family for f in findings}
    factors = [RiskFactor("base: " + classification.value, BASE[classification])] if BASE[classification] else []
    factors += [RiskFactor(name, points) for name, points, check in FACTORS
                if check(rules, families, impacts, registration)]
    score = max(0, min(100, sum(f.points for f in factors)))
    return Verdict(classification, impacts, score, tuple(factors), action, tuple(reasons))


def _citizen_reason(analysis: Analysis) -> str:
    """Why nothing here generates financial data or controls quality decisions — with what it does do."""
    did = []
    by_family: dict[Family, list[Finding]] = {}
    for finding in analysis.findings:
        by_family.setdefault(finding.family, []).append(finding)
    for family in (Family.WRITES, Family.REACH, Family.FINANCIAL, Family.QUALITY):
        for finding in by_family.get(family, [])[:1]:
            did.append(f"{finding.title.lower()}{_where(finding)}")
    size = _size_phrase(analysis)
    if did:
        return (f"No evidence that it computes or writes financial or quality data ({size}); "
                f"what it does: " + "; ".join(did))
    return f"No evidence that it computes or writes financial or quality data ({size}); no writes or outside reach found"


def _size_phrase(analysis: Analysis) -> str:
    facts = analysis.facts
    modules = facts.get("modules")
    language = facts.get("macro_language", "VBA")  # LibreOffice Basic in OpenDocument files
    if "tables" in facts and "queries" in facts:  # an Access or Base database
        size = f"{len(facts['tables'])} tables, {len(facts['queries'])} queries"
        links = len(facts.get("linked_tables") or [])
        size += f", {links} linked tables" if links else ""
        return size + (f", {len(modules)} {language} modules ({facts.get('vba_lines', 0)} code lines)" if modules else "")
    if modules is not None:
        return f"{len(modules)} {language} modules, {facts.get('vba_lines', 0)} code lines" + (
            f", {facts['xlm_cells']} XLM formulas" if facts.get("xlm_cells") else "")
    if "code_cells" in facts:
        return f"{facts['language']} notebook, {facts['code_cells']} code cells, {facts.get('lines', 0)} lines"
    if "language" in facts:
        return f"{facts['language']} script, {facts.get('lines', 0)} lines"
    if facts.get("platform") == "grafana":
        return f"Grafana dashboard, {facts.get('panels', 0)} panels, {len(facts.get('queries') or [])} queries"
    if facts.get("platform") == "powerbi":
        return (f"Power BI {facts.get('format', 'report')}, {len(facts.get('queries') or [])} Power Query queries, "
                f"{len(facts.get('tables') or [])} tables, {len(facts.get('measures') or [])} measures")
    if facts.get("platform") == "powerapps":
        return (f"Power Apps app, {len(facts.get('data_sources') or [])} data sources, "
                f"{facts.get('formulas', 0)} formulas")
    return "structure only"

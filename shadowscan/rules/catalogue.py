"""The one catalogue of rules: every rule id shadowscan can emit, with what it means.

Rule modules hold *how* a signal is found (patterns, flows, table judgements); this
catalogue holds *what* each rule is — id, family, title, severity — and the properties the
rest of the product selects by, so that the classifier, governance, the migration plan,
the headline and SARIF never keep their own lists of rule ids:

* ``impact``: the impact a finding of this rule proves on its own (financial, quality);
* ``persistent``: the tool leaves data behind that others rely on (database, file, mail, web);
* ``data_write``: it writes into a database or a web service (not a file or a mail);
* ``reach``: what the tool reaches (a migration card's inputs), as a label;
* ``computes``: a computation or decision a migration moves into the target system;
* ``flow``: its evidence is a flow, the line that computes then the line that writes;
* ``does``: the phrase a one-sentence headline uses for it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..model import Evidence, Family, Finding, Impact, Severity

F, Q = Impact.FINANCIAL, Impact.QUALITY


@dataclass(frozen=True)
class RuleInfo:
    id: str
    family: Family
    title: str
    severity: Severity
    impact: Impact | None = None
    persistent: bool = False
    data_write: bool = False
    reach: str | None = None
    computes: bool = False
    flow: bool = False
    does: str = ""

    @property
    def meta(self) -> tuple[str, Family, str, Severity, Impact | None]:
        """(id, family, title, severity, impact): what the engine's collector records per rule."""
        return self.id, self.family, self.title, self.severity, self.impact

    def finding(self, evidence: Iterable[Evidence], title: str | None = None) -> Finding:
        return Finding(self.id, self.family, title or self.title, self.severity, tuple(evidence), self.impact)


def _r(id: str, family: Family, title: str, severity: Severity, **props: object) -> RuleInfo:
    return RuleInfo(id, family, title, severity, **props)  # type: ignore[arg-type]


S = Severity
RULES: tuple[RuleInfo, ...] = (
    # vocabulary: what a tool is about (never decisive alone)
    _r("financial.term", Family.FINANCIAL, "Mentions financial data (costs, prices, invoices, postings)", S.INFO),
    _r("quality.term", Family.QUALITY, "Mentions quality data (limits, tolerances, pass/fail, dispositions)", S.INFO),
    # correlations and flows: what it does with such data (decisive)
    _r("financial.writes", Family.FINANCIAL, "Writes financial data (costs, prices, postings)", S.HIGH, impact=F,
       does="writes financial data"),
    _r("financial.computes", Family.FINANCIAL, "Computes financial values (costs, prices, totals)", S.MEDIUM,
       computes=True, does="computes costs or prices"),
    _r("financial.prices", Family.FINANCIAL,
       "Computes prices or amounts (quantity x price, tax, discount) and writes them", S.HIGH, impact=F,
       computes=True, flow=True, does="computes prices or amounts and writes them"),
    _r("financial.issues-documents", Family.FINANCIAL,
       "Issues documents that carry money (invoices, quotes, orders, pay slips)", S.HIGH, impact=F, flow=True,
       does="issues invoices, quotes or orders"),
    _r("financial.register", Family.FINANCIAL, "Records money amounts as new rows or records (a register or ledger)",
       S.HIGH, impact=F, flow=True, does="keeps a register of money amounts"),
    _r("financial.record-store", Family.FINANCIAL,
       "Stores financial records (ledger, invoices, payables, payroll, prices)", S.HIGH, impact=F,
       does="stores financial records"),
    _r("financial.erp-gui", Family.FINANCIAL,
       "Drives an ERP user interface to create or change documents that carry money", S.HIGH, impact=F,
       data_write=True, persistent=True, reach="ERP / finance system", does="enters documents into the ERP"),
    _r("quality.writes", Family.QUALITY, "Writes quality data (limits, results, dispositions)", S.HIGH, impact=Q,
       does="writes quality results"),
    _r("quality.decision", Family.QUALITY, "Sets a quality decision (pass/fail, release, reject)", S.HIGH, impact=Q,
       computes=True, does="sets pass/fail or release decisions"),
    _r("quality.computes-limits", Family.QUALITY, "Computes test or specification limits", S.HIGH, impact=Q,
       computes=True, does="calculates test or specification limits"),
    _r("quality.due-dates", Family.QUALITY, "Computes calibration or inspection due dates from an interval", S.HIGH,
       impact=Q, computes=True, does="computes calibration or inspection due dates"),
    _r("quality.limit-table", Family.QUALITY, "Keeps a table of test or specification limits (low and high per measurement)",
       S.HIGH, impact=Q, does="keeps the test limits that pass/fail decisions use"),
    _r("quality.record-store", Family.QUALITY, "Stores quality records (inspection results, calibration, test limits)",
       S.HIGH, impact=Q, does="stores quality records"),
    _r("quality.erp-gui", Family.QUALITY, "Drives an ERP user interface to record quality results or decisions",
       S.HIGH, impact=Q, data_write=True, persistent=True, reach="ERP / QM", does="records quality decisions in the ERP"),
    # writes
    _r("writes.sql", Family.WRITES, "Changes database data (SQL INSERT/UPDATE/DELETE/MERGE, make-table, DDL)", S.HIGH,
       persistent=True, data_write=True),
    _r("writes.recordset", Family.WRITES, "Edits records through ADO/DAO (AddNew/Edit/Update, RunSQL)", S.HIGH,
       persistent=True, data_write=True),
    _r("writes.file", Family.WRITES, "Writes, copies or deletes files (SaveAs, Kill, exports)", S.MEDIUM,
       persistent=True),
    _r("writes.email", Family.WRITES, "Sends e-mail", S.MEDIUM, persistent=True),
    _r("writes.web", Family.WRITES, "Sends data to a web service (POST/PUT)", S.HIGH, persistent=True,
       data_write=True),
    _r("writes.app-data", Family.WRITES,
       "Writes records into a data source from an app or a dashboard (Patch, SubmitForm, Remove, Collect; a form panel)",
       S.HIGH, persistent=True, data_write=True),
    _r("writes.flow", Family.WRITES, "Starts Power Automate flows (what they change is outside the app)", S.MEDIUM,
       reach="Power Automate flow"),
    _r("access.action-query", Family.WRITES, "Action queries change data (append, update, delete, make-table, DDL)",
       S.HIGH, persistent=True, data_write=True),
    # reach
    _r("reach.database", Family.REACH, "Connects to a database (connection string, DSN, driver)", S.MEDIUM,
       reach="database"),
    _r("reach.web", Family.REACH, "Makes web requests", S.MEDIUM, reach="web service"),
    _r("reach.network-path", Family.REACH, "Uses network shares or mapped drives", S.LOW, reach="network share"),
    _r("reach.erp", Family.REACH, "Reaches an ERP or finance system", S.MEDIUM, reach="ERP / finance system",
       does="talks to the ERP"),
    _r("reach.qms-mes", Family.REACH, "Reaches a QMS, MES, LIMS or historian", S.LOW,
       reach="QMS / MES / LIMS / historian"),
    _r("reach.data-connection", Family.REACH, "External data connection", S.MEDIUM, reach="workbook data connection"),
    _r("reach.external-link", Family.REACH, "Links to other workbooks", S.LOW, reach="other workbooks"),
    _r("reach.formula-link", Family.REACH, "Formulas reference other files or services", S.LOW,
       reach="other workbooks (formulas)"),
    _r("reach.platform-source", Family.REACH,
       "Reads data sources of a low-code platform (connectors, Power Query sources, dashboard data sources)", S.LOW,
       reach="platform data source"),
    _r("reach.linked-table", Family.REACH, "Linked tables reach other databases or files", S.MEDIUM,
       reach="linked table"),
    # secrets
    _r("secrets.connection-password", Family.SECRETS, "Password written into a connection string", S.HIGH),
    _r("secrets.hardcoded", Family.SECRETS, "Hard-coded password or key in code", S.HIGH),
    _r("secrets.url-credentials", Family.SECRETS, "Credentials inside a URL", S.HIGH),
    _r("secrets.database-password", Family.SECRETS, "Protected by a database password", S.LOW),
    # behaviour and structure
    _r("behaviour.autoexec", Family.BEHAVIOUR, "Runs automatically when the file is opened", S.MEDIUM),
    _r("behaviour.shell", Family.BEHAVIOUR, "Starts other programs (shell execution)", S.HIGH),
    _r("behaviour.win32", Family.BEHAVIOUR, "Calls the Windows API directly (Declare ... Lib)", S.LOW),
    _r("behaviour.sendkeys", Family.BEHAVIOUR, "Drives other programs with SendKeys", S.LOW),
    _r("behaviour.xlm", Family.BEHAVIOUR, "Excel 4.0 (XLM) macro formulas", S.HIGH),
    _r("behaviour.olevba-keyword", Family.BEHAVIOUR, "Keywords oletools marks as suspicious", S.INFO),
    _r("structure.default-encryption", Family.STRUCTURE,
       "Encrypted with Excel's default password (opens without a prompt)", S.LOW),
    # governance (POLICY.md "Ownership and sign-off"), from the registry
    _r("governance.no-owner", Family.GOVERNANCE, "No registered business owner", S.MEDIUM),
    _r("governance.copy", Family.GOVERNANCE, "Copy of a registered tool", S.LOW),
    _r("governance.it-owner", Family.GOVERNANCE, "Owner is IT, not the business", S.MEDIUM),
    _r("governance.changed-without-signoff", Family.GOVERNANCE, "Changed without sign-off", S.HIGH),
    _r("governance.no-signoff", Family.GOVERNANCE, "No Product Owner sign-off", S.MEDIUM),
    _r("governance.no-cost-center", Family.GOVERNANCE, "No cost center pays for it", S.LOW),
    _r("governance.no-review-cadence", Family.GOVERNANCE, "No review cadence", S.LOW),
    _r("governance.review-overdue", Family.GOVERNANCE, "Review overdue", S.MEDIUM),
    _r("governance.read-only-contradicted", Family.GOVERNANCE, "Registered as read-only, but it writes", S.HIGH),
    _r("governance.writes-accepted", Family.GOVERNANCE,
       "Registered as read-only although it writes, accepted with a reason", S.MEDIUM),
    _r("governance.review-stale", Family.GOVERNANCE,
       "Reviewed decision is stale: the logic changed since it was reviewed", S.MEDIUM),
    _r("governance.review-overrules", Family.GOVERNANCE,
       "Reviewed as citizen development although the analysis proves an impact", S.HIGH),
    _r("governance.must-migrate", Family.GOVERNANCE, "Registered, but it feeds financial or quality decisions", S.HIGH),
)
CATALOGUE: dict[str, RuleInfo] = {r.id: r for r in RULES}


def rule(rule_id: str) -> RuleInfo:
    """The catalogue entry of ``rule_id`` (KeyError for an id nobody declared)."""
    return CATALOGUE[rule_id]


def ids(**props: object) -> frozenset[str]:
    """Rule ids whose properties equal the given ones, e.g. ``ids(persistent=True)``."""
    return frozenset(r.id for r in RULES if all(getattr(r, k) == v for k, v in props.items()))


def with_impact() -> frozenset[str]:
    return frozenset(r.id for r in RULES if r.impact is not None)


def reach_label(rule_id: str) -> str | None:
    info = CATALOGUE.get(rule_id)
    return info.reach if info else None

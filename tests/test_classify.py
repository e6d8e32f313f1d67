"""POLICY.md as a table: which findings make which verdict."""
import pytest

from shadowscan.classify import Registration, classify
from shadowscan.model import Action, Analysis, Classification, Evidence, Family, Finding, Impact, Severity, Status


def finding(rule, family, impact=None, n=1):
    return Finding(rule, family, rule, Severity.HIGH,
                   tuple(Evidence("VBA/Module1", i + 1, f"line {i + 1}") for i in range(n)), impact)


def analysed(*findings, **facts):
    return Analysis(Status.ANALYZED, "", tuple(findings), facts or {"modules": [], "vba_lines": 0})


FIN_TERM = finding("financial.term", Family.FINANCIAL)
QUAL_TERM = finding("quality.term", Family.QUALITY)
SQL_WRITE = finding("writes.sql", Family.WRITES)
FIN_WRITES = finding("financial.writes", Family.FINANCIAL, Impact.FINANCIAL)
QUAL_DECISION = finding("quality.decision", Family.QUALITY, Impact.QUALITY)
FIN_COMPUTES = finding("financial.computes", Family.FINANCIAL)
ERP = finding("reach.erp", Family.REACH)
DB = finding("reach.database", Family.REACH)


@pytest.mark.parametrize("findings,expected,impacts", [
    ((), Classification.CITIZEN_DEVELOPMENT, ()),
    ((FIN_TERM, QUAL_TERM), Classification.CITIZEN_DEVELOPMENT, ()),  # a keyword alone must not decide
    ((FIN_TERM, DB), Classification.CITIZEN_DEVELOPMENT, ()),  # reads and shows costs
    ((SQL_WRITE,), Classification.CITIZEN_DEVELOPMENT, ()),  # writes, but nothing financial/quality
    ((FIN_WRITES, SQL_WRITE), Classification.SHADOW_IT, (Impact.FINANCIAL,)),
    ((QUAL_DECISION,), Classification.SHADOW_IT, (Impact.QUALITY,)),
    ((FIN_WRITES, QUAL_DECISION), Classification.SHADOW_IT, (Impact.FINANCIAL, Impact.QUALITY)),
    ((FIN_COMPUTES,), Classification.CITIZEN_DEVELOPMENT, ()),  # one computed total for display
    ((FIN_COMPUTES, SQL_WRITE), Classification.SHADOW_IT, (Impact.FINANCIAL,)),
    ((finding("financial.computes", Family.FINANCIAL, n=3),), Classification.SHADOW_IT, (Impact.FINANCIAL,)),
    ((ERP,), Classification.CITIZEN_DEVELOPMENT, ()),
    ((ERP, SQL_WRITE), Classification.SHADOW_IT, (Impact.FINANCIAL,)),
])
def test_policy_table(findings, expected, impacts):
    verdict = classify(analysed(*findings))
    assert verdict.classification is expected
    assert verdict.impacts == impacts
    assert verdict.reasons, "a verdict with no reason is a bug"


def test_shadow_it_reasons_cite_evidence():
    verdict = classify(analysed(QUAL_DECISION))
    assert verdict.action is Action.MIGRATE
    assert "VBA/Module1 line 1" in verdict.reasons[0]


def test_citizen_action_depends_on_registration():
    assert classify(analysed(DB)).action is Action.REGISTER
    assert classify(analysed(DB), Registration(registered=True)).action is Action.ALLOW_AND_MONITOR


def test_registration_does_not_clear_shadow_it():
    verdict = classify(analysed(FIN_WRITES), Registration(registered=True))
    assert verdict.classification is Classification.SHADOW_IT
    assert verdict.action is Action.MIGRATE


@pytest.mark.parametrize("status", [s for s in Status if s is not Status.ANALYZED])
def test_not_analysable_is_unknown_with_reason(status):
    verdict = classify(Analysis.failed(status, "because"))
    assert verdict.classification is Classification.UNKNOWN
    assert verdict.action is Action.REVIEW
    assert status.value in verdict.reasons[0] and "because" in verdict.reasons[0]


def test_risk_score_adds_up_its_factors_and_is_bounded():
    everything = (FIN_WRITES, QUAL_DECISION, SQL_WRITE, finding("secrets.hardcoded", Family.SECRETS),
                  finding("behaviour.shell", Family.BEHAVIOUR), finding("behaviour.xlm", Family.BEHAVIOUR),
                  finding("behaviour.autoexec", Family.BEHAVIOUR), DB)
    verdict = classify(analysed(*everything))
    assert verdict.risk_score == 100
    low = classify(analysed())
    assert low.risk_score == sum(f.points for f in low.factors) == 5  # only "no registered owner"
    mid = classify(analysed(QUAL_DECISION))
    assert mid.risk_score == sum(f.points for f in mid.factors)
    assert mid.risk_score > classify(analysed(DB)).risk_score

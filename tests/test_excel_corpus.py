"""Real third-party workbooks from ../shared/corpus/excel (skipped where the corpus is absent)."""
import pytest
from conftest import CORPUS

from shadowscan.analyzers.excel import analyze
from shadowscan.model import Limits, Status

# file -> (status, rules that must be present, number of VBA modules or None)
EXPECTED = {
    "oletools/encrypted.xlsm": (Status.ENCRYPTED, set(), None),
    "poi/protected_passtika.xlsb": (Status.ENCRYPTED, set(), None),
    "oletools/autostart-encrypt-standardpassword.xlsm":
        (Status.ANALYZED, {"structure.default-encryption", "behaviour.autoexec"}, 3),
    "poi/clusterfuzz-testcase-minimized-POIHSSFFuzzer-6137883240824832.xls": (Status.CORRUPT, set(), None),
    "oletools/excel4_sample_macro.xls": (Status.ANALYZED, {"behaviour.xlm"}, 0),
    "poi/xlmmacro.xlsm": (Status.ANALYZED, {"behaviour.xlm"}, 0),
    "poi/31749.xls": (Status.ANALYZED, {"behaviour.autoexec", "writes.file"}, 6),
    "poi/15228.xls": (Status.ANALYZED, {"behaviour.autoexec", "reach.web", "writes.file"}, 20),
    "poi/56450.xls": (Status.ANALYZED, set(), 3),
    "poi/57181.xlsm": (Status.ANALYZED, {"behaviour.autoexec"}, 10),
    "poi/57231_MixedGasReport.xls": (Status.ANALYZED, {"writes.file", "financial.term"}, 9),
    "poi/mv-calculator-final-2-20-2013.xlsm": (Status.ANALYZED, {"behaviour.autoexec", "financial.computes"}, 18),
    "poi/at.gv.land-oberoesterreich.www_cps_rde_xbcr_SID-4A1B954F-5C07F98E_ooe_stat_download_bp10.xls":
        (Status.ANALYZED, set(), 4),
    "poi/testVarious.xlsb": (Status.ANALYZED, set(), 3),
    "vba-web/VBA-Web - Blank.xlsm": (Status.ANALYZED, {"reach.web", "behaviour.win32"}, 8),
    "vba-monologger/6i_VBA-Monologger.xlam": (Status.ANALYZED, {"writes.file", "behaviour.shell"}, 30),
    "xlsxwriter/macro01.xlsm": (Status.ANALYZED, set(), 3),
}


def _params() -> list[object]:
    """Every workbook; the large ones (seconds each) only in the full run, marked slow."""
    big = 200_000
    return [pytest.param(relpath, marks=pytest.mark.slow) if (CORPUS / "excel" / relpath).is_file()
            and (CORPUS / "excel" / relpath).stat().st_size > big else relpath for relpath in sorted(EXPECTED)]


@pytest.mark.parametrize("relpath", _params())
def test_corpus_workbook(corpus, relpath):
    path = corpus / "excel" / relpath
    status, rules, modules = EXPECTED[relpath]
    analysis = analyze(str(path), path.suffix[1:].lower(), Limits())
    assert analysis.is_artifact
    assert analysis.status is status, analysis.reason
    if status is not Status.ANALYZED:
        assert analysis.reason, "a failed status needs a reason a person can act on"
        return
    found = {f.rule for f in analysis.findings}
    assert rules <= found, f"missing {rules - found}"
    if modules is not None:
        assert len(analysis.facts["modules"]) == modules


def test_xlm_in_ooxml_points_at_the_macro_sheet(corpus):
    analysis = analyze(str(corpus / "excel/poi/xlmmacro.xlsm"), "xlsm", Limits())
    xlm = next(f for f in analysis.findings if f.rule == "behaviour.xlm")
    assert xlm.evidence[0].location == "xl/macrosheets/sheet1.xml"


def test_default_password_workbook_reveals_its_module(corpus):
    analysis = analyze(str(corpus / "excel/oletools/autostart-encrypt-standardpassword.xlsm"), "xlsm", Limits())
    auto = next(f for f in analysis.findings if f.rule == "behaviour.autoexec")
    assert "Auto_Open" in auto.evidence[0].snippet


@pytest.mark.slow  # every real file of a corpus folder: `-m "not slow"` skips it
def test_owner_hints_from_document_properties(corpus):
    analysis = analyze(str(corpus / "excel/poi/mv-calculator-final-2-20-2013.xlsm"), "xlsm", Limits())
    assert analysis.facts["owner_hints"]["author"]

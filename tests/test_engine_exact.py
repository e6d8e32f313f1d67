"""The rule engine's shortcuts give what matching every rule on every unit gives.

``scan_text`` stops looking for a rule id once it has MAX_EVIDENCE pieces of evidence, makes
snippets only for evidence it keeps, skips patterns whose required literals are missing (also in
non-ASCII text) and keeps only each unit's line and code for the flows. Here a plain reference,
written the way the engine worked before those shortcuts (every rule's pattern run on every unit,
no literal pre-check, every snippet made), is held against it on generated scripts.
"""
from __future__ import annotations

import ast
import inspect
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shadowscan.model import Evidence, Finding
from shadowscan.rules import correlate as correlate_module
from shadowscan.rules import engine, flow, vocab
from shadowscan.rules.engine import MAX_EVIDENCE, scan_text, snippet
from shadowscan.textio import bound_runs


def reference_scan(text: str, language: str, location: str, line_offset: int = 0) -> list[Finding]:
    meta: dict[str, tuple] = {}
    kept: dict[str, list[Evidence]] = {}

    def add(rule_id, family, title, severity, evidence, impact=None):
        if rule_id not in meta:
            meta[rule_id], kept[rule_id] = (family, title, severity, impact), []
        if len(kept[rule_id]) < MAX_EVIDENCE and evidence not in kept[rule_id]:
            kept[rule_id].append(evidence)

    every = list(engine._windows(engine.units(bound_runs(text), language)))
    for unit in every:
        hits = []
        evidence = None
        for rule in engine._rules_for(language):
            subject = unit.text if rule.in_comments else unit.code
            subject = vocab.split_identifiers(subject) if rule.family in engine._VOCABULARY else subject
            if subject and rule.pattern.search(subject):
                hits.append(rule)
                evidence = evidence or Evidence(location, unit.line + line_offset, snippet(unit.text))
                add(rule.id, rule.family, rule.title, rule.severity, evidence)
        if unit.code:
            for rule_id, family, title, severity, impact in correlate_module.correlate(unit.code, language, hits):
                evidence = evidence or Evidence(location, unit.line + line_offset, snippet(unit.text))
                add(rule_id, family, title, severity, evidence, impact)
    if language in engine.FLOW_LANGUAGES:
        pairs = [(u.line, u.code) for u in every]
        for rule_id, family, title, severity, impact, indexes in flow.analyse(pairs, text, language):
            for index in indexes:
                add(rule_id, family, title, severity,
                    Evidence(location, every[index].line + line_offset, snippet(every[index].text)), impact)
    return [Finding(rule_id, *meta[rule_id][:3], tuple(kept[rule_id]), meta[rule_id][3]) for rule_id in meta]


# a window is 4096 characters, windows start 3584 apart: a line that repeats a 32-character piece
# gives windows with the same snippet (one piece of evidence, not one per window)
_PERIODIC = ("UPDATE Kosten SET Preis = 1.5;".ljust(32) * 400)[:12_800]
LINES = [
    "INSERT INTO Kosten (Kostenstelle, Betrag) VALUES ('4711', 12.50);",
    "INSERT [dbo].[Orders] ([Id], [Customer], [UnitPrice]) VALUES (1, N'Müller GmbH', 12.50)",
    "INSERT INTO public.lots VALUES (7, N'Schmidt & Söhne', 'FAIL', '2024-01-03');",
    "UPDATE Lots SET Disposition = 'REJECT' WHERE cpk < 1.33;",
    "scrapCost = qty * unitPrice",
    "usl = nominal + tol",
    "If measured > usl Then result = \"FAIL\"",
    "status = 'NG'  # verdict",
    "cn.Open \"Provider=SQLOLEDB;Data Source=srv;User ID=sa;Password=Geheim123;\"",
    "$pw = ConvertTo-SecureString \"Sommer2024!\" -AsPlainText -Force",
    "password = 'hunter2secret'",
    "Write-Host \"Processed order 17 for Lindqvist AB\"",
    "Add-Content -Path \\\\fs01\\logs\\run.log -Value $line",
    "rs.AddNew: rs!Price = qty * cost: rs.Update",
    "df.to_csv(r'\\\\fs01\\costs\\out.csv')",
    "-- a comment naming the invoice total",
    "' Kommentar: Rechnung",
    "GO",
    "x = 1",
    # letters re matches as ASCII ones where str.lower does not make them ASCII (ſ is s, ı and İ are i)
    "paſſword = 'geheim123'",
    "ınsert ınto Kosten (a) VALUES (1);",
    "İNSERT İNTO Kosten (a) VALUES (1);",
    "Dim ı As Integer: ı = ı + 1",
    "Sub Post()",
    "End Sub",
    "def price(qty, cost):",
    "    return qty * cost * 1.19",
    "",
    "{\"Name\": \"Invoice\", \"Value\": 12.5}",
    "x" * 5000 + " INSERT INTO Preise VALUES (1);",
    _PERIODIC,
]
LANGUAGES = ("vba", "vbscript", "basic", "python", "powershell", "batch", "sql", "r", "xlm", "text")


def findings_as_data(findings: list[Finding]) -> list[tuple]:
    return [(f.rule, f.family, f.title, f.severity, f.impact, f.evidence) for f in findings]


@pytest.mark.slow  # runs the real CLI in other processes, or hundreds of generated inputs
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(LINES), min_size=1, max_size=90), st.sampled_from(LANGUAGES),
       st.integers(min_value=0, max_value=5))
def test_scan_text_is_matching_every_rule_on_every_unit(lines, language, offset):
    text = "\n".join(lines)
    assert findings_as_data(scan_text(text, language, "m", offset)) == \
        findings_as_data(reference_scan(text, language, "m", offset))


def test_evidence_caps_are_reached_the_same_way():
    """Past MAX_EVIDENCE the engine stops looking for a rule; what it keeps is the first 20, as before."""
    text = "\n".join(LINES[i % 4] for i in range(300)) + "\n" + _PERIODIC + "\n" + LINES[7]
    for language in ("sql", "vba", "python"):
        ours = scan_text(text, language, "m")
        assert findings_as_data(ours) == findings_as_data(reference_scan(text, language, "m"))
    assert any(len(f.evidence) == MAX_EVIDENCE for f in ours)


def test_literal_checks_hold_for_non_ascii_text_without_three_letters():
    """The literal pre-check runs on non-ASCII text unless it holds a character that ``re``,
    ignoring case, takes for an ASCII character while ``str.lower`` makes it something else:
    derived here from ``re`` itself over every code point."""
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    apart = {found for ascii_char in map(chr, range(32, 127))
             for found in set(re.findall(re.escape(ascii_char), every, re.IGNORECASE))
             if found.lower() != ascii_char.lower()}
    assert apart == {c for c in every if engine._FOLDS_APART.match(c)}


def test_every_correlation_is_declared():
    """The engine skips the correlations once every id in correlate.YIELDS has all its evidence:
    whatever correlate() yields must be among them."""
    tree = ast.parse(inspect.getsource(correlate_module.correlate))
    yielded = {node.value.id for node in ast.walk(tree) if isinstance(node, ast.Yield) and isinstance(node.value, ast.Name)}
    assert yielded and {getattr(correlate_module, name)[0] for name in yielded} <= correlate_module.YIELDS
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.YieldFrom)]

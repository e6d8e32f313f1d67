"""One catalogue of rules: every rule id the product emits is declared once, with the
properties that the classifier, the migration plan, the headline and SARIF select by."""
from __future__ import annotations

import re

from conftest import REPO

from shadowscan.classify import DATA_WRITES, PERSISTENT_WRITES
from shadowscan.model import Impact
from shadowscan.rules import catalogue
from shadowscan.rules.patterns import all_rules

RULE_ID = re.compile(r"[\"']((?:financial|quality|writes|reach|secrets|behaviour|structure|access|governance)"
                     r"\.[a-z0-9-]+)[\"']")


def test_every_rule_id_in_the_source_is_catalogued():
    used = set()
    for path in (REPO / "shadowscan").rglob("*.py"):
        if path.name == "catalogue.py":
            continue
        text = path.read_text(encoding="utf-8")
        used |= set(RULE_ID.findall(text))
        used |= {f"governance.{g}" for g in re.findall(r"_finding\(\"([a-z-]+)\"", text)}
    missing = sorted(used - set(catalogue.CATALOGUE))
    assert not missing, f"rule ids used but not in the catalogue: {missing}"


def test_pattern_rules_take_their_meta_from_the_catalogue():
    for rule in all_rules():
        info = catalogue.rule(rule.id)
        assert (rule.family, rule.title, rule.severity, rule.persistent) == \
            (info.family, info.title, info.severity, info.persistent)


def test_properties_drive_the_classifier():
    assert catalogue.ids(persistent=True) == PERSISTENT_WRITES
    assert {"writes.sql", "writes.recordset", "writes.web", "access.action-query"} <= DATA_WRITES
    assert "writes.file" in PERSISTENT_WRITES - DATA_WRITES
    assert catalogue.rule("financial.issues-documents").impact is Impact.FINANCIAL
    assert catalogue.rule("financial.term").impact is None, "a keyword alone never decides"


def test_ids_are_unique_and_titled():
    ids = [r.id for r in catalogue.RULES]
    assert len(ids) == len(set(ids))
    for r in catalogue.RULES:
        assert r.title, r.id
        prefix = r.id.split(".")[0]
        assert prefix == r.family.value or (prefix, r.family.value) == ("access", "writes"), r.id

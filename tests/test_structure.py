"""The house: no import circles hidden behind imports inside functions in the rule engine."""
from __future__ import annotations

import ast

from conftest import REPO


def test_rule_modules_import_at_the_top():
    """Imports inside functions were how circles between the engine and its rule modules were
    hidden; the engine now imports its rules, and the rules import only rule.py/catalogue.py."""
    for path in sorted((REPO / "shadowscan" / "rules").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
                assert not inner, f"{path.name}:{node.name} imports inside a function"

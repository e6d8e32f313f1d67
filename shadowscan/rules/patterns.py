"""Every pattern rule, family by family (financial, quality, writes, reach, secrets, behaviour)."""
from __future__ import annotations

from . import behaviour, financial, quality, reach, secrets, writes
from .rule import Rule


def all_rules() -> tuple[Rule, ...]:
    """Every pattern rule, in family order."""
    rules: list[Rule] = []
    for module in (financial, quality, writes, reach, secrets, behaviour):
        rules.extend(module.RULES)
    return tuple(rules)

"""What a headline must be: whole sentences that agree with the artifact's class (issue 13)."""
from __future__ import annotations

import re

_CUT_NAME = re.compile(r"\w_(?:[,.;]|\s|$)")  # a table name cut at an underscore: "into FI_Buchungen, Ausschuss_"


def headline_problems(classification: str, headline: str) -> list[str]:
    problems = []
    if not headline.endswith("."):
        problems.append("does not end with a full stop")
    if not headline[:1].isupper():
        problems.append("does not start with a capital")
    if "((" in headline or re.search(r"\([^)]*\(", headline):
        problems.append("nested parentheses")
    if _CUT_NAME.search(headline):
        problems.append("ends a name in a fragment")
    if ", and " in headline or " and and " in headline or ";;" in headline or ".." in headline:
        problems.append("broken list")
    low = headline.lower()
    if classification == "shadow-it" and low.startswith(("reads and shows", "writes, copies")):
        problems.append("a high-risk tool described as only reading and showing")
    if classification == "citizen-development" and re.search(
            r"\b(generates|writes (financial|quality) (data|results))\b", low):
        problems.append("citizen development described as generating financial or quality data")
    if classification == "citizen-development" and low.startswith("reads and shows data (writes"):
        problems.append("reads and shows, yet writes")
    return problems

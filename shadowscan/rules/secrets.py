"""Secrets: hard-coded passwords and keys. Evidence is always redacted by the engine."""
from __future__ import annotations

import re

from .rule import VB_DIALECTS, Rule

I = re.IGNORECASE  # noqa: E741 - the re module's own short name (re.I)

RULES = (
    # In a connection string or configuration text the key may open the text; in code it sits
    # inside a string literal (after a quote or a ';'), so ``Password = VLookup(...)`` is code.
    Rule.of(
        "secrets.connection-password",
        re.compile(r"\b(?:pwd|password)\s*=\s*(?:\{[^}*]+\}|[^\s;\"'&*{][^;\"'&]*)", I),
        languages=frozenset({"text", "xlm"}),
        in_comments=True,
    ),
    Rule.of(
        "secrets.connection-password",
        re.compile(r"(?:[\"';]\s*)(?:pwd|password)\s*=\s*(?:\{[^}*]+\}|[^\s;\"'&*{][^;\"'&]*)", I),
        languages=VB_DIALECTS | {"python", "powershell", "batch", "sql", "r"},
        in_comments=True,
    ),
    Rule.of(
        "secrets.hardcoded",
        re.compile(r"\b\w*(?:password|passwort|passwd|hasło|haslo|pwd|secret|token|api_?key)\w*\s*(?::?=|<-)\s*"
                   r"(?:\"[^\"*]{3,}\"|'[^'*]{3,}')|convertto-securestring\s+[\"'][^\"'*]+[\"']\s+-asplaintext", I),
        in_comments=True,
    ),
    Rule.of(
        "secrets.url-credentials",
        re.compile(r"(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,30}://[^/\s:@\"']{1,256}:[^@/\s\"'*]{1,256}@", I),
        in_comments=True,
    ),
)

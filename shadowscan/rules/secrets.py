"""Secrets: hard-coded passwords and keys. Evidence is always redacted by the engine."""
from __future__ import annotations

import re

from .rule import Rule

I = re.IGNORECASE

RULES = (
    Rule.of(
        "secrets.connection-password",
        re.compile(r"\b(?:pwd|password)\s*=\s*(?:\{[^}*]+\}|[^\s;\"'&*{][^;\"'&]*)", I),
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

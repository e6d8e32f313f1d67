"""Mask secrets before anything is shown or stored.

Every snippet, connection string and reason passes through :func:`redact` before it
leaves an analyzer, so the inventory, the terminal and every report only ever hold
the masked form. The patterns favour over-masking: a masked non-secret costs nothing,
a leaked password costs a lot.
"""
from __future__ import annotations

import re

MASK = "***"

_KEY = r"(?:pwd|password|passwd|passwort|kennwort|hasło|haslo|pass|secret|token|api[_-]?key|apikey|access[_-]?key|accountkey|sharedaccesskey|client[_-]?secret|auth[_-]?token)"

# key=value inside connection strings and URLs: "PWD=abc;", "Password=abc", "password='x y'"
_KV = re.compile(
    r"(?P<key>\b\w*" + _KEY + r"\w*\s*(?:=|<-)\s*)(?P<val>\"[^\"]*\"|'[^']*'|\{[^}]*\}|[^;\"'\s&,()\[\]]+(?![\w(\[.]))",
    re.IGNORECASE,
)
# VBA named argument / PowerShell parameter / Python keyword: Password:="x", -Password 'x'
_NAMED = re.compile(
    r"(?P<key>\b\w*" + _KEY + r"\w*\s*:=\s*|-" + _KEY + r"\s+)(?P<val>\"[^\"]*\"|'[^']*'|[^\s;,)]+)",
    re.IGNORECASE,
)
# "password": "x" in dicts, JSON and YAML-ish config
_MAPPING = re.compile(r"(?P<key>[\"']\w*" + _KEY + r"\w*[\"']\s*:\s*)(?P<val>\"[^\"]*\"|'[^']*')", re.IGNORECASE)
# user:password@host in URLs
_URL = re.compile(r"(?P<key>[a-z][a-z0-9+.-]*://[^/\s:@\"']+:)(?P<val>[^@/\s\"']+)(?=@)", re.IGNORECASE)
# Authorization headers
_BEARER = re.compile(r"(?P<key>\b(?:bearer|basic)\s+)(?P<val>[A-Za-z0-9._~+/=-]{8,})", re.IGNORECASE)
# ConvertTo-SecureString "x" -AsPlainText
_SECURESTRING = re.compile(r"(?P<key>ConvertTo-SecureString\s+)(?P<val>\"[^\"]*\"|'[^']*')", re.IGNORECASE)


def _mask(match: re.Match[str]) -> str:
    val = match.group("val")
    if val in (MASK, f'"{MASK}"', f"'{MASK}'"):
        return match.group(0)
    if len(val) >= 2 and val[0] == val[-1] and val[0] in "\"'":
        return match.group("key") + val[0] + MASK + val[0]
    if val.startswith("{") and val.endswith("}"):
        return match.group("key") + "{" + MASK + "}"
    return match.group("key") + MASK


def redact(text: str) -> str:
    """Return ``text`` with passwords, tokens and keys replaced by ``***``."""
    if not text:
        return text
    for pattern in (_URL, _KV, _MAPPING, _NAMED, _BEARER, _SECURESTRING):
        text = pattern.sub(_mask, text)
    return text


def contains_secret(text: str) -> bool:
    """True when :func:`redact` would change ``text``."""
    return redact(text) != text
